#!/usr/bin/env bash
# Download benchmark: a few hundred random files (hundreds of MB in all) served by
# nginx on loopback, fetched by pixi-install's fetcher (fetch_all: 16 parallel
# transfers, sha256 of every byte, atomic store), by aria2c -j16 (once verifying the
# same sha256s, once without) and by one sequential curl process, in the same run.
# Two rounds; the best of each is reported. Prints
#   name: ours X, peer Y, ratio Z        (throughput in MB/s; ratio = ours / peer)
#
# usage: bench/fetch.sh [BUILD_DIR]   (default: the dir of $PIXI_INSTALL_BIN, else build)
# env:   FETCH_BENCH_FILES (default 300), FETCH_BENCH_MAX_KB (largest file, default 3000),
#        BENCH_TMP (scratch dir parent)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
if [[ $# -ge 1 ]]; then build=$1
elif [[ -n "${PIXI_INSTALL_BIN:-}" ]]; then build=$(dirname "$PIXI_INSTALL_BIN")
else build=build; fi
[[ "$build" = /* ]] || build="$root/$build"
nfiles=${FETCH_BENCH_FILES:-300}
max_kb=${FETCH_BENCH_MAX_KB:-3000}

for tool in nginx aria2c curl python3; do
    command -v "$tool" >/dev/null || [[ -x /usr/sbin/$tool ]] || { echo "fetch bench: $tool not found" >&2; exit 2; }
done
nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)

work=$(mktemp -d "${BENCH_TMP:-${TMPDIR:-/tmp}}/pixi-install-fetch-bench.XXXXXX")
chmod 755 "$work"
nginx_pid=
cleanup() {
    [[ -n "$nginx_pid" ]] && kill "$nginx_pid" 2>/dev/null && wait "$nginx_pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

bench_exe="$build/test/fetch/fetch_bench"
if [[ ! -x "$bench_exe" ]]; then
    bench_exe="$work/fetch_bench"
    ${CXX:-g++} -std=c++20 -O2 -I"$root/include" "$here/fetch_bench.cpp" -o "$bench_exe" \
        "$build/src/fetch/libpi_fetch.a" "$build/src/base/libpi_base.a" \
        $(pkg-config --libs libcurl libcrypto libxxhash) -lpthread
fi

# Files: sizes spread from 10 KB to max_kb (deterministic), random content.
mkdir -p "$work/www"
python3 - "$work/www" "$nfiles" "$max_kb" <<'PY'
import hashlib, os, random, sys
out, n, max_kb = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = random.Random(42)
with open(os.path.join(out, "..", "index.tsv"), "w") as idx:
    for i in range(n):
        size = int(10_000 + (max_kb * 1000 - 10_000) * rng.random() ** 1.5)
        data = os.urandom(size)
        name = "pkg-%04d-1.0-h%08x_0.conda" % (i, rng.getrandbits(32))
        open(os.path.join(out, name), "wb").write(data)
        idx.write("%s\t%s\t%d\n" % (name, hashlib.sha256(data).hexdigest(), size))
PY

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
user_line=""
[[ $(id -u) -eq 0 ]] && user_line="user $(id -un);"
mkdir -p "$work/nginx"
cat > "$work/nginx/nginx.conf" <<CONF
$user_line
daemon off;
worker_processes 2;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log;
events { worker_connections 1024; }
http {
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 100000;
    client_body_temp_path $work/nginx/body;
    proxy_temp_path $work/nginx/proxy;
    fastcgi_temp_path $work/nginx/fastcgi;
    uwsgi_temp_path $work/nginx/uwsgi;
    scgi_temp_path $work/nginx/scgi;
    types { }
    default_type application/octet-stream;
    server {
        listen 127.0.0.1:$port;
        root $work/www;
    }
}
CONF
"$nginx_bin" -p "$work/nginx" -c "$work/nginx/nginx.conf" &
nginx_pid=$!
for _ in $(seq 50); do
    curl -sf -o /dev/null "http://127.0.0.1:$port/$(head -1 "$work/index.tsv" | cut -f1)" && break
    sleep 0.1
done

base="http://127.0.0.1:$port"
: > "$work/ours.list"; : > "$work/aria.list"; : > "$work/curl.cfg"
total=0
while IFS=$'\t' read -r name sha size; do
    printf '%s/%s\t%s\t%s\n' "$base" "$name" "$sha" "$size" >> "$work/ours.list"
    printf '%s/%s\n  out=%s\n  checksum=sha-256=%s\n' "$base" "$name" "$name" "$sha" >> "$work/aria.list"
    printf 'url = "%s/%s"\noutput = "%s/curl/%s"\n' "$base" "$name" "$work" "$name" >> "$work/curl.cfg"
    total=$((total + size))
done < "$work/index.tsv"
mb=$(awk -v b="$total" 'BEGIN { printf "%.0f", b / 1e6 }')
echo "fetch bench: $nfiles files, $mb MB, nginx on 127.0.0.1:$port ($(nproc) cpus)"

now() { date +%s.%N; }
mbps() { awk -v b="$total" -v s="$1" 'BEGIN { printf "%.0f", b / 1e6 / s }'; }
ratio() { awk -v o="$1" -v p="$2" 'BEGIN { printf "%.2f", o / p }'; }

# Warm the page cache on the server side so every tool reads the same way.
cat "$work"/www/* > /dev/null

best_ours=0; best_aria=0; best_curl=0; best_aria_nock=0
for round in 1 2; do
    rm -rf "$work/cache" "$work/aria" "$work/curl"; mkdir -p "$work/aria" "$work/curl"
    t0=$(now); "$bench_exe" "$work/cache" "$work/ours.list" 16 > "$work/ours.out"; t1=$(now)
    ours=$(mbps "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')")
    t0=$(now)
    aria2c -q -j16 -x1 --file-allocation=none --allow-overwrite=true --auto-file-renaming=false \
        -d "$work/aria" -i "$work/aria.list"
    t1=$(now)
    aria=$(mbps "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')")
    rm -rf "$work/aria"; mkdir -p "$work/aria"
    t0=$(now)
    grep -v checksum= "$work/aria.list" | aria2c -q -j16 -x1 --file-allocation=none --allow-overwrite=true \
        --auto-file-renaming=false -d "$work/aria" -i -
    t1=$(now)
    aria_nock=$(mbps "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')")
    t0=$(now); curl -sSf --config "$work/curl.cfg"; t1=$(now)
    seq_curl=$(mbps "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')")
    echo "round $round: ours $ours MB/s ($(cat "$work/ours.out")), aria2c -j16 $aria MB/s (without checksums $aria_nock MB/s), curl sequential $seq_curl MB/s"
    (( ours > best_ours )) && best_ours=$ours
    (( aria > best_aria )) && best_aria=$aria
    (( seq_curl > best_curl )) && best_curl=$seq_curl
    (( aria_nock > best_aria_nock )) && best_aria_nock=$aria_nock
done
# Our store holds every file, verified.
stored=$(find "$work/cache/artifacts/sha256" -type f | wc -l)
[[ "$stored" -eq "$nfiles" ]] || { echo "fetch bench: only $stored of $nfiles files stored" >&2; exit 1; }

echo "fetch_vs_aria2c_MBps: ours $best_ours, peer $best_aria, ratio $(ratio "$best_ours" "$best_aria")"
echo "fetch_vs_aria2c_nocheck_MBps: ours $best_ours, peer $best_aria_nock, ratio $(ratio "$best_ours" "$best_aria_nock")"
echo "fetch_vs_curl_seq_MBps: ours $best_ours, peer $best_curl, ratio $(ratio "$best_ours" "$best_curl")"
