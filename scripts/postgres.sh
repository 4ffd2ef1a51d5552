# shellcheck shell=bash
# The private PostgreSQL cluster behind ./run and ./test: installed from Debian packages when missing,
# owned by an unprivileged user (PostgreSQL refuses to run as root), data under ./.fiscus/, reachable only
# through a Unix socket in a directory only that user (and root) can enter.
#
# Source this file, then: fiscus_pg_start NAME PORT [--fresh] [extra postgres -c options...]
# It exports FISCUS_PG_CONNECTION (an Npgsql connection string to database "postgres", as the superuser fiscus);
# fiscus_pg_export_roles DATABASE then exports the owner's and the runtime role's connections for Fiscus.

# shellcheck source=scripts/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
FISCUS_PG_STARTED=()

fiscus_pg_bindir() {
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  if [ -n "$dir" ] && [ -x "$dir/initdb" ]; then echo "$dir"; fi
}

fiscus_pg_install() {
  [ -n "$(fiscus_pg_bindir)" ] && return 0
  fiscus_log "PostgreSQL is not installed; installing it from Debian packages..."
  fiscus_apt_install postgresql "(or point FISCUS_DATABASE / FISCUS_TEST_DATABASE at an existing server)." || return 1
  [ -n "$(fiscus_pg_bindir)" ] || { fiscus_log "PostgreSQL installed but initdb was not found."; return 1; }
}

# Runs a PostgreSQL binary as the cluster's owner.
fiscus_pg_as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

# When root runs us, the postgres user must be able to walk down to the data directory.
fiscus_pg_grant_traverse() {
  local target="$1" dir
  [ "$(id -u)" -eq 0 ] || return 0
  runuser -u postgres -- test -x "$target" 2>/dev/null && return 0
  dir="$target"
  local parents=()
  while [ "$dir" != "/" ]; do parents=("$dir" "${parents[@]}"); dir=$(dirname "$dir"); done
  for dir in "${parents[@]}"; do
    if ! runuser -u postgres -- test -x "$dir" 2>/dev/null; then
      if command -v setfacl >/dev/null 2>&1 && setfacl -m u:postgres:x "$dir" 2>/dev/null; then
        fiscus_log "granted the postgres user passage through $dir (ACL, execute only)"
      else
        chmod o+x "$dir"
        fiscus_log "made $dir passable (o+x) so the postgres user can reach the private cluster"
      fi
    fi
  done
}

fiscus_pg_socket_dir() {
  local name="$1" port="$2" dir="$FISCUS_HOME/sock"
  # A Unix socket path must fit in 107 bytes; long checkout paths use a private directory under /tmp.
  if [ $(( ${#dir} + 20 )) -gt 100 ]; then
    dir="/tmp/fiscus-$(printf '%s' "$FISCUS_HOME" | sha256sum | cut -c1-12)"
  fi
  echo "$dir"
}

fiscus_pg_start() {
  local name="$1" port="$2" fresh="" ; shift 2
  if [ "${1:-}" = "--fresh" ]; then fresh=1; shift; fi
  local extra=("$@")
  fiscus_pg_install || return 1
  local bin data sock logfile
  bin=$(fiscus_pg_bindir)
  data="$FISCUS_HOME/$name"
  sock=$(fiscus_pg_socket_dir "$name" "$port")
  logfile="$FISCUS_HOME/$name.log"
  mkdir -p "$FISCUS_HOME" "$sock"
  if [ "$(id -u)" -eq 0 ]; then
    id postgres >/dev/null 2>&1 || { fiscus_log "the postgres system user is missing (is the postgresql package installed?)"; return 1; }
    chown postgres: "$sock"
    fiscus_pg_grant_traverse "$FISCUS_HOME"
  fi
  chmod 700 "$sock"

  if fiscus_pg_as_owner "$bin/pg_ctl" status -D "$data" >/dev/null 2>&1; then
    if [ -n "$fresh" ]; then
      fiscus_pg_as_owner "$bin/pg_ctl" stop -D "$data" -m immediate -w >/dev/null 2>&1 || true
    else
      # Where it listens is what it was started with (another ./run, perhaps with another FISCUS_PG_PORT), not what
      # this shell would choose: postmaster.pid's fourth and fifth lines are its port and socket directory.
      local running_port running_sock
      running_port=$(fiscus_pg_as_owner sed -n 4p "$data/postmaster.pid" 2>/dev/null || true)
      running_sock=$(fiscus_pg_as_owner sed -n 5p "$data/postmaster.pid" 2>/dev/null || true)
      if [[ "$running_port" =~ ^[0-9]+$ ]] && [ -n "$running_sock" ]; then
        port="$running_port"
        sock="$running_sock"
      fi
      fiscus_log "reusing the running private PostgreSQL ($data, port $port); it stays running"
      export FISCUS_PG_CONNECTION="Host=$sock;Port=$port;Username=fiscus;Database=postgres"
      return 0
    fi
  fi
  if [ -n "$fresh" ]; then rm -rf "$data"; fi
  if [ ! -f "$data/PG_VERSION" ]; then
    fiscus_log "creating a private PostgreSQL cluster in $data"
    mkdir -p "$data"
    [ "$(id -u)" -eq 0 ] && chown postgres: "$data"
    chmod 700 "$data"
    fiscus_pg_as_owner "$bin/initdb" -D "$data" -A trust -U fiscus -E UTF8 --locale=C.UTF-8 >"$logfile.initdb" 2>&1 || {
      cat "$logfile.initdb" >&2; return 1; }
  fi
  [ "$(id -u)" -eq 0 ] && { touch "$logfile"; chown postgres: "$logfile"; }
  local options="-p $port -k $sock -c listen_addresses=''"
  for option in "${extra[@]}"; do options="$options -c $option"; done
  if ! fiscus_pg_as_owner "$bin/pg_ctl" start -D "$data" -l "$logfile" -w -t 60 -o "$options" >/dev/null; then
    fiscus_log "PostgreSQL did not start; its log ($logfile) says:"
    tail -n 20 "$logfile" >&2
    return 1
  fi
  FISCUS_PG_STARTED+=("$data")
  export FISCUS_PG_CONNECTION="Host=$sock;Port=$port;Username=fiscus;Database=postgres"
}

# Stops every cluster this shell started (and only those). With "quiet", says nothing (./test's last line
# must stay its summary).
fiscus_pg_stop_started() {
  local bin data
  bin=$(fiscus_pg_bindir)
  for data in "${FISCUS_PG_STARTED[@]}"; do
    if fiscus_pg_as_owner "$bin/pg_ctl" stop -D "$data" -m fast -w >/dev/null 2>&1 && [ "${1:-}" != "quiet" ]; then
      fiscus_log "stopped the private PostgreSQL"
    fi
  done
  FISCUS_PG_STARTED=()
}

# Runs psql on the private cluster as its superuser: fiscus_pg_psql DATABASE [psql options...]
fiscus_pg_psql() {
  local database="$1" bin sock port
  shift
  bin=$(fiscus_pg_bindir)
  sock=$(printf '%s' "$FISCUS_PG_CONNECTION" | sed -n 's/.*Host=\([^;]*\).*/\1/p')
  port=$(printf '%s' "$FISCUS_PG_CONNECTION" | sed -n 's/.*Port=\([^;]*\).*/\1/p')
  "$bin/psql" -h "$sock" -p "$port" -U fiscus -d "$database" -v ON_ERROR_STOP=1 -qtA "$@"
}

# Creates a database in the private cluster if it does not exist yet.
fiscus_pg_ensure_database() {
  local database="$1"
  if ! fiscus_pg_psql postgres -c "SELECT 1 FROM pg_database WHERE datname = '$database'" | grep -q 1; then
    fiscus_pg_psql postgres -c "CREATE DATABASE \"$database\""
  fi
}

# The role Fiscus serves requests as. The superuser "fiscus" that initdb made owns the schema and migrates it
# (FISCUS_MIGRATION_DATABASE); this login role owns nothing and gets only what Fiscus grants it at start-up, so
# nothing the server does can switch off the ledger's guards. No password: the cluster trusts its private socket.
FISCUS_PG_RUNTIME_ROLE=fiscus_app

# Exports FISCUS_MIGRATION_DATABASE (the owner) and FISCUS_DATABASE (the runtime role) for DATABASE in the
# private cluster, creating the runtime role if it is missing (a cluster made before there were two roles
# gets it now; its tables stay owned by fiscus, which is what the owner should be).
fiscus_pg_export_roles() {
  local database="$1"
  fiscus_pg_psql postgres -c "DO \$\$ BEGIN
      CREATE ROLE $FISCUS_PG_RUNTIME_ROLE LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; -- there already, perhaps made at this very moment
    END \$\$" >/dev/null
  export FISCUS_MIGRATION_DATABASE="${FISCUS_PG_CONNECTION/Database=postgres/Database=$database}"
  export FISCUS_DATABASE="${FISCUS_MIGRATION_DATABASE/Username=fiscus/Username=$FISCUS_PG_RUNTIME_ROLE}"
}
