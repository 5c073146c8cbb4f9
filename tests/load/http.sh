#!/usr/bin/env bash
# HTTP load benchmark: oha against the release `granttrail serve` on SQLite,
# beside the same oha against a trivial axum handler, in one run.
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

target/release/examples/trivial_server 2>"$work/trivial.log" & pids+=($!)
trivial=$(wait_for_address "$work/trivial.log")

gt=target/release/granttrail
db="sqlite://$work/granttrail.db"
token=$(GRANTTRAIL_LOG=warn "$gt" --database "$db" token create --role staff --name load)
GRANTTRAIL_LOG=warn "$gt" --database "$db" serve --listen 127.0.0.1:0 2>"$work/serve.log" & pids+=($!)
server=$(wait_for_address "$work/serve.log")

# The seed's signing without its code: every request signs a new project.
python3 - "$work/sign.json" <<'PY'
import json, sys
seed = json.load(open("tests/fixtures/seed-project.json"))
body = seed["projects"][0]["commands"][0]["body"]
body.pop("code", None)
json.dump(body, open(sys.argv[1], "w"), ensure_ascii=False)
PY
project=$(curl -sf -H "Authorization: Bearer $token" -H 'content-type: application/json' \
  --data-binary @"$work/sign.json" "$server/api/v1/projects" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')

run() {  # name, then oha arguments
  local name=$1; shift
  oha -z "$duration" -c "$connections" --no-tui --output-format json "$@" > "$work/result-$name.json"
}
run trivial "$trivial/"
run read -H "Authorization: Bearer $token" "$server/api/v1/projects/$project"
run sign -m POST -H "Authorization: Bearer $token" -T application/json -D "$work/sign.json" "$server/api/v1/projects"

python3 - "$work" "$duration" "$connections" <<'PY'
import json, sys
work, duration, connections = sys.argv[1:]
def load(name):
    r = json.load(open(f"{work}/result-{name}.json"))
    s = r["summary"]; p = r["latencyPercentiles"]
    codes = r.get("statusCodeDistribution", {})
    return s["requestsPerSec"], p["p50"] * 1000, p["p99"] * 1000, codes
ceiling = load("trivial")[0]
print(f"oha -z {duration} -c {connections}; medians from one run")
print(f"{'what':42} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'× trivial':>10}  statuses")
for name, label in [("trivial", "trivial axum handler (ceiling)"),
                    ("read", "GET /api/v1/projects/{id}"),
                    ("sign", "POST /api/v1/projects (durable command)")]:
    rps, p50, p99, codes = load(name)
    print(f"{label:42} {rps:9.0f} {p50:8.2f} {p99:8.2f} {rps / ceiling:10.3f}  {codes}")
PY
