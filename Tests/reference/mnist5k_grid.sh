#!/usr/bin/env bash
# The mnist5k grid the docs quote (docs/TRUST.md, "Fidelity"): 4 CNNs (`train --seed` 1-4)
# each interpreted with 8 seeds (`interpret --seed` 1-8), every other option at its
# default; prints the table of fidelity, accuracy gap and credibility figures over the 32
# runs (Tests/reference/summarise_runs.py). About 15 minutes on 2 cores.
#
#   Tests/reference/mnist5k_grid.sh [WORK_DIR [INTERPRET_OPTION...]]
#
# WORK_DIR (default /tmp/cnn-inte-grid) keeps each run's output; a run already there is
# not run again. Options after it go to every `interpret` (e.g. --soft-labels, for the
# soft-label comparison: use another WORK_DIR).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cnn_inte=${CNN_INTE:-$here/../../.build/release/cnn-inte}
work=${1:-/tmp/cnn-inte-grid}
shift || true
mkdir -p "$work"
for cnn in 1 2 3 4; do
  [ -f "$work/cnn$cnn/model/model.json" ] || "$cnn_inte" train --seed "$cnn" --output "$work/cnn$cnn" --quiet > /dev/null
  for seed in 1 2 3 4 5 6 7 8; do
    run="$work/cnn$cnn-seed$seed"
    if [ ! -f "$run/interpretation/results.json" ]; then
      rm -rf "$run" && mkdir -p "$run" && cp -r "$work/cnn$cnn/model" "$run/model"
      "$cnn_inte" interpret --seed "$seed" --output "$run" --quiet "$@" > /dev/null
    fi
  done
done
python3 "$here/summarise_runs.py" "$work"/cnn?-seed?
