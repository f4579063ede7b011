#!/usr/bin/env bash
# Benchmark (b): `scim-harness load` against the embedded reference server (run as its own
# process by `scim-harness serve`) vs wrk on the same endpoint, so the harness's own overhead is
# visible. Each measurement gets a fresh server. Settings: USERS (default 2000), CONCURRENCY (8),
# DURATION of each wrk run in seconds (5).
source "$(dirname "$0")/lib.sh"
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 1; }
build_harness
USERS=${USERS:-2000}
C=${CONCURRENCY:-8}
DURATION=${DURATION:-5}
port=$(free_port)
base=http://127.0.0.1:$port/scim/v2

# wrk_rps CMD…: sets RPS (wrk's Requests/sec) and US (wrk's CPU per request, µs).
wrk_rps() {
  measure "$@"
  local requests
  RPS=$(awk '/Requests\/sec/ {printf "%.0f", $2}' "$OUT")
  requests=$(awk '/requests in/ {print $1}' "$OUT")
  US=$(awk -v c="$CPU" -v n="$requests" 'BEGIN { printf "%.0f", c * 1e6 / n }')
  rm -f "$OUT"
}

# load_rps USERS: sets RPS (every request of the run, cycle and cleanup, over its whole time)
# and US (the harness's CPU per request, µs).
load_rps() {
  local json
  json=$(mktemp)
  measure "$HARNESS" --color never load --url "$base" --token "$TOKEN" --users "$1" \
    --concurrency "$C" --json "$json"
  rm -f "$OUT"
  read -r rps requests < <(python3 - "$json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
n = sum(op["requests"] for op in r["operations"])
print(round(n / (r["cycle"]["seconds"] + r["cleanup"]["seconds"])), n)
PY
)
  RPS=$rps
  US=$(awk -v c="$CPU" -v n="$requests" 'BEGIN { printf "%.0f", c * 1e6 / n }')
  rm -f "$json"
}

# median_load USERS: the median RPS and US over REPEAT runs, each against a fresh server.
median_load() {
  local rates=() costs=()
  for _ in $(seq 1 "$REPEAT"); do
    serve "$port"
    load_rps "$1"
    stop_all
    rates+=("$RPS")
    costs+=("$US")
  done
  RPS=$(median "${rates[@]}") US=$(median "${costs[@]}")
}

filter_url="$base/Users?filter=userName+eq+%22nobody%40load.example.com%22"
serve "$port"
wrk_rps wrk -t1 -c"$C" -d"${DURATION}s" -H "Authorization: Bearer $TOKEN" "$filter_url"
get_rps=$RPS get_us=$US
stop_all
serve "$port"
SCIM_TOKEN=$TOKEN wrk_rps wrk -t"$C" -c"$C" -d"${DURATION}s" -s "$ROOT/bench/entra_cycle.lua" "http://127.0.0.1:$port"
mix_rps=$RPS mix_us=$US
stop_all
small=$((USERS / 8 > 0 ? USERS / 8 : 1))
median_load "$small"
small_rps=$RPS small_us=$US
median_load "$USERS"
big_rps=$RPS big_us=$US

row() { printf '%-52s %9s %11s %12s\n' "$@"; }
echo
echo "(b) load vs wrk against scim-harness serve on 127.0.0.1, $C connections (load: median of $REPEAT)"
row client "req/s" "CPU µs/req" "vs wrk mix"
row "wrk: GET filter (no match), empty store" "$get_rps" "$get_us" "$(ratio "$get_rps" "$mix_rps")"
row "wrk: Entra's 4 requests per user (entra_cycle.lua)" "$mix_rps" "$mix_us" "1.00"
row "scim-harness load --users $small" "$small_rps" "$small_us" "$(ratio "$small_rps" "$mix_rps")"
row "scim-harness load --users $USERS" "$big_rps" "$big_us" "$(ratio "$big_rps" "$mix_rps")"
echo "Same four requests per user, same server, same connections. wrk's script keeps about $C users"
echo "stored; load, like Entra's cycle, holds every user until its cleanup."
