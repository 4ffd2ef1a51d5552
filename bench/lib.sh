# shellcheck shell=bash
# What the benchmarks share: a Release build, a fresh private PostgreSQL (./.fiscus/pg-bench, normal
# durability) and Fiscus running against it. Source it from the repository root after scripts/postgres.sh.
#
#   bench_start DATABASE   builds, starts PostgreSQL and Fiscus; sets BENCH_URL, BENCH_PASSWORD, BENCH_PSQL (array)
#   bench_stop_server      stops Fiscus (the cluster stops when the script exits)
#   bench_serve APP DATABASE [NAME=VALUE...]
#                          starts the build published in APP (bench_start's is $FISCUS_HOME/bench-app) against DATABASE,
#                          with these settings on top
#   bench_serve_ref REF DATABASE
#                          publishes the commit REF (git archive, so this tree is untouched) and serves it against
#                          DATABASE in the running cluster: the same load on the old code, in the same run

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

# Publishes the server from source tree $1 into $2, as ./run serves it (the staff app trimmed and pre-compressed).
bench_publish() {
  dotnet publish "$1/src/Fiscus.Server/Fiscus.Server.csproj" -c Release -o "$2" --nologo -v quiet >/dev/null
}

# Starts the published build in $1 against database $2 of the running cluster, as in production (./run): migrating
# as the owner, serving as the runtime role; any further arguments are settings (NAME=VALUE) on top.
bench_serve() {
  local app="$1" name="$2"
  shift 2
  fiscus_pg_ensure_database "$name"
  fiscus_pg_export_roles "$name"
  env "$@" FISCUS_ADMIN_PASSWORD="$BENCH_PASSWORD" FISCUS_URLS="$BENCH_URL" \
    FISCUS_LOGIN_ATTEMPTS_PER_MINUTE=1000 Logging__LogLevel__Default=Warning Logging__LogLevel__Fiscus=Warning \
    dotnet "$app/fiscus.dll" >"$FISCUS_HOME/bench-server.log" 2>&1 &
  bench_server_pid=$!
  for _ in $(seq 1 60); do
    curl -fs "$BENCH_URL/health/ready" >/dev/null 2>&1 && break
    kill -0 "$bench_server_pid" 2>/dev/null || break
    sleep 1
  done
  curl -fs "$BENCH_URL/health/ready" >/dev/null || { tail -20 "$FISCUS_HOME/bench-server.log" >&2; exit 1; }
}

bench_start() {
  local name="$1"
  trap bench_cleanup EXIT
  trap 'exit 130' INT TERM
  fiscus_log "building..."
  bench_publish . "$FISCUS_HOME/bench-app"
  if curl -fs "$BENCH_URL/health/live" >/dev/null 2>&1; then
    fiscus_log "something already answers at $BENCH_URL; stop it or set FISCUS_BENCH_PORT"
    exit 1
  fi
  # shellcheck disable=SC2086 # BENCH_PG_SETTINGS: further settings, one word each
  fiscus_pg_start pg-bench "${FISCUS_BENCH_PG_PORT:-5482}" --fresh max_connections=200 ${BENCH_PG_SETTINGS:-}
  local bin sock port
  bin=$(fiscus_pg_bindir)
  sock=$(printf '%s' "$FISCUS_PG_CONNECTION" | sed -n 's/.*Host=\([^;]*\).*/\1/p')
  port=$(printf '%s' "$FISCUS_PG_CONNECTION" | sed -n 's/.*Port=\([^;]*\).*/\1/p')
  BENCH_PSQL=("$bin/psql" -h "$sock" -p "$port" -U fiscus -d "$name" -v ON_ERROR_STOP=1 -q)
  BENCH_PGBENCH=("$bin/pgbench" -h "$sock" -p "$port" -U fiscus)
  bench_serve "$FISCUS_HOME/bench-app" "$name"
}

bench_serve_ref() {
  local ref="$1" name="$2" dir="$FISCUS_HOME/bench-baseline"
  fiscus_log "building $ref..."
  rm -rf "$dir" && mkdir -p "$dir/src"
  git archive "$ref" | tar -x -C "$dir/src"
  bench_publish "$dir/src" "$dir/app"
  bench_serve "$dir/app" "$name"
}
