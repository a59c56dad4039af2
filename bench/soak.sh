#!/usr/bin/env bash
# bench/soak.sh — a long run of mixed reads and writes (issue 8): does the
# node's memory or its number of open descriptors grow?
#
#   reads:  wrk, CONNS connections (default 32): 80% GET /api/v1/search for a
#           random stored value, 20% POST /api/v1/lookup of 100 values
#           (bench/load.lua, KZ_MODE=mixed)
#   writes: WRITES events a second (default 20), each with 10 indicators,
#           plus a sighting on one of them; the writer deletes the event it
#           made 100 writes earlier, so the data stays about the same size
#           and any growth is the node's, not the data's. Every write
#           changes the match fingerprint, so the lookups' index is rebuilt
#           again and again.
# The node starts from SOAK_N indicators (default 100,000 real maltrail
# values). Every 10 s the node's VmRSS and its open descriptors
# (/proc/PID/fd) are sampled. RSS swings with each index rebuild (the old
# and the new index live side by side for a moment), so windows are
# compared, not single samples: the first 20% of the samples (warm-up:
# indexes built, caches filled) against the last 20%. Verdict: the last
# window's lowest and highest RSS may exceed the warm-up window's lowest and
# highest by at most 10% + 16 MiB, its highest descriptor count the warm-up's
# by at most 8, and errors (non-2xx, socket errors, failed writes) must be
# zero.
#
# Usage: bench/soak.sh BUILD_DIR   (env: SOAK_MINUTES=30 CONNS=32 WRITES=20 SOAK_N=100000)
# Samples in BUILD_DIR/bench-work/soak/samples.tsv. A benchmark, never a test.
set -euo pipefail
BUILD=${1:-build}
MINUTES=${SOAK_MINUTES:-30}
CONNS=${CONNS:-32}
WRITES=${WRITES:-20}
SOAK_N=${SOAK_N:-100000}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
case "$BUILD" in /*) ;; *) BUILD="$ROOT/$BUILD" ;; esac
KZ="$BUILD/kizuna"
B="$BUILD/bench"
WORK="$BUILD/bench-work/soak"
LUA="$ROOT/bench/load.lua"
TARBALL="$ROOT/../shared/data/maltrail-static.tar.xz"
log() { printf 'soak.sh: %s\n' "$*" >&2; }
for tool in wrk curl python3 "$KZ" "$B/bench_gen"; do
  command -v "$tool" >/dev/null || { log "missing $tool"; exit 1; }
done
mkdir -p "$WORK"
cd "$WORK"

if [ ! -d maltrail ]; then
  mkdir -p maltrail && tar -xJf "$TARBALL" -C maltrail
fi
if [ ! -s "ind-$SOAK_N.jsonl" ]; then
  TRAILS=$(find maltrail -type d -name trails | head -n1)
  "$B/bench_gen" "$TRAILS" "$SOAK_N" "ind-$SOAK_N.jsonl" "ind-$SOAK_N.csv" >&2
fi
rm -rf db && mkdir -p db
"$KZ" init --db db/soak.db --org CERT-Soak --country SG >db/init.txt
"$KZ" import --db db/soak.db --org CERT-Soak "ind-$SOAK_N.jsonl" >/dev/null
KEY=$(sed -n 's/^admin key: //p' db/init.txt)
python3 - "ind-$SOAK_N.jsonl" <<'PY'
import json, random, sys
random.seed(8)
vals = [json.loads(l).get("value") for l in open(sys.argv[1])]
vals = [v for v in vals if v]
sample = random.sample(vals, min(20000, len(vals)))
open("values.txt", "w").write("\n".join(sample) + "\n")
body = [sample[i] if i % 2 == 0 else "198.18.0.%d" % (i + 1) for i in range(100)]
json.dump({"values": body}, open("lookup.json", "w"))
PY

"$KZ" serve --db db/soak.db --listen 127.0.0.1:0 --rate 0 --no-access-log \
  --per-ip-connections $((CONNS * 2 + 16)) >serve.out 2>serve.err &
SERVE=$!
WRK=""
WRITER=""
cleanup() {
  [ -n "$WRK" ] && kill "$WRK" 2>/dev/null || true
  [ -n "$WRITER" ] && kill "$WRITER" 2>/dev/null || true
  kill "$SERVE" 2>/dev/null || true
}
trap cleanup EXIT
for _ in $(seq 300); do grep -q 'listening on' serve.out && break; sleep 0.1; done
URL=$(sed -n 's/.*listening on \(http[^ ]*\).*/\1/p' serve.out)
[ -n "$URL" ] || { log "the node did not start:"; cat serve.err >&2; exit 1; }
SECS=$((MINUTES * 60))
log "soaking $URL for $MINUTES min: $CONNS read connections, $WRITES writes/s"

KZ_KEY=$KEY KZ_MODE=mixed KZ_VALUES=$WORK/values.txt KZ_PATH=/api/v1/lookup \
  KZ_BODY=$WORK/lookup.json wrk -t2 -c"$CONNS" -d"${SECS}s" --timeout 10s -s "$LUA" "$URL" \
  >wrk.out 2>&1 &
WRK=$!

python3 - "$URL" "$KEY" "$WRITES" "$SECS" >writer.out 2>&1 <<'PY' &
import http.client, json, sys, time, urllib.parse
url, key, rate, secs = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
u = urllib.parse.urlparse(url)
conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
H = {"Authorization": "Bearer " + key, "Content-Type": "application/json"}
def call(method, path, body=None):
    global conn
    for attempt in (0, 1):
        try:
            conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=H)
            r = conn.getresponse()
            data = r.read()
            return r.status, data
        except (http.client.HTTPException, OSError):
            conn.close()
            conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
            if attempt:
                raise
ok = fail = 0
made = []
end = time.time() + secs
k = 0
while time.time() < end:
    t0 = time.time()
    k += 1
    ev = {"title": "soak %d" % k, "tlp": "green",
          "indicators": [{"type": "ipv4", "value": "100.%d.%d.%d" % (64 + (k >> 16 & 63), k >> 8 & 255, k & 255)}] +
                        [{"type": "domain", "value": "s%d-%d.soak.example" % (k, i)} for i in range(9)]}
    st, data = call("POST", "/api/v1/events", ev)
    if st == 201:
        ok += 1
        e = json.loads(data)
        made.append(e["id"])
        ind = e["indicators"][0]["id"]
        st2, _ = call("POST", "/api/v1/indicators/%s/sightings" % ind, {"source": "soak"})
        ok, fail = (ok + 1, fail) if st2 == 201 else (ok, fail + 1)
    else:
        fail += 1
        print("write failed:", st, data[:200], flush=True)
    if len(made) > 100:
        st3, _ = call("DELETE", "/api/v1/events/%s" % made.pop(0))
        ok, fail = (ok + 1, fail) if st3 in (200, 204) else (ok, fail + 1)
    time.sleep(max(0.0, 1.0 / rate - (time.time() - t0)))
print("WRITER ok=%d failed=%d" % (ok, fail), flush=True)
PY
WRITER=$!

# The first sample 10 s in, under load; the last one just before the end.
printf 'seconds\trss_kib\tfds\n' >samples.tsv
t=0
while [ "$t" -lt "$SECS" ] && kill -0 "$SERVE" 2>/dev/null; do
  sleep 10
  t=$((t + 10))
  rss=$(awk '/VmRSS/ {print $2}' "/proc/$SERVE/status")
  fds=$(ls "/proc/$SERVE/fd" | wc -l)
  printf '%s\t%s\t%s\n' "$t" "$rss" "$fds" >>samples.tsv
done
wait "$WRK" || true
WRK=""
wait "$WRITER" || true
WRITER=""
alive=$(kill -0 "$SERVE" 2>/dev/null && echo yes || echo "NO (it died)")
HWM=$(awk '/VmHWM/ {printf "%.0f", $2/1024}' "/proc/$SERVE/status" 2>/dev/null || echo "?")
kill "$SERVE" 2>/dev/null || true
wait "$SERVE" 2>/dev/null || true
trap - EXIT

line=$(grep '^KZLOAD' wrk.out || echo "KZLOAD requests=0 rps=0 non2xx=? sockerr=?")
f() { echo "$line" | sed -n "s/.* $1=\([0-9.?]*\).*/\1/p"; }
wline=$(grep '^WRITER' writer.out || echo "WRITER ok=0 failed=?")
wok=$(echo "$wline" | sed -n 's/.*ok=\([0-9]*\).*/\1/p')
wfail=$(echo "$wline" | sed -n 's/.*failed=\([0-9?]*\).*/\1/p')

summary=$(awk -F'\t' 'NR > 1 { n++; r[n] = $2; d[n] = $3 }
END {
  w = int(n * 0.2); if (w < 1) w = 1
  rmax = 0; dmax = 0
  wlo = 1e18; whi = 0; wd = 0; llo = 1e18; lhi = 0; ld = 0
  for (i = 1; i <= n; i++) {
    if (r[i] > rmax) rmax = r[i]; if (d[i] > dmax) dmax = d[i]
    if (i <= w) { if (r[i] < wlo) wlo = r[i]; if (r[i] > whi) whi = r[i]; if (d[i] > wd) wd = d[i] }
    if (i > n - w) { if (r[i] < llo) llo = r[i]; if (r[i] > lhi) lhi = r[i]; if (d[i] > ld) ld = d[i] }
  }
  ok = (llo <= wlo * 1.10 + 16384 && lhi <= whi * 1.10 + 16384 && ld <= wd + 8) ? "PASS" : "FAIL"
  printf "%d %.1f %.1f %.1f %.1f-%.1f %.1f-%.1f %.1f-%.1f %d %d %d %d %d %s", n, r[1]/1024, r[n]/1024, rmax/1024,
    wlo/1024, whi/1024, llo/1024, lhi/1024, (wlo*1.1+16384)/1024, (whi*1.1+16384)/1024, d[1], d[n], dmax, wd, ld, ok
}' samples.tsv)
read -r NS R1 RN RMAX RW RL RLIM D1 DN DMAX DW DL VERDICT <<<"$summary"
errs_ok=$([ "$(f non2xx)" = 0 ] && [ "$(f sockerr)" = 0 ] && [ "$wfail" = 0 ] && echo yes || echo no)
[ "$errs_ok" = yes ] || VERDICT=FAIL
[ "$alive" = yes ] || VERDICT=FAIL

cat <<OUT
## Soak — $(date -u +%Y-%m-%dT%H:%MZ), $MINUTES min, $(nproc) cores (load average $(cut -d' ' -f1-3 /proc/loadavg))

Node with $SOAK_N indicators; reads: wrk -t2 -c$CONNS (80% search, 20% lookup of 100 values);
writes: $WRITES/s (event with 10 indicators + a sighting, and the delete of an event 100 writes old).

| | first | last | max | warm-up window (first 20%) min-max | last 20% min-max | allowed last 20% |
|---|---|---|---|---|---|---|
| RSS MiB | $R1 | $RN | $RMAX | $RW | $RL | $RLIM |
| open fds | $D1 | $DN | $DMAX | max $DW | max $DL | max $((DW + 8)) |

Reads: $(f requests) requests, $(f rps) req/s, p99 $(f p99_ms) ms, non-2xx $(f non2xx), socket errors $(f sockerr).
Writes: $wok succeeded, $wfail failed. Node peak RSS (VmHWM) $HWM MiB; node alive at the end: $alive.
$NS samples (every 10 s) in $WORK/samples.tsv.

Verdict: **$VERDICT** (RSS of the last 20% within the warm-up's min and max + 10% + 16 MiB, fds within the warm-up's max + 8, zero errors).
OUT
[ "$VERDICT" = PASS ]
