#!/usr/bin/env bash
# What shelling out to Graphviz's `dot` would cost per diagram, beside the in-process
# rendering `cnn-inte bench --only render` measures (docs/PERFORMANCE.md): `dot` run once
# per file on the first N instance diagrams of a report, from inside diagrams/ so their
# image paths resolve; prints the median and range in ms for PNG and PDF.
#
#   apt-get install graphviz
#   Tests/reference/dot_timing.sh [OUTPUT_DIR] [N]      # defaults: Output, 50
set -euo pipefail
output=${1:-Output}
count=${2:-50}
command -v dot >/dev/null || { echo "dot_timing.sh: dot is missing (apt-get install graphviz)" >&2; exit 1; }
cd "$output/report/diagrams"
files=$(ls | grep -E '^[0-9]+\.dot$' | sort -n | head -n "$count")
for format in png pdf; do
  times=()
  for f in $files; do
    start=$(date +%s%N)
    dot -T"$format" "$f" -o /dev/null
    times+=($(( ($(date +%s%N) - start) / 1000 )))
  done
  printf '%s\n' "${times[@]}" | sort -n | awk -v f="$format" '{a[NR]=$1} END {printf "dot -T%s: median %.1f ms (%.1f-%.1f) over %d diagrams\n", f, a[int((NR+1)/2)]/1000, a[1]/1000, a[NR]/1000, NR}'
done
