#!/bin/bash
# Times each stage of the big commands on a generated catalogue and prints their peak memory.
#
#   scripts/scale-bench.sh [SKUS] [WEEKS]      (defaults: 100000 items, 156 weeks)
#
# Generates the folder once under ${TMPDIR:-/tmp} (1.3 GB of CSV at 100,000 items), then runs
# `check`, `forecast`, `plan`, `portfolio`, one `plan --shard 1/4` and prints, for each, the
# stage log lines replen writes when stderr is not a terminal (elapsed time, resident and peak
# memory at the start of each stage) and the wall time and peak resident set from GNU time.
# Run it with nothing else busy: the figures are for the machine it runs on. The first read of
# the files after they left the page cache is slower (disk), so each command runs after a
# `cat` of the folder.
set -euo pipefail
skus=${1:-100000}
weeks=${2:-156}
here=$(cd "$(dirname "$0")/.." && pwd)
bin=${REPLEN_BIN:-${CARGO_TARGET_DIR:-$HOME/.cache/replen-target}/release/replen}
if [ ! -x "$bin" ]; then
  (cd "$here" && CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/replen-target} cargo build --release)
fi
work=${TMPDIR:-/tmp}/replen-scale-$skus-$weeks
data=$work/data
if [ ! -f "$data/sales.csv" ]; then
  "$bin" generate --skus "$skus" --weeks "$weeks" --seed 1 --out "$data" >/dev/null
fi
timed() {
  local name=$1
  shift
  cat "$data"/*.csv >/dev/null
  echo "== $name"
  /usr/bin/time -f "   $name: %e s wall, peak %M KB" "$bin" "$@" 2>&1 | grep -E '^\[|wall' | grep -v ' items$' || true
}
timed check check --data "$data"
timed forecast forecast --data "$data" --out "$work/forecast" --horizon 8
timed plan plan --data "$data" --out "$work/plan"
timed portfolio portfolio --data "$data" --out "$work/portfolio"
timed "shard 1/4" plan --data "$data" --shard 1/4 --portfolio "$work/portfolio/portfolio.json" --out "$work/shard1"
