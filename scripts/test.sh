#!/usr/bin/env bash
# Runs Shipshape's whole test suite on both store backends (SQLite and
# PostgreSQL) and the browser tests, after preparing what they need.
#
#   scripts/test.sh            # everything
#   scripts/test.sh -p shipshape-store   # extra arguments go to `cargo test`
#
# PostgreSQL tests use $SHIPSHAPE_TEST_POSTGRES_URL (default
# postgres://postgres@127.0.0.1:5432/test); each test works in a schema of
# its own. Browser screenshots land in test-artifacts/.
set -euo pipefail
cd "$(dirname "$0")/.."

SHIPSHAPE_TEST_POSTGRES_URL="$(scripts/prepare-test-env.sh | tail -n 1)"
export SHIPSHAPE_TEST_POSTGRES_URL
export SHIPSHAPE_TEST_ARTIFACTS="${SHIPSHAPE_TEST_ARTIFACTS:-$PWD/test-artifacts}"
mkdir -p "$SHIPSHAPE_TEST_ARTIFACTS"

if [ "$#" -eq 0 ]; then
  set -- --workspace
fi
exec cargo test --locked "$@"
