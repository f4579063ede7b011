#!/usr/bin/env bash
# All three benchmarks, one after another (never in parallel: they would measure each other).
set -euo pipefail
dir=$(dirname "$0")
"$dir/suite.sh"
"$dir/load.sh"
"$dir/server.sh"
