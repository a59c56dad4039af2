#!/usr/bin/env bash
# bench/bench_sync.sh — federation figures (issue 5), three real nodes on
# loopback:
#   1. publish-to-visible: an event published on node A, pushed by A's sync
#      thread, polled on node B's API every 5 ms until it answers 200;
#      ROUNDS rounds, median and worst. Target: < 1 s.
#   2. initial sync of N indicators (default 1,000,000: 1,000 published
#      events of 1,000 synthetic indicators each) from A to a fresh node C:
#      `kizuna sync now a --pull` on C, wall time, and the count stored on C.
#      Target: < 30 s.
# Peer: MISP's issue tracker reports pulls at about 2 s per event between
# instances; that figure is quoted, not measured here (no MISP on the
# machine): for N/1000 events it gives the "MISP (quoted)" column.
#
# Usage: bench/bench_sync.sh BUILD_DIR   (env: N=1000000 PER_EVENT=1000 ROUNDS=20)
# Prints a markdown table on stdout; work files in BUILD_DIR/bench-work/sync.
set -euo pipefail
BUILD=${1:-build}
N=${N:-1000000}
PER_EVENT=${PER_EVENT:-1000}
ROUNDS=${ROUNDS:-20}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
case "$BUILD" in /*) ;; *) BUILD="$ROOT/$BUILD" ;; esac
KZ="$BUILD/kizuna"
WORK="$BUILD/bench-work/sync"
log() { printf 'bench_sync.sh: %s\n' "$*" >&2; }
for tool in curl python3 "$KZ"; do
  command -v "$tool" >/dev/null || { log "missing $tool"; exit 1; }
done
rm -rf "$WORK" && mkdir -p "$WORK" && cd "$WORK"
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

now_ms() { date +%s%3N; }
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))" "$1"; }

# start NAME: init + serve on a free loopback port; sets KEY_<NAME>, URL_<NAME>
start() {
  local n=$1
  "$KZ" init --db "$n.db" --org "CERT-$n" --country SG >"$n.init"
  printf -v "KEY_$n" '%s' "$(sed -n 's/^admin key: //p' "$n.init")"
  "$KZ" serve --db "$n.db" --listen 127.0.0.1:0 --no-access-log >"$n.out" 2>"$n.err" &
  PIDS+=($!)
  local url=""
  for _ in $(seq 1 100); do
    url=$(sed -n 's/^kizuna: listening on //p' "$n.out" 2>/dev/null || true)
    [ -n "$url" ] && break
    sleep 0.05
  done
  [ -n "$url" ] || { log "node $n did not start"; cat "$n.err" >&2; exit 1; }
  printf -v "URL_$n" '%s' "$url"
}
var() { eval "printf '%s' \"\${$1}\""; }

# link X Y DIR_X_TO_Y DIR_Y_TO_X: X and Y peer each other with sync keys
link() {
  local x=$1 y=$2 dx=$3 dy=$4 pkx pky ox oy
  pkx=$(curl -s "$(var URL_$x)/api/v1/sync/node" | json 'd["public_key"]')
  pky=$(curl -s "$(var URL_$y)/api/v1/sync/node" | json 'd["public_key"]')
  oy=$("$KZ" peer add "$(echo "$y" | tr A-Z a-z)" "$(var URL_$y)" --public-key "$pky" \
        --direction "$dx" --interval 0 --db "$x.db" | cut -f2)
  ox=$("$KZ" peer add "$(echo "$x" | tr A-Z a-z)" "$(var URL_$x)" --public-key "$pkx" \
        --direction "$dy" --interval 0 --db "$y.db" | cut -f2)
  synckey "$x" "$oy" >"$y-at-$x.key"   # Y's key at X
  synckey "$y" "$ox" >"$x-at-$y.key"
  "$KZ" peer set-key "$(echo "$y" | tr A-Z a-z)" --api-key-file "$x-at-$y.key" --db "$x.db"
  "$KZ" peer set-key "$(echo "$x" | tr A-Z a-z)" --api-key-file "$y-at-$x.key" --db "$y.db"
}
synckey() {
  local node=$1 org=$2 key uid
  key=$(var KEY_$node)
  uid=$(curl -s -H "Authorization: Bearer $key" -H 'Content-Type: application/json' \
        -d "{\"email\":\"sync-$org@bench\",\"role\":\"sync\",\"org_id\":\"$org\"}" \
        "$(var URL_$node)/api/v1/users" | json 'd["id"]')
  curl -s -H "Authorization: Bearer $key" -H 'Content-Type: application/json' \
    -d "{\"user_id\":\"$uid\",\"label\":\"peer\"}" "$(var URL_$node)/api/v1/keys" | json 'd["key"]'
}

log "starting nodes A, B, C"
start A; start B; start C
link A B push pull      # A pushes to B on publish

# ---- 1. publish -> visible on B --------------------------------------------
lat=()
for r in $(seq 1 "$ROUNDS"); do
  id=$(curl -s -H "Authorization: Bearer $KEY_A" -H 'Content-Type: application/json' \
       -d "{\"title\":\"latency $r\",\"tlp\":\"clear\",\"distribution\":\"all\",\"indicators\":[{\"type\":\"ipv4\",\"value\":\"192.0.2.$r\"}]}" \
       "$URL_A/api/v1/events" | json 'd["id"]')
  t0=$(now_ms)
  curl -s -o /dev/null -X POST -H "Authorization: Bearer $KEY_A" "$URL_A/api/v1/events/$id/publish"
  while [ "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $KEY_B" "$URL_B/api/v1/events/$id")" != 200 ]; do
    [ $(( $(now_ms) - t0 )) -gt 10000 ] && { log "event $id never reached B"; exit 1; }
    sleep 0.005
  done
  lat+=($(( $(now_ms) - t0 )))
done
read -r lat_med lat_max < <(printf '%s\n' "${lat[@]}" | sort -n | awk '{v[NR]=$1} END{print v[int((NR+1)/2)], v[NR]}')
"$KZ" peer pause b --db A.db   # B stays out of the bulk run

# ---- 2. initial sync of N indicators A -> C --------------------------------
link A C pull pull      # neither pushes: C pulls when told
log "generating and importing $N indicators into A ($PER_EVENT per event)"
python3 - "$N" "$PER_EVENT" >bulk.jsonl <<'PY'
import sys, uuid
n, per = int(sys.argv[1]), int(sys.argv[2])
out = sys.stdout
for e in range(0, n, per):
    ev = uuid.uuid4()
    out.write('{"id":"%s","title":"bulk %d","tlp":"clear","distribution":"all","published":true}\n' % (ev, e // per))
    for i in range(e, min(n, e + per)):
        k = i % 3
        if k == 0:
            v = '{"event_id":"%s","type":"ipv4","value":"%d.%d.%d.%d"}' % (ev, 10 + (i >> 24 & 127), i >> 16 & 255, i >> 8 & 255, i & 255)
        elif k == 1:
            v = '{"event_id":"%s","type":"domain","value":"h%d.bench-sync.example"}' % (ev, i)
        else:
            v = '{"event_id":"%s","type":"sha256","value":"%064x"}' % (ev, i * 2654435761 % (1 << 256))
        out.write(v + "\n")
PY
"$KZ" import --db A.db --org CERT-A bulk.jsonl >/dev/null
cpu_of() { awk '{printf "%.2f", ($14 + $15) / '"$(getconf CLK_TCK)"'}' "/proc/$1/stat"; }
a0=$(cpu_of "${PIDS[0]}")
t0=$(now_ms)
/usr/bin/time -f '%U %S' -o client.cpu "$KZ" sync now a --pull --db C.db >sync.out
t1=$(now_ms)
a1=$(cpu_of "${PIDS[0]}")
server_cpu=$(awk -v a="$a0" -v b="$a1" 'BEGIN{printf "%.1f", b-a}')
client_cpu=$(awk '{printf "%.1f", $1 + $2}' client.cpu)
load=$(cut -d' ' -f1 /proc/loadavg)
sync_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.1f", (b-a)/1000}')
got=$(python3 -c "import sqlite3,sys; c=sqlite3.connect('file:C.db?mode=ro', uri=True); print(c.execute('select count(*) from indicators i join events e on e.seq = i.event_ref where e.title like \"bulk %\"').fetchone()[0])")
events=$(( (N + PER_EVENT - 1) / PER_EVENT ))
misp_s=$(( events * 2 ))
rate=$(awk -v n="$N" -v s="$sync_s" 'BEGIN{printf "%.0f", n/s}')
log "$(cat sync.out)"

echo "| federation | kizuna | MISP (quoted: ~2 s per event, its issue tracker) | ratio |"
echo "|---|---|---|---|"
echo "| initial sync, $N indicators in $events events, loopback | ${sync_s} s (${rate} indicators/s; $got stored on C; CPU: sender ${server_cpu} s, receiver ${client_cpu} s; load average ${load} on $(nproc) cores) | ~${misp_s} s | $(awk -v a="$misp_s" -v b="$sync_s" 'BEGIN{printf "%.0fx", a/b}') |"
echo "| publish on A to visible on B (median / worst of $ROUNDS) | ${lat_med} ms / ${lat_max} ms | — | — |"
