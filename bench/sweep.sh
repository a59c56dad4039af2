#!/usr/bin/env bash
# bench/sweep.sh — `kizuna sweep` beside what a team would otherwise run on the
# same logs and list: ripgrep and grep with the list as fixed strings, and a
# plain Python label walk (bench/reference_sweep.py, maltrail's approach)
# whose hits must equal kizuna's exactly.
#
# IOC set: every typed line of ../shared/data/maltrail-static.tar.xz (1.76M),
# imported into a node with `kizuna import`. Logs: the real Zeek dns.log and
# ssl.log repeated REPEAT times (10.3M lines at 100), plus synthetic Zeek
# conn.log and http.log (CONN + HTTP lines, 1% planted hits, 2% near misses;
# bench/bench_sweep.c). kizuna and the reference sweep all of it; ripgrep and
# grep need ~30 s and ~15 GiB (ripgrep) to compile 1.76M patterns and scan at
# well under 1% of kizuna's rate, so they get the first SAMPLE lines of each
# log, and kizuna is run on that sample too. Scan rates exclude set-up (index
# build, pattern compile), which is timed apart on a one-line log.
#
# Usage: bench/sweep.sh BUILD_DIR
#   env: REPEAT=100 CONN=5000000 HTTP=5000000 SAMPLE=500000 THREADS=0 (all cores)
# Prints a markdown table on stdout; work files stay in BUILD_DIR/bench-work/sweep
# (the node, the logs and the export are reused by later runs).
set -euo pipefail
BUILD=${1:-build}
REPEAT=${REPEAT:-100}
CONN=${CONN:-5000000}
HTTP=${HTTP:-5000000}
SAMPLE=${SAMPLE:-500000}
THREADS=${THREADS:-0}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
case "$BUILD" in /*) ;; *) BUILD="$ROOT/$BUILD" ;; esac
KZ="$BUILD/kizuna"
B="$BUILD/bench"
WORK="$BUILD/bench-work/sweep"
DATA="$ROOT/../shared/data"
REF="$ROOT/bench/reference_sweep.py"
mkdir -p "$WORK"
cd "$WORK"

log() { printf 'sweep.sh: %s\n' "$*" >&2; }
kv() { sed -n "s/^\(.*[ :]\)\{0,1\}$1=\([0-9.]*\).*/\2/p" | tail -n1; }
for tool in rg grep python3 "$KZ" "$B/bench_sweep" "$B/bench_exec" "$B/bench_gen"; do
  command -v "$tool" >/dev/null || { log "missing $tool (scripts/install-deps, make build)"; exit 1; }
done

# ---- the intelligence: all maltrail indicators in a node ---------------------
if [ ! -s export.jsonl ] || [ ! -s db/bench.db ]; then
  if [ ! -d maltrail ]; then
    mkdir -p maltrail && tar -xJf "$DATA/maltrail-static.tar.xz" -C maltrail
  fi
  TRAILS=$(find maltrail -type d -name trails | head -n1)
  n=$("$B/bench_gen" "$TRAILS" 1 /dev/null /dev/null 2>&1 | sed -n 's/.*: \([0-9]*\) distinct.*/\1/p')
  log "importing all $n maltrail indicators"
  "$B/bench_gen" "$TRAILS" "$n" ind.jsonl ind.csv 2>/dev/null
  rm -rf db && mkdir -p db
  "$KZ" init --db db/bench.db --org CERT-Bench --country SG >/dev/null
  "$KZ" import --db db/bench.db --org CERT-Bench ind.jsonl >/dev/null
  "$KZ" export --db db/bench.db --out export.jsonl 2>/dev/null
  python3 -c '
import json, sys
for line in open("export.jsonl"):
    v = json.loads(line).get("value")
    if v: print(v)' >patterns.txt
  rm -f ind.jsonl ind.csv
fi
NIND=$(wc -l <patterns.txt)

# ---- the logs ---------------------------------------------------------------
if [ ! -s "dns-$REPEAT.log" ] || [ ! -s "ssl-$REPEAT.log" ]; then
  log "repeating the real dns.log and ssl.log $REPEAT times"
  for f in dns ssl; do
    zcat "$DATA/zeek/$f.log.gz" >"$f-1.log"
    for _ in $(seq "$REPEAT"); do cat "$f-1.log"; done >"$f-$REPEAT.log"
    rm -f "$f-1.log"
  done
fi
if [ ! -s "conn-$CONN.log" ] || [ ! -s "http-$HTTP.log" ]; then
  log "writing synthetic conn ($CONN lines) and http ($HTTP lines) logs"
  mkdir -p gen && "$B/bench_sweep" gen export.jsonl gen "$CONN" "$HTTP" 2>gen.txt
  mv gen/conn.log "conn-$CONN.log" && mv gen/http.log "http-$HTTP.log"
fi
LOGS=("dns-$REPEAT.log" "ssl-$REPEAT.log" "conn-$CONN.log" "http-$HTTP.log")
SAMPLES=()
for f in "${LOGS[@]}"; do
  head -n "$SAMPLE" "$f" >"sample-$f"
  SAMPLES+=("sample-$f")
done
head -n 1 "sample-${LOGS[0]}" >one-line.log
lines_of() { cat "$@" | wc -l; }
bytes_of() { cat "$@" | wc -c; }
ALL_LINES=$(lines_of "${LOGS[@]}")
ALL_BYTES=$(bytes_of "${LOGS[@]}")
S_LINES=$(lines_of "${SAMPLES[@]}")
S_BYTES=$(bytes_of "${SAMPLES[@]}")
flagged() { sed -n 's/^{"file":"\([^"]*\)","line":\([0-9]*\),.*/\1:\2/p' "$1" | sort -u; }

# ---- 1. kizuna on everything --------------------------------------------------
log "kizuna sweep: ${#LOGS[@]} logs, $ALL_LINES lines"
"$B/bench_exec" "$KZ" sweep --db db/bench.db --org CERT-Bench --threads "$THREADS" "${LOGS[@]}" \
  >kz-hits.jsonl 2>kz.err
KZ_WALL=$(kv wall_s <kz.err)
KZ_RSS=$(kv maxrss_mib <kz.err)
KZ_INDEX=$(sed -n 's/.*indicators.* in \([0-9.]*\) s$/\1/p' kz.err | head -n1)
KZ_SCAN=$(sed -n 's/.*lines, .* in \([0-9.]*\) s (.*/\1/p' kz.err)
KZ_HITS=$(sed -n 's/.*): \([0-9]*\) hits.*/\1/p' kz.err)
KZ_ERRORS=$(sed -n 's/.* \([0-9]*\) errors.*/\1/p' kz.err)
flagged kz-hits.jsonl >kz-flagged.txt
KZ_FLAGGED=$(wc -l <kz-flagged.txt)

# ---- 2. the Python label walk on everything, hits compared ---------------------
log "python3 reference on the same logs (about a minute per 10M lines)"
set +e
"$B/bench_exec" python3 "$REF" export.jsonl "${LOGS[@]}" --compare kz-hits.jsonl >ref.out 2>ref.err
REF_STATUS=$?
set -e
REF_WALL=$(kv wall_s <ref.err)
REF_RSS=$(kv maxrss_mib <ref.err)
REF_LOAD=$(kv load_s <ref.out)
REF_SCAN=$(kv sweep_s <ref.out)
REF_HITS=$(sed -n 's/^reference: .* hits=\([0-9]*\).*/\1/p' ref.out)
KZ_DISTINCT=$(sed -n 's/^compare: kizuna=\([0-9]*\).*/\1/p' ref.out)
SAME=$(sed -n 's/.*identical=\([a-z]*\).*/\1/p' ref.out)
[ "$REF_STATUS" -eq 0 ] || log "the reference and kizuna differ: see $WORK/ref.out"

# ---- 3. the sample: kizuna, ripgrep, grep --------------------------------------
log "sample: first $SAMPLE lines of each log ($S_LINES lines) for kizuna, ripgrep and grep"
"$B/bench_exec" "$KZ" sweep --db db/bench.db --org CERT-Bench --threads "$THREADS" "${SAMPLES[@]}" \
  >kz-sample.jsonl 2>kz-sample.err
KS_WALL=$(kv wall_s <kz-sample.err)
flagged kz-sample.jsonl >kz-sample-flagged.txt
KS_FLAGGED=$(wc -l <kz-sample-flagged.txt)

peer() { # name cmd...: times a one-line run (set-up) and the sample; lines flagged
  local name=$1
  shift
  "$B/bench_exec" "$@" one-line.log >/dev/null 2>"$name-setup.err" || true
  "$B/bench_exec" "$@" "${SAMPLES[@]}" >"$name.out" 2>"$name.err" || true
  sed -n 's/^\([^:]*\):\([0-9]*\):.*/\1:\2/p' "$name.out" | sort -u >"$name-flagged.txt"
  rm -f "$name.out"
}
log "ripgrep -F -f ($NIND patterns; ~15 GiB to compile them)"
peer rg rg --no-heading --with-filename -n -F -f patterns.txt
log "grep -F -f"
peer grep grep --with-filename -n -F -f patterns.txt

# ---- the table ----------------------------------------------------------------
calc() { awk "BEGIN{printf \"$1\", $2}"; }
rate() { calc "%.0f" "$1/$2"; }
KZ_RATE=$(rate "$ALL_LINES" "$KZ_SCAN")
KZ_MBS=$(calc "%.1f" "$ALL_BYTES/1e6/$KZ_SCAN")
REF_RATE=$(rate "$ALL_LINES" "$REF_SCAN")
row_peer() { # name label
  local w s r rss fl both only miss
  w=$(kv wall_s <"$1.err")
  s=$(kv wall_s <"$1-setup.err")
  rss=$(kv maxrss_mib <"$1.err")
  r=$(calc "%.0f" "$S_LINES/($w-$s)")
  fl=$(wc -l <"$1-flagged.txt")
  both=$(comm -12 "$1-flagged.txt" kz-sample-flagged.txt | wc -l)
  only=$((fl - both))
  miss=$((KS_FLAGGED - both))
  printf '| %s | %s | %s | %s | %s | %s | %s | %s (%s not hits, %s hits missed) | %s× |\n' \
    "$2" "$S_LINES" "$w" "$s" "$r" "$(calc "%.1f" "$S_BYTES/1e6/($w-$s)")" "$rss" "$fl" \
    "$only" "$miss" "$(calc "%.0f" "$KZ_RATE/$r")"
}
cat <<OUT
## kizuna sweep — $(date -u +%Y-%m-%d), $(nproc) cores, $NIND maltrail indicators

Logs: real Zeek dns.log and ssl.log ×$REPEAT, synthetic conn.log ($CONN lines) and
http.log ($HTTP lines) — $ALL_LINES lines, $(calc "%.2f" "$ALL_BYTES/1e9") GB.
$(cat gen.txt 2>/dev/null | sed 's/^bench_sweep: /Synthetic logs: /')

| tool | lines | wall s | set-up s | lines/s (scan) | MB/s (scan) | peak RSS MiB | lines flagged | kizuna ÷ tool |
|---|---|---|---|---|---|---|---|---|
| kizuna sweep, all logs | $ALL_LINES | $KZ_WALL | $KZ_INDEX | $KZ_RATE | $KZ_MBS | $KZ_RSS | $KZ_FLAGGED ($KZ_HITS hits, $KZ_ERRORS errors) | 1× |
| python3 label walk (maltrail's way), all logs | $ALL_LINES | $REF_WALL | $REF_LOAD | $REF_RATE | $(calc "%.1f" "$ALL_BYTES/1e6/$REF_SCAN") | $REF_RSS | $REF_HITS distinct hits; identical to kizuna's $KZ_DISTINCT: **$SAME** | $(calc "%.0f" "$KZ_RATE/$REF_RATE")× |
| kizuna sweep, sample | $S_LINES | $KS_WALL | | | | | $KS_FLAGGED | |
$(row_peer rg "rg -F -f, sample")
$(row_peer grep "grep -F -f, sample")

End to end on the sample, set-up included: kizuna $KS_WALL s, rg $(kv wall_s <rg.err) s ($(calc "%.0f" "$(kv wall_s <rg.err)/$KS_WALL")× longer), grep $(kv wall_s <grep.err) s ($(calc "%.0f" "$(kv wall_s <grep.err)/$KS_WALL")× longer).

Scan rates leave out set-up (kizuna: building the index from the node; python: loading the
list; rg and grep: compiling the patterns, timed on a one-line log). "Not hits": lines a
substring tool flags that hold no listed value on a label boundary (notevil.com for
evil.com, 11.2.3.45 for 1.2.3.4); "hits missed": lines kizuna flags that a substring search
cannot see (an address inside a listed network, ip:port across two columns, a URL split into
Host and URI).
OUT
