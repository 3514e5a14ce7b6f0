#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz/ with clang (ASan + UBSan, the
# engine compiled with coverage too) into build-fuzz/, then runs each one for
# N seconds over its own copy of its seed corpus (tests/fuzz/corpus/<target>/,
# copied into build-fuzz/corpus/<target>/ where new inputs accumulate; the
# repository's corpus is never written). Stops non-zero when a target finds a
# crash, a leak, a timeout or an out-of-memory, naming the reproducer.
#
# Usage: scripts/fuzz.sh [seconds-per-target] [target...]    (default: 60, every target)
#   FUZZ_JOBS=n          targets run at once (default 2, at most the cores)
#   FUZZ_KEEP_GOING=1    after a finding, still run the targets not yet started
#   FUZZ_BUILD_ONLY=1    build, run nothing
#   CC=clang-14          the compiler (default clang; it needs libFuzzer and libomp)
# Reproduce a finding:  build-fuzz/<target> <reproducer>
# Start from the seeds only:  rm -rf build-fuzz/corpus
set -euo pipefail
cd "$(dirname "$0")/.."
secs=60
case ${1:-} in
  '') ;;
  *[!0-9]*) [ "${1#fuzz_}" != "$1" ] || { echo "usage: scripts/fuzz.sh [seconds-per-target] [target...]" >&2; exit 2; } ;;
  *) secs=$1; shift ;;
esac
CC=${CC:-clang}
out=build-fuzz
t_start=$SECONDS

if [ $# -gt 0 ]; then targets=("$@")
else targets=(); for f in tests/fuzz/fuzz_*.c; do targets+=("$(basename "$f" .c)"); done; fi
for t in "${targets[@]}"; do
  [ -f "tests/fuzz/$t.c" ] || { echo "fuzz.sh: no target tests/fuzz/$t.c" >&2; exit 2; }
done

# ---- build (ninja: the engine once, as a library, then one binary per target) ----
mkdir -p "$out"
common="-std=c11 -D_GNU_SOURCE -g -O1 -fno-omit-frame-pointer -fopenmp -fsanitize=address,undefined"
common+=" -fno-sanitize-recover=undefined -I../nn -I../nn/kernels -I../nn/cli"  # build-fuzz/ is where ninja runs
isa_avx2="-mavx2 -mfma"
isa_avx512="-mavx512f -mavx512bw -mavx512dq -mavx512vl -mfma"
defs=""
if [ "$(uname -m)" = x86_64 ]; then defs="-DEFFNET_HAVE_X86"; common+=" $defs"; fi
if [ "$(uname -m)" = aarch64 ]; then defs="-DEFFNET_HAVE_NEON"; common+=" $defs"; fi
{
  echo "cc = $CC"
  echo "common = $common"
  echo "rule cc"
  echo "  command = \$cc \$common \$flags -MD -MF \$out.d -c \$in -o \$out"
  echo "  depfile = \$out.d"
  echo "  deps = gcc"
  echo "  description = CC \$out"
  # kernels no target runs, compiled plainly (instrumented, the AVX-512 GEMM
  # alone takes minutes to compile; they are linked only because dispatch.c
  # names them)
  echo "rule cc_plain"
  echo "  command = \$cc -std=c11 -D_GNU_SOURCE -g -O2 $defs -I../nn -I../nn/kernels \$flags -MD -MF \$out.d -c \$in -o \$out"
  echo "  depfile = \$out.d"
  echo "  deps = gcc"
  echo "  description = CC \$out (not instrumented)"
  echo "rule ar"
  echo "  command = rm -f \$out && ar rcs \$out \$in"
  echo "  description = AR \$out"
  echo "rule link"
  echo "  command = \$cc \$common -fsanitize=fuzzer \$in -o \$out -lm"
  echo "  description = LINK \$out"
  # what nn/meson.build builds into the engine (the x86 kernels only on x86-64,
  # each with its own -m flags; the NEON ones only on AArch64), plus the tool's .npy reader. Every engine
  # file is instrumented (coverage, ASan, UBSan) except the SIMD kernels of
  # the network itself (gemm, dwconv, act, scale): no target runs a forward
  # pass. The frame path's SIMD kernels (pixel, resample) are instrumented.
  objs=()
  for src in nn/*.c nn/kernels/*.c nn/cli/npy.c; do
    flags="-fsanitize=fuzzer-no-link" rule=cc
    case $src in
      *-avx2.c) [ "$(uname -m)" = x86_64 ] || continue; flags+=" $isa_avx2" ;;
      *-avx512.c) [ "$(uname -m)" = x86_64 ] || continue; flags+=" $isa_avx512" ;;
      *-neon.c) [ "$(uname -m)" = aarch64 ] || continue ;;   # AArch64's, as nn/meson.build builds them
    esac
    case $src in
      */pixel-*.c | */resample-*.c | *-scalar.c) ;;
      *-avx2.c | *-avx512.c | *-neon.c) rule=cc_plain flags=${flags#-fsanitize=fuzzer-no-link } ;;
    esac
    obj="obj/${src//\//_}.o"
    echo "build $obj: $rule ../$src"
    echo "  flags = $flags"
    objs+=("$obj")
  done
  echo "build libengine.a: ar ${objs[*]}"
  for t in "${targets[@]}"; do
    echo "build obj/$t.o: cc ../tests/fuzz/$t.c"
    echo "  flags = -fsanitize=fuzzer -Wall -Wextra"
    echo "build $t: link obj/$t.o libengine.a"
  done
} > "$out/build.ninja"
ninja -C "$out" "${targets[@]}"
t_build=$((SECONDS - t_start))
echo "fuzz.sh: built ${#targets[@]} targets in ${t_build}s"
[ "${FUZZ_BUILD_ONLY:-0}" = 1 ] && exit 0

# ---- run ----
dict_for() {
  case $1 in
    fuzz_json | fuzz_safetensors | fuzz_config) echo tests/fuzz/json.dict ;;
    fuzz_npy) echo tests/fuzz/npy.dict ;;
  esac
}

run_one() { # target: runs it, writes $out/logs/<target>.{log,result}
  local t=$1 corpus=$out/corpus/$1 found=$out/findings/$1
  mkdir -p "$corpus" "$found" "$out/logs"
  cp -n tests/fuzz/corpus/"$t"/* "$corpus"/ 2>/dev/null || true
  local args=(-max_total_time="$secs" -rss_limit_mb=2048 -malloc_limit_mb=512 -timeout=10
              -print_final_stats=1 -artifact_prefix="$found/")
  local dict; dict=$(dict_for "$t")
  [ -n "$dict" ] && [ -f "$dict" ] && args+=(-dict="$dict")
  local rc=0 times
  times=$( { TIMEFORMAT='%R %U %S'; time ASAN_OPTIONS=abort_on_error=0:detect_leaks=1 \
      UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
      "$out/$t" "${args[@]}" "$corpus" > "$out/logs/$t.log" 2>&1; } 2>&1 ) || rc=$?
  times=$(tail -n 1 <<<"$times")
  local log=$out/logs/$t.log
  local execs; execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  local files bytes
  files=$(find "$corpus" -type f | wc -l)
  bytes=$(find "$corpus" -type f -printf '%s\n' | awk '{s += $1} END {print s + 0}')
  local cov; cov=$(grep -o 'cov: [0-9]* ft: [0-9]*' "$log" | tail -n 1 || true)
  local finding="none" repro=""
  if [ $rc -ne 0 ]; then
    repro=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n 1)
    finding=$(grep -m1 -o 'ERROR: [A-Za-z]*Sanitizer: [^ ]*\|ERROR: libFuzzer: [a-z-]*\|runtime error: .*\|fuzz_[a-z]*: .*' \
      "$log" || echo "exit status $rc")
  fi
  read -r wall user sys <<<"$times"
  printf '%s|%s|%s|%s|%s|%s|%s|%s|%s|%s\n' "$t" "$rc" "$wall" "$user" "$sys" "${execs:-?}" "$files" "$bytes" \
    "${cov:-}" "$finding${repro:+ -> $repro}" > "$out/logs/$t.result"
}

jobs_max=${FUZZ_JOBS:-2}
cores=$(nproc 2>/dev/null || echo 1)
[ "$jobs_max" -gt "$cores" ] && jobs_max=$cores
[ "$jobs_max" -lt 1 ] && jobs_max=1
echo "fuzz.sh: ${#targets[@]} targets, ${secs}s each, $jobs_max at a time"
t_run=$SECONDS
stop=0
declare -A pid_of=()
for t in "${targets[@]}"; do
  rm -f "$out/logs/$t.result"
done
for t in "${targets[@]}"; do
  while [ "$(jobs -rp | wc -l)" -ge "$jobs_max" ]; do wait -n || true; done
  # a finding stops the run unless FUZZ_KEEP_GOING=1
  for done_t in "${!pid_of[@]}"; do
    r=$out/logs/$done_t.result
    if [ -f "$r" ] && [ "$(cut -d'|' -f2 "$r")" != 0 ] && [ "${FUZZ_KEEP_GOING:-0}" != 1 ]; then stop=1; fi
  done
  [ $stop = 1 ] && break
  echo "fuzz.sh: running $t"
  run_one "$t" &
  pid_of[$t]=$!
done
wait || true

status=0
printf '\n%-18s %8s %8s %12s %8s %10s  %-18s %s\n' target wall_s cpu_s executions corpus bytes coverage finding
for t in "${targets[@]}"; do
  r=$out/logs/$t.result
  if [ ! -f "$r" ]; then printf '%-18s not run\n' "$t"; continue; fi
  IFS='|' read -r name rc wall user sys execs files bytes cov finding < "$r"
  cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN {printf "%.1f", u + s}')
  printf '%-18s %8.0f %8s %12s %8s %10s  %-18s %s\n' "$name" "$wall" "$cpu" "$execs" "$files" "$bytes" "$cov" "$finding"
  if [ "$rc" != 0 ]; then
    status=1
    echo "  FOUND in $name (log: $out/logs/$name.log):" >&2
    grep -m 12 -E 'ERROR|SUMMARY|runtime error|#[0-5] 0x|fuzz_[a-z]+: |Test unit written' "$out/logs/$name.log" |
      sed 's/^/    /' >&2 || true
  fi
done
echo "fuzz.sh: build ${t_build}s, runs $((SECONDS - t_run))s, total $((SECONDS - t_start))s"
if [ $status -ne 0 ]; then echo "fuzz.sh: a target found a problem (reproducers above)" >&2; fi
exit $status
