#!/usr/bin/env bash
# Runs logtap's whole test suite on a fresh Debian machine: installs what is missing (apt, npm), builds logtap
# three times (Release for the suite, ASan+UBSan for the unit tests, clang+libFuzzer for the fuzz targets), starts a throwaway PostgreSQL 15, MariaDB and S3 server (radosgw), runs
# ctest, the change-stream tests once more under the sanitizers, then a 10x smaller run of the benchmarks (bench/run.sh --quick) so their scripts never rot, and stops the
# servers by their PID whatever happens. Usage: tests/run.sh [ctest args...] (with ctest args: no benchmark smoke)
set -euo pipefail
logtap_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
source "$logtap_root/tests/lib/deps.sh"
source "$logtap_root/tests/lib/pg_server.sh"
source "$logtap_root/tests/lib/mariadb_server.sh"
source "$logtap_root/tests/lib/s3_server.sh"

logtap_install_deps
s3_server_install || echo "radosgw is not installable: the object-store tests will be skipped"
(cd "$logtap_root/tests/tools" && npm install --no-audit --no-fund --loglevel=error >/dev/null)

build=${LOGTAP_BUILD_DIR:-$logtap_root/build/release}
asan=${LOGTAP_ASAN_BUILD_DIR:-$logtap_root/build/asan}
logtap_build "$build" Release
logtap_build "$asan" Debug -DLOGTAP_SANITIZE=ON
fuzz=${LOGTAP_FUZZ_BUILD_DIR:-$logtap_root/build/fuzz}
logtap_build "$fuzz" Debug -DCMAKE_C_COMPILER=clang -DLOGTAP_FUZZ=ON -DLOGTAP_FUZZ_SECONDS="${LOGTAP_FUZZ_SECONDS:-10}"

work=$(mktemp -d /tmp/logtap-tests.XXXXXX)
chmod 755 "$work"
cleanup() {
  pg_server_stop "$work/pg"
  mariadb_server_stop "$work/mariadb"
  s3_server_stop "$work/s3"
  rm -rf "$work"
}
trap cleanup EXIT
pg_port=${LOGTAP_TEST_PG_PORT:-$((20000 + RANDOM % 20000))}
pg_server_start "$work/pg" "$pg_port"
echo "PostgreSQL 15 on $PGHOST port $PGPORT"
my_port=${LOGTAP_TEST_MYSQL_PORT:-$((pg_port + 1))}
if mariadb_server_start "$work/mariadb" "$my_port"; then
  echo "MariaDB on $LOGTAP_MYSQL_SOCKET port $LOGTAP_MYSQL_PORT"
else
  echo "MariaDB did not start: the MySQL/MariaDB tests will be skipped"
fi
s3_port=${LOGTAP_TEST_S3_PORT:-$((pg_port + 10))}
if s3_server_available && s3_server_start "$work/s3" "$s3_port"; then
  echo "S3 (radosgw) on $LOGTAP_S3_ENDPOINT"
else
  echo "radosgw did not start: the object-store tests will be skipped"
fi

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
status=0
echo "== unit tests (ASan + UBSan) (at ${SECONDS} s)"
ctest --test-dir "$asan" -R '^unit\.' --output-on-failure -j2 "$@" </dev/null || status=1
echo "== fuzz targets (libFuzzer, ${LOGTAP_FUZZ_SECONDS:-10} s each) (at ${SECONDS} s)"
ctest --test-dir "$fuzz" -R '^fuzz\.' --output-on-failure -j2 </dev/null || status=1
# three at a time: most integration tests wait on servers and streams more than they compute (the sum of their
# times was twice the 2-core wall time at -j2)
echo "== all tests (Release, 3 at a time) (at ${SECONDS} s)"
ctest --test-dir "$build" --output-on-failure -j3 "$@" </dev/null || status=1
if [ $# -eq 0 ]; then
  # The change-stream paths once more under the sanitizers: a seam under kill -9, tables joining a running task
  # (threads: the copy beside the stream), a MariaDB task's life, and uploads to an object store (threads: a
  # multipart upload's parts, the load's workers).
  echo "== change data capture and uploads under ASan + UBSan (at ${SECONDS} s)"
  ctest --test-dir "$asan" -R '^integration\.(test_pg_cdc_replay|test_pg_table_join|test_mysql_lifecycle|test_s3_full_load)$' \
    --output-on-failure -j2 </dev/null || status=1
fi
if [ "${LOGTAP_BENCH_SMOKE:-1}" = 1 ] && [ $# -eq 0 ]; then
  # The benchmark scripts, 10x smaller, end to end (their own servers), so they never rot; numbers not asserted.
  echo "== benchmark smoke (bench/run.sh --quick --runs 1 --no-profile; LOGTAP_BENCH_SMOKE=0 skips it) (at ${SECONDS} s)"
  if LOGTAP_BENCH_BUILD_DIR="$build" bash "$logtap_root/bench/run.sh" --quick --runs 1 --no-profile >"$work/bench.log" 2>&1; then
    sed -n '/^| job/,/^$/p' "$work/bench.log"
  else
    tail -40 "$work/bench.log"
    echo "benchmark smoke FAILED"
    status=1
  fi
fi
echo "== done in ${SECONDS} s"
exit $status
