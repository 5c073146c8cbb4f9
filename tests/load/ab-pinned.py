#!/usr/bin/env python3
"""Two granttrail binaries side by side in the same rounds, as the shared
pinned harness (http-pinned.py) measures one: the server pinned to CPU 0,
wrk (1 thread, 64 connections, 10 s) to CPU 1, a trivial axum handler in
every round as the ceiling, only ratios compared.

Usage, from the project root, after http-pinned.py built the peer (into
target/bench-peer/):
  GRANTTRAIL_BENCH_DIR=DIR tests/load/ab-pinned.py BEFORE_BINARY AFTER_BINARY [ROUNDS]
where DIR holds the harness's wrk scripts (post.lua, sign.lua, get.lua,
sign.json).

Each round runs: trivial, POST before, POST after, GET before, GET after
(the order of before/after alternates every round). Prints the medians of
each row's ratio to the round's trivial handler, and after ÷ before.
"""
import json, os, signal, socket, statistics, subprocess, sys, tempfile, time

BENCH = os.environ.get("GRANTTRAIL_BENCH_DIR") or sys.exit("set GRANTTRAIL_BENCH_DIR to the harness's directory")
BEFORE, AFTER = sys.argv[1], sys.argv[2]
ROUNDS = int(sys.argv[3]) if len(sys.argv) > 3 else 5
PEER = os.path.join("target", "bench-peer", "release", "esbench")


def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p


def wait(port, t=30):
    end = time.time() + t
    while time.time() < end:
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close(); return True
        except OSError:
            time.sleep(0.1)
    return False


def wrk(url, script, env):
    out = subprocess.run(["taskset", "-c", "1", "wrk", "-t1", "-c64", "-d10s", "--timeout", "5s", "-s",
                          os.path.join(BENCH, script), url], capture_output=True, text=True, env=env).stdout
    for line in out.splitlines():
        if line.startswith("Requests/sec:"):
            return float(line.split()[1])
    raise SystemExit("wrk printed no rate:\n" + out)


def trivial():
    port = free_port()
    srv = subprocess.Popen(["taskset", "-c", "0", PEER, "serve", "--mode", "trivial", "--port", str(port),
                            "--db", tempfile.mktemp(), "--max-secs", "60"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait(port)
        return wrk(f"http://127.0.0.1:{port}/events", "post.lua", os.environ)
    finally:
        srv.send_signal(signal.SIGTERM); srv.wait(30)


def granttrail(binary):
    d = tempfile.mkdtemp(); db = f"sqlite://{d}/gt.db"; port = free_port()
    srv = subprocess.Popen(["taskset", "-c", "0", binary, "--database", db, "serve", "--listen", f"127.0.0.1:{port}"],
                           cwd=d, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        if not wait(port):
            raise SystemExit(f"{binary} did not start")
        tok = subprocess.run([binary, "--database", db, "token", "create", "--role", "staff", "--name", "bench"],
                             cwd=d, capture_output=True, text=True).stdout.strip()
        env = dict(os.environ, GT_TOKEN=tok)
        post = wrk(f"http://127.0.0.1:{port}/api/v1/projects", "sign.lua", env)
        made = subprocess.run(["curl", "-s", "-X", "POST", "-H", f"Authorization: Bearer {tok}", "-H",
                               "Content-Type: application/json", "--data-binary", "@" + os.path.join(BENCH, "sign.json"),
                               f"http://127.0.0.1:{port}/api/v1/projects"], capture_output=True, text=True)
        pid = json.loads(made.stdout)["id"]
        get = wrk(f"http://127.0.0.1:{port}/api/v1/projects/{pid}", "get.lua", env)
        return post, get
    finally:
        srv.send_signal(signal.SIGTERM); srv.wait(30)


rows = {k: [] for k in ("POST before", "POST after", "GET before", "GET after")}
for round_number in range(ROUNDS):
    ceiling = trivial()
    order = [("before", BEFORE), ("after", AFTER)]
    if round_number % 2:
        order.reverse()
    for name, binary in order:
        post, get = granttrail(binary)
        rows[f"POST {name}"].append(post / ceiling)
        rows[f"GET {name}"].append(get / ceiling)
    print(f"round {round_number + 1}: trivial {ceiling:.0f} req/s; " +
          ", ".join(f"{k} {v[-1]:.3f}" for k, v in rows.items()), flush=True)
print(f"{'what':<12} {'x trivial':>9}  (medians of {ROUNDS} rounds)")
for k, v in rows.items():
    print(f"{k:<12} {statistics.median(v):>9.3f}")
for what in ("POST", "GET"):
    ratio = statistics.median(a / b for a, b in zip(rows[f"{what} after"], rows[f"{what} before"]))
    print(f"{what}: after / before = {ratio:.3f} (median of per-round ratios)")
