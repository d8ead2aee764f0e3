#!/usr/bin/env bash
# TLS to MySQL/MariaDB (source.ssl_mode and its files, as the MySQL client names them), against a MariaDB of this
# test's own with a CA and a server certificate made here by openssl and require_secure_transport=ON: DISABLED is
# refused by the server, REQUIRED and VERIFY_CA with the right CA replicate (the full load and the binlog stream both
# over TLS), a wrong CA and a certificate that does not name the host are refused with a clear error (exit 1),
# VERIFY_IDENTITY passes once the certificate names 127.0.0.1; a server without TLS is refused under REQUIRED.
source "$LOGTAP_SOURCE_DIR/tests/lib/itest.sh"
source "$LOGTAP_SOURCE_DIR/tests/lib/mariadb_server.sh"
require_mysql
command -v openssl >/dev/null || { echo "skip: no openssl"; exit 77; }
dir=$(test_dir)
chmod 755 "$dir"
cd "$dir"
# certificates: a CA, a server certificate naming only db.invalid, one naming 127.0.0.1 too, another CA
openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 -subj "/CN=logtap test CA" 2>/dev/null
openssl req -x509 -newkey rsa:2048 -nodes -keyout other.key -out other-ca.pem -days 2 -subj "/CN=another CA" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj "/CN=db.invalid" 2>/dev/null
printf "subjectAltName=DNS:db.invalid\n" >san-name.cnf
printf "subjectAltName=DNS:db.invalid,IP:127.0.0.1\n" >san-ip.cnf
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out name-only.pem -days 2 -extfile san-name.cnf 2>/dev/null
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out with-ip.pem -days 2 -extfile san-ip.cnf 2>/dev/null
cp name-only.pem server.pem
chmod 644 ./*.pem ./*.key
port=$((LOGTAP_MYSQL_PORT + 1000 + RANDOM % 1000))
srv="$dir/srv"
trap 'mariadb_server_stop "$srv"' EXIT
if ! (mariadb_server_start "$srv" $port --ssl-ca="$dir/ca.pem" --ssl-cert="$dir/server.pem" --ssl-key="$dir/server.key" \
      --require-secure-transport=ON >server-start.log 2>&1); then
  cat server-start.log; fail "a TLS MariaDB starts"; finish; exit 1
fi
tsql() { mariadb --no-defaults -S "$srv/mysqld.sock" -uroot -N -B -e "$1"; }
tsql "CREATE DATABASE tlsdb; CREATE TABLE tlsdb.t (id int PRIMARY KEY, v varchar(20)); INSERT INTO tlsdb.t VALUES (1, 'a'), (2, 'b')"
config() { # config FILE MODE [extra json]
  cat >"$1" <<JSON
{"task": "tls_$2", "migration_type": "full-load-and-cdc",
 "source": {"engine": "mysql", "host": "127.0.0.1", "port": $port, "user": "logtap", "database": "tlsdb",
            "server_id": $((2000 + RANDOM % 1000)), "ssl_mode": "$2"${3:+, $3}},
 "target": {"path": "lake-$2-$RANDOM"},
 "table_mappings": {"rules": [{"rule-type":"selection","rule-id":"1","rule-name":"1",
      "object-locator":{"schema-name":"%","table-name":"%"},"rule-action":"include"}]}}
JSON
}
config disabled.json DISABLED
run_logtap replicate --config disabled.json --until now
expect_eq "$rc" 1 "DISABLED: the server refuses a connection without TLS"
config required.json REQUIRED
run_logtap replicate --config required.json --until now
expect_eq "$rc" 0 "REQUIRED: full load over TLS"
[ "$rc" -eq 0 ] || echo "$out"
tsql "INSERT INTO tlsdb.t VALUES (3, 'c')"
run_logtap replicate --config required.json --until now
expect_eq "$rc" 0 "REQUIRED: the binlog stream over TLS"
expect_eq "$(cat $(find lake-REQUIRED-* -name '2*.csv') 2>/dev/null | grep -c '^I,3,c,')" 1 "the change arrived through the TLS binlog connection"
config verify_ca.json VERIFY_CA "\"ssl_ca\": \"ca.pem\""
run_logtap replicate --config verify_ca.json --until now
expect_eq "$rc" 0 "VERIFY_CA with the right CA (the certificate does not name 127.0.0.1: not checked)"
config wrong_ca.json VERIFY_CA "\"ssl_ca\": \"other-ca.pem\""
run_logtap replicate --config wrong_ca.json --until now
expect_eq "$rc" 1 "VERIFY_CA with another CA is refused"
echo "$out" | grep -qi "TLS\|SSL" && ok "it says why (TLS)" || fail "wrong CA: $out"
config identity.json VERIFY_IDENTITY "\"ssl_ca\": \"ca.pem\""
run_logtap replicate --config identity.json --until now
expect_eq "$rc" 1 "VERIFY_IDENTITY: a certificate that does not name 127.0.0.1 is refused"
echo "$out" | grep -qi "certificate\|TLS\|SSL" && ok "it says why" || fail "identity: $out"
cp with-ip.pem server.pem
tsql "FLUSH SSL"
config identity2.json VERIFY_IDENTITY "\"ssl_ca\": \"ca.pem\""
run_logtap replicate --config identity2.json --until now
expect_eq "$rc" 0 "VERIFY_IDENTITY: a certificate naming 127.0.0.1 passes"
[ "$rc" -eq 0 ] || echo "$out"
# the same task pointed at another server (the shared test server, a database of the same name there): its
# file:position checkpoint means nothing there, so it is refused (exit 1), not followed silently
my_sql mysql "DROP DATABASE IF EXISTS tlsdb; CREATE DATABASE tlsdb; CREATE TABLE tlsdb.t (id int PRIMARY KEY, v varchar(20))"
sed "s|\"host\": \"127.0.0.1\", \"port\": $port|\"socket\": \"$LOGTAP_MYSQL_SOCKET\"|; s/\"ssl_mode\": \"REQUIRED\"/\"ssl_mode\": \"PREFERRED\"/" required.json >moved.json
run_logtap replicate --config moved.json --until now
expect_eq "$rc" 1 "the task pointed at another server is refused"
echo "$out" | grep -q "not the server this task's checkpoint" && ok "it says the server changed" || fail "moved: $out"
my_sql mysql "DROP DATABASE tlsdb"
# config errors
config noca.json VERIFY_CA
run_logtap replicate --config noca.json --until now
expect_eq "$rc" 2 "VERIFY_CA without ssl_ca is a config error"
echo "$out" | grep -q "source.ssl_ca" && ok "it names source.ssl_ca" || fail "noca: $out"
config missing.json REQUIRED "\"ssl_ca\": \"nowhere.pem\""
run_logtap check --config missing.json
expect_eq "$rc" 2 "an unreadable ssl_ca is a config error"
# the shared test server has no TLS: REQUIRED refuses it, PREFERRED (the default) connects without
write_mysql_config plain.json mysql ''
sed -i 's/"server_id"/"ssl_mode": "REQUIRED", "server_id"/' plain.json
run_logtap check --config plain.json
[ "$rc" -ne 0 ] && echo "$out" | grep -q "does not offer TLS" && ok "REQUIRED refuses a server without TLS" || fail "no-TLS server: rc $rc $out"
finish
