#!/usr/bin/env bash
# The whole test run: lint, the suite on SQLite (with browser tests when Chromium is here),
# then the suite on PostgreSQL when one is reachable. With CI set, PostgreSQL and Chromium
# are mandatory: their absence fails the run instead of skipping.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
PG_URL=${TEND_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/tend}

echo "== ruff"
$BIN/ruff check .
$BIN/ruff format --check .

echo "== collect static assets"
DJANGO_SETTINGS_MODULE=tend.config.settings.production $BIN/python -m django collectstatic --noinput -v 0

echo "== tests on SQLite (browser tests included)"
env -u DATABASE_URL $BIN/pytest "$@"

if $BIN/python - "$PG_URL" <<'PY' 2>/dev/null
import sys, psycopg
url = sys.argv[1].rsplit("/", 1)[0] + "/postgres"
psycopg.connect(url, connect_timeout=3).close()
PY
then
  echo "== tests on PostgreSQL ($PG_URL)"
  DATABASE_URL=$PG_URL $BIN/pytest -m "not browser" "$@"
elif [ -n "${CI:-}" ]; then
  echo "PostgreSQL is not reachable at $PG_URL, and CI requires it." >&2
  exit 1
else
  echo "== PostgreSQL not reachable at $PG_URL: its run is skipped (set TEND_TEST_POSTGRES_URL)."
fi
