#!/usr/bin/env bash
# Side-by-side speed of our engine (build/nn/effnet) and ONNX Runtime 1.30 on the
# same EfficientNet models, fp32, batch 1 unless BATCH says otherwise.
#
#   bench/compare.sh              # b0 .. b7, at 1 and 2 threads
#   bench/compare.sh b0 b4        # just these variants
#   THREADS="2" bench/compare.sh  # just 2 threads
#   BATCH="1 4 8 16" bench/compare.sh b0   # batch throughput (ms per image at each batch)
#
# Environment (all optional):
#   EFFNET    our binary                         (default: build/nn/effnet)
#   EFFNET_ARGS  more arguments for `effnet bench`, e.g. "--isa avx2" (default: none)
#   ORT_ISA   native (default): ORT's kernels for this CPU; avx2: a copy of ORT whose MLAS keeps
#             its AVX2 kernels, as on a CPU without AVX-512 (bench/ort_no_avx512.py makes it
#             in bench/out/ort-avx2); with EFFNET_ARGS="--isa avx2", both engines on AVX2
#   THREADS   thread counts to measure           (default: "1 2")
#   BATCH     batch sizes to measure              (default: "1"; above 1, ORT runs
#             bN.dynbatch.onnx, the same weights with a free batch dimension)
#   ROUNDS    interleaved rounds of ours-then-ORT (default: 3)
#   METRIC    wall (default): median wall-clock ms per image; cpu: the process's CPU
#             time per image, mean — at 1 thread a fair ratio even while other
#             programs share the cores (with more threads it counts spin waits too)
#   TARGET_S  seconds aimed at per measurement    (default: 4)
#   MIN_RUNS / MAX_RUNS  bounds on runs per measurement (default: 3 / 500)
#   WARMUP    ORT warm-up runs per measurement    (default: 2)
#   PYTHON    interpreter with torch/torchvision  (default: /usr/bin/python3)
#   NODE      node binary                         (default: node)
#
# Prints a Markdown table on stdout (progress goes to stderr) and writes it, with the
# date and machine, to bench/out/results.md. Raw outputs of every run are appended to
# bench/out/compare.log. ratio = effnet ms / ORT ms: <= 1.00 means we are at least as fast.

set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$BENCH_DIR")
OUT="$BENCH_DIR/out"

EFFNET=${EFFNET:-$ROOT/build/nn/effnet}
read -r -a EFFNET_EXTRA <<<"${EFFNET_ARGS:-}"
THREADS=${THREADS:-"1 2"}
BATCH=${BATCH:-1}
METRIC=${METRIC:-wall}
ORT_ISA=${ORT_ISA:-native}
ROUNDS=${ROUNDS:-3}
TARGET_S=${TARGET_S:-4}
MIN_RUNS=${MIN_RUNS:-3}
MAX_RUNS=${MAX_RUNS:-500}
WARMUP=${WARMUP:-2}
PYTHON=${PYTHON:-/usr/bin/python3}
NODE=${NODE:-node}
ORT_VERSION=1.30.0

LOG="$OUT/compare.log"
RESULTS="$OUT/results.md"

# Input resolution of each variant.
SIZES=(224 240 260 300 380 456 528 600)

say() { echo "compare.sh: $*" >&2; }
die() { say "error: $*"; exit 1; }

# ---------------------------------------------------------------- arguments

VARIANTS=()
if [ $# -eq 0 ]; then
    VARIANTS=(0 1 2 3 4 5 6 7)
else
    for arg in "$@"; do
        case "$arg" in
            -h|--help) sed -n '2,27p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
            [bB][0-7]) VARIANTS+=("${arg:1}") ;;
            [0-7])     VARIANTS+=("$arg") ;;
            *) die "unknown variant '$arg' (expected b0 .. b7)" ;;
        esac
    done
fi
for t in $THREADS; do
    [[ "$t" =~ ^[1-9][0-9]*$ ]] || die "THREADS must list positive integers, got '$THREADS'"
done
for b in $BATCH; do
    [[ "$b" =~ ^[1-9][0-9]*$ ]] && [ "$b" -le 256 ] || die "BATCH must list integers 1..256, got '$BATCH'"
done
[[ "$ROUNDS" =~ ^[1-9][0-9]*$ ]] || die "ROUNDS must be a positive integer"
case "$METRIC" in wall) KEY=ms_per_image ;; cpu) KEY=cpu_ms_per_image ;; *) die "METRIC is wall or cpu, not '$METRIC'" ;; esac
batched=0
for b in $BATCH; do [ "$b" -eq 1 ] || batched=1; done

# ---------------------------------------------------------------- prerequisites

[ -x "$EFFNET" ] || die "effnet binary not found at $EFFNET (build it, e.g. 'meson setup build && ninja -C build', or set EFFNET=...)"
command -v "$NODE" >/dev/null || die "node not found (set NODE=...)"

mkdir -p "$OUT"

ort_pkg="$BENCH_DIR/node_modules/onnxruntime-node/package.json"
if [ ! -f "$ort_pkg" ] || ! grep -q "\"version\": \"$ORT_VERSION\"" "$ort_pkg"; then
    say "installing onnxruntime-node@$ORT_VERSION into bench/node_modules"
    # --ignore-scripts: the package's install script only fetches GPU extras, which fail offline.
    # --no-save: do not create bench/package.json / package-lock.json.
    npm install --ignore-scripts --no-save --prefix "$BENCH_DIR" "onnxruntime-node@$ORT_VERSION" >&2 \
        || die "npm install of onnxruntime-node@$ORT_VERSION failed"
fi

case "$ORT_ISA" in
    native) ;;
    avx2)
        ort_copy="$OUT/ort-avx2/node_modules/onnxruntime-node"
        if [ ! -f "$ort_copy/package.json" ] || ! grep -q "\"version\": \"$ORT_VERSION\"" "$ort_copy/package.json"; then
            "$PYTHON" "$BENCH_DIR/ort_no_avx512.py" "$BENCH_DIR/node_modules" "$OUT/ort-avx2" >&2 \
                || die "could not make ONNX Runtime's AVX2-only copy"
        fi
        export ORT_MODULE="$ort_copy"
        ;;
    *) die "ORT_ISA is native or avx2, got '$ORT_ISA'" ;;
esac

missing=()
for v in "${VARIANTS[@]}"; do
    if [ ! -f "$OUT/b$v.onnx" ] || [ ! -f "$OUT/b$v.safetensors" ] \
        || { [ "$batched" = 1 ] && [ ! -f "$OUT/b$v.dynbatch.onnx" ]; }; then
        missing+=("b$v")
    fi
done
if [ ${#missing[@]} -gt 0 ]; then
    say "building models: ${missing[*]} (B7 takes a while and ~260 MB per file)"
    dyn=()
    [ "$batched" = 1 ] && dyn=(--dynamic-batch)
    "$PYTHON" "$BENCH_DIR/make_models.py" --out "$OUT" "${dyn[@]}" "${missing[@]}" \
        || die "model generation failed (needs torch + torchvision; try PYTHON=/usr/bin/python3)"
fi

nproc_n=$(nproc)
for t in $THREADS; do
    [ "$t" -le "$nproc_n" ] || say "warning: $t threads on a machine with $nproc_n CPUs"
done

# ---------------------------------------------------------------- helpers

# Last "$KEY=X" in the given text (a whole word: ms_per_image is not cpu_ms_per_image), or nothing.
parse_ms() {
    grep -oE "(^|[^a-z_])$KEY=[0-9.eE+-]+" <<<"$1" | tail -n 1 | cut -d= -f2
}

# Runs a command, logs its output, prints its ms_per_image. Exits on failure.
measure() {
    local label=$1; shift
    local output ms
    {
        echo "== $(date '+%F %T') $label"
        echo "\$ $*"
    } >>"$LOG"
    if ! output=$("$@" 2>>"$LOG"); then
        echo "$output" >>"$LOG"
        tail -n 8 "$LOG" | sed 's/^/    /' >&2
        die "$label failed: $* (see $LOG)"
    fi
    echo "$output" >>"$LOG"
    ms=$(parse_ms "$output")
    [ -n "$ms" ] || die "$label printed no $KEY=: $* (see $LOG)"
    echo "$ms"
}

ours() {  # variant threads runs batch
    measure "effnet b$1 t$2 r$3 n$4" "$EFFNET" bench --variant "b$1" --weights "$OUT/b$1.safetensors" \
        --threads "$2" --batch "$4" --runs "$3" "${EFFNET_EXTRA[@]}"
}

ort() {   # variant threads runs batch
    local model="$OUT/b$1.onnx"
    [ "$4" -eq 1 ] || model="$OUT/b$1.dynbatch.onnx"
    measure "ort b$1 t$2 r$3 n$4" "$NODE" "$BENCH_DIR/ort_bench.js" "$model" "$2" "${SIZES[$1]}" \
        --runs "$3" --warmup "$WARMUP" --batch "$4"
}

# Number of runs (of a whole batch) so that one measurement lasts about TARGET_S seconds,
# given ms per image and the batch.
runs_for() {
    awk -v ms="$1" -v b="$2" -v s="$TARGET_S" -v lo="$MIN_RUNS" -v hi="$MAX_RUNS" 'BEGIN {
        r = (ms > 0) ? int(s * 1000 / (ms * b) + 0.5) : hi
        if (r < lo) r = lo
        if (r > hi) r = hi
        print r }'
}

median() {  # numbers as arguments
    printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 } END {
        if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}

fmt_ms() { awk -v x="$1" 'BEGIN { printf (x < 100 ? "%.2f" : "%.1f"), x }'; }

# ---------------------------------------------------------------- measurement

cpu_model=$(grep -m1 -i '^model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2- | sed 's/^ *//' || true)
cpu_model=${cpu_model:-unknown}
started=$(date '+%Y-%m-%d %H:%M:%S %Z')
load_start=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)
if awk -v l="${load_start%% *}" -v n="$nproc_n" 'BEGIN { exit !(l + 0 > 0.25 * n) }'; then
    say "warning: load average is $load_start on $nproc_n CPUs; something else is running, numbers will be noisy"
fi
t_start=$SECONDS

{
    echo
    echo "######## compare.sh $started: variants ${VARIANTS[*]/#/b}, threads $THREADS, batch $BATCH, rounds $ROUNDS"
    echo "effnet: $EFFNET ${EFFNET_ARGS:-}"
} >>"$LOG"

say "effnet=$EFFNET, ORT $ORT_VERSION, variants: ${VARIANTS[*]/#/b}, threads: $THREADS, batch: $BATCH, metric: $METRIC, $ROUNDS rounds"

rows=()
for v in "${VARIANTS[@]}"; do
  for t in $THREADS; do
    for n in $BATCH; do
        t_cfg=$SECONDS
        cfg="b$v ${t}t"
        [ "$batched" = 1 ] && cfg="$cfg batch $n"
        # Probe: a short run of each, to size the real measurements (~TARGET_S seconds each).
        probe_ours=$(ours "$v" "$t" 2 "$n")
        probe_ort=$(ort "$v" "$t" 2 "$n")
        r_ours=$(runs_for "$probe_ours" "$n")
        r_ort=$(runs_for "$probe_ort" "$n")
        say "$cfg: probe effnet $probe_ours ms, ORT $probe_ort ms -> runs $r_ours / $r_ort"

        # Interleaved rounds, ours then ORT, so both see the same machine conditions.
        m_ours=(); m_ort=()
        for ((r = 1; r <= ROUNDS; r++)); do
            a=$(ours "$v" "$t" "$r_ours" "$n")
            b=$(ort "$v" "$t" "$r_ort" "$n")
            m_ours+=("$a"); m_ort+=("$b")
            say "$cfg round $r/$ROUNDS: effnet $a ms, ORT $b ms"
        done
        med_ours=$(median "${m_ours[@]}")
        med_ort=$(median "${m_ort[@]}")
        ratio=$(awk -v a="$med_ours" -v b="$med_ort" 'BEGIN { printf "%.2f", a / b }')
        if [ "$batched" = 1 ]; then
            row="| B$v | $t | $n | $(fmt_ms "$med_ours") | $(fmt_ms "$med_ort") | $ratio |"
        else
            row="| B$v | $t | $(fmt_ms "$med_ours") | $(fmt_ms "$med_ort") | $ratio |"
        fi
        rows+=("$row")
        echo "result: $row  (rounds effnet: ${m_ours[*]}; ORT: ${m_ort[*]})" >>"$LOG"
        say "$cfg: effnet $med_ours ms, ORT $med_ort ms, ratio $ratio ($((SECONDS - t_cfg)) s)"
    done
  done
done

# ---------------------------------------------------------------- report

table=$(
    if [ "$batched" = 1 ]; then
        echo "| variant | threads | batch | effnet ms/image | ORT ms/image | ratio |"
        echo "|---|---|---|---|---|---|"
    else
        echo "| variant | threads | effnet ms | ORT ms | ratio |"
        echo "|---|---|---|---|---|"
    fi
    printf '%s\n' "${rows[@]}"
)

{
    echo "# effnet vs ONNX Runtime $ORT_VERSION"
    echo
    echo "- date: $started"
    echo "- machine: $(uname -m), $cpu_model, nproc $nproc_n (load average at start: $load_start)"
    echo "- effnet: \`$EFFNET ${EFFNET_ARGS:-}\`"
    [ "$ORT_ISA" = avx2 ] && echo "- ONNX Runtime: AVX2 kernels only (bench/ort_no_avx512.py: MLAS as on a CPU without AVX-512)"
    echo "- method: batch $BATCH, fp32, torchvision EfficientNet with random weights (bench/make_models.py);"
    echo "  $ROUNDS interleaved rounds of effnet-then-ORT, each measurement ~${TARGET_S} s (>= $MIN_RUNS runs)"
    echo "  reporting its median ms/image; the table shows the median of the round medians."
    [ "$METRIC" = cpu ] && echo "- metric: CPU time of each process per image (mean), not wall-clock time"
    echo "- ratio = effnet ms / ORT ms (<= 1.00: effnet at least as fast)"
    echo
    echo "$table"
} >"$RESULTS"

echo "$table"
say "done in $((SECONDS - t_start)) s; table written to $RESULTS, raw output in $LOG"
