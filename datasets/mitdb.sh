#!/usr/bin/env bash
# Download the MIT-BIH Arrhythmia Database 1.0.0 from PhysioNet and check it, or check a copy.
#
#   datasets/mitdb.sh download [DIR]   fetch the 146 files into DIR (default: datasets/mitdb), then check
#   datasets/mitdb.sh check [DIR]      check DIR against datasets/mitdb.sha256 (SHA-256 of PhysioNet's files)
#
# Needs curl (or wget) and sha256sum. Files already present and correct are not fetched again.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
sums="$here/mitdb.sha256"
base_url="https://physionet.org/files/mitdb/1.0.0"
cmd=${1:-}
dir=${2:-"$here/mitdb"}

check() {
    [ -d "$dir" ] || { echo "mitdb.sh: no folder $dir" >&2; return 1; }
    (cd "$dir" && sha256sum --check --quiet --strict "$sums") || {
        echo "mitdb.sh: $dir does not match datasets/mitdb.sha256 (missing or altered files above)" >&2
        return 1
    }
    echo "mitdb.sh: $dir: all $(wc -l < "$sums") files match PhysioNet's SHA-256 sums"
}

fetch() { # url file
    if command -v curl >/dev/null; then
        curl --fail --silent --show-error --location --retry 3 -o "$2.part" "$1"
    else
        wget --quiet --tries=3 -O "$2.part" "$1"
    fi
    mv "$2.part" "$2"
}

download() {
    mkdir -p "$dir"
    local n=0 total
    total=$(wc -l < "$sums")
    while read -r sum file; do
        n=$((n + 1))
        if [ -f "$dir/$file" ] && echo "$sum  $dir/$file" | sha256sum --check --quiet --status; then
            continue
        fi
        printf 'mitdb.sh: [%3d/%d] %s\n' "$n" "$total" "$file"
        fetch "$base_url/$file" "$dir/$file"
    done < "$sums"
    check
}

case "$cmd" in
    download) download ;;
    check) check ;;
    *) sed -n '2,8p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
