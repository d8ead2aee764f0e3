# A throwaway PostgreSQL 15 server in a temp dir, on a unix socket in that dir and on 127.0.0.1, with
# wal_level=logical. PostgreSQL refuses to run as root, so as root it runs as the `postgres` system user.
# Sourced; defines pg_server_start DIR PORT and pg_server_stop DIR. After start, PGHOST/PGPORT/PGUSER point at it
# and the role `logtap` (superuser, replication, trust auth on loopback and the socket) exists.

pg_bin_dir() {
  local d
  for d in /usr/lib/postgresql/15/bin /usr/lib/postgresql/*/bin; do
    [ -x "$d/initdb" ] && { echo "$d"; return 0; }
  done
  echo "no PostgreSQL server binaries (initdb) found; install postgresql-15" >&2
  return 1
}

pg_as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

pg_server_start() {
  local dir=$1 port=$2 bin
  bin=$(pg_bin_dir) || return 1
  mkdir -p "$dir"
  [ "$(id -u)" -eq 0 ] && chown postgres: "$dir"
  pg_as_owner "$bin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; return 1; }
  # TLS on TCP (the tests' own connections use the unix socket): a CA of this server's own and a certificate
  # naming 127.0.0.1 and localhost, so a test can connect with sslmode=verify-full (LOGTAP_PG_SSL_CA)
  local ssl=""
  if command -v openssl >/dev/null; then
    openssl req -x509 -newkey rsa:2048 -nodes -keyout "$dir/ca.key" -out "$dir/ca.pem" -days 7 -subj "/CN=logtap test CA" \
      >/dev/null 2>&1 &&
      openssl req -newkey rsa:2048 -nodes -keyout "$dir/server.key" -out "$dir/server.csr" -subj "/CN=localhost" \
        >/dev/null 2>&1 &&
      printf "subjectAltName=DNS:localhost,IP:127.0.0.1\n" >"$dir/san.cnf" &&
      openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" -CAcreateserial \
        -out "$dir/server.pem" -days 7 -extfile "$dir/san.cnf" >/dev/null 2>&1 &&
      chmod 600 "$dir/server.key" && chmod 644 "$dir/ca.pem" && { [ "$(id -u)" -ne 0 ] || chown postgres: "$dir/server.key" "$dir/server.pem"; } &&
      ssl="-c ssl=on -c ssl_cert_file=$dir/server.pem -c ssl_key_file=$dir/server.key"
  fi
  pg_as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start -o \
    "-p $port -k $dir -c listen_addresses=127.0.0.1 -c wal_level=logical -c max_replication_slots=32 -c max_wal_senders=32 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c shared_buffers=128MB -c max_connections=200 $ssl" \
    >/dev/null || { cat "$dir/server.log" >&2; return 1; }
  export PGHOST=$dir PGPORT=$port PGUSER=logtap PGDATABASE=postgres
  [ -n "$ssl" ] && export LOGTAP_PG_SSL_CA=$dir/ca.pem
  pg_as_owner psql -h "$dir" -p "$port" -U postgres -d postgres -qAt -v ON_ERROR_STOP=1 \
    -c "CREATE ROLE logtap LOGIN SUPERUSER REPLICATION" >/dev/null
}

pg_server_stop() {
  local dir=$1 pid
  [ -f "$dir/data/postmaster.pid" ] || return 0
  pid=$(head -1 "$dir/data/postmaster.pid")
  kill -INT "$pid" 2>/dev/null || true
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
}
