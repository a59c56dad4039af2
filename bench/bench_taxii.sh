#!/usr/bin/env bash
# bench/bench_taxii.sh — TAXII 2.1 GET objects pages on one collection of N
# STIX objects (default 1,000,000): limit 100 and 1,000, from the start, with
# added_after (the middle of the collection) and with match[type] (a type
# that is 10% of the objects), p50/p99 under wrk. Target: p99 < 10 ms.
# Peer: the OASIS reference server (medallion) keeps collections in memory
# and is reported at about 40 s for the first page at 4,000 objects; it is
# not run here (its figure is quoted, not measured).
#
# Objects: N/10 envelopes of synthetic indicators (90%) and malware (10%),
# imported with `kizuna stix import` into the node's only org, so they all
# sit in the caller's own-org collection.
#
# Usage: bench/bench_taxii.sh BUILD_DIR   (env: N=1000000 DURATION=10 CONNS=8)
# Prints a markdown table on stdout; work files in BUILD_DIR/bench-work/taxii
# (the node is reused while N is unchanged).
set -euo pipefail
BUILD=${1:-build}
N=${N:-1000000}
DURATION=${DURATION:-10}
CONNS=${CONNS:-8}
THREADS=$(( CONNS < 2 ? 1 : 2 ))
ROOT=$(cd "$(dirname "$0")/.." && pwd)
case "$BUILD" in /*) ;; *) BUILD="$ROOT/$BUILD" ;; esac
KZ="$BUILD/kizuna"
WORK="$BUILD/bench-work/taxii"
MEDIA='application/taxii+json;version=2.1'
mkdir -p "$WORK"
cd "$WORK"
log() { printf 'bench_taxii.sh: %s\n' "$*" >&2; }
for tool in wrk curl python3 "$KZ"; do
  command -v "$tool" >/dev/null || { log "missing $tool"; exit 1; }
done

if [ ! -e "db/n-$N" ] || [ ! -s db/bench.db ]; then
  rm -rf db env && mkdir -p db env
  "$KZ" init --db db/bench.db --org CERT-Bench --country SG >init.txt
  log "generating $N objects"
  python3 - "$N" <<'PY'
import sys, uuid
n = int(sys.argv[1]); per = 100000
for f in range(0, n, per):
    with open("env/%08d.json" % f, "w") as out:
        out.write('{"objects":[')
        for i in range(f, min(n, f + per)):
            if i > f:
                out.write(",")
            oid = uuid.UUID(int=(0x4000 << 64) | (0x8 << 60) | i)  # v4 layout, unique
            if i % 10 == 9:
                out.write('{"type":"malware","spec_version":"2.1","id":"malware--%s",'
                          '"created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z",'
                          '"name":"family %d","is_family":true}' % (oid, i))
            else:
                a = (198 << 24) | (i & 0xffffff)
                ip = "%d.%d.%d.%d" % (a >> 24 & 255, a >> 16 & 255, a >> 8 & 255, a & 255)
                out.write('{"type":"indicator","spec_version":"2.1","id":"indicator--%s",'
                          '"created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z",'
                          '"pattern":"[ipv4-addr:value = \'%s\']","pattern_type":"stix",'
                          '"valid_from":"2026-01-01T00:00:00Z"}' % (oid, ip))
        out.write("]}")
PY
  log "importing"
  for f in env/*.json; do
    "$KZ" stix import --db db/bench.db --tlp green --no-orgs "$f" >/dev/null 2>>import.err
  done
  touch "db/n-$N"
fi
KEY=$(sed -n 's/^admin key: //p' init.txt)

"$KZ" serve --db db/bench.db --listen 127.0.0.1:0 --rate 0 --no-access-log >serve.out 2>serve.err &
SERVE=$!
trap 'kill $SERVE 2>/dev/null || true' EXIT
for _ in $(seq 300); do grep -q 'listening on' serve.out && break; sleep 0.1; done
URL=$(sed -n 's/.*listening on \(http[^ ]*\).*/\1/p' serve.out)
get() { curl -sf -H "Authorization: Bearer $KEY" -H "Accept: $MEDIA" "$URL$1"; }
COLL=$(get /taxii2/kizuna/collections/ | python3 -c 'import json,sys; print(json.load(sys.stdin)["collections"][0]["id"])')
OBJ="/taxii2/kizuna/collections/$COLL/objects/"
# added_after: the date_added of the middle object (from the node's database).
MID=$(python3 - "$N" <<'PY'
import sqlite3, sys, datetime
db = sqlite3.connect("db/bench.db")
us = db.execute("SELECT date_added FROM stix_objects ORDER BY date_added LIMIT 1 OFFSET ?",
                (int(sys.argv[1]) // 2,)).fetchone()[0]
t = datetime.datetime.fromtimestamp(us // 1000000, datetime.timezone.utc)
print(t.strftime("%Y-%m-%dT%H:%M:%S") + ".%06dZ" % (us % 1000000))
PY
)
count=$(get "${OBJ}?limit=1000" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(len(d.get("objects",[])))')
[ "$count" = 1000 ] || { log "first page has $count objects, not 1000"; exit 1; }

wrk_run() { # label path
  local out
  out=$(wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" --latency -H "Authorization: Bearer $KEY" \
    -H "Accept: $MEDIA" "$URL$2")
  local rps p50 p99 errs
  rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  p50=$(echo "$out" | awk '$1=="50%" {print $2}')
  p99=$(echo "$out" | awk '$1=="99%" {print $2}')
  errs=$(echo "$out" | awk '/Non-2xx/ {print $NF}')
  printf '| %s | %s | %s | %s | %s | about 40 s (first page, 4,000 objects) |\n' "$1" "$rps" "$p50" "$p99" "${errs:-0}"
}
echo
echo "TAXII 2.1 GET objects, one collection of $N objects (wrk -t$THREADS -c$CONNS -d${DURATION}s); target p99 < 10 ms"
echo
echo "| page | req/s | p50 | p99 | non-2xx | OASIS reference server (quoted) |"
echo "|---|---|---|---|---|---|"
for lim in 100 1000; do
  wrk_run "limit=$lim, from the start" "${OBJ}?limit=$lim"
  wrk_run "limit=$lim, added_after=middle" "${OBJ}?limit=$lim&added_after=$MID"
  wrk_run "limit=$lim, match[type]=malware" "${OBJ}?limit=$lim&match%5Btype%5D=malware"
  wrk_run "limit=$lim, added_after + match[type]" "${OBJ}?limit=$lim&added_after=$MID&match%5Btype%5D=malware"
done
kill "$SERVE"; wait "$SERVE" 2>/dev/null || true
trap - EXIT
