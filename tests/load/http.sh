#!/usr/bin/env bash
# HTTP load benchmark: oha against the release `granttrail serve` on SQLite,
# beside the same oha against a trivial axum handler, in one run. With
# GRANTTRAIL_TEST_POSTGRES_URL set, also against one and two servers on
# PostgreSQL (a schema of its own, dropped afterwards); the two-server row
# runs two oha processes at once, one per server, with half the
# connections each, and adds their rates. The mix row is the same on one
# SQLite server: half the connections sign, half read, at once.
# Usage: tests/load/http.sh [DURATION] [CONNECTIONS]   (make bench-http)
# Prints a table; docs/benchmarks.md records the figures.
set -euo pipefail
cd "$(dirname "$0")/../.."
duration=${1:-10s}
connections=${2:-32}

command -v oha >/dev/null || cargo install oha --locked
cargo build --release --locked -p granttrail-cli >&2
cargo build --release --locked -p granttrail-api --example trivial_server >&2

work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; [ -n "${KEEP:-}" ] || rm -rf "$work"; }
trap cleanup EXIT

wait_for_address() {  # $1: log file
  for _ in $(seq 1 200); do
    if grep -q 'listening on http://' "$1" 2>/dev/null; then
      grep -o 'http://[0-9.:]*' "$1" | head -1; return
    fi
    sleep 0.05
  done
  echo "server did not start: $(cat "$1")" >&2; exit 1
}

target/release/examples/trivial_server >/dev/null 2>"$work/trivial.log" & pids+=($!)
trivial=$(wait_for_address "$work/trivial.log")

gt=target/release/granttrail

# The seed's signing without its code: every request signs a new project.
python3 - "$work/sign.json" <<'PY'
import json, sys
seed = json.load(open("tests/fixtures/seed-project.json"))
body = seed["projects"][0]["commands"][0]["body"]
body.pop("code", None)
json.dump(body, open(sys.argv[1], "w"), ensure_ascii=False)
PY

serve() {  # database, name: starts a server; its address is in $work/address-NAME
  GRANTTRAIL_LOG=warn "$gt" --database "$1" serve --listen 127.0.0.1:0 >/dev/null 2>"$work/serve-$2.log" & pids+=($!)
  wait_for_address "$work/serve-$2.log" > "$work/address-$2"
}
sign_one() {  # server -> prints the new project's id
  curl -sf -H "Authorization: Bearer $token" -H 'content-type: application/json' \
    --data-binary @"$work/sign.json" "$1/api/v1/projects" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])'
}
run() {  # name, then oha arguments
  local name=$1; shift
  oha -z "$duration" -c "$connections" --no-tui --output-format json "$@" > "$work/result-$name.json"
}
sign_on() {  # name, server[, connections]
  oha -z "$duration" -c "${3:-$connections}" --no-tui --output-format json -m POST \
    -H "Authorization: Bearer $token" -T application/json -D "$work/sign.json" "$2/api/v1/projects" \
    > "$work/result-$1.json"
}

read_on() {  # name, server, project, connections
  oha -z "$duration" -c "$4" --no-tui --output-format json -H "Authorization: Bearer $token" \
    "$2/api/v1/projects/$3" > "$work/result-$1.json"
}

run trivial "$trivial/"

db="sqlite://$work/granttrail.db"
token=$(GRANTTRAIL_LOG=warn "$gt" --database "$db" token create --role staff --name load)
serve "$db" sqlite; server=$(cat "$work/address-sqlite")
project=$(sign_one "$server")
run read -H "Authorization: Bearer $token" "$server/api/v1/projects/$project"
sign_on sign "$server"
# A mix as staff use it: half the connections sign projects while the
# other half read one, at the same time.
sign_on mix-a "$server" $((connections / 2)) & half=$!
read_on mix-b "$server" "$project" $((connections / 2))
wait "$half"
rows="trivial read sign mix mix-a mix-b"

if [ -n "${GRANTTRAIL_TEST_POSTGRES_URL:-}" ]; then
  schema="gt_bench_$$"
  psql "$GRANTTRAIL_TEST_POSTGRES_URL" -qc "CREATE SCHEMA $schema"
  trap 'cleanup; psql "$GRANTTRAIL_TEST_POSTGRES_URL" -qc "DROP SCHEMA IF EXISTS '"$schema"' CASCADE"' EXIT
  sep='?'; case "$GRANTTRAIL_TEST_POSTGRES_URL" in *\?*) sep='&';; esac
  pg="${GRANTTRAIL_TEST_POSTGRES_URL}${sep}options=-c%20search_path%3D$schema"
  token=$(GRANTTRAIL_LOG=warn "$gt" --database "$pg" token create --role staff --name load)
  serve "$pg" pg1; first=$(cat "$work/address-pg1")
  project=$(sign_one "$first")
  run pg-read -H "Authorization: Bearer $token" "$first/api/v1/projects/$project"
  sign_on pg-sign "$first"
  serve "$pg" pg2; second=$(cat "$work/address-pg2")
  sign_on pg2-sign-a "$first" $((connections / 2)) & half=$!
  sign_on pg2-sign-b "$second" $((connections / 2))
  wait "$half"
  rows="$rows pg-read pg-sign pg2-sign"
fi

python3 - "$work" "$duration" "$connections" $rows <<'PY'
import json, os, sys
work, duration, connections, *rows = sys.argv[1:]
def load(name):
    if not os.path.exists(f"{work}/result-{name}.json"):
        # Two oha runs at once, one per server: rates add up, latencies
        # are the worse of the two.
        a, b = load(name + "-a"), load(name + "-b")
        return a[0] + b[0], max(a[1], b[1]), max(a[2], b[2]), {k: a[3].get(k, 0) + b[3].get(k, 0) for k in {*a[3], *b[3]}}
    r = json.load(open(f"{work}/result-{name}.json"))
    s = r["summary"]; p = r["latencyPercentiles"]
    codes = r.get("statusCodeDistribution", {})
    return s["requestsPerSec"], p["p50"] * 1000, p["p99"] * 1000, codes
labels = {
    "trivial": "trivial axum handler (ceiling)",
    "read": "SQLite: GET /api/v1/projects/{id}",
    "sign": "SQLite: POST /api/v1/projects (durable)",
    "mix": "SQLite mix: POST ‖ GET, all requests",
    "mix-a": "  of which POST (durable)",
    "mix-b": "  of which GET",
    "pg-read": "PostgreSQL, 1 server: GET project",
    "pg-sign": "PostgreSQL, 1 server: POST (durable)",
    "pg2-sign": "PostgreSQL, 2 servers: POST (durable)",
}
ceiling = load("trivial")[0]
print(f"oha -z {duration} -c {connections}; one run, side by side")
print(f"{'what':42} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'× trivial':>10}  statuses")
for name in rows:
    rps, p50, p99, codes = load(name)
    print(f"{labels[name]:42} {rps:9.0f} {p50:8.2f} {p99:8.2f} {rps / ceiling:10.3f}  {codes}")
PY
