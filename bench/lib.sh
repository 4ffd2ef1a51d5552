# shellcheck shell=bash
# What the benchmarks share: a Release build, a fresh private PostgreSQL (./.fiscus/pg-bench, normal
# durability) and Fiscus running against it. Source it from the repository root after scripts/postgres.sh.
#
#   bench_start DATABASE   builds, starts PostgreSQL and Fiscus; sets BENCH_URL, BENCH_PASSWORD, BENCH_PSQL (array)
#   bench_stop_server      stops Fiscus (the cluster stops when the script exits)
#   bench_start_server [NAME=VALUE...]   starts Fiscus again (after bench_start and bench_stop_server) with these settings

BENCH_PASSWORD="bench-ledger-secret-2718"
BENCH_URL="http://127.0.0.1:${FISCUS_BENCH_PORT:-5090}"
bench_server_pid=""

bench_stop_server() {
  if [ -n "$bench_server_pid" ]; then
    kill "$bench_server_pid" 2>/dev/null || true
    wait "$bench_server_pid" 2>/dev/null || true
    bench_server_pid=""
  fi
}

bench_cleanup() {
  bench_stop_server
  fiscus_pg_stop_started quiet
}

bench_start() {
  local name="$1"
  trap bench_cleanup EXIT
  trap 'exit 130' INT TERM
  fiscus_log "building..."
  # As ./run serves it: published (the staff app trimmed and pre-compressed).
  dotnet publish src/Fiscus.Server/Fiscus.Server.csproj -c Release -o "$FISCUS_HOME/bench-app" --nologo -v quiet >/dev/null
  if curl -fs "$BENCH_URL/health/live" >/dev/null 2>&1; then
    fiscus_log "something already answers at $BENCH_URL; stop it or set FISCUS_BENCH_PORT"
    exit 1
  fi
  fiscus_pg_start pg-bench "${FISCUS_BENCH_PG_PORT:-5482}" --fresh max_connections=200
  fiscus_pg_ensure_database "$name"
  # Fiscus runs as in production (./run): migrating as the owner, serving as the runtime role.
  fiscus_pg_export_roles "$name"
  local bin sock port
  bin=$(fiscus_pg_bindir)
  sock=$(printf '%s' "$FISCUS_PG_CONNECTION" | sed -n 's/.*Host=\([^;]*\).*/\1/p')
  port=$(printf '%s' "$FISCUS_PG_CONNECTION" | sed -n 's/.*Port=\([^;]*\).*/\1/p')
  BENCH_PSQL=("$bin/psql" -h "$sock" -p "$port" -U fiscus -d "$name" -v ON_ERROR_STOP=1 -q)
  BENCH_PGBENCH=("$bin/pgbench" -h "$sock" -p "$port" -U fiscus)

  : >"$FISCUS_HOME/bench-server.log"
  bench_start_server
}

bench_start_server() {
  env "$@" FISCUS_ADMIN_PASSWORD="$BENCH_PASSWORD" FISCUS_URLS="$BENCH_URL" \
    FISCUS_LOGIN_ATTEMPTS_PER_MINUTE=1000 Logging__LogLevel__Default=Warning Logging__LogLevel__Fiscus=Warning \
    dotnet "$FISCUS_HOME/bench-app/fiscus.dll" >>"$FISCUS_HOME/bench-server.log" 2>&1 &
  bench_server_pid=$!
  for _ in $(seq 1 60); do
    curl -fs "$BENCH_URL/health/ready" >/dev/null 2>&1 && break
    kill -0 "$bench_server_pid" 2>/dev/null || break
    sleep 1
  done
  curl -fs "$BENCH_URL/health/ready" >/dev/null || { tail -20 "$FISCUS_HOME/bench-server.log" >&2; exit 1; }
}
