#!/bin/bash
# record.sh - record the extra syscall mixes in bench/weights/ with
# `strace -f -c` (same "name count" format as ../shared/bench/weights).
#
#   bash bench/weights/record.sh
#
# rustc_hello:     rustc -O on a 3-line program (threads: futex-heavy mix)
# sh_pipeline:     ls -lR /usr/include/linux | sort | sha256sum (fork, pipes)
set -euo pipefail
OUT=$(cd "$(dirname "$0")" && pwd)
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

summ() {  # strace -c summary -> "name count"
    awk 'BEGIN{body=0}
         /^------/ {body++; next}
         body==1 && NF>=5 { name=$NF; calls=$4; if (name!="total") print name, calls }' "$1" |
        sort -k2,2nr -k1,1
}

trace() {  # trace NAME -- command...
    local name=$1; shift; shift
    strace -f -c -o "$TMP/$name.strace" "$@" >/dev/null 2>&1 || true
    { echo "# strace -f -c of: $* (kernel $(uname -r)); lines: name calls"
      summ "$TMP/$name.strace"; } > "$OUT/$name.txt"
    printf '%-14s %6d calls %4d distinct\n' "$name" \
        "$(awk '!/^#/{s+=$2} END{print s}' "$OUT/$name.txt")" "$(grep -vc '^#' "$OUT/$name.txt")"
}

printf 'fn main() {\n    println!("hello");\n}\n' > "$TMP/hello.rs"
RUSTC=$(rustup which rustc 2>/dev/null || command -v rustc)
trace rustc_hello -- "$RUSTC" -O --out-dir "$TMP" "$TMP/hello.rs"
trace sh_pipeline -- sh -c 'ls -lR /usr/include/linux | sort | sha256sum'
