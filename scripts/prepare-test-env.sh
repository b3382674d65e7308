#!/usr/bin/env bash
# Makes sure the real servers and tools the test suite talks to are present
# and running: PostgreSQL (database `test` on 127.0.0.1:5432), Redis
# (127.0.0.1:6379) and MariaDB (127.0.0.1:3306, root without password,
# database `test`) for the datastore probes, Chromium with ChromeDriver
# for the browser tests, aiosmtpd and Prometheus for the alerting
# end-to-end tests, feedparser for the status page's feeds, and moto (S3) for
# publishing the status page. Idempotent: does nothing when all
# is in place. Installs with apt-get on Debian/Ubuntu; elsewhere it says what
# to install and fails.
set -euo pipefail

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
have() { command -v "$1" >/dev/null 2>&1; }
apt_updated=0
apt_install() {
  if ! have apt-get; then
    echo "prepare-test-env: please install: $*" >&2
    exit 1
  fi
  if [ "$apt_updated" = 0 ]; then
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    apt_updated=1
  fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# --- Chromium and ChromeDriver (browser tests) ------------------------------
if ! have chromium || ! have chromedriver; then
  echo "prepare-test-env: installing chromium and chromium-driver"
  apt_install chromium chromium-driver
fi

# --- PostgreSQL ---------------------------------------------------------------
pg_url_default="postgres://postgres@127.0.0.1:5432/test"
if ! have pg_isready; then
  echo "prepare-test-env: installing postgresql"
  apt_install postgresql
fi
if ! pg_isready -q -h 127.0.0.1 -p 5432; then
  if have pg_ctlcluster; then
    version=$(ls /etc/postgresql | sort -V | tail -n 1)
    echo "prepare-test-env: starting PostgreSQL $version"
    as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  fi
  for _ in $(seq 1 30); do
    pg_isready -q -h 127.0.0.1 -p 5432 && break
    sleep 1
  done
fi
if ! pg_isready -q -h 127.0.0.1 -p 5432; then
  echo "prepare-test-env: PostgreSQL is not reachable on 127.0.0.1:5432; start it, or set SHIPSHAPE_TEST_POSTGRES_URL" >&2
  exit 1
fi
# --- Redis and MariaDB (datastore probe tests) -------------------------------
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_port() { for _ in $(seq 1 30); do port_open "$1" && return 0; sleep 1; done; return 1; }
if ! port_open 6379; then
  have redis-server || { echo "prepare-test-env: installing redis-server"; apt_install redis-server; }
  echo "prepare-test-env: starting Redis on 127.0.0.1:6379"
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no >/dev/null
  wait_port 6379 || { echo "prepare-test-env: Redis did not start on 127.0.0.1:6379" >&2; exit 1; }
fi
if ! port_open 3306; then
  have mariadbd || { echo "prepare-test-env: installing mariadb-server"; apt_install mariadb-server; }
  echo "prepare-test-env: starting MariaDB on 127.0.0.1:3306"
  as_root start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd
  wait_port 3306 || { echo "prepare-test-env: MariaDB did not start on 127.0.0.1:3306" >&2; exit 1; }
fi
if have mariadb && ! mariadb -uroot -h127.0.0.1 -e 'select 1' test >/dev/null 2>&1; then
  as_root mariadb -e "CREATE DATABASE IF NOT EXISTS test" >/dev/null 2>&1 || true
fi

# --- aiosmtpd, feedparser and Prometheus (end-to-end tests) -----------------
# A real SMTP server receives pages by email; a real Prometheus server fires
# a rule at Shipshape's Alertmanager endpoint.
if ! python3 -c 'import aiosmtpd' >/dev/null 2>&1; then
  echo "prepare-test-env: installing aiosmtpd (PyPI)"
  python3 -m pip install --quiet --disable-pip-version-check aiosmtpd >/dev/null 2>&1 \
    || python3 -m pip install --quiet --break-system-packages aiosmtpd >/dev/null 2>&1 \
    || apt_install python3-aiosmtpd
fi
if ! python3 -c 'import feedparser' >/dev/null 2>&1; then
  echo "prepare-test-env: installing feedparser (PyPI)"
  python3 -m pip install --quiet --disable-pip-version-check feedparser >/dev/null 2>&1 \
    || python3 -m pip install --quiet --break-system-packages feedparser >/dev/null 2>&1 \
    || apt_install python3-feedparser
fi
# moto in server mode stands in for S3 in the status page publishing tests.
if ! python3 -c 'import moto.server, flask, flask_cors' >/dev/null 2>&1; then
  echo "prepare-test-env: installing moto[server] (PyPI)"
  python3 -m pip install --quiet --disable-pip-version-check 'moto[server]' >/dev/null 2>&1 \
    || python3 -m pip install --quiet --break-system-packages 'moto[server]' >/dev/null 2>&1 \
    || { echo "prepare-test-env: could not install moto[server] from PyPI" >&2; exit 1; }
fi
if ! have prometheus; then
  echo "prepare-test-env: installing prometheus"
  apt_install prometheus
fi

url="${SHIPSHAPE_TEST_POSTGRES_URL:-$pg_url_default}"
if ! psql "$url" -qtAc 'select 1' >/dev/null 2>&1; then
  # A fresh Debian install: password auth on TCP and no `test` database yet.
  echo "prepare-test-env: creating database test and a password for postgres"
  as_root su postgres -c "psql -qc \"ALTER USER postgres PASSWORD 'postgres'\"" >/dev/null
  as_root su postgres -c "createdb test" 2>/dev/null || true
  url="postgres://postgres:postgres@127.0.0.1:5432/test" # shipshape:allow-secret: the local test database
  psql "$url" -qtAc 'select 1' >/dev/null
fi
echo "$url"
