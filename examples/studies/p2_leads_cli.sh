#!/usr/bin/env bash
# P2 (DS1 -> DS2) through the command line on the records that have MLII and V1 (DS1: 20 of
# 22, without 114 and 124; DS2: 18 of 22, without 100, 103, 117 and 123), with
# DetectorConfig::default() and its seed: MLII + V1, then MLII alone on the same records. No
# setting is chosen here; DS2's labels only measure (report --labels). SEED (default 42, the
# configuration's) seeds both runs. Writes to $OUT (default target/p2-leads): the two
# detectors, their training logs and HTML reports, times.log.
#
#   ECG_DATA_DIR=/path/to/datasets examples/studies/p2_leads_cli.sh [path/to/ecg-anomaly]
set -euo pipefail
BIN=$(realpath "${1:-target/release/ecg-anomaly}")
D="${ECG_DATA_DIR:?set ECG_DATA_DIR to the folder holding mitdb/}/mitdb"
OUT="${OUT:-target/p2-leads}"
SEED="${SEED:-42}"
DS1="101 106 108 109 112 115 116 118 119 122 201 203 205 207 208 209 215 220 223 230"
DS2="105 111 113 121 200 202 210 212 213 214 219 221 222 228 231 232 233 234"
mkdir -p "$OUT" && cd "$OUT"
ds1=(); for r in $DS1; do ds1+=("$D/$r"); done
ds2=(); for r in $DS2; do ds2+=("$D/$r"); done
for run in two one; do
  case $run in
    two) leads=(--leads MLII,V1); report_lead=() ;;
    one) leads=(--lead MLII); report_lead=(--lead MLII) ;;
  esac
  start=$SECONDS
  "$BIN" train --wfdb "${ds1[@]}" "${leads[@]}" --seed "$SEED" --out "$run" > "$run-train.log" 2>&1
  echo "$run train: $((SECONDS - start)) s" >> times.log
  start=$SECONDS
  "$BIN" report --detector "$run" --wfdb "${ds2[@]}" --labels "${report_lead[@]}" \
    --out "$run.html" > "$run-report.log" 2>&1
  echo "$run report: $((SECONDS - start)) s" >> times.log
done
