# Proving that a command fails before it connects (sourced, after itest.sh): a TCP server on 127.0.0.1 that accepts
# connections and never answers, so a client that connects to it waits for its greeting until a timeout; and
# run_fast, which runs logtap and checks its exit code and that it came at once.

# Starts the server; sets $unreachable_port (and stops it when the test exits). Without node (tests/run.sh installs
# it), a closed port: a connection then fails at once, and only the exit code (2, not 1) tells.
unreachable_start() {
  unreachable_port=1
  command -v node >/dev/null 2>&1 || return 0
  local f
  f=$(mktemp)
  node -e 'const s = require("net").createServer(() => {}).listen(0, "127.0.0.1", () => console.log(s.address().port))' \
    >"$f" 2>/dev/null &
  unreachable_pid=$!
  trap 'kill "$unreachable_pid" 2>/dev/null || true' EXIT
  for _ in $(seq 1 100); do [ -s "$f" ] && break; sleep 0.05; done
  [ -s "$f" ] && unreachable_port=$(cat "$f")
  rm -f "$f"
}

# run_fast WANT_RC DESCRIPTION ARGS...: logtap ARGS exits WANT_RC within 5 s (30 s at most: then it waited on a
# connection). Sets $out and $rc as run_logtap does.
run_fast() {
  local want=$1 desc=$2 t0 ms
  shift 2
  t0=$(date +%s%N)
  set +e
  out=$(timeout -k 5 30 "$LOGTAP_BIN" "$@" 2>&1)
  rc=$?
  set -e
  ms=$((($(date +%s%N) - t0) / 1000000))
  if [ "$rc" == "$want" ] && [ "$ms" -lt 5000 ]; then
    ok "$desc: exit $rc in $ms ms"
  else
    fail "$desc: exit $rc in $ms ms (expected $want, at once): $out"
  fi
}
