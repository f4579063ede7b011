# Shared by the bench scripts: paths, the release build, loopback ports, background servers
# (only the ones a script started are ever stopped), and measuring wall time, CPU and peak RSS.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
HARNESS=$TARGET_DIR/release/scim-harness
BENCH_VENV=$ROOT/target/bench-venv
TOKEN=bench-token
REPEAT=${REPEAT:-5}

build_harness() {
  echo "building the release binary…" >&2
  (cd "$ROOT" && cargo build --release --quiet)
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

wait_port() {
  for _ in $(seq 1 200); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
    sleep 0.05
  done
  echo "nothing listens on 127.0.0.1:$1" >&2
  return 1
}

PIDS=()
# start_bg CMD…: a server in the background, stopped by stop_all (and on exit).
start_bg() {
  "$@" >/dev/null 2>&1 &
  PIDS+=("$!")
}
stop_all() {
  for pid in "${PIDS[@]+"${PIDS[@]}"}"; do
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  PIDS=()
}
trap stop_all EXIT

# serve PORT: the embedded reference server as its own process.
serve() {
  start_bg "$HARNESS" serve --host 127.0.0.1 --port "$1" --token "$TOKEN"
  wait_port "$1"
}

# measure CMD…: runs CMD under /usr/bin/time -v. Sets WALL (s), CPU (s, user+sys), RSS_MB and
# OUT (a file with CMD's stdout). The exit code of CMD is ignored (findings exit 1).
measure() {
  local stats
  stats=$(mktemp)
  OUT=$(mktemp)
  /usr/bin/time -v "$@" >"$OUT" 2>"$stats" || true
  WALL=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$stats" |
    awk -F: '{ if (NF == 3) print $1 * 3600 + $2 * 60 + $3; else print $1 * 60 + $2 }')
  CPU=$(awk -F': ' '/User time/ {u = $2} /System time/ {s = $2} END {print u + s}' "$stats")
  RSS_MB=$(awk -F': ' '/Maximum resident/ {printf "%.1f", $2 / 1024}' "$stats")
  rm -f "$stats"
}

median() { printf '%s\n' "$@" | sort -g | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }
max() { printf '%s\n' "$@" | sort -g | tail -1; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
