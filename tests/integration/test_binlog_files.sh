#!/bin/bash
# Cross-checks logtap's binlog row decoding against MariaDB's own client: for every binary log in
# datasets/mysql-binlogs, `mariadb-binlog --base64-output=decode-rows -vv` (normalized to logtap's canonical text
# forms: quotes dropped, TIMESTAMP epochs as UTC "+00:00" text, the "(unsigned)" alternative dropped, zero dates as
# NULL, DOUBLE as shortest round-trip text) must equal tests/unit/test_binlog_dump --dump, row for row.
# Skips (77) when mariadb-binlog, the dump tool or the datasets are absent.
set -u
ds="${LOGTAP_SHARED:-${LOGTAP_SOURCE_DIR:-.}/../shared}/datasets/mysql-binlogs"
dump="$(dirname "${LOGTAP_BIN:-/nonexistent/logtap}")/tests/test_binlog_dump"
mb="$(command -v mariadb-binlog || command -v mysqlbinlog || true)"
if [ -z "$mb" ]; then echo "skip: mariadb-binlog is not installed"; exit 77; fi
if [ ! -x "$dump" ]; then echo "skip: $dump is not built"; exit 77; fi
if [ ! -d "$ds" ]; then echo "skip: $ds is absent"; exit 77; fi
tmp="${LOGTAP_TEST_TMP:-/tmp}/binlog_files.$$"
mkdir -p "$tmp"
trap 'rm -rf "$tmp"' EXIT

normalize() {
    # mariadb-binlog --print-table-metadata lists each table map's optional metadata as "# Columns(...)" lines;
    # where present, they drive the canonical form: UNSIGNED takes the unsigned alternative, latin1 text becomes
    # UTF-8, binary strings and geometry become \x hex, ENUM/SET numbers become their labels.
    perl -ne '
        use POSIX qw(strftime);
        use Encode qw(decode encode);
        our @meta;
        @meta = () if /\tTable_map: /;
        if (/^#(?: Columns\(|\s+)`((?:[^`]|``)*)` (\w+)(?:\((.*?)\))?(.*)$/) {
            my ($type, $args, $rest) = ($2, $3 // "", $4);
            my %c = (type => $type, uns => $rest =~ /UNSIGNED/ ? 1 : 0,
                     latin1 => $rest =~ /CHARSET latin1/ ? 1 : 0,
                     bin => $type =~ /BLOB|BINARY|GEOMETRY|POINT|LINESTRING|POLYGON|COLLECTION/ ? 1 : 0);
            if ($type eq "ENUM" || $type eq "SET") {
                $args =~ s/^\x27//; $args =~ s/\x27$//;
                $c{labels} = [split /\x27,\x27/, $args, -1];
            }
            push @meta, \%c;
            next;
        }
        if (/^# Primary Key\(/) { print; next }
        next unless /^### /;
        if (/^###   \@(\d+)=(.*) \/\* (\S+)[^*]* \*\/$/) {
            my ($n, $v, $t) = ($1, $2, $3);
            my $c = $meta[$n - 1];
            $v =~ s/\s+$//;                                  # FLOAT is padded
            if ($v ne "NULL") {
                if ($v =~ /^(-?\d+) \((\d+)\)$/) {           # signed value (unsigned alternative)
                    $v = ($c && $c->{uns}) ? $2 : $1;
                }
                $v = oct("0b$1") if $v =~ /^b\x27([01]+)\x27$/; # SET and BIT as bits
                $v = $1 if $v =~ /^\x27(.*)\x27$/s;          # quoted strings, DECIMAL, DATETIME
                if ($c && $c->{bin}) {
                    (my $raw = $v) =~ s/\\x([0-9a-f]{2})/chr(hex($1))/ge;
                    $v = "\\x" . unpack("H*", $raw);
                } elsif ($c && $c->{latin1}) {
                    $v = encode("UTF-8", decode("cp1252", $v));
                } elsif ($c && $c->{labels} && $c->{type} eq "ENUM") {
                    $v = $v == 0 ? "" : $c->{labels}[$v - 1];
                } elsif ($c && $c->{labels} && $c->{type} eq "SET") {
                    my @l = @{$c->{labels}};
                    $v = join(",", map { $l[$_] } grep { ($v >> $_) & 1 } 0 .. $#l);
                }
                if ($t =~ /^TIMESTAMP/) {
                    if ($v =~ /^(\d+)(\.\d+)?$/) {
                        $v = ($1 == 0 && !($2 && $2 =~ /[1-9]/)) ? "NULL"
                           : strftime("%Y-%m-%d %H:%M:%S", gmtime($1)) . ($2 // "") . "+00:00";
                    }
                } elsif ($t =~ /^(DATETIME|DATE)/) {
                    $v =~ s/^(\d{4}):(\d\d):(\d\d)$/$1-$2-$3/;     # mariadb-binlog prints DATE as YYYY:MM:DD
                    $v = "NULL" if $v =~ /^\d{4}-00-|^\d{4}-\d\d-00/;
                } elsif ($t =~ /^DOUBLE/) {
                    for my $p (1 .. 17) { my $s = sprintf("%.${p}g", $v); if ($s == $v) { $v = $s; last } }
                }
            }
            print "###   \@$n=$v\n";
        } else {
            print;
        }'
}

fail=0
check() { # name file [--dump|--dump-text]
    local name="$1" file="$2"
    "$mb" --print-table-metadata --base64-output=decode-rows -vv "$file" 2>/dev/null | normalize > "$tmp/$name.want"
    if ! "$dump" --dump "$file" > "$tmp/$name.got" 2> "$tmp/$name.err"; then
        echo "FAIL $name: $(cat "$tmp/$name.err")"; fail=1; return
    fi
    local rows; rows=$(grep -c '^### \(INSERT\|UPDATE\|DELETE\)' "$tmp/$name.got")
    if cmp -s "$tmp/$name.want" "$tmp/$name.got"; then
        echo "ok   $name ($rows rows)"
    else
        echo "FAIL $name: differs from mariadb-binlog"; diff "$tmp/$name.want" "$tmp/$name.got" | head -20; fail=1
    fi
}

for f in canal/mysql-bin.000001 canal/mysql-bin.000002 canal/tsdb/mysql-bin.000002 canal/tsdb/mysql-bin.000003 \
         go-mysql/tcb-eval002c-bin.003320 mysql-binlog-connector-java/mysql-bin.checksum-crc32 \
         mysql-binlog-connector-java/mysql-bin.checksum-none; do
    check "$(echo "$f" | tr / _)" "$ds/$f"
done
gunzip -c "$ds/mysql-binlog-connector-java/mysql-bin.sakila.gz" > "$tmp/sakila.bin"
check sakila "$tmp/sakila.bin"
for t in insert update delete transaction_multi_ops format_desc; do
    "$dump" --text-to-binlog "$ds/go-mysql-server-mariadb/binlog_$t.txt" "$tmp/mariadb_$t.bin" || fail=1
    check "mariadb_$t" "$tmp/mariadb_$t.bin"
done
# the column types the dataset lacks (TIME2/DATETIME2/TIMESTAMP2 with fractions, negative TIME, BIT, FLOAT,
# DECIMAL(65,30), zero dates), written behind a real MySQL 5.7 FORMAT_DESCRIPTION_EVENT
if "$dump" --write-synthetic "$ds/mysql-binlog-connector-java/mysql-bin.checksum-crc32" "$tmp/synthetic.bin"; then
    check synthetic "$tmp/synthetic.bin"
else
    echo "FAIL synthetic binlog not written"; fail=1
fi
# MariaDB compressed events (log_bin_compress=ON) behind a real MariaDB 10.11 FORMAT_DESCRIPTION_EVENT
if "$dump" --write-synthetic-mariadb "$ds/go-mysql-server-mariadb/binlog_format_desc.txt" "$tmp/compressed.bin"; then
    check mariadb_compressed "$tmp/compressed.bin"
else
    echo "FAIL compressed synthetic binlog not written"; fail=1
fi
# the corrupt file must be refused by both
if "$dump" --dump "$ds/canal/tsdb/mysql-bin.000001" > /dev/null 2>&1; then
    echo "FAIL canal/tsdb/mysql-bin.000001 (bad magic) was accepted"; fail=1
else
    echo "ok   canal/tsdb/mysql-bin.000001 refused"
fi
exit $fail
