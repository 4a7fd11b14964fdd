#!/usr/bin/env bash
# Inference speed of ONNX models in cnn-inte beside onnxruntime, in one sitting: for each
# model, `cnn-inte bench --only infer --model F` (with the model's preprocessing, as a run
# applies it) and ort_bench.py on the same file, interleaved ROUNDS times; prints one
# markdown row per model with the medians and their ratio, and the nodes that ran on
# oneDNN's reference kernels (none expected).
#
#   Tests/reference/zoo_bench.sh [-r ROUNDS] [-n IMAGES] [-p PYTHON] MODEL.onnx...
#
# PYTHON is a Python with onnxruntime 1.32.0 and numpy (default /tmp/torchenv/bin/python);
# the models come from export_zoo.py. Both sides: IMAGES random images (default 300) in
# batches of 100 (cnn-inte sizes its batches to bound their memory and rounds IMAGES up to whole batches), 2 threads, one
# warm-up pass then the median of 3 per round.
set -euo pipefail
rounds=3
images=300
python=/tmp/torchenv/bin/python
while getopts "r:p:n:" option; do
  case $option in
    r) rounds=$OPTARG ;;
    n) images=$OPTARG ;;
    p) python=$OPTARG ;;
    *) exit 64 ;;
  esac
done
shift $((OPTIND - 1))
here=$(cd "$(dirname "$0")" && pwd)
cnn_inte=${CNN_INTE:-$here/../../.build/release/cnn-inte}
median() { sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
echo "| model | cnn-inte images/s | onnxruntime images/s | ratio | reference kernels |"
echo "| --- | ---: | ---: | ---: | --- |"
for model in "$@"; do
  ours=() theirs=() fallbacks=""
  for _ in $(seq "$rounds"); do
    json=$(OMP_NUM_THREADS=2 "$cnn_inte" bench --only infer --model "$model" --mean 0.485,0.456,0.406 --std 0.229,0.224,0.225 \
           --runs 3 --infer-count "$images" --json --quiet)
    ours+=("$(echo "$json" | "$python" -c 'import json,sys; print(json.load(sys.stdin)["infer_images_per_s"])')")
    fallbacks=$(echo "$json" | "$python" -c 'import json,sys; print(", ".join(json.load(sys.stdin)["infer_reference_kernels"]) or "none")')
    theirs+=("$("$python" "$here/ort_bench.py" "$model" --runs 3 --images "$images" | "$python" -c 'import json,sys; print(json.load(sys.stdin)["infer_images_per_s"])')")
  done
  a=$(printf '%s\n' "${ours[@]}" | median)
  b=$(printf '%s\n' "${theirs[@]}" | median)
  ratio=$(awk -v a="$a" -v b="$b" 'BEGIN {printf "%.2f", a / b}')
  echo "| $(basename "$model" .onnx) | $a | $b | ${ratio}x | $fallbacks |"
done
