# Installs, with apt, whatever logtap's build, tests and quickstart need and this machine lacks.
# Sourced by tests/run.sh and examples/quickstart.sh; safe to run again (installs nothing when all is present).

logtap_apt_packages=(
  build-essential cmake pkg-config clang libclang-rt-14-dev
  libpq-dev libmariadb-dev libcjson-dev libcsv-dev libsqlite3-dev zlib1g-dev libzstd-dev libsnappy-dev
  libcurl4-openssl-dev libssl-dev  # the object-store target: HTTP and SigV4
  postgresql-15 postgresql-client-15 mariadb-server mariadb-client sqlite3 openssl
  tzdata  # DatePartitionTimezone reads the zone files; test_date_partition and test_pg_dms_settings use them
  prometheus-node-exporter curl  # test_pg_metrics: node_exporter's textfile collector reads --metrics-file's output
)

logtap_install_deps() {
  local missing=()
  for p in "${logtap_apt_packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  command -v node >/dev/null 2>&1 || missing+=(nodejs)
  command -v npm >/dev/null 2>&1 || missing+=(npm)
  if [ ${#missing[@]} -gt 0 ]; then
    echo "installing: ${missing[*]}"
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -q
    # policy-rc.d keeps the packages' own servers from starting: tests run their own throwaway servers.
    DEBIAN_FRONTEND=noninteractive RUNLEVEL=1 $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
  fi
}

# Builds into $1 (build type $2, extra cmake args after); LOGTAP_BUILD_TARGET limits it to one target.
logtap_build() {
  local dir=$1 type=$2
  shift 2
  cmake -S "$logtap_root" -B "$dir" -DCMAKE_BUILD_TYPE="$type" "$@" >/dev/null
  cmake --build "$dir" -j"$(nproc)" ${LOGTAP_BUILD_TARGET:+--target "$LOGTAP_BUILD_TARGET"} >"$dir/build.log" 2>&1 \
    || { cat "$dir/build.log" >&2; echo "build failed" >&2; return 1; }
}
