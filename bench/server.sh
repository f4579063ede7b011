#!/usr/bin/env bash
# Benchmark (c): the embedded reference server's throughput (wrk against `scim-harness serve`,
# also with many users stored), and the peak memory of `load --users BIG_USERS` (default 100000):
# the whole process with the embedded server, and the client alone against a `serve` process.
source "$(dirname "$0")/lib.sh"
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 1; }
build_harness
BIG_USERS=${BIG_USERS:-100000}
DURATION=${DURATION:-5}
port=$(free_port)
filter_url="http://127.0.0.1:$port/scim/v2/Users?filter=userName+eq+%22nobody%40load.example.com%22"

rps_of() { awk '/Requests\/sec/ {printf "%.0f", $2}' "$1"; }
p99_of() { awk '/ 99%/ {print $2}' "$1"; }

echo
echo "(c) the embedded reference server (scim-harness serve) on 127.0.0.1, wrk for ${DURATION} s"
printf '%-46s %12s %10s\n' request "req/s" "p99"
for c in 1 8 32; do
  serve "$port"
  measure wrk -t1 -c"$c" -d"${DURATION}s" --latency -H "Authorization: Bearer $TOKEN" "$filter_url"
  printf '%-46s %12s %10s\n' "GET filter (no match), $c connections" "$(rps_of "$OUT")" "$(p99_of "$OUT")"
  rm -f "$OUT"
  stop_all
done
for fill in 1 2 4; do
  serve "$port"
  SCIM_TOKEN=$TOKEN wrk -t2 -c8 -d"${fill}s" -s "$ROOT/bench/create_users.lua" "http://127.0.0.1:$port" >/dev/null
  stored=$(curl -s -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$port/scim/v2/Users?count=0" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["totalResults"])')
  measure wrk -t1 -c8 -d"${DURATION}s" --latency -H "Authorization: Bearer $TOKEN" "$filter_url"
  printf '%-46s %12s %10s\n' "GET filter, 8 connections, $stored users stored" "$(rps_of "$OUT")" "$(p99_of "$OUT")"
  rm -f "$OUT"
  stop_all
done
serve "$port"
measure env SCIM_TOKEN="$TOKEN" wrk -t8 -c8 -d"${DURATION}s" --latency -s "$ROOT/bench/entra_cycle.lua" "http://127.0.0.1:$port"
printf '%-46s %12s %10s\n' "Entra's 4 requests per user, 8 connections" "$(rps_of "$OUT")" "$(p99_of "$OUT")"
rm -f "$OUT"
stop_all

echo
echo "peak memory of load --users $BIG_USERS --groups 100 --members 1000 --concurrency 8"
measure "$HARNESS" --color never load --users "$BIG_USERS" --groups 100 --members 1000 \
  --concurrency 8 --time-limit 3600
embedded_wall=$WALL embedded_rss=$RSS_MB
grep -q 'nothing left' "$OUT" || echo "warning: the embedded run did not report 'nothing left'"
rm -f "$OUT"
serve "$port"
server_pid=${PIDS[-1]}
measure "$HARNESS" --color never load --url "http://127.0.0.1:$port/scim/v2" --token "$TOKEN" \
  --users "$BIG_USERS" --groups 100 --members 1000 --concurrency 8 --time-limit 3600
client_wall=$WALL client_rss=$RSS_MB
server_rss=$(awk '/VmHWM/ {printf "%.1f", $2 / 1024}' "/proc/$server_pid/status")
grep -q 'nothing left' "$OUT" || echo "warning: the --url run did not report 'nothing left'"
rm -f "$OUT"
stop_all
printf '%-58s %8s MB %8s s\n' "embedded server (one process, the server's store included)" "$embedded_rss" "$embedded_wall"
printf '%-58s %8s MB %8s s\n' "--url to scim-harness serve: the load client alone" "$client_rss" "$client_wall"
printf '%-58s %8s MB\n' "  and the serve process it filled" "$server_rss"
echo "target: under 50 MB at 100,000 users"
