#!/usr/bin/env bash
# bench/load.sh — the node under load (issue 8): N indicators (default
# 1,000,000 real maltrail values, the same input as bench/run), then wrk with
# CONNS connections (default 256) for DURATION seconds (default 60) against
# each of
#   - GET  /api/v1/search?value=V      V drawn at random from 100,000 stored values
#   - POST /api/v1/lookup              100 values a request, half of them listed
#   - GET  /taxii2/kizuna/collections/{own}/objects/?limit=100, the first
#          page of a collection of TAXII_N (default 100,000) STIX objects
# and prints a markdown table: req/s, p50/p99/p99.9 latency (bench/load.lua's
# summary, which wrk's --latency table lacks), errors (non-2xx and socket
# errors apart: both must be 0), and the node's peak RSS (VmHWM) over the run.
#
# A benchmark, never a timed test. The node runs with --rate 0 (no per-key
# rate limit) and --per-ip-connections set above CONNS: every wrk connection
# comes from 127.0.0.1, which the default per-address cap (64) would refuse.
#
# Usage: bench/load.sh BUILD_DIR   (env: N TAXII_N DURATION CONNS THREADS)
# Work files in BUILD_DIR/bench-work/load (the database is reused while N is
# unchanged).
set -euo pipefail
BUILD=${1:-build}
N=${N:-1000000}
DURATION=${DURATION:-60}
CONNS=${CONNS:-256}
THREADS=${THREADS:-2}
TAXII_N=${TAXII_N:-100000}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
case "$BUILD" in /*) ;; *) BUILD="$ROOT/$BUILD" ;; esac
KZ="$BUILD/kizuna"
B="$BUILD/bench"
WORK="$BUILD/bench-work/load"
LUA="$ROOT/bench/load.lua"
TARBALL="$ROOT/../shared/data/maltrail-static.tar.xz"
TAXII_MEDIA='application/taxii+json;version=2.1'
log() { printf 'load.sh: %s\n' "$*" >&2; }
for tool in wrk curl python3 "$KZ" "$B/bench_gen" "$B/bench_exec"; do
  command -v "$tool" >/dev/null || { log "missing $tool (build the kizuna, bench_gen and bench_exec targets)"; exit 1; }
done
mkdir -p "$WORK"
cd "$WORK"

# ---- the node's data ----------------------------------------------------------
if [ ! -d maltrail ]; then
  mkdir -p maltrail && tar -xJf "$TARBALL" -C maltrail
fi
if [ ! -s "ind-$N.jsonl" ]; then
  TRAILS=$(find maltrail -type d -name trails | head -n1)
  "$B/bench_gen" "$TRAILS" "$N" "ind-$N.jsonl" "ind-$N.csv" >&2
fi
if [ ! -e "db/n-$N-$TAXII_N" ] || [ ! -s db/load.db ]; then
  rm -rf db && mkdir -p db
  "$KZ" init --db db/load.db --org CERT-Load --country SG >db/init.txt
  log "importing $N indicators"
  imp=$("$B/bench_exec" "$KZ" import --db db/load.db --org CERT-Load "ind-$N.jsonl" 2>&1 >/dev/null | tail -n1)
  log "import: $imp"
  # TAXII serves STIX objects that came in as STIX, not native indicators:
  # TAXII_N more (synthetic indicators and malware, as bench_taxii.sh makes
  # them) fill the own-org collection.
  log "importing $TAXII_N STIX objects"
  mkdir -p env
  python3 - "$TAXII_N" <<'PY'
import sys, uuid
n = int(sys.argv[1]); per = 50000
for f in range(0, n, per):
    with open("env/%08d.json" % f, "w") as out:
        out.write('{"objects":[')
        for i in range(f, min(n, f + per)):
            if i > f:
                out.write(",")
            oid = uuid.UUID(int=(0x4000 << 64) | (0x8 << 60) | i)
            if i % 10 == 9:
                out.write('{"type":"malware","spec_version":"2.1","id":"malware--%s",'
                          '"created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z",'
                          '"name":"family %d","is_family":true}' % (oid, i))
            else:
                ip = "100.%d.%d.%d" % (64 + (i >> 16 & 63), i >> 8 & 255, i & 255)
                out.write('{"type":"indicator","spec_version":"2.1","id":"indicator--%s",'
                          '"created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z",'
                          '"pattern":"[ipv4-addr:value = \'%s\']","pattern_type":"stix",'
                          '"valid_from":"2026-01-01T00:00:00Z"}' % (oid, ip))
        out.write("]}")
PY
  for f in env/*.json; do
    "$KZ" stix import --db db/load.db --tlp green --no-orgs "$f" >/dev/null 2>>stix-import.err
  done
  rm -rf env
  touch "db/n-$N-$TAXII_N"
fi
KEY=$(sed -n 's/^admin key: //p' db/init.txt)

# 100,000 stored values for searches; a lookup body of 100 values, every
# other one listed.
python3 - "ind-$N.jsonl" <<'PY'
import json, random, sys
random.seed(8)
vals = []
with open(sys.argv[1]) as f:
    for line in f:
        o = json.loads(line)
        if "value" in o:
            vals.append(o["value"])
sample = random.sample(vals, min(100000, len(vals)))
with open("values.txt", "w") as out:
    out.write("\n".join(sample) + "\n")
body = []
for i in range(100):
    body.append(sample[i] if i % 2 == 0 else "198.18.%d.%d" % (i // 250, i % 250 + 1))
with open("lookup.json", "w") as out:
    json.dump({"values": body}, out)
PY

# ---- the node -----------------------------------------------------------------
"$KZ" serve --db db/load.db --listen 127.0.0.1:0 --rate 0 --no-access-log \
  --per-ip-connections $((CONNS * 2)) >serve.out 2>serve.err &
SERVE=$!
trap 'kill $SERVE 2>/dev/null || true' EXIT
for _ in $(seq 300); do grep -q 'listening on' serve.out && break; sleep 0.1; done
URL=$(sed -n 's/.*listening on \(http[^ ]*\).*/\1/p' serve.out)
[ -n "$URL" ] || { log "the node did not start:"; cat serve.err >&2; exit 1; }
get() { curl -sf -H "Authorization: Bearer $KEY" -H "Accept: $TAXII_MEDIA" "$URL$1"; }
COLL=$(get /taxii2/kizuna/collections/ | python3 -c 'import json,sys; print(json.load(sys.stdin)["collections"][0]["id"])')
TAXII_PATH="/taxii2/kizuna/collections/$COLL/objects/?limit=100"
PAGE=$(get "$TAXII_PATH" | python3 -c 'import json,sys; print(len(json.load(sys.stdin).get("objects", [])))')
[ "$PAGE" -eq 100 ] || { log "the TAXII page holds $PAGE objects, not 100"; exit 1; }
# Warm up: the first lookup builds the org's match index (seconds at 1M).
curl -sf -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' \
  --data-binary @lookup.json "$URL/api/v1/lookup" >/dev/null
get "$TAXII_PATH" >/dev/null

export KZ_KEY=$KEY KZ_VALUES=$WORK/values.txt KZ_BODY=$WORK/lookup.json
run() { # label mode path accept
  local out line
  out=$(KZ_MODE=$2 KZ_PATH=$3 KZ_ACCEPT=$4 wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" \
        --timeout 10s --latency -s "$LUA" "$URL" 2>&1)
  line=$(echo "$out" | grep '^KZLOAD' || true)
  [ -n "$line" ] || { log "wrk failed: $out"; exit 1; }
  f() { echo "$line" | sed -n "s/.* $1=\([0-9.]*\).*/\1/p"; }
  printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' "$1" "$(f rps)" "$(f requests)" \
    "$(f p50_ms)" "$(f p99_ms)" "$(f p999_ms)" "$(f non2xx)" "$(f sockerr)"
}
R1=$(run "search, exact value (random of 100,000 stored)" search "" "")
R2=$(run "lookup, 100 values a request (50 listed)" post /api/v1/lookup "")
R3=$(run "TAXII objects, first page of $TAXII_N, limit=100" get "$TAXII_PATH" "$TAXII_MEDIA")
# non-2xx and socket errors are the last two columns of each row
TOTAL_ERR=$(printf '%s\n' "$R1" "$R2" "$R3" | awk -F'|' '{s += $(NF-2) + $(NF-1)} END {print s}')
RSS=$(awk '/VmHWM/ {printf "%.0f", $2/1024}' "/proc/$SERVE/status")
FDS=$(ls "/proc/$SERVE/fd" | wc -l)
kill "$SERVE"; wait "$SERVE" 2>/dev/null || true
trap - EXIT

cat <<OUT
## Load — $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores (load average $(cut -d' ' -f1-3 /proc/loadavg)), N=$N indicators

wrk -t$THREADS -c$CONNS -d${DURATION}s --timeout 10s -s bench/load.lua, one endpoint at a time, against
\`kizuna serve --rate 0 --per-ip-connections $((CONNS * 2))\` on the same machine.

| endpoint | req/s | requests | p50 ms | p99 ms | p99.9 ms | non-2xx | socket errors |
|---|---|---|---|---|---|---|---|
$R1
$R2
$R3

Node peak RSS (VmHWM) over the three runs: $RSS MiB; open fds at the end: $FDS.
Errors in total: $TOTAL_ERR ($( [ "$TOTAL_ERR" -eq 0 ] && echo "zero, as required" || echo "NOT ZERO"))
OUT
[ "$TOTAL_ERR" -eq 0 ]
