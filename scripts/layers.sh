#!/usr/bin/env bash
# The one-way rule of ARCHITECTURE.md: a layer imports only layers below it.
#
# 1. Lists, per top-level module of src/, the top-level modules its code names (`crate::X`,
#    `crate::{X, ...}`; `ecg_anomaly::X` in src/bin/), comments left out, tests included. It
#    fails when one names a module of a higher layer, when two modules of one layer name each
#    other, or when a module is missing from LAYERS below (a new module must be placed).
# 2. Within every folder of src/, fails on an import circle between its files and subfolders
#    (`super::X` from a file, `super::super::X` from a subfolder's files, `crate::path::X` from
#    either); `tests.rs` files are left out (test helpers import what they test and back).
#
# Plain grep, sed and tsort, about a second; no build. Run from anywhere: scripts/layers.sh
# (-v: print every module's imports, not only the failures).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../src"

# Lowest first; modules on one line are one layer and may import each other, one way.
LAYERS=(
  "error limits input json device" # base: errors, read limits, input checks, JSON, devices
  "data"                           # signals in: WFDB, CSV, beat matrices, synthetic, classes
  "preprocess"                     # filters, R-peaks, beats, windows, normalisers, quality
  "augment model"                  # training-time transformations; models and fused kernels
  "train score threshold evaluate" # fitting, scores and context, thresholds, metrics only
  "detector"                       # the fitted, saved and loaded pipeline
  "report"                         # pictures and documents (metrics, detector runs)
  "stream serve"                   # front doors: streaming detector, HTTP server
  "study"                          # the benchmark: MIT-BIH protocols, the study, its report
  "bin"                            # the command line
)
# Names the crate root defines or re-exports (lib.rs): not a layer of their own.
ROOT_ITEMS="prelude Error NoBeats Result ReadmeDoctests"

verbose=0
[[ ${1:-} == -v ]] && verbose=1
declare -A layer
for i in "${!LAYERS[@]}"; do
  for m in ${LAYERS[$i]}; do layer[$m]=$i; done
done

# Code of the given files, comments stripped, on one line per file.
code() { (($#)) && sed -e 's#//.*$##' "$@" | tr '\n' ' '; }

# The top-level modules named in the code on stdin (prefix: `crate` or `ecg_anomaly`).
names() {
  local prefix=$1 text
  text=$(cat)
  {
    grep -oE "\b$prefix::[a-z_][a-z0-9_]*" <<<"$text" | sed "s/^$prefix:://" || true
    # `crate::{a::B, c}`: the first name of each path in the group.
    grep -oE "\b$prefix::\{[^}]*" <<<"$text" | sed "s/^$prefix::{//" | tr ',{' '\n\n' |
      sed -nE 's/^[[:space:]]*([a-z_][a-z0-9_]*)\b.*/\1/p' || true
  } | sort -u
}

fail=0
modules=$(ls | sed 's/\.rs$//' | grep -vx lib)
edges=""
for m in $modules; do
  if [[ -z ${layer[$m]+x} ]]; then
    echo "FAIL: src/$m is in no layer of scripts/layers.sh" >&2
    fail=1
    continue
  fi
  if [[ -d $m ]]; then files=$(find "$m" -name '*.rs'); else files=$m.rs; fi
  prefix=crate
  [[ $m == bin ]] && prefix=ecg_anomaly
  # shellcheck disable=SC2086 # file names have no spaces
  imports=$(code $files | names $prefix)
  [[ $m == bin ]] && imports=$(grep -vxE 'usage_error' <<<"$imports" || true)
  list=""
  for x in $imports; do
    [[ $x == "$m" ]] && continue
    if [[ " $ROOT_ITEMS " == *" $x "* ]]; then continue; fi
    if [[ -z ${layer[$x]+x} ]]; then continue; fi # an item of the binary's own crate root
    list+=" $x"
    edges+="$m $x"$'\n'
    if ((layer[$x] > layer[$m])); then
      echo "FAIL: $m (layer ${layer[$m]}) imports $x (layer ${layer[$x]}, higher):" >&2
      grep -rnE "\b$prefix::($x\b|\{[^}]*\b$x::)" $files | grep -vE '^\S+:[0-9]+:\s*//' | sed 's/^/    /' >&2
      fail=1
    fi
  done
  ((verbose)) && printf '%-11s (layer %s) imports:%s\n' "$m" "${layer[$m]}" "${list:- nothing}"
done

# Two modules of one layer importing each other (a circle; across layers the rule above catches it).
if ! tsort >/dev/null 2>/tmp/layers.$$ <<<"$edges"; then
  echo "FAIL: an import circle between top-level modules:" >&2
  sed 's/^/    /' /tmp/layers.$$ >&2
  fail=1
fi
rm -f /tmp/layers.$$

# Circles between the files and subfolders of one folder.
while read -r dir <&3; do
  path=$(sed 's#/#::#g' <<<"$dir")
  children=$(ls "$dir" | sed 's/\.rs$//' | grep -vxE 'mod|tests' || true)
  edges=""
  for c in $children; do
    direct=""
    nested=""
    all=""
    if [[ -d $dir/$c ]]; then
      nested=$(find "$dir/$c" -maxdepth 1 -name '*.rs')
      all=$(find "$dir/$c" -name '*.rs')
    elif [[ -f $dir/$c.rs ]]; then
      direct=$dir/$c.rs
      all=$direct
    fi
    [[ -n $all ]] || continue # no Rust inside (fonts, assets)
    # shellcheck disable=SC2086
    named=$({
      [[ -n $direct ]] && code $direct | grep -oE '\bsuper::[a-z_][a-z0-9_]*' | sed 's/^super:://'
      [[ -n $nested ]] && code $nested | grep -oE '\bsuper::super::[a-z_][a-z0-9_]*' | sed 's/^super::super:://'
      code $all | grep -oE "\bcrate::$path::[a-z_][a-z0-9_]*" | sed "s/^crate::$path:://"
      true
    } | sort -u)
    for x in $named; do
      [[ $x != "$c" ]] && grep -qxF "$x" <<<"$children" && edges+="$c $x"$'\n'
    done
  done
  if [[ -n $edges ]] && ! tsort >/dev/null 2>/tmp/layers.$$ <<<"$edges"; then
    echo "FAIL: an import circle in src/$dir:" >&2
    sed 's/^/    /' /tmp/layers.$$ >&2
    fail=1
  fi
  rm -f /tmp/layers.$$
done 3< <(find . -mindepth 1 -type d | sed 's#^\./##' | sort)

if ((fail)); then
  echo "layers: FAILED (order in scripts/layers.sh, picture in ARCHITECTURE.md)" >&2
  exit 1
fi
echo "layers: ok ($(wc -w <<<"$modules") top-level modules in ${#LAYERS[@]} layers, one way, no circles)"
