# A throwaway S3 server that checks SigV4 signatures like S3 does: Ceph's RADOS Gateway (Debian's radosgw, Ceph 16)
# on a one-monitor cluster with one in-memory OSD, everything on 127.0.0.1, in a temp dir. Sourced; defines
# s3_server_start DIR PORT and s3_server_stop DIR (each daemon stopped by the PID it wrote in DIR).
# After start: LOGTAP_S3_ENDPOINT (http://127.0.0.1:PORT), LOGTAP_S3_ACCESS_KEY, LOGTAP_S3_SECRET_KEY (a fixed test
# user's key) and LOGTAP_S3_SERVER_DIR are exported; no bucket exists yet.
#
# What it needs, measured with Ceph 16.2: no cluster auth (auth_*_required = none) and ms_mon_client_mode = crc (else
# the gateway hangs on get_initial_auth_request returned -13), msgr2 only on 127.0.0.1 (ms_bind_msgr1 = false) in a
# port range of its own, one placement group per pool with one copy, the OSD's data folder made before --mkfs.

s3_server_packages=(ceph-mon ceph-osd radosgw ceph-common)

# Installs the packages with apt when missing (~270 MB, about 50 s); returns non-zero when it cannot.
s3_server_install() {
  s3_server_available && return 0
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "installing: ${s3_server_packages[*]}"
  # RUNLEVEL=1: the packages' own daemons are not started; the tests run their own throwaway cluster
  DEBIAN_FRONTEND=noninteractive RUNLEVEL=1 $sudo apt-get install -y -q --no-install-recommends \
    "${s3_server_packages[@]}" >/dev/null 2>&1 \
    || { $sudo apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive RUNLEVEL=1 $sudo apt-get install -y -q \
         --no-install-recommends "${s3_server_packages[@]}" >/dev/null; } && s3_server_available
}

s3_server_available() {
  command -v ceph-mon >/dev/null 2>&1 && command -v ceph-osd >/dev/null 2>&1 && command -v radosgw >/dev/null 2>&1 \
    && command -v radosgw-admin >/dev/null 2>&1 && command -v monmaptool >/dev/null 2>&1
}

# ceph CLI against the cluster in $1
s3_server_ceph() {
  local dir=$1
  shift
  timeout 30 ceph -c "$dir/ceph.conf" "$@"
}

s3_server_start() {
  local dir=$1 port=$2 mon_port=$(($2 + 1)) fsid
  s3_server_available || { echo "radosgw is not installed (${s3_server_packages[*]})" >&2; return 1; }
  mkdir -p "$dir/mon" "$dir/osd" "$dir/run" "$dir/log"
  fsid=$(cat /proc/sys/kernel/random/uuid)
  cat >"$dir/ceph.conf" <<EOF
[global]
fsid = $fsid
mon_host = v2:127.0.0.1:$mon_port
mon_initial_members = a
public_addr = 127.0.0.1
auth_cluster_required = none
auth_service_required = none
auth_client_required = none
ms_mon_client_mode = crc
ms_bind_msgr1 = false
ms_bind_msgr2 = true
ms_bind_port_min = $((port + 2))
ms_bind_port_max = $((port + 40))
run_dir = $dir/run
admin_socket = $dir/run/\$name.asok
pid_file = $dir/run/\$name.pid
log_file = $dir/log/\$name.log
keyring = $dir/keyring
mon_allow_pool_size_one = true
mon_warn_on_pool_no_redundancy = false
osd_pool_default_size = 1
osd_pool_default_min_size = 1
osd_pool_default_pg_num = 1
osd_pool_default_pgp_num = 1
osd_pool_default_pg_autoscale_mode = off
osd_crush_chooseleaf_type = 0
paxos_propose_interval = 0.01
osd_objectstore = memstore
memstore_device_bytes = 2147483648
osd_data = $dir/osd
mon_data = $dir/mon
erasure_code_dir = /usr/lib/x86_64-linux-gnu/ceph/erasure-code
[client.rgw]
rgw_frontends = beast endpoint=127.0.0.1:$port
rgw_dns_name = 127.0.0.1
rgw_data = $dir/rgw
EOF
  {
    monmaptool --create --fsid "$fsid" --addv a "[v2:127.0.0.1:$mon_port]" "$dir/monmap" \
      && ceph-mon -c "$dir/ceph.conf" -i a --mkfs --monmap "$dir/monmap" \
      && ceph-mon -c "$dir/ceph.conf" -i a \
      && s3_server_ceph "$dir" osd create >/dev/null \
      && ceph-osd -c "$dir/ceph.conf" -i 0 --mkfs \
      && ceph-osd -c "$dir/ceph.conf" -i 0
  } >"$dir/start.log" 2>&1 || { cat "$dir/start.log" >&2; s3_server_stop "$dir"; return 1; }
  mkdir -p "$dir/rgw"
  radosgw -c "$dir/ceph.conf" -n client.rgw >>"$dir/start.log" 2>&1 \
    || { cat "$dir/start.log" >&2; s3_server_stop "$dir"; return 1; }
  local i
  for i in $(seq 1 300); do
    curl -s -o /dev/null "http://127.0.0.1:$port/" && break
    sleep 0.1
  done
  curl -s -o /dev/null "http://127.0.0.1:$port/" \
    || { echo "radosgw did not answer on port $port" >&2; tail -20 "$dir/log/client.rgw.log" >&2; s3_server_stop "$dir"; return 1; }
  export LOGTAP_S3_ENDPOINT=http://127.0.0.1:$port LOGTAP_S3_ACCESS_KEY=LOGTAPTESTACCESSKEY01
  export LOGTAP_S3_SECRET_KEY=logtapTestSecretKey0123456789abcdefghijkl LOGTAP_S3_SERVER_DIR=$dir
  timeout 60 radosgw-admin -c "$dir/ceph.conf" -n client.rgw user create --uid=logtap --display-name=logtap \
    --access-key="$LOGTAP_S3_ACCESS_KEY" --secret-key="$LOGTAP_S3_SECRET_KEY" >>"$dir/start.log" 2>&1 \
    || { tail -20 "$dir/start.log" >&2; s3_server_stop "$dir"; return 1; }
}

# Stops the gateway only (to test a store going away), by its PID; s3_server_resume starts it again.
s3_server_pause() {
  local dir=$1 pid
  pid=$(cat "$dir/run/client.rgw.pid" 2>/dev/null) || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
  kill -KILL "$pid" 2>/dev/null || true
  rm -f "$dir/run/client.rgw.pid"
}

s3_server_resume() {
  local dir=$1 port
  port=$(sed -n 's/^rgw_frontends = beast endpoint=127.0.0.1:\([0-9]*\)$/\1/p' "$dir/ceph.conf")
  radosgw -c "$dir/ceph.conf" -n client.rgw >>"$dir/start.log" 2>&1 || return 1
  for _ in $(seq 1 300); do
    curl -s -o /dev/null "http://127.0.0.1:$port/" && return 0
    sleep 0.1
  done
  return 1
}

s3_server_stop() {
  local dir=$1 name pid
  for name in client.rgw osd.0 mon.a; do
    pid=$(cat "$dir/run/$name.pid" 2>/dev/null) || continue
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
    kill -KILL "$pid" 2>/dev/null || true
    rm -f "$dir/run/$name.pid"
  done
}

# For tests (after itest.sh): skip (exit 77) without the test server; else create bucket $1 and export the AWS_*
# variables logtap reads (the test user's key, the endpoint).
require_s3() {
  if [ -z "${LOGTAP_S3_ENDPOINT:-}" ] || ! curl -s -o /dev/null "$LOGTAP_S3_ENDPOINT/"; then
    echo "skip: no S3 test server (tests/run.sh starts radosgw: ${s3_server_packages[*]})"
    exit 77
  fi
  if [ ! -d "$LOGTAP_SOURCE_DIR/tests/tools/node_modules/@aws-sdk/client-s3" ]; then
    echo "skip: the AWS SDK for JavaScript is not installed (cd tests/tools && npm install)"
    exit 77
  fi
  export AWS_ACCESS_KEY_ID=$LOGTAP_S3_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$LOGTAP_S3_SECRET_KEY
  export AWS_ENDPOINT_URL_S3=$LOGTAP_S3_ENDPOINT AWS_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true
  unset AWS_PROFILE AWS_SESSION_TOKEN AWS_ENDPOINT_URL
  # no ~/.aws of the machine's: the tests say everything
  export AWS_SHARED_CREDENTIALS_FILE=/nonexistent/credentials AWS_CONFIG_FILE=/nonexistent/config
  [ -z "${1:-}" ] || s3cli mb "$1" || { echo "FAILED: cannot create bucket $1"; exit 1; }
}

# The independent S3 client (tests/tools/s3.mjs, the AWS SDK for JavaScript).
s3cli() {
  NODE_NO_WARNINGS=1 node "$LOGTAP_SOURCE_DIR/tests/tools/s3.mjs" "$@"
}
