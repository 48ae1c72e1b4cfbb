#!/usr/bin/env bash
# Opens a report in headless Chromium, checks that every image on the page loaded, and saves a
# screenshot. Usage: scripts/render-report.sh [reports/index.html] [docs/report.png]
# Needs Debian's chromium (apt-get install chromium).
set -euo pipefail
page=$(realpath "${1:-reports/index.html}")
shot=${2:-docs/report.png}
flags=(--headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking
       --disable-component-update --disable-sync --user-data-dir="$(mktemp -d)" --virtual-time-budget=8000)
state=$(chromium "${flags[@]}" --dump-dom "file://$page" 2>/dev/null | grep -o 'data-images="[^"]*"' || true)
echo "images: ${state:-no result}"
case "$state" in *'"ok '*) ;; *) echo "some images did not load" >&2; exit 1 ;; esac
chromium "${flags[@]}" --window-size=1400,2200 --hide-scrollbars --screenshot="$(realpath -m "$shot")" "file://$page" 2>/dev/null
echo "screenshot: $shot"
