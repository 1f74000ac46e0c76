#!/usr/bin/env bash
# Builds the libFuzzer package in fuzz/ and runs every parser target for FUZZ_SECONDS each (`make fuzz`).
# Prints per target the executions and the findings (crashes, timeouts, out-of-memory), keeps every failing
# input under out/fuzz/<target>/ and exits 1 when any target found something. See fuzz/README.md.
#
#   scripts/fuzz.sh                      every target, FUZZ_SECONDS (60) each
#   scripts/fuzz.sh fuzz-wav fuzz-npy    only these
#   FUZZ_SECONDS=10 scripts/fuzz.sh      the brief CI run
#
# Environment:
#   FUZZ_SECONDS      seconds per target (default 60)
#   FUZZ_TIMEOUT      seconds one input may take before it counts as a hang (default 10)
#   FUZZ_RSS_MB       memory limit of the fuzzer process, MB; also the largest single allocation (default 2048)
#   FUZZ_KEEP_GOING   1 (default): after a finding go on fuzzing (libFuzzer -fork=1 -ignore_crashes ...), so one
#                     run collects several distinct findings; 0: stop a target at its first finding
#   FUZZ_BUILD        0: do not build (use the binaries already in fuzz/.build)
#   FUZZ_OUT          output folder (default out/fuzz)
#   FUZZ_EXTRA        extra libFuzzer flags for every target (e.g. "-seed=1 -jobs=1")
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
SWIFT=${SWIFT:-swift}
SECONDS_PER_TARGET=${FUZZ_SECONDS:-60}
TIMEOUT=${FUZZ_TIMEOUT:-10}
RSS_MB=${FUZZ_RSS_MB:-2048}
KEEP_GOING=${FUZZ_KEEP_GOING:-1}
OUT=${FUZZ_OUT:-out/fuzz}
BIN=fuzz/.build/release

# target | -max_len | seed files and globs in the repository (the committed fuzz/seeds/<target>/ are always added)
# ADD NEW TARGETS HERE (and in fuzz/Package.swift)
TARGETS=(
  "fuzz-deck-flatten|16384|netlists/tiny.sp Tests/Fixtures/bad-inputs/deck/*/deck.sp"
  "fuzz-network|65536|examples/tiny.json examples/kws-shape.json examples/kws-yes.json Tests/BMRUModelTests/Fixtures/valid.json Tests/BMRUModelTests/Fixtures/invalid/*.json"
  "fuzz-stimulus|32768|examples/*.csv Tests/BMRUModelTests/Fixtures/invalid-stimulus/*.csv"
  "fuzz-safetensors|4096|"
  "fuzz-npz|8192|"
  "fuzz-npy|4096|"
  "fuzz-wav|4096|"
  "fuzz-batch-json|8192|examples/batch.json"
  "fuzz-batch-yaml|8192|examples/*.yaml"
  "fuzz-calibration|65536|models/calibration/*.json"
)
# run only when named: a target that traps on purpose, to check that findings are caught, kept and reported
OPTIONAL_TARGETS=("fuzz-selftest|64|")

# the build: every module (also the dependencies' C code) instrumented for coverage and address-sanitized.
# --sanitize=fuzzer makes SwiftPM link libFuzzer's main; -Xswiftc -sanitize=fuzzer,address is needed as well because
# swiftc keeps only the last of several -sanitize= options (SwiftPM's --sanitize=fuzzer --sanitize=address would
# give Swift code no coverage instrumentation at all).
build() {
  # pin the dependencies to the versions the main package resolved (no network needed for the repositories in cache)
  if [ -f Package.resolved ] && [ ! -f fuzz/Package.resolved ]; then cp Package.resolved fuzz/Package.resolved; fi
  echo "== building the fuzz targets (release, -sanitize=fuzzer,address) ..."
  local t0=$SECONDS
  if ! "$SWIFT" build --package-path fuzz -c release --sanitize=fuzzer -Xswiftc -sanitize=fuzzer,address \
       -Xcc -fsanitize=address > "$OUT/build.log" 2>&1; then
    grep -E "error|warning: unre" "$OUT/build.log" | head -30
    echo "error: the fuzz build failed (full log: $OUT/build.log)" >&2
    exit 2
  fi
  echo "   built in $((SECONDS - t0)) s"
}

# what failed (the Swift trap's message, or ASan's / libFuzzer's error line) and the first frames of the project's code
# under it (demangled): groups the failing inputs of a target by cause
signature() {
  local log=$1 what where
  local p
  for p in "Swift runtime failure: [^/]*" "Fatal error: .*" "ERROR: AddressSanitizer: [a-z-]+" "out-of-memory \(malloc\([0-9]+\)\)" \
           "out-of-memory \(used: [0-9]+Mb" "ERROR: libFuzzer: [a-z -]+"; do
    what=$(grep -m1 -oE "$p" "$log" | sed -E 's/ +$//; s/used: [0-9]+Mb/used > limit/')
    [ -n "$what" ] && break
  done
  where=$(grep -E "^ +#[0-9]+ 0x[0-9a-f]+ in " "$log" | sed -E 's/^ +#[0-9]+ 0x[0-9a-f]+ in //' \
          | grep -vE "^(Swift runtime failure|__sanitizer|fuzzer::|LLVMFuzzer|__libc|_start|main |__asan|__interceptor|malloc|calloc|realloc|operator new|\\\$s[0-9]+fuzz_|swift_|_swift)" \
          | grep -vE "libc\.so|libFoundation|libswiftCore\.so" | head -3 \
          | sed -E 's| /<compiler-generated>||; s|'"$ROOT"'/||g' \
          | { if command -v "$SWIFT-demangle" >/dev/null 2>&1; then "$SWIFT-demangle" --simplified; else "$SWIFT" demangle --simplified 2>/dev/null || cat; fi; } \
          | cut -c1-160 | paste -sd';' -)
  echo "${what:-unknown failure} @ ${where:-?}"
}

mkdir -p "$OUT"
# Swift's own crash backtracer would catch the trap before libFuzzer (and ASan then flags its memory reads)
export SWIFT_BACKTRACE=enable=no
export ASAN_OPTIONS=${ASAN_OPTIONS:-"detect_leaks=0:allocator_may_return_null=0:handle_abort=1:symbolize=1"}
export ASAN_SYMBOLIZER_PATH=${ASAN_SYMBOLIZER_PATH:-$(command -v llvm-symbolizer || true)}
export BMRU_FUZZ_EXAMPLES=$ROOT/examples
[ "${FUZZ_BUILD:-1}" = 0 ] || build

want=("$@")
summary=()
failed=0
rows=("${TARGETS[@]}")
[ ${#want[@]} -gt 0 ] && rows+=("${OPTIONAL_TARGETS[@]}")
for row in "${rows[@]}"; do
  IFS='|' read -r name maxlen seeds <<<"$row"
  if [ ${#want[@]} -gt 0 ] && [[ ! " ${want[*]} " == *" $name "* ]]; then continue; fi
  exe=$BIN/$name
  [ -x "$exe" ] || { echo "error: $exe is missing (build the fuzz package)" >&2; exit 2; }
  dir=$OUT/$name
  mkdir -p "$dir/corpus" "$dir/seeds"
  rm -f "$dir"/crash-* "$dir"/timeout-* "$dir"/oom-* "$dir"/leak-* "$dir"/slow-unit-* "$dir"/fuzz-*.log
  # seeds: committed hand-made ones plus the repository's own files (copied, so the fuzzer never writes to them)
  [ -d "fuzz/seeds/$name" ] && cp -f fuzz/seeds/"$name"/* "$dir/seeds/" 2>/dev/null
  for g in $seeds; do for f in $g; do [ -f "$f" ] && cp -f "$f" "$dir/seeds/$(echo "$f" | tr / _)"; done; done
  dict=()
  [ -f "fuzz/dicts/${name#fuzz-}.dict" ] && dict=(-dict="fuzz/dicts/${name#fuzz-}.dict")
  mode=()
  [ "$KEEP_GOING" = 1 ] && mode=(-fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1)
  echo "== $name: ${SECONDS_PER_TARGET} s (corpus $dir/corpus, $(ls "$dir/seeds" | wc -l) seeds)"
  # shellcheck disable=SC2086
  "$exe" "${mode[@]}" "${dict[@]}" -max_total_time="$SECONDS_PER_TARGET" -timeout="$TIMEOUT" -rss_limit_mb="$RSS_MB" \
      -malloc_limit_mb="$RSS_MB" -max_len="$maxlen" -print_final_stats=1 -artifact_prefix="$dir/" ${FUZZ_EXTRA:-} \
      "$dir/corpus" "$dir/seeds" > "$dir/fuzz.log" 2>&1
  rc=$?
  # executions: the final stats (plain mode) or the last status line of the fork-mode parent
  execs=$(grep -m1 "stat::number_of_executed_units" "$dir/fuzz.log" | awk '{print $2}')
  if [ -z "$execs" ]; then execs=$(grep -E "^#[0-9]+: cov:" "$dir/fuzz.log" | tail -1 | sed -E 's/^#([0-9]+):.*/\1/'); fi
  if [ -z "$execs" ]; then execs=$(grep -E "^#[0-9]+" "$dir/fuzz.log" | tail -1 | sed -E 's/^#([0-9]+).*/\1/'); fi
  cov=$(grep -oE "cov: [0-9]+" "$dir/fuzz.log" | tail -1 | awk '{print $2}')
  artifacts=$(ls "$dir"/crash-* "$dir"/timeout-* "$dir"/oom-* "$dir"/leak-* 2>/dev/null)
  n=$(printf '%s' "$artifacts" | grep -c . || true)
  line="$name: ${execs:-?} executions, coverage ${cov:-?}, $n failing input(s)"
  if [ "$n" -gt 0 ] || { [ "$rc" -ne 0 ] && [ "$KEEP_GOING" != 1 ]; }; then
    failed=1
    # replay each (at most 30) without the fuzzer loop and group them by cause
    declare -A seen=()
    k=0
    for a in $artifacts; do
      k=$((k + 1)); [ $k -gt 30 ] && break
      "$exe" -timeout="$TIMEOUT" -rss_limit_mb="$RSS_MB" -malloc_limit_mb="$RSS_MB" "$a" > "$a.log" 2>&1
      s=$(signature "$a.log")
      seen["$s"]+="$a "
    done
    if [ "$n" -eq 0 ]; then seen["fuzzer exited with $rc; see $dir/fuzz.log"]=""; fi
    line+=", ${#seen[@]} distinct"
    summary+=("$line")
    for s in "${!seen[@]}"; do
      first=${seen[$s]%% *}
      summary+=("    $s")
      [ -n "$first" ] && summary+=("      input: $first  (replay: $exe $first; log: $first.log)")
    done
    unset seen
  else
    summary+=("$line")
  fi
  echo "   ${line}"
done

echo
echo "== fuzz summary (${SECONDS_PER_TARGET} s per target; logs and failing inputs in $OUT/<target>/)"
printf '%s\n' "${summary[@]}"
if [ $failed -ne 0 ]; then
  echo "FAILED: the fuzzers found failing inputs (replay one: fuzz/.build/release/<target> <input>)"
  exit 1
fi
echo "OK: no findings"
