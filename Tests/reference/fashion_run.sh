#!/usr/bin/env bash
# The Fashion-MNIST run the docs quote (docs/TRUST.md, docs/REPORT.md, docs/PERFORMANCE.md):
# `cnn-inte run --epochs 10` on Debian's Fashion-MNIST, every other option at its default,
# timed with /usr/bin/time; prints the run's summary, its stages, its peak memory and the
# table of figures (Tests/reference/summarise_runs.py). About 10-20 minutes on 2 cores.
#
#   apt-get install dataset-fashion-mnist time
#   Tests/reference/fashion_run.sh [OUTPUT_DIR]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cnn_inte=${CNN_INTE:-$here/../../.build/release/cnn-inte}
data=/usr/share/datasets/fashion-mnist
output=${1:-/tmp/cnn-inte-fashion}
[ -d "$data" ] || { echo "fashion_run.sh: $data is missing (apt-get install dataset-fashion-mnist)" >&2; exit 1; }
/usr/bin/time -f "wall %e s, peak memory %M KiB" "$cnn_inte" run --epochs 10 --data "$data" --output "$output" --quiet
python3 "$here/summarise_runs.py" "$output"
