#!/usr/bin/env python3
"""Fleet benchmark: one Shipshape instance probing N HTTP(S) monitors.

Starts a loopback fleet (nginx from Debian, one worker, answering 200 on
127.0.1.1 .. 127.0.1.H) and `shipshape serve` (release build, SQLite store)
with N monitors checked every INTERVAL, each on a fresh connection, every
result stored. After a warm-up it samples the Shipshape process for a
measurement window and prints:

  - CPU-ms per check: (utime + stime of the shipshape process over the
    window) / (checks stored with a start in the window);
  - RSS now and peak (VmRSS, VmHWM);
  - schedule lag p50/p99/max over the window, from the probe's own
    per-minute stats lines (actual start minus planned start);
  - store bytes per check (file growth over the window / checks).

Usage: bench/fleet.py [--monitors 10000] [--interval 30] [--https]
                      [--warmup 60] [--window 180] [--hosts 100]
Run from the repository root. Needs nginx (installed with apt-get when
missing) and openssl for --https. Traffic stays on loopback.
"""

import argparse
import datetime
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time

CLK_TCK = os.sysconf("SC_CLK_TCK")
HTTP_PORT = 18080
HTTPS_PORT = 18443


def sh(*args, **kw):
    return subprocess.run(args, check=True, **kw)


def ensure_nginx():
    if shutil.which("nginx"):
        return
    print("installing nginx-light …", file=sys.stderr)
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    sh(*sudo, "apt-get", "install", "-y", "-qq", "--no-install-recommends", "nginx-light", env=env)


def host(i):
    return f"127.0.1.{i + 1}"


def make_certs(work, hosts):
    """A private CA and one leaf valid for every fleet address."""
    sans = ",".join(f"IP:{host(i)}" for i in range(hosts))
    sh("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
       "-nodes", "-days", "2", "-subj", "/CN=Fleet bench CA", "-keyout", f"{work}/ca.key",
       "-out", f"{work}/ca.pem", capture_output=True)
    sh("openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
       "-subj", "/CN=fleet", "-keyout", f"{work}/leaf.key", "-out", f"{work}/leaf.csr",
       capture_output=True)
    with open(f"{work}/ext.cnf", "w") as f:
        f.write(f"subjectAltName={sans}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n")
    sh("openssl", "x509", "-req", "-in", f"{work}/leaf.csr", "-CA", f"{work}/ca.pem",
       "-CAkey", f"{work}/ca.key", "-CAcreateserial", "-days", "2", "-extfile",
       f"{work}/ext.cnf", "-out", f"{work}/leaf.pem", capture_output=True)


def start_nginx(work, hosts, https):
    listens = "\n".join(
        f"    listen {host(i)}:{HTTPS_PORT if https else HTTP_PORT}{' ssl' if https else ''};"
        for i in range(hosts)
    )
    tls = (f"    ssl_certificate {work}/leaf.pem;\n    ssl_certificate_key {work}/leaf.key;\n"
           "    ssl_protocols TLSv1.3;\n    ssl_session_tickets off;\n" if https else "")
    conf = f"""
worker_processes 1;
pid {work}/nginx.pid;
error_log {work}/nginx-error.log warn;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  keepalive_timeout 0;
  server {{
{listens}
{tls}
    location / {{ default_type application/json; return 200 '{{"status":"ok"}}'; }}
  }}
}}
"""
    with open(f"{work}/nginx.conf", "w") as f:
        f.write(conf)
    sh("nginx", "-c", f"{work}/nginx.conf", "-p", work)


def write_catalog(work, monitors, interval, hosts, https):
    scheme, port = ("https", HTTPS_PORT) if https else ("http", HTTP_PORT)
    lines = ['[store]', 'url = "sqlite://shipshape.db"', '']
    if https:
        lines += ['[server]', 'probe_ca = "ca.pem"', '']
    per_service = 100
    for s in range((monitors + per_service - 1) // per_service):
        lines += ['[[service]]', f'id = "svc-{s:03}"', '']
        for m in range(s * per_service, min(monitors, (s + 1) * per_service)):
            lines += [
                '  [[service.monitor]]',
                f'  id = "m-{m:05}"',
                f'  http = {{ url = "{scheme}://{host(m % hosts)}:{port}/health/{m}" }}',
                f'  every = "{interval}s"',
                '  timeout = "5s"',
                '  expect = ["status == 200"]',
                '',
            ]
    with open(f"{work}/shipshape.toml", "w") as f:
        f.write("\n".join(lines))


def cpu_ticks(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def memory_kib(pid):
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                out[key] = int(value.split()[0])
    return out


def store_bytes(work):
    return sum(os.path.getsize(f"{work}/{n}") for n in os.listdir(work)
               if n.startswith("shipshape.db"))


def checks_between(work, t0_ms, t1_ms):
    db = sqlite3.connect(f"file:{work}/shipshape.db?mode=ro", uri=True, timeout=30)
    try:
        (n,), = db.execute("SELECT COUNT(*) FROM check_results WHERE at_ms >= ? AND at_ms < ?",
                           (t0_ms, t1_ms))
        (failed,), = db.execute(
            "SELECT COUNT(*) FROM check_results WHERE ok = 0 AND at_ms >= ? AND at_ms < ?",
            (t0_ms, t1_ms))
        return n, failed
    finally:
        db.close()


def stats_lines(log_path, since):
    """The probe's per-minute stats lines covering a minute that began at
    or after `since` (epoch seconds), as dicts."""
    found = []
    with open(log_path, errors="replace") as f:
        for line in f:
            if "probe stats" not in line:
                continue
            try:
                event = json.loads(line)
                logged = datetime.datetime.fromisoformat(
                    event["timestamp"].replace("Z", "+00:00")).timestamp()
            except (ValueError, KeyError):
                continue
            if logged - 60 >= since - 1:
                found.append(event.get("fields", {}))
    return found


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--monitors", type=int, default=10_000)
    ap.add_argument("--interval", type=int, default=30)
    ap.add_argument("--hosts", type=int, default=100)
    ap.add_argument("--warmup", type=int, default=60)
    ap.add_argument("--window", type=int, default=180)
    ap.add_argument("--https", action="store_true")
    ap.add_argument("--binary", default=None, help="shipshape binary (default: build --release)")
    args = ap.parse_args()

    ensure_nginx()
    binary = args.binary
    if binary is None:
        target = os.environ.get("CARGO_TARGET_DIR", "target")
        sh("cargo", "build", "--release", "--locked", "-q", "-p", "shipshape")
        binary = os.path.join(target, "release", "shipshape")
    work = tempfile.mkdtemp(prefix="shipshape-fleet-")
    nginx_started = False
    server = None
    try:
        if args.https:
            make_certs(work, args.hosts)
        start_nginx(work, args.hosts, args.https)
        nginx_started = True
        write_catalog(work, args.monitors, args.interval, args.hosts, args.https)
        log_path = f"{work}/shipshape.log"
        env = dict(os.environ, RUST_LOG="info,sqlx=warn,hyper=warn")
        env.pop("SHIPSHAPE_STORE_URL", None)
        with open(log_path, "w") as log:
            server = subprocess.Popen(
                [binary, "--log-format", "json", "serve", "--listen", "127.0.0.1:0"],
                cwd=work, env=env, stdout=log, stderr=log)
        kind = "HTTPS (full TLS 1.3 handshake)" if args.https else "HTTP"
        rate = args.monitors / args.interval
        print(f"fleet: {args.monitors} {kind} monitors every {args.interval}s "
              f"({rate:.0f} checks/s) on {args.hosts} loopback hosts; warm-up {args.warmup}s, "
              f"window {args.window}s", flush=True)
        time.sleep(args.warmup)
        if server.poll() is not None:
            sys.exit(f"shipshape exited early; see {log_path}")
        t0, ticks0, bytes0 = time.time(), cpu_ticks(server.pid), store_bytes(work)
        for elapsed in range(0, args.window, 30):
            time.sleep(min(30, args.window - elapsed))
            print(f"  … {min(elapsed + 30, args.window)}/{args.window}s", flush=True)
        t1, ticks1 = time.time(), cpu_ticks(server.pid)
        mem = memory_kib(server.pid)
        time.sleep(3)  # let the last results be flushed (every 1 s)
        bytes1 = store_bytes(work)
        checks, failed = checks_between(work, int(t0 * 1000), int(t1 * 1000))
        window_stats = stats_lines(log_path, t0)
        cpu_s = (ticks1 - ticks0) / CLK_TCK
        per_check_ms = 1000 * cpu_s / checks if checks else float("nan")
        print()
        print(f"checks stored in window : {checks} ({checks / (t1 - t0):.1f}/s), failed {failed}")
        print(f"CPU                     : {cpu_s:.2f} s over {t1 - t0:.0f} s = "
              f"{100 * cpu_s / (t1 - t0):.1f}% of one core")
        print(f"CPU per check           : {per_check_ms:.3f} ms")
        print(f"RSS now / peak          : {mem['VmRSS'] / 1024:.1f} MiB / {mem['VmHWM'] / 1024:.1f} MiB")
        if window_stats:
            p99 = max(float(f.get("lag_p99_ms", 0)) for f in window_stats)
            p50 = max(float(f.get("lag_p50_ms", 0)) for f in window_stats)
            mx = max(float(f.get("lag_max_ms", 0)) for f in window_stats)
            print(f"schedule lag (worst whole minute in window): p50 {p50:.1f} ms, p99 {p99:.1f} ms, max {mx:.1f} ms "
                  f"over {len(window_stats)} minute(s)")
        else:
            print("schedule lag            : no whole stats minute in the window (make it ≥ 120 s)")
        if checks:
            print(f"store growth            : {(bytes1 - bytes0) / checks:.1f} bytes/check "
                  f"(SQLite file + WAL; WAL checkpoints make this noisy over short windows)")
    finally:
        if server is not None and server.poll() is None:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
        if nginx_started:
            subprocess.run(["nginx", "-c", f"{work}/nginx.conf", "-p", work, "-s", "stop"],
                           capture_output=True)
        if os.environ.get("KEEP_FLEET_DIR"):
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
