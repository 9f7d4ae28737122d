#!/usr/bin/env bash
# Side-by-side speed of the two models: each Rust criterion bench and at once its PyTorch twin,
# in rounds, then one Markdown table, and the end-to-end figures (benches/end_to_end.rs, which needs
# ECG_DATA_DIR for its MIT-BIH record). Not part of CI (needs PyTorch, and minutes of quiet CPU).
#
# Environment:
#   CARGO_TARGET_DIR  release target dir, criterion output under it (default
#                     /root/.cache/ecg-anomaly-release)
#   PYTHON            python with torch (default /root/.cache/torch-venv/bin/python)
#   THREADS           threads for both sides: torch.set_num_threads and RAYON_NUM_THREADS
#                     for Burn's flex backend (default 2)
#   TORCH_ARGS        extra arguments to bench_torch.py when PAIRED=0 (e.g. "--iters 50")
#   PAIRED            1 (default): paired.py, each Rust bench then at once its PyTorch twin,
#                     ROUNDS times (default 3); 0: all Rust benches, then all PyTorch ones
#   SKIP_CARGO=1      reuse the criterion results already in the target dir (end-to-end
#                     benches when paired)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/root/.cache/ecg-anomaly-release}"
PYTHON="${PYTHON:-/root/.cache/torch-venv/bin/python}"
THREADS="${THREADS:-2}"
torch_json="$CARGO_TARGET_DIR/compare/torch.json"
mkdir -p "$(dirname "$torch_json")"

if [[ "${PAIRED:-1}" == 1 ]]; then
    # Each case's Rust bench, then at once its PyTorch twin, ROUNDS times (paired.py).
    (cd "$root" && cargo bench --bench models_lstm --bench models_vae --no-run)
    "$PYTHON" "$here/paired.py" --threads "$THREADS" --rounds "${ROUNDS:-3}" \
        --criterion "$CARGO_TARGET_DIR/criterion"
    if [[ "${SKIP_CARGO:-0}" != 1 ]]; then
        (cd "$root" && RAYON_NUM_THREADS="$THREADS" cargo bench --bench end_to_end)
    fi
    "$PYTHON" "$here/compare.py" --criterion "$CARGO_TARGET_DIR/criterion"
    exit 0
fi

if [[ "${SKIP_CARGO:-0}" != 1 ]]; then
    # cargo bench builds with the bench (release) profile.
    (cd "$root" && RAYON_NUM_THREADS="$THREADS" \
        cargo bench --bench models_lstm --bench models_vae --bench end_to_end)
fi

# shellcheck disable=SC2086  # TORCH_ARGS is a list of words
"$PYTHON" "$here/bench_torch.py" --threads "$THREADS" --out "$torch_json" ${TORCH_ARGS:-}
"$PYTHON" "$here/compare.py" --criterion "$CARGO_TARGET_DIR/criterion" --torch "$torch_json"
