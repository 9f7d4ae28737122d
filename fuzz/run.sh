#!/usr/bin/env bash
# Runs cargo-fuzz targets for a bounded time each and prints one Markdown table: executions,
# corpus size at the end and crashes per target. Exits non-zero if any target crashed, leaked,
# ran out of memory or hung (each input gets 10 s and 2 GiB); the failing inputs are kept under
# fuzz/artifacts/<target>/.
#
#   fuzz/run.sh [TARGET...]      default: the six parser targets and config_json (no Burn
#                                in their build)
#
# ECG_FUZZ_SECONDS (default 60) is each target's time; ECG_DATA_DIR must name the folder that
# holds mitdb/ (seed corpora, fuzz/seed.sh); CARGO_TARGET_DIR is reused when set. Needs nightly
# Rust and cargo-fuzz (`cargo install cargo-fuzz --locked`). `detector_load` is not in the
# default list: its build is the models half with the fuzzer's instrumentation (Burn included),
# and it needs ECG_FUZZ_DETECTOR (guide, docs/src/reliability.md).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
seconds="${ECG_FUZZ_SECONDS:-60}"
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(wfdb_header decode_212 decode_16 annotations csv edf config_json)
target_dir="${CARGO_TARGET_DIR:-$PWD/target}"

features=()
for t in "${targets[@]}"; do
  [ "$t" = detector_load ] && features=(--features detector)
done

./seed.sh >/dev/null
cargo +nightly fuzz build -O --target-dir "$target_dir" "${features[@]}"

rows=()
failed=0
for t in "${targets[@]}"; do
  log="$(mktemp)"
  mkdir -p "artifacts/$t"
  status=0
  cargo +nightly fuzz run -O --target-dir "$target_dir" "${features[@]}" "$t" "corpus/$t" -- \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    >"$log" 2>&1 || status=$?
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
  corpus=$(find "corpus/$t" -type f | wc -l)
  crashes=$(find "artifacts/$t" -type f | wc -l)
  if [ "$status" -ne 0 ] || [ "$crashes" -ne 0 ]; then
    failed=1
    echo "== $t failed (exit $status); the last lines of its log:" >&2
    tail -n 30 "$log" >&2
  fi
  rows+=("| \`$t\` | $seconds | ${runs:-?} | $corpus | $crashes |")
  rm -f "$log"
done

echo "| target | seconds | executions | corpus files at the end | crashes |"
echo "|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
exit "$failed"
