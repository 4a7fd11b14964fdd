#!/usr/bin/env bash
# Looks at a generated report as a user would: headless Chromium screenshots of the
# index (with the credibility's reliability diagram and coverage curve), the browser
# filtered to disagreements and to the least credible explanations, one instance page (with
# its nearest training images), one cluster page (with its forest's unit cards), the layer
# comparison when there is one, and pdftoppm pages of one booklet.
# Needs the Debian packages chromium and poppler-utils.
#
#   Tests/browser/screenshot.sh [OUTPUT_DIR] [SHOTS_DIR]
#
# OUTPUT_DIR is the folder holding report/ and pdf/ (default: Output); the pictures go to
# SHOTS_DIR (default: OUTPUT_DIR/screenshots).
set -euo pipefail
output="${1:-Output}"
shots="${2:-$output/screenshots}"
report="$(cd "$output/report" && pwd)"
mkdir -p "$shots"
for tool in chromium pdftoppm; do
    command -v "$tool" >/dev/null || { echo "screenshot.sh: $tool is missing (apt-get install chromium poppler-utils)" >&2; exit 1; }
done

shoot() { # name url width height
    chromium --headless=new --no-sandbox --disable-gpu --hide-scrollbars --allow-file-access-from-files \
        --window-size="$3,$4" --virtual-time-budget=3000 --screenshot="$shots/$1.png" "$2" >/dev/null 2>&1
    echo "$shots/$1.png"
}

shoot index "file://$report/index.html" 1400 4400
shoot index-filtered "file://$report/index.html#disagree=1" 1400 1400
# The least credible explanations first, as a reader looking for shaky ones would.
shoot index-credibility "file://$report/index.html#credibility=0.95&sort=credibility" 1400 1400
# The first instance the CNN-INTE disagrees on is the most telling page; else instance 0.
instance="$(awk -F'[][,]' '/^\[/ && $4 != $6 {print $2; exit}' "$report/data.js")"
shoot instance "file://$report/instances/${instance:-0}.html" 1400 1100
shoot cluster "file://$report/clusters/0.html" 1400 1400
# The layer comparison, when the interpretation compared layers (interpret --layers).
if [ -f "$report/layers.html" ]; then shoot layers "file://$report/layers.html" 1400 900; fi

booklets=("$output"/pdf/*.pdf)
booklet="${booklets[0]}"
pdftoppm -r 60 -png -f 1 -l 3 "$booklet" "$shots/booklet"
ls "$shots"/booklet*.png
