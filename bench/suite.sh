#!/usr/bin/env bash
# Benchmark (a): the default suite against one scim2-server instance (PyPI), scim-harness vs
# scim2-tester's CLI (`scim2 test`, from scim2-cli) vs `scim-sanity probe`: median wall time and
# peak RSS over REPEAT interleaved runs (default 5), side by side; the harness both with its default
# concurrency (every scenario at once) and with `--jobs 1` (one scenario after another). Plus the
# suite against the embedded server, and the harness vs scim-sanity against a server that answers
# in parallel but LATENCY ms late (`scim-harness serve --latency`, default 20), as a tenant on the
# other side of a network would.
source "$(dirname "$0")/lib.sh"
build_harness

S2_VENV=$ROOT/target/scim2-venv
if [ ! -x "$S2_VENV/bin/scim2-server" ]; then
  echo "installing scim2-server into $S2_VENV (as .ci/run does)…" >&2
  python3 -m venv "$S2_VENV"
  "$S2_VENV/bin/pip" install --quiet --disable-pip-version-check \
    "scim2-server==$(cat "$ROOT/tests/expectations/scim2-server.version")" ||
    { echo "scim2-server cannot be installed here: benchmark (a) needs it" >&2; exit 1; }
fi
# The peers live in a venv of their own so their dependencies cannot move scim2-server's.
if [ ! -x "$BENCH_VENV/bin/scim2" ] || [ ! -x "$BENCH_VENV/bin/scim-sanity" ]; then
  echo "installing scim2-cli (scim2-tester's CLI) and scim-sanity into $BENCH_VENV…" >&2
  python3 -m venv "$BENCH_VENV"
  "$BENCH_VENV/bin/pip" install --quiet --disable-pip-version-check scim2-cli || true
  "$BENCH_VENV/bin/pip" install --quiet --disable-pip-version-check scim-sanity || true
fi

port=$(free_port)
start_bg "$S2_VENV/bin/scim2-server" --hostname 127.0.0.1 --port "$port" --bearer-token "$TOKEN"
wait_port "$port"
url=http://127.0.0.1:$port/v2

declare -A WALL_RUNS RSS_RUNS CPU_RUNS
tools=()
# add_tool NAME CMD…: one tool of the comparison; its command is kept in CMD_<n>.
add_tool() {
  local name=$1
  shift
  tools+=("$name")
  eval "CMD_${#tools[@]}=(\"\$@\")"
}
# compare [SERVER_PID]: REPEAT rounds of every tool added so far, one after another within a
# round, so that the machine's changing load falls on each tool alike. With SERVER_PID, also the
# CPU time the server spent on each run (from /proc): on a server that answers one request at a
# time, that is the floor of any client's wall time.
compare() {
  local server=${1:-} i before
  for _ in $(seq 1 "$REPEAT"); do
    for i in "${!tools[@]}"; do
      eval "set -- \"\${CMD_$((i + 1))[@]}\""
      [ -n "$server" ] && before=$(server_ticks "$server")
      measure "$@"
      rm -f "$OUT"
      WALL_RUNS[${tools[$i]}]+="$WALL "
      RSS_RUNS[${tools[$i]}]+="$RSS_MB "
      if [ -n "$server" ]; then
        CPU_RUNS[${tools[$i]}]+="$(awk -v a="$before" -v b="$(server_ticks "$server")" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.2f", (b - a) / hz }') "
      fi
    done
  done
}
server_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
wall() { median ${WALL_RUNS[$1]}; }

add_tool scim-harness "$HARNESS" --color never run --no-snapshots --url "$url" --token "$TOKEN"
add_tool "harness -j 1" "$HARNESS" --color never run --no-snapshots --jobs 1 --url "$url" --token "$TOKEN"
if [ -x "$BENCH_VENV/bin/scim2" ]; then
  add_tool scim2-tester "$BENCH_VENV/bin/scim2" --url "$url" -h "Authorization: Bearer $TOKEN" test
else
  echo "scim2-tester: not installed here (pip install scim2-cli failed); left out" >&2
fi
if [ -x "$BENCH_VENV/bin/scim-sanity" ]; then
  add_tool scim-sanity "$BENCH_VENV/bin/scim-sanity" probe "$url" --token "$TOKEN" --i-accept-side-effects
else
  echo "scim-sanity: not installed here (pip install scim-sanity failed); left out" >&2
fi
compare "${PIDS[0]}"
stop_all
peers=("${tools[@]}")
tools=()
add_tool embedded "$HARNESS" --color never run --no-snapshots
add_tool "embedded -j 1" "$HARNESS" --color never run --no-snapshots --jobs 1
compare
tools=()
LATENCY=${LATENCY:-20}
port=$(free_port)
start_bg "$HARNESS" serve --host 127.0.0.1 --port "$port" --token "$TOKEN" --latency "$LATENCY"
wait_port "$port"
url=http://127.0.0.1:$port/scim/v2
add_tool "harness, far" "$HARNESS" --color never run --no-snapshots --url "$url" --token "$TOKEN"
add_tool "harness -j 1, far" "$HARNESS" --color never run --no-snapshots --jobs 1 --url "$url" --token "$TOKEN"
if [ -x "$BENCH_VENV/bin/scim-sanity" ]; then
  add_tool "scim-sanity, far" "$BENCH_VENV/bin/scim-sanity" probe "$url" --token "$TOKEN" --i-accept-side-effects
fi
compare
stop_all
far=("${tools[@]}")

echo
echo "(a) default suite against scim2-server $(cat "$ROOT/tests/expectations/scim2-server.version") on 127.0.0.1, median of $REPEAT interleaved runs"
printf '%-14s %8s %9s %15s %22s\n' tool "wall s" "peak MB" "server CPU s" "wall / scim-harness"
for tool in "${peers[@]}"; do
  printf '%-14s %8s %9s %15s %22s\n' "$tool" "$(wall "$tool")" "$(max ${RSS_RUNS[$tool]})" \
    "$(median ${CPU_RUNS[$tool]})" "$(ratio "$(wall "$tool")" "$(wall scim-harness)")"
done
echo
echo "scim-harness run --no-snapshots against the embedded server: $(wall embedded) s wall, $(max ${RSS_RUNS[embedded]}) MB peak (target: under 0.15 s); --jobs 1: $(wall "embedded -j 1") s"
echo
echo "(a, far) the same suite against scim-harness serve --latency $LATENCY on 127.0.0.1 (answers in parallel, $LATENCY ms late), median of $REPEAT"
printf '%-18s %8s %9s %22s\n' tool "wall s" "peak MB" "wall / scim-harness"
for tool in "${far[@]}"; do
  printf '%-18s %8s %9s %22s\n' "$tool" "$(wall "$tool")" "$(max ${RSS_RUNS[$tool]})" \
    "$(ratio "$(wall "$tool")" "$(wall "harness, far")")"
done
