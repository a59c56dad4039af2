#!/usr/bin/env bash
# bench/taxii_post.sh — TAXII 2.1 Add Objects: K envelopes of 10,000 STIX
# indicators each (default K=30: 300,000 objects) POSTed one after another
# to the org's collection of a fresh node; objects stored per second, per
# envelope and over all (the work is done before the answer: taxii_add.c).
# Target (issue 3): >= 100,000 objects/s stored.
# Peer: the OASIS reference server (medallion) parses each POST body with
# Python's json module before it stores anything; that parse alone, on the
# same envelopes, is measured beside it (its floor: nothing stored).
# Floor: SQLite alone storing one envelope's rows into the node as the run
# left it (INSERT ... SELECT, sqlite3 shell, same schema and settings): what
# any store of this data model on SQLite pays, before parsing or HTTP.
#
# Usage: bench/taxii_post.sh BUILD_DIR   (env: K=30; IDS=ordered gives ids
# in order, as runs before 2026-11-22 11:00 UTC had them, to compare with;
# CLIENTS=N posts with N clients at once, each its share of the envelopes,
# and reports objects/s over the wall time)
# Prints a markdown table on stdout; work files in BUILD_DIR/bench-work/taxii-post.
set -euo pipefail
BUILD=${1:-build}
K=${K:-30}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
case "$BUILD" in /*) ;; *) BUILD="$ROOT/$BUILD" ;; esac
KZ="$BUILD/kizuna"
WORK="$BUILD/bench-work/taxii-post"
MEDIA='application/taxii+json;version=2.1'
log() { printf 'taxii_post.sh: %s\n' "$*" >&2; }
for tool in curl python3 "$KZ"; do
  command -v "$tool" >/dev/null || { log "missing $tool"; exit 1; }
done
rm -rf "$WORK" && mkdir -p "$WORK/env"
cd "$WORK"

# Envelopes of 10,000 indicators: unique addresses and domains, patterns
# as `kizuna stix export` writes them, random version-4 ids as producers
# mint them (ids in order would make the id index cheaper than it is).
python3 - "$K" "${IDS:-random}" <<'PY'
import random, sys, uuid
k = int(sys.argv[1]); per = 10000; ordered = sys.argv[2] == "ordered"
rng = random.Random(3)
for e in range(k):
    with open("env/%04d.json" % e, "w") as out:
        out.write('{"objects":[')
        for j in range(per):
            i = e * per + j
            if j:
                out.write(",")
            if ordered:
                oid = uuid.UUID(int=(0x4000 << 64) | (0x8 << 60) | i)
            else:
                oid = uuid.UUID(int=rng.getrandbits(128), version=4)
            if i % 2:
                a = (10 << 24) | (i & 0xffffff)
                pat = "[ipv4-addr:value = '%d.%d.%d.%d']" % (a >> 24 & 255, a >> 16 & 255, a >> 8 & 255, a & 255)
            else:
                pat = "[domain-name:value = 'h%d.post.example']" % i
            out.write('{"type":"indicator","spec_version":"2.1","id":"indicator--%s",'
                      '"created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z",'
                      '"pattern":"%s","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z"}'
                      % (oid, pat))
        out.write("]}")
PY

"$KZ" init --db node.db --org CERT-Bench --country SG >init.txt
KEY=$(sed -n 's/^admin key: //p' init.txt)
"$KZ" serve --db node.db --listen 127.0.0.1:0 --rate 0 --no-access-log --max-body 268435456 \
  >serve.out 2>serve.err &
SERVE=$!
trap 'kill $SERVE 2>/dev/null || true' EXIT
for _ in $(seq 300); do grep -q 'listening on' serve.out && break; sleep 0.1; done
URL=$(sed -n 's/.*listening on \(http[^ ]*\).*/\1/p' serve.out)
COLL=$(curl -sf -H "Authorization: Bearer $KEY" -H "Accept: $MEDIA" "$URL/taxii2/kizuna/collections/" |
  python3 -c 'import json,sys; print([c for c in json.load(sys.stdin)["collections"] if c["can_write"]][0]["id"])')

CLIENTS=${CLIENTS:-1}
# One client: envelopes c, c+CLIENTS, ... in turn; its times in times.c.txt.
# (The answers are checked once all are in, so that nothing but curl runs
# beside the node meanwhile.)
post_share() {
  local c=$1 i=0
  : >"times.$c.txt"
  for f in env/*.json; do
    i=$((i + 1))
    [ $(((i - 1) % CLIENTS)) = "$c" ] || continue
    curl -s -o "resp/$(basename "$f")" -w '%{time_total}\n' -X POST \
      -H "Authorization: Bearer $KEY" -H "Accept: $MEDIA" -H "Content-Type: $MEDIA" \
      --data-binary "@$f" "$URL/taxii2/kizuna/collections/$COLL/objects/" >>"times.$c.txt"
  done
}
mkdir -p resp
START=$(date +%s.%N)
pids=""
for c in $(seq 0 $((CLIENTS - 1))); do post_share "$c" & pids="$pids $!"; done
for p in $pids; do wait "$p"; done
WALL=$(python3 -c "import sys; print(float(sys.argv[2]) - float(sys.argv[1]))" "$START" "$(date +%s.%N)")
cat times.*.txt >times.txt
python3 - <<'PY' || exit 1
import glob, json, sys
for f in sorted(glob.glob("resp/*.json")) or sys.exit("taxii_post.sh: no answers"):
    d = json.load(open(f))
    if d.get("success_count") != 10000:
        sys.exit("taxii_post.sh: %s: %s" % (f, json.dumps(d)[:300]))
PY
# The SQLite floor: what SQLite alone takes to store the rows of one
# envelope into this node as it now is (the same tables, indexes and
# settings; 10,000 object rows with new random ids and keys, 10,000
# indicator rows), copied with INSERT ... SELECT from an in-memory table, so
# no parsing, no binding, no HTTP. Five rounds on a copy of the node.
kill "$SERVE" && wait "$SERVE" 2>/dev/null || true
cp node.db floor.db
{
  echo "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
  echo "PRAGMA cache_size=-32768; PRAGMA mmap_size=4294967296; PRAGMA temp_store=MEMORY;"
  echo "PRAGMA wal_autocheckpoint=8000;"
  echo "CREATE TEMP TABLE so AS SELECT * FROM stix_objects WHERE seq <= 10000;"
  echo "CREATE TEMP TABLE si AS SELECT * FROM indicators WHERE seq <= 10000;"
  echo ".timer on"
  for _ in 1 2 3 4 5; do
    echo "BEGIN IMMEDIATE;"
    echo "INSERT INTO stix_objects(id, type, spec_version, created, modified, vkey, date_added,"
    echo " is_first, is_last, created_by_ref, tlp, owner_org, event_ref, revoked, json, ind_ids, idk)"
    echo " SELECT 'indicator--' || lower(hex(randomblob(16))), type, spec_version, created,"
    echo " modified, vkey, (SELECT max(date_added) FROM main.stix_objects) + seq, 1, 1,"
    echo " created_by_ref, tlp, owner_org, event_ref, revoked, json, ind_ids, random() >> 32 FROM so;"
    echo "INSERT INTO indicators(id, event_ref, type, value, to_ids, comment, first_seen, last_seen,"
    echo " tlp, distribution, created, modified, deleted, tagged, addr, prefix, rdomain, warninglist)"
    echo " SELECT 'ffff' || printf('%032d', seq + (SELECT max(seq) FROM main.indicators)), event_ref,"
    echo " type, value, to_ids, comment, first_seen, last_seen, tlp, distribution, created, modified,"
    echo " deleted, tagged, addr, prefix, rdomain, warninglist FROM si;"
    echo "COMMIT;"
  done
} >floor.sql
sqlite3 floor.db <floor.sql >floor.out 2>&1
FLOOR=$(python3 - <<'PY'
import re
t = [float(x) for x in re.findall(r"Run Time: real ([0-9.]+)", open("floor.out").read())]
rounds = [sum(t[i:i + 4]) for i in range(len(t) - 20, len(t), 4)]  # BEGIN, 2 INSERTs, COMMIT
print("%.4f" % sorted(rounds)[len(rounds) // 2])
PY
)
PEER=$(python3 - <<'PY'
import glob, json, time
t = 0.0
for f in sorted(glob.glob("env/*.json")):
    b = open(f, "rb").read()
    t0 = time.perf_counter(); json.loads(b); t += time.perf_counter() - t0
print("%.3f" % t)
PY
)
python3 - "$K" "$PEER" "$(du -m env | cut -f1)" "${IDS:-random}" "$CLIENTS" "$WALL" "$FLOOR" <<'PY'
import sys
k, peer, mb, ids = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3], sys.argv[4]
clients, wall, floor = int(sys.argv[5]), float(sys.argv[6]), float(sys.argv[7])
t = [float(x) for x in open("times.txt")]
n = k * 10000
# One client: the requests' own times, summed; several: the wall time.
busy = sum(t) if clients == 1 else wall
how = "POSTed in turn" if clients == 1 else "POSTed by %d clients at once" % clients
s = sorted(t)
print()
print("TAXII Add Objects: %d envelopes of 10,000 indicators (%s MB, %s ids) %s to a new node's org collection; target >= 100,000 objects/s stored" % (k, mb, ids, how))
print()
print("| | kizuna (POST, stored, status complete) | peer: Python json.loads of the same bodies (parse only; medallion parses so) | ratio |")
print("|---|---:|---:|---:|")
print("| time, all envelopes | %.2f s | %.2f s | %.2f |" % (busy, peer, busy / peer))
print("| objects/s, all envelopes | %.0f | %.0f | %.2f |" % (n / busy, n / peer, peer / busy))
if clients == 1:
    print("| per envelope: first, median, last | %.0f, %.0f, %.0f ms | | |" % (t[0] * 1e3, s[len(s) // 2] * 1e3, t[-1] * 1e3))
else:
    print("| per envelope: median, slowest | %.0f, %.0f ms | | |" % (s[len(s) // 2] * 1e3, s[-1] * 1e3))
print("| objects/s per envelope: slowest, median | %.0f, %.0f | | |" % (10000 / s[-1], 10000 / s[len(s) // 2]))
print()
print("| one envelope's rows into this node | kizuna, median envelope | SQLite alone (INSERT ... SELECT of the same rows, median of 5) | ratio |")
print("|---|---:|---:|---:|")
med = s[len(s) // 2]
print("| time | %.0f ms | %.0f ms | %.2f |" % (med * 1e3, floor * 1e3, med / floor))
print("| objects/s | %.0f | %.0f | %.2f |" % (10000 / med, 10000 / floor, floor / med))
PY
