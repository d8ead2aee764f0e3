# Helpers of bench/run.sh (sourced): timing a command (wall time, peak RSS, CPU time), min/median/max of a series,
# ratios taken pair by pair, and the pieces of RESULTS.md. Every series lives in "$tdir/<key>" (one value a line,
# in run order), so the i-th run of A and the i-th run of B, which ran back to back, form one ratio.

# measure KEY CMD...: runs CMD, appends its wall seconds to $tdir/KEY, peak RSS (kB) to KEY.rss, user+sys CPU
# seconds to KEY.cpu; the command line (first run only) goes to KEY.cmd, its output to KEY.log.
measure() {
  local key=$1 t0 t1 rss usr sys
  shift
  [ -f "$tdir/$key.cmd" ] || shell_words "$@" >"$tdir/$key.cmd"
  t0=$EPOCHREALTIME
  if ! /usr/bin/time -f '%M %U %S' -o "$tdir/.time" "$@" >"$tdir/$key.log" 2>&1; then
    echo "FAILED: $key: $*" >&2
    tail -20 "$tdir/$key.log" >&2
    return 1
  fi
  t1=$EPOCHREALTIME
  read -r rss usr sys <"$tdir/.time"
  awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f\n", b - a }' >>"$tdir/$key"
  echo "$rss" >>"$tdir/$key.rss"
  awk -v u="$usr" -v s="$sys" 'BEGIN { printf "%.2f\n", u + s }' >>"$tdir/$key.cpu"
  printf '  %-22s %8.3f s  %7d kB\n' "$key" "$(tail -1 "$tdir/$key")" "$rss"
}

# shell_words ARGS...: the arguments as one shell command line, single-quoting those that need it
shell_words() {
  local a sq="'\\''"
  for a in "$@"; do
    case "$a" in
      *[!A-Za-z0-9_./=:,@%+-]*)
        case "$a" in
          *\'*) case "$a" in *[\"\$\`\\]*) printf "'%s' " "${a//\'/$sq}" ;; *) printf '"%s" ' "$a" ;; esac ;;
          *) printf "'%s' " "$a" ;;
        esac ;;
      *) printf '%s ' "$a" ;;
    esac
  done
}

# stats FILE -> "min median max" of the numbers in FILE
stats() {
  sort -g "$1" | awk '{ v[NR] = $1 } END {
    if (NR == 0) { print "- - -"; exit }
    m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
    printf "%g %g %g\n", v[1], m, v[NR] }'
}
median() { stats "$1" | awk '{ print $2 }'; }

# ratio_series A B OUT: OUT gets A_i / B_i for each pair i (A and B may also be expressions of several series:
# pass a file already summed with sum_series).
ratio_series() { paste "$1" "$2" | awk '{ printf "%.4f\n", $1 / $2 }' >"$3"; }
sum_series() { paste "$1" "$2" | awk '{ printf "%.4f\n", $1 + $2 }' >"$3"; }
# rate_series SECONDS_FILE ROWS OUT: rows per second of each run
rate_series() { awk -v n="$2" '{ printf "%.0f\n", n / $1 }' "$1" >"$3"; }

fmt3() { awk -v a="$1" -v b="$2" -v c="$3" -v d="${4:-3}" 'BEGIN { printf "%.*f / %.*f / %.*f", d, a, d, b, d, c }'; }

# row KEY "label" : a markdown table row "| label | min / median / max s | peak RSS | CPU |"
time_row() {
  local key=$1 label=$2
  # shellcheck disable=SC2046
  printf '| %s | %s | %s | %s |\n' "$label" "$(fmt3 $(stats "$tdir/$key"))" \
    "$(awk '$1 > m { m = $1 } END { printf "%.1f MB", m / 1024 }' "$tdir/$key.rss")" \
    "$(median "$tdir/$key.cpu") s"
}

# verdict VALUE OP TARGET -> "met" / "**missed**"
verdict() {
  if awk -v v="$1" -v t="$3" -v op="$2" 'BEGIN { exit !((op == "le" && v <= t) || (op == "ge" && v >= t)) }'; then
    echo "met"
  else
    echo "**missed**"
  fi
}

# ratio_row FILE "label" OP TARGET: "| label | min / median / max | target | verdict on the median |"
ratio_row() {
  local f=$1 label=$2 op=$3 target=$4 med sym
  med=$(median "$f")
  [ "$op" = le ] && sym="≤" || sym="≥"
  # shellcheck disable=SC2046
  printf '| %s | %s | %s %s | %s |\n' "$label" "$(fmt3 $(stats "$f") 2)" "$sym" "$target" "$(verdict "$med" "$op" "$target")"
}

# The command line of KEY as run, with the work dir shown as $W and the binary as build/bench/logtap.
cmd_of() {
  sed -e "s|$work|\$W|g" -e "s|$logtap|build/bench/logtap|g" -e "s|$logtap_root/||g" "$tdir/$1.cmd"
}

# Machine description for RESULTS.md.
machine_info() {
  local cpu
  cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
  echo "- CPU: ${cpu:-unknown} ($(nproc) cores available to this run)"
  echo "- RAM: $(awk '/^MemTotal/ { printf "%.1f GB", $2 / 1048576 }' /proc/meminfo)"
  echo "- kernel: $(uname -sr); $(. /etc/os-release 2>/dev/null && echo "$PRETTY_NAME")"
  echo "- disk: $(df -h "$work" | awk 'NR == 2 { print $1 " (" $2 ")" }'), where both sides write their files"
  echo "- PostgreSQL $(pg_as_owner "$(pg_bin_dir)/postgres" --version | awk '{ print $3 }'), MariaDB $(mariadbd --version 2>/dev/null | awk '{ print $3 }'), DuckDB $(node -e "console.log(require('$logtap_root/tests/tools/node_modules/@duckdb/node-api/package.json').version)" 2>/dev/null), mydumper ${mydumper_version:-not installed}, compiler $(cc --version | head -1)"
}
