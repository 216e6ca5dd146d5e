#!/usr/bin/env bash
# The commit before the restructuring into feature slices against the working tree.
#
#   bench/compare_refactor.sh [--runs N] [--only search,slots,booking] [--smoke] [--dry-run]
#                             [--before-commit C] [--before-dir DIR]
#                             [--database-url URL] [--out DIR]
#
# "before" is commit 56a5a34, checked out with `git worktree add /tmp/before
# 56a5a34` (done here if the folder is missing) and run with
# PYTHONPATH=/tmp/before/src, so that its own code is imported, with its own
# copy of the bench scripts (/tmp/before/bench/...: their imports are the old
# ones, auskunft.services..., auskunft.db...). "after" is this working tree, its
# scripts under bench/ with PYTHONPATH=<this tree>/src. Both use .venv.
#
# Three benchmarks, each run N times per side (default 3), interleaved:
# before 1, after 1, before 2, after 2, ... one benchmark after the other:
#   search   bench/search_bench.py --scale 0 --rounds 5, development and final
#            sets only (the other held-out sets and the Munich import are skipped:
#            they are quality, not latency, and take time)
#   slots    bench/slot_bench.py (200 runs, 200 HTTP runs, SQLite)
#   booking  bench/booking_load.py --database-url URL (16 clients, 2 workers,
#            20 s after 5 s warm-up, pgbench 10 s before and after)
# Each run writes bench/out/refactor/<bench>_<side>_<n>.json (its output goes to
# log/<bench>_<side>_<n>.txt there); at the end bench/refactor_summary.py prints
# the medians per side and the ratios after ÷ before, and writes summary.json.
# JSON files of an earlier comparison in that folder are deleted first.
#
# Time: search about 20 s, slots about 20 s, booking about 65 s per run on the
# 2-core machine, so N=3 takes about 10.5 minutes, N=2 about 7.
#
# --smoke runs each benchmark once per side in its lightest setting (the smoke
# tests' light modes), into bench/out/refactor/smoke/, in about 1.5 minutes:
# it checks that both sides import their own code and that every script and
# the summary run, not performance. --dry-run prints the commands only.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PY=$ROOT/.venv/bin/python
SHARED=$(cd "$ROOT/.." && pwd)/shared
BEFORE_COMMIT=56a5a34
BEFORE_DIR=/tmp/before
PG_URL=postgresql://postgres@127.0.0.1:5432/test
RUNS=3
ONLY="search,slots,booking"
SMOKE=0
DRY=0
OUT=""

usage() { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; }

while (($#)); do
    case $1 in
        --runs) RUNS=$2; shift 2 ;;
        --only) ONLY=$2; shift 2 ;;
        --smoke) SMOKE=1; shift ;;
        --dry-run) DRY=1; shift ;;
        --before-commit) BEFORE_COMMIT=$2; shift 2 ;;
        --before-dir) BEFORE_DIR=$2; shift 2 ;;
        --database-url) PG_URL=$2; shift 2 ;;
        --out) OUT=$2; shift 2 ;;
        -h|--help) usage; exit 0 ;;
        *) echo "unknown option: $1 (see --help)" >&2; exit 2 ;;
    esac
done
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || { echo "--runs: a whole number >= 1" >&2; exit 2; }
for b in ${ONLY//,/ }; do
    case $b in search|slots|booking) ;; *) echo "--only: search, slots, booking" >&2; exit 2 ;; esac
done
if ((SMOKE)); then
    RUNS=1
    OUT=${OUT:-$ROOT/bench/out/refactor/smoke}
    LIMIT=180   # seconds per run before it counts as hung
else
    OUT=${OUT:-$ROOT/bench/out/refactor}
    LIMIT=400
fi
wants() { [[ ",$ONLY," == *",$1,"* ]]; }

# -- the arguments of each benchmark, per side (each side's own script and data) -------------
SKIP=/dev/null/skip   # a path that never exists: search_bench.py leaves such a set out

search_args() {  # $1: the side's tree
    local rounds=5
    if ((SMOKE)); then rounds=1; fi
    ARGS=(--scale 0 --rounds "$rounds" --dev "$SHARED/eval/search_dev.jsonl"
          --holdout "$SKIP" --final2 "$SKIP" --final3 "$SKIP" --final4 "$SKIP" --final5 "$SKIP")
    # Older copies have no --munich; they skip the import when <tree>/../shared is missing.
    if grep -q -- '"--munich"' "$1/bench/search_bench.py"; then ARGS+=(--munich "$SKIP"); fi
}
slots_args() {
    if ((SMOKE)); then ARGS=(--runs 5 --http-runs 2); else ARGS=(--runs 200 --http-runs 200); fi
}
booking_args() {
    ARGS=(--database-url "$PG_URL")
    if ((SMOKE)); then
        ARGS+=(--clients 3 --duration 1 --warmup 0.3 --days 3 --hot 0.5 --pgbench 1)
    else
        ARGS+=(--clients 16 --workers 2 --duration 20 --warmup 5 --days 120 --hot 0.05 --pgbench 10)
    fi
}
script_of() {
    case $1 in search) echo search_bench.py ;; slots) echo slot_bench.py ;; booking) echo booking_load.py ;; esac
}
tree_of() { if [[ $1 == before ]]; then echo "$BEFORE_DIR"; else echo "$ROOT"; fi; }

command_of() {  # $1 bench, $2 side, $3 run number: fills CMD
    local tree; tree=$(tree_of "$2")
    "$1_args" "$tree"
    CMD=(env "PYTHONPATH=$tree/src" "$PY" "$tree/bench/$(script_of "$1")" "${ARGS[@]}"
         --json "$OUT/$1_$2_$3.json")
}

# -- estimate ----------------------------------------------------------------------------------
declare -A SECONDS_PER_RUN=([search]=20 [slots]=20 [booking]=65)
if ((SMOKE)); then SECONDS_PER_RUN=([search]=12 [slots]=6 [booking]=15); fi
estimate=0
for b in search slots booking; do
    if wants "$b"; then estimate=$((estimate + 2 * RUNS * SECONDS_PER_RUN[$b])); fi
done

if ((DRY)); then
    echo "# about $((estimate / 60)) min $((estimate % 60)) s; output in $OUT"
    [[ -d $BEFORE_DIR ]] || echo "git -C $ROOT worktree add --detach $BEFORE_DIR $BEFORE_COMMIT"
    for b in search slots booking; do
        wants "$b" || continue
        for ((i = 1; i <= RUNS; i++)); do
            for side in before after; do
                command_of "$b" "$side" "$i"
                echo "(cd $(tree_of "$side") && ${CMD[*]})"
            done
        done
    done
    echo "$PY $ROOT/bench/refactor_summary.py $OUT"
    exit 0
fi

# -- preconditions -----------------------------------------------------------------------------
[[ -x $PY ]] || { echo "no $PY" >&2; exit 1; }
want_sha=$(git -C "$ROOT" rev-parse --verify "$BEFORE_COMMIT^{commit}")
if [[ ! -e $BEFORE_DIR ]]; then
    git -C "$ROOT" worktree add --detach "$BEFORE_DIR" "$want_sha" >/dev/null
fi
have_sha=$(git -C "$BEFORE_DIR" rev-parse HEAD 2>/dev/null || true)
if [[ $have_sha != "$want_sha" ]]; then
    echo "$BEFORE_DIR is not a checkout of $BEFORE_COMMIT (HEAD ${have_sha:-none});" \
         "remove it (git worktree remove $BEFORE_DIR) or pass --before-dir" >&2
    exit 1
fi
if [[ -n $(git -C "$BEFORE_DIR" status --porcelain --untracked-files=no) ]]; then
    echo "$BEFORE_DIR has local changes; it must be the commit as it is" >&2
    exit 1
fi
# Each side must import its own code.
for side in before after; do
    tree=$(tree_of "$side")
    found=$(cd "$tree" && env "PYTHONPATH=$tree/src" "$PY" -c 'import auskunft; print(auskunft.__file__)')
    if [[ $found != "$tree/src/auskunft/__init__.py" ]]; then
        echo "$side: auskunft imported from $found, not $tree/src" >&2
        exit 1
    fi
done
[[ -f $SHARED/eval/search_dev.jsonl ]] || { echo "no $SHARED/eval/search_dev.jsonl" >&2; exit 1; }
if wants search && [[ -d $(dirname "$BEFORE_DIR")/shared/data/munich-sadb ]]; then
    echo "note: $(dirname "$BEFORE_DIR")/shared exists, so the before side's search_bench.py" \
         "imports the Munich export after its timings (longer, same figures)" >&2
fi
if wants booking; then
    "$PY" -c 'import sys, psycopg; psycopg.connect(sys.argv[1], connect_timeout=5).close()' \
        "$PG_URL" || { echo "PostgreSQL unreachable at $PG_URL" >&2; exit 1; }
    command -v pgbench >/dev/null || echo "note: no pgbench; the ratio to pgbench stays empty" >&2
fi

# Byte-compile both trees now, so the first run of a side does not do it.
for side in before after; do
    "$PY" -m compileall -q "$(tree_of "$side")/src" "$(tree_of "$side")/bench" >/dev/null || true
done

mkdir -p "$OUT/log"
rm -f "$OUT"/{search,slots,booking}_{before,after}_*.json "$OUT/summary.json" \
      "$OUT"/log/{search,slots,booking}_{before,after}_*.txt

echo "before: $BEFORE_DIR at $(git -C "$BEFORE_DIR" log -1 --format='%h %cd' --date=format:'%d.%m. %H:%M')"
echo "after:  $ROOT, working tree on $(git -C "$ROOT" log -1 --format=%h)" \
     "($(git -C "$ROOT" status --porcelain | wc -l) changed paths)"
echo "$(nproc) CPUs, $(uptime | sed 's/.*load average/load average/')"
echo "runs per side: $RUNS ($([[ $SMOKE == 1 ]] && echo smoke || echo full)), benchmarks: $ONLY;" \
     "about $((estimate / 60)) min $((estimate % 60)) s; output in $OUT"

started=$SECONDS
for b in search slots booking; do
    wants "$b" || continue
    for ((i = 1; i <= RUNS; i++)); do
        for side in before after; do
            command_of "$b" "$side" "$i"
            log=$OUT/log/${b}_${side}_$i.txt
            t0=$SECONDS
            if ! (cd "$(tree_of "$side")" && timeout "$LIMIT" "${CMD[@]}") >"$log" 2>&1; then
                echo "FAILED: $b $side $i after $((SECONDS - t0)) s: ${CMD[*]}" >&2
                tail -n 25 "$log" >&2
                exit 1
            fi
            printf '%-8s %-6s run %d  %4d s  (%s)\n' "$b" "$side" "$i" $((SECONDS - t0)) \
                "$(cut -d' ' -f1 /proc/loadavg) load"
        done
    done
done
echo "all runs: $((SECONDS - started)) s"
echo
PYTHONPATH=$ROOT/src "$PY" "$ROOT/bench/refactor_summary.py" "$OUT"
