#!/usr/bin/env bash
# Start-up and memory on a large database: how long `granttrail serve`
# takes to answer /readyz with 200 on a store whose projections are caught
# up, and its peak resident memory (VmHWM) after serving list, project and
# events reads. Uses the database the rebuild benchmark generated.
# Usage: tests/load/startup.sh [DB_FILE]   (make bench-startup)
set -euo pipefail
cd "$(dirname "$0")/../.."
db=${1:-target/bench-data/rebuild-1000000-50000.db}
[ -f "$db" ] || { echo "no $db: run cargo bench -p granttrail-app --bench rebuild first" >&2; exit 1; }
cargo build --release --locked -p granttrail-cli >&2
gt=target/release/granttrail
url="sqlite://$db"
token=$(GRANTTRAIL_LOG=warn "$gt" --database "$url" token create --role auditor --name startup-bench)
log=$(mktemp)
port=18765
start=$(date +%s%N)
GRANTTRAIL_LOG=warn "$gt" --database "$url" serve --listen "127.0.0.1:$port" 2>"$log" &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -f "$log"' EXIT
until curl -sf "http://127.0.0.1:$port/readyz" >/dev/null 2>&1; do sleep 0.01; done
ready=$(( ($(date +%s%N) - start) / 1000000 ))
auth="Authorization: Bearer $token"
id=$(curl -sf -H "$auth" "http://127.0.0.1:$port/api/v1/projects?limit=500" | python3 -c 'import json,sys; print(json.load(sys.stdin)["items"][0]["id"])')
for _ in $(seq 1 20); do
  curl -sf -H "$auth" "http://127.0.0.1:$port/api/v1/projects?limit=500&overdue=true" >/dev/null
  curl -sf -H "$auth" "http://127.0.0.1:$port/api/v1/projects/$id" >/dev/null
  curl -sf -H "$auth" "http://127.0.0.1:$port/api/v1/projects/$id/events" >/dev/null
done
peak=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")
# The bulk audit export streams one project at a time: its rows (one per
# event) must not grow the server's memory with the size of the store.
export_start=$(date +%s%N)
rows=$(curl -sf -H "$auth" "http://127.0.0.1:$port/api/v1/exports/audit-trail.csv" \
  | python3 -c 'import csv,io,sys; print(sum(1 for _ in csv.reader(io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8-sig", newline=""))))')
export_ms=$(( ($(date +%s%N) - export_start) / 1000000 ))
peak_after_export=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")
events=$(python3 -c "import sqlite3; print(sqlite3.connect('$db').execute('select count(*) from events').fetchone()[0])")
echo "database: $db ($events events)"
echo "ready (spawn to /readyz 200): ${ready} ms"
echo "peak resident memory (VmHWM) after reads: $((peak / 1024)) MiB"
echo "bulk audit CSV: $((rows - 1)) rows in ${export_ms} ms; peak resident memory after it: $((peak_after_export / 1024)) MiB"
