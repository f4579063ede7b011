#!/usr/bin/env bash
# Benchmark (a): the default suite against one scim2-server instance (PyPI), scim-harness vs
# scim2-tester's CLI (`scim2 test`, from scim2-cli) vs `scim-sanity probe`: median wall time and
# peak RSS over REPEAT runs (default 5), side by side. Plus the suite against the embedded server.
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

declare -A WALLS RSSES
run_tool() { # NAME CMD…
  local name=$1 walls=() rsses=()
  shift
  for _ in $(seq 1 "$REPEAT"); do
    measure "$@"
    walls+=("$WALL")
    rsses+=("$RSS_MB")
    rm -f "$OUT"
  done
  WALLS[$name]=$(median "${walls[@]}")
  RSSES[$name]=$(max "${rsses[@]}")
}

run_tool scim-harness "$HARNESS" --color never run --no-snapshots --url "$url" --token "$TOKEN"
tools=(scim-harness)
if [ -x "$BENCH_VENV/bin/scim2" ]; then
  run_tool scim2-tester "$BENCH_VENV/bin/scim2" --url "$url" -h "Authorization: Bearer $TOKEN" test
  tools+=(scim2-tester)
else
  echo "scim2-tester: not installed here (pip install scim2-cli failed); left out" >&2
fi
if [ -x "$BENCH_VENV/bin/scim-sanity" ]; then
  run_tool scim-sanity "$BENCH_VENV/bin/scim-sanity" probe "$url" --token "$TOKEN" --i-accept-side-effects
  tools+=(scim-sanity)
else
  echo "scim-sanity: not installed here (pip install scim-sanity failed); left out" >&2
fi
stop_all
run_tool embedded "$HARNESS" --color never run --no-snapshots

echo
echo "(a) default suite against scim2-server $(cat "$ROOT/tests/expectations/scim2-server.version") on 127.0.0.1, median of $REPEAT runs"
printf '%-14s %10s %10s %22s\n' tool "wall s" "peak MB" "wall / scim-harness"
for tool in "${tools[@]}"; do
  printf '%-14s %10s %10s %22s\n' "$tool" "${WALLS[$tool]}" "${RSSES[$tool]}" \
    "$(ratio "${WALLS[$tool]}" "${WALLS[scim-harness]}")"
done
echo
echo "scim-harness run --no-snapshots against the embedded server: ${WALLS[embedded]} s wall, ${RSSES[embedded]} MB peak (target: under 0.15 s)"
