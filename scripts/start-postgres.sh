#!/usr/bin/env bash
# Starts the local PostgreSQL cluster (Debian's pg_ctlcluster), creates a scratch
# role and database for the tests, and prints their SQLAlchemy URL.
# Exits non-zero, printing nothing on stdout, when PostgreSQL is not installed
# or cannot be started from here.
set -euo pipefail
command -v pg_lsclusters >/dev/null || exit 1
[ "$(id -u)" = 0 ] || exit 1

read -r version cluster port _ < <(pg_lsclusters -h | head -n 1) || exit 1
pg_ctlcluster "$version" "$cluster" start >/dev/null 2>&1 || true
pg_ctlcluster "$version" "$cluster" status >/dev/null 2>&1 || exit 1

as_pg() { su postgres -c "psql -p $port -v ON_ERROR_STOP=1 -qtA $*" ; }
for _ in $(seq 1 50); do as_pg "-c 'SELECT 1'" >/dev/null 2>&1 && break; sleep 0.2; done
if [ "$(as_pg "-c \"SELECT 1 FROM pg_roles WHERE rolname = 'ragbox_test'\"")" != 1 ]; then
  as_pg "-c \"CREATE ROLE ragbox_test LOGIN SUPERUSER PASSWORD 'ragbox_test'\"" >/dev/null
fi
if [ "$(as_pg "-c \"SELECT 1 FROM pg_database WHERE datname = 'ragbox_test'\"")" != 1 ]; then
  as_pg "-c 'CREATE DATABASE ragbox_test OWNER ragbox_test'" >/dev/null
fi
echo "postgresql+psycopg://ragbox_test:ragbox_test@127.0.0.1:${port}/ragbox_test"
