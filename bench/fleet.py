#!/usr/bin/env python3
"""Fleet benchmark: Shipshape instances probing N HTTP(S) monitors.

Starts a loopback fleet (nginx from Debian, one worker, answering 200 on
127.0.1.1 .. 127.0.1.H) and `shipshape serve` (release build) with N
monitors checked every INTERVAL, each on a fresh connection, every result
stored. The store is a fresh SQLite file, or with --store-url a fresh schema
on that PostgreSQL server (dropped afterwards); --instances K (PostgreSQL
only) starts K instances on that one store, which share the monitors. After
a warm-up it samples the processes for a measurement window and prints:

  - CPU-ms per check: (utime + stime of the shipshape processes over the
    window) / (checks stored with a start in the window), and each
    instance's share of one core, RSS and checks;
  - RSS now and peak (VmRSS, VmHWM);
  - schedule lag p50/p99/max over the window, from the probe's own
    per-minute stats lines (actual start minus planned start);
  - SQLite: store bytes per check (file growth over the window / checks);
  - PostgreSQL: the store's write load over the window: rows inserted,
    updated and deleted per second in the schema's tables (the busiest
    tables named), table + index growth and WAL written in bytes per
    second, commits per second, and the CPU of the PostgreSQL server's
    processes.

Usage: bench/fleet.py [--monitors 10000] [--interval 30] [--https]
                      [--warmup 60] [--window 180] [--hosts 100]
                      [--store-url postgres://…] [--instances 3]
Run from the repository root. Needs nginx (installed with apt-get when
missing), openssl for --https and psql for --store-url. Traffic stays on
loopback. WAL and commit figures are server-wide: run on a machine where
nothing else uses that PostgreSQL.
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


def write_catalog(work, monitors, interval, hosts, https, store):
    scheme, port = ("https", HTTPS_PORT) if https else ("http", HTTP_PORT)
    lines = []
    if store.catalog_url:
        lines += ['[store]', f'url = "{store.catalog_url}"', '']
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


def proc_stat(pid):
    """The fields of /proc/PID/stat after the command name."""
    with open(f"/proc/{pid}/stat") as f:
        return f.read().rsplit(")", 1)[1].split()


def cpu_ticks(pid):
    fields = proc_stat(pid)
    return int(fields[11]) + int(fields[12])  # utime + stime


def postgres_cpu_ticks():
    """CPU of the local PostgreSQL server: every live `postgres` process's
    utime + stime, plus the exited children the postmaster has reaped
    (cutime + cstime), so backends that come and go are counted."""
    total = 0
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/comm") as f:
                if f.read().strip() != "postgres":
                    continue
            fields = proc_stat(pid)
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
        parent = fields[1]
        try:
            with open(f"/proc/{parent}/comm") as f:
                is_postmaster = f.read().strip() != "postgres"
        except OSError:
            is_postmaster = False
        if is_postmaster:
            total += int(fields[13]) + int(fields[14])
    return total


def memory_kib(pid):
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                out[key] = int(value.split()[0])
    return out


class SqliteStore:
    """A fresh SQLite file in the work directory."""

    label = "SQLite"
    catalog_url = "sqlite://shipshape.db"
    server_url = None

    def __init__(self, work):
        self.work = work

    def snapshot(self):
        return {"bytes": sum(os.path.getsize(f"{self.work}/{n}") for n in os.listdir(self.work)
                             if n.startswith("shipshape.db"))}

    def checks_between(self, t0_ms, t1_ms):
        db = sqlite3.connect(f"file:{self.work}/shipshape.db?mode=ro", uri=True, timeout=30)
        try:
            (n, failed), = db.execute(
                "SELECT COUNT(*), COALESCE(SUM(ok = 0), 0) FROM check_results "
                "WHERE at_ms >= ? AND at_ms < ?", (t0_ms, t1_ms))
            return n, failed
        finally:
            db.close()

    def report(self, before, after, seconds, checks):
        if checks:
            print(f"store growth            : {(after['bytes'] - before['bytes']) / checks:.1f} "
                  "bytes/check (SQLite file + WAL; WAL checkpoints make this noisy over short "
                  "windows)")

    def close(self):
        pass


class PostgresStore:
    """A fresh schema on a PostgreSQL server, dropped on close."""

    label = "PostgreSQL"
    catalog_url = None

    def __init__(self, base_url):
        if not shutil.which("psql"):
            sys.exit("--store-url needs psql (apt-get install postgresql-client)")
        self.base_url = base_url
        self.schema = f"fleet_{os.getpid()}_{int(time.time())}"
        self.query(f"CREATE SCHEMA {self.schema}")
        separator = "&" if "?" in base_url else "?"
        self.server_url = f"{base_url}{separator}options=-c%20search_path%3D{self.schema}"

    def query(self, sql):
        out = subprocess.run(["psql", self.base_url, "-X", "-q", "-A", "-t", "-F", "\t",
                              "-v", "ON_ERROR_STOP=1", "-c", sql],
                             check=True, capture_output=True, text=True, timeout=60).stdout
        return [line.split("\t") for line in out.splitlines() if line]

    def snapshot(self):
        tables = {
            name: (int(ins), int(upd), int(dele), int(size))
            for name, ins, upd, dele, size in self.query(
                "SELECT relname, n_tup_ins, n_tup_upd, n_tup_del, pg_total_relation_size(relid) "
                f"FROM pg_stat_user_tables WHERE schemaname = '{self.schema}'")
        }
        (wal, commits), = self.query(
            "SELECT pg_current_wal_lsn() - '0/0'::pg_lsn, xact_commit "
            "FROM pg_stat_database WHERE datname = current_database()")
        return {"tables": tables, "wal": int(float(wal)), "commits": int(commits),
                "cpu": postgres_cpu_ticks()}

    def checks_between(self, t0_ms, t1_ms):
        (n, failed), = self.query(
            f"SELECT COUNT(*), COUNT(*) FILTER (WHERE ok = 0) FROM {self.schema}.check_results "
            f"WHERE at_ms >= {t0_ms} AND at_ms < {t1_ms}")
        return int(n), int(failed)

    def report(self, before, after, seconds, checks):
        rows = {}
        for name, now in after["tables"].items():
            was = before["tables"].get(name, (0, 0, 0, 0))
            rows[name] = [b - a for a, b in zip(was, now)]
        ins, upd, dele, grew = (sum(r[i] for r in rows.values()) for i in range(4))
        written = ins + upd + dele
        wal = after["wal"] - before["wal"]
        commits = after["commits"] - before["commits"]
        cpu_s = (after["cpu"] - before["cpu"]) / CLK_TCK
        print(f"store rows written      : {written / seconds:.1f} rows/s (inserted "
              f"{ins / seconds:.1f}, updated {upd / seconds:.1f}, deleted {dele / seconds:.1f})"
              + (f" = {written / checks:.2f} rows/check" if checks else ""))
        busiest = sorted(rows.items(), key=lambda kv: -(kv[1][0] + kv[1][1] + kv[1][2]))[:6]
        for name, (i, u, d, g) in busiest:
            if i + u + d:
                print(f"  {name:<22}: {i / seconds:8.1f} ins/s {u / seconds:8.1f} upd/s "
                      f"{d / seconds:6.1f} del/s, {g / seconds / 1024:7.1f} KiB/s growth")
        print(f"store bytes written     : WAL {wal / seconds / 1024:.1f} KiB/s"
              + (f" ({wal / checks:.0f} B/check)" if checks else "")
              + f"; tables + indexes grew {grew / seconds / 1024:.1f} KiB/s"
              + (f" ({grew / checks:.0f} B/check)" if checks else ""))
        print(f"store commits           : {commits / seconds:.1f}/s")
        print(f"PostgreSQL server CPU   : {cpu_s:.2f} s over {seconds:.0f} s = "
              f"{100 * cpu_s / seconds:.1f}% of one core")

    def close(self):
        if os.environ.get("KEEP_FLEET_DIR"):
            print(f"kept schema {self.schema}")
            return
        self.query(f"DROP SCHEMA {self.schema} CASCADE")


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


def lag_summary(window_stats):
    """The worst whole minute's lag p50 / p99 / max, in ms."""
    worst = lambda key: max(float(f.get(key, 0)) for f in window_stats)
    return worst("lag_p50_ms"), worst("lag_p99_ms"), worst("lag_max_ms")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--monitors", type=int, default=10_000)
    ap.add_argument("--interval", type=int, default=30)
    ap.add_argument("--hosts", type=int, default=100)
    ap.add_argument("--warmup", type=int, default=60)
    ap.add_argument("--window", type=int, default=180)
    ap.add_argument("--https", action="store_true")
    ap.add_argument("--store-url", default=None,
                    help="a PostgreSQL server (postgres://…) instead of a SQLite file")
    ap.add_argument("--instances", type=int, default=1,
                    help="shipshape serve processes sharing the monitors (needs --store-url)")
    ap.add_argument("--binary", default=None, help="shipshape binary (default: build --release)")
    args = ap.parse_args()
    if args.instances < 1:
        ap.error("--instances must be at least 1")
    if args.instances > 1 and not args.store_url:
        ap.error("--instances > 1 needs --store-url: instances share one PostgreSQL store")

    ensure_nginx()
    binary = args.binary
    if binary is None:
        target = os.environ.get("CARGO_TARGET_DIR", "target")
        sh("cargo", "build", "--release", "--locked", "-q", "-p", "shipshape")
        binary = os.path.join(target, "release", "shipshape")
    work = tempfile.mkdtemp(prefix="shipshape-fleet-")
    nginx_started = False
    store = None
    servers = []
    try:
        store = PostgresStore(args.store_url) if args.store_url else SqliteStore(work)
        if args.https:
            make_certs(work, args.hosts)
        start_nginx(work, args.hosts, args.https)
        nginx_started = True
        write_catalog(work, args.monitors, args.interval, args.hosts, args.https, store)
        env = dict(os.environ, RUST_LOG="info,sqlx=warn,hyper=warn")
        env.pop("SHIPSHAPE_STORE_URL", None)
        command = [binary, "--log-format", "json", "serve", "--listen", "127.0.0.1:0"]
        if store.server_url:
            command += ["--store-url", store.server_url]
        logs = [f"{work}/shipshape-{i + 1}.log" for i in range(args.instances)]
        for log_path in logs:
            with open(log_path, "w") as log:
                servers.append(subprocess.Popen(command, cwd=work, env=env, stdout=log, stderr=log))
        kind = "HTTPS (full TLS 1.3 handshake)" if args.https else "HTTP"
        rate = args.monitors / args.interval
        print(f"fleet: {args.monitors} {kind} monitors every {args.interval}s "
              f"({rate:.0f} checks/s) on {args.hosts} loopback hosts; {args.instances} "
              f"instance(s) on {store.label}; warm-up {args.warmup}s, window {args.window}s",
              flush=True)
        time.sleep(args.warmup)
        for server, log_path in zip(servers, logs):
            if server.poll() is not None:
                sys.exit(f"shipshape exited early; see {log_path}")
        before = store.snapshot()
        t0, ticks0 = time.time(), [cpu_ticks(s.pid) for s in servers]
        for elapsed in range(0, args.window, 30):
            time.sleep(min(30, args.window - elapsed))
            print(f"  … {min(elapsed + 30, args.window)}/{args.window}s", flush=True)
        t1, ticks1 = time.time(), [cpu_ticks(s.pid) for s in servers]
        mems = [memory_kib(s.pid) for s in servers]
        after = store.snapshot()
        time.sleep(3)  # let the last results be flushed (every 1 s)
        checks, failed = store.checks_between(int(t0 * 1000), int(t1 * 1000))
        seconds = t1 - t0
        cpu_s = sum(b - a for a, b in zip(ticks0, ticks1)) / CLK_TCK
        per_check_ms = 1000 * cpu_s / checks if checks else float("nan")
        print()
        print(f"checks stored in window : {checks} ({checks / seconds:.1f}/s), failed {failed}")
        print(f"CPU (all instances)     : {cpu_s:.2f} s over {seconds:.0f} s = "
              f"{100 * cpu_s / seconds:.1f}% of one core")
        print(f"CPU per check           : {per_check_ms:.3f} ms")
        all_stats = []
        for i, (a, b, mem, log_path) in enumerate(zip(ticks0, ticks1, mems, logs)):
            window_stats = stats_lines(log_path, t0)
            all_stats += window_stats
            share = 100 * (b - a) / CLK_TCK / seconds
            line = (f"instance {i + 1}              : {share:.1f}% of one core, RSS "
                    f"{mem['VmRSS'] / 1024:.1f} MiB (peak {mem['VmHWM'] / 1024:.1f} MiB)")
            if window_stats:
                owned = window_stats[-1].get("monitors", "?")
                checked = sum(int(f.get("checks", 0)) for f in window_stats)
                p50, p99, mx = lag_summary(window_stats)
                line += (f", {owned} monitors, {checked / (60 * len(window_stats)):.1f} checks/s, "
                         f"lag p99 {p99:.1f} ms")
            print(line)
        if all_stats:
            p50, p99, mx = lag_summary(all_stats)
            print(f"schedule lag (worst whole minute in window): p50 {p50:.1f} ms, p99 {p99:.1f} ms, max {mx:.1f} ms "
                  f"over {len(all_stats) // len(servers)} minute(s)")
        else:
            print("schedule lag            : no whole stats minute in the window (make it ≥ 120 s)")
        store.report(before, after, seconds, checks)
    finally:
        for server in servers:
            if server.poll() is None:
                server.send_signal(signal.SIGTERM)
        for server in servers:
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
        if nginx_started:
            subprocess.run(["nginx", "-c", f"{work}/nginx.conf", "-p", work, "-s", "stop"],
                           capture_output=True)
        if store is not None:
            store.close()
        if os.environ.get("KEEP_FLEET_DIR"):
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
