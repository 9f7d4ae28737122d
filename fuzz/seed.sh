#!/usr/bin/env bash
# Writes the fuzz targets' seed corpora into fuzz/corpus/<target>/ from real files, at run time
# (no MIT-BIH file is ever committed): headers and the first 3 KiB of signal files of a few
# MIT-BIH records from $ECG_DATA_DIR/mitdb, their .atr files, slices of the shipped synthetic
# CSV, the EDF/EDF+/BDF known-answer files of tests/data/edf (written by pyedflib), and the
# files of a saved detector folder ($ECG_FUZZ_DETECTOR, default target/quickstart-detector: run
# `cargo run --example quickstart` first).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
root=..
mitdb="${ECG_DATA_DIR:?set ECG_DATA_DIR to the folder that holds mitdb/}/mitdb"
detector="${ECG_FUZZ_DETECTOR:-$root/target/quickstart-detector}"
for t in wfdb_header decode_212 decode_16 annotations csv edf config_json detector_load; do
  mkdir -p "corpus/$t"
done
for r in 100 101 102 200 208 232; do
  cp "$mitdb/$r.hea" "corpus/wfdb_header/$r.hea"
  head -c 3072 "$mitdb/$r.dat" > "corpus/decode_212/$r.dat"
  # Format 16 of the same samples is not at hand; 3 KiB of the 212 bytes still seed it.
  head -c 3072 "$mitdb/$r.dat" > "corpus/decode_16/$r.dat"
  cp "$mitdb/$r.atr" "corpus/annotations/$r.atr"
done
csv="$root/datasets/synthetic_ecg.csv"
for n in 5 50 500; do
  # First byte 0: `,` delimiter, automatic header.
  { printf '\0'; head -n "$n" "$csv"; } > "corpus/csv/first-$n.csv"
done
# edf: the known-answer files written by pyedflib (tests/data/edf/make_edf.py), a few KiB each.
cp "$root"/tests/data/edf/*.edf "$root"/tests/data/edf/*.bdf corpus/edf/
# config_json: the first byte picks the rate; then a pipeline or threshold rule as JSON.
printf '\002{}' > corpus/config_json/empty.json
printf '\002{"resample_to": 180.0, "before_s": 0.3, "after_s": 0.4}' > corpus/config_json/pipeline.json
printf '\001{"filter": null, "quality": null, "max_input_samples": 5000}' > corpus/config_json/bare.json
printf '\000{"kind": "percentile", "q": 99.0}' > corpus/config_json/percentile.json
printf '\003{"kind": "mean_std", "k": 3.0}' > corpus/config_json/mean_std.json
if [ -d "$detector" ]; then
  i=0
  for f in $(ls "$detector" | LC_ALL=C sort); do
    [ -f "$detector/$f" ] || continue
    { printf "\\$(printf '%03o' "$i")"; cat "$detector/$f"; } > "corpus/detector_load/$f"
    i=$((i + 1))
  done
else
  echo "no detector folder at $detector: detector_load starts without seeds" >&2
fi
echo "seed corpora in fuzz/corpus/"
