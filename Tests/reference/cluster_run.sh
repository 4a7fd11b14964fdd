#!/usr/bin/env bash
# The one-process run beside the same run as Slurm jobs (docs/CLUSTER.md): runs
# `cnn-inte run ARGS` once as one process and right after with `--slurm --shards N --wait`
# on the cluster `sbatch` reaches (sudo bash .ci/start-slurm starts a one-node one), timed
# with /usr/bin/time; then lists each shard's seconds and peak memory and checks that the
# two runs wrote the same model, interpretation and report files (results.json and
# model.json but for timings and memory; the PDFs are left out: their CreationDate differs).
#
#   Tests/reference/cluster_run.sh OUT SHARDS ARGS...
#   Tests/reference/cluster_run.sh /tmp/fa 8 --epochs 10 --data /usr/share/datasets/fashion-mnist --threads 2
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cnn_inte=${CNN_INTE:-$here/../../.build/release/cnn-inte}
out=$1 shards=$2
shift 2
rm -rf "$out/one" "$out/slurm"
mkdir -p "$out"
/usr/bin/time -f "one process: wall %e s, peak memory %M KiB" "$cnn_inte" run "$@" --output "$out/one" --quiet > "$out/one.log"
/usr/bin/time -f "slurm: wall %e s, launcher peak memory %M KiB" "$cnn_inte" run "$@" --output "$out/slurm" --slurm --shards "$shards" --wait --quiet > "$out/slurm.log"
grep -h "done in" "$out"/slurm/shards/logs/*.log | sort -V
python3 - "$out/one" "$out/slurm" <<'PY'
import json, os, sys, filecmp
a, b = sys.argv[1], sys.argv[2]
def results(root):
    r = json.load(open(os.path.join(root, "interpretation/results.json")))
    r.pop("timings_seconds", None)
    c = r["configuration"]; c.pop("model", None)
    c["model_provenance"].pop("file", None); c["model_provenance"].pop("description", None)
    return r
def untimed(value):
    # model.json without its timings and memory (keys naming seconds, rates, peaks).
    if isinstance(value, dict):
        return {k: untimed(v) for k, v in value.items() if not any(w in k for w in ("econds", "PerSecond", "peakResident"))}
    return [untimed(v) for v in value] if isinstance(value, list) else value
same = differ = 0
for folder in ["model", "interpretation", "report"]:
    for dirpath, _, files in os.walk(os.path.join(a, folder)):
        for name in files:
            p = os.path.join(dirpath, name); q = os.path.join(b, os.path.relpath(p, a))
            if name.endswith(".pdf"): continue
            if name == "results.json": ok = results(a) == results(b)
            elif name == "model.json": ok = untimed(json.load(open(p))) == untimed(json.load(open(q)))
            else: ok = os.path.exists(q) and filecmp.cmp(p, q, shallow=False)
            same += ok; differ += not ok
            if not ok and differ <= 5: print("differs:", os.path.relpath(p, a))
print(f"{same} files the same, {differ} different")
PY
