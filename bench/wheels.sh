#!/usr/bin/env bash
# Wheel-install benchmark: ~50 wheels (generated pure-python wheels of varying
# sizes plus the pure and x86_64 wheels of the real-wheel corpus) installed into
# fresh prefixes by pixi-install's install_wheel, by pypa/installer and by pip,
# in the same run on the same files. Peers: wheels-installer-cli = `python3 -m
# installer` once per wheel (as users run it); wheels-installer-lib = pypa/installer's
# library in one process; wheels-pip = `pip install --no-deps --no-index --no-compile`
# with all wheels at once. Prints one line per peer:
#   metric: ours X, peer Y, ratio Z      (ratio = peer / ours; higher is better)
# wall-clock seconds, and `-cpu` metrics with user+sys CPU seconds (steadier on a busy machine).
# Ours runs one wheel after the other (the plain and -cpu lines); with more than one
# CPU it runs again on BENCH_JOBS workers (default: the CPU count), as the install
# pipeline does, for the `-parallel` lines (wall clock; the peers run as above).
#
# Every contender runs BENCH_ROUNDS times (default 3), in turn; each one's fastest
# round is reported.
#
# usage: bench/wheels.sh [BUILD_DIR]     (default: the directory of $PIXI_INSTALL_BIN, else build)
# env:   BENCH_ROUNDS rounds (default 3); BENCH_JOBS workers for the -parallel lines
#        BENCH_TMP   where prefixes are written (default: a fresh dir under $TMPDIR or /tmp);
#                    the file system matters a lot, e.g. tmpfs vs ext4
#        PYTHON      the interpreter running the peers (default /usr/bin/python3)
# Needs: python3 with pip, and pypa/installer (Debian: apt-get install python3-installer);
# a missing peer is reported and skipped.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
build=${1:-$(dirname "${PIXI_INSTALL_BIN:-$root/build/pixi-install}")}
[[ "$build" = /* ]] || build="$root/$build"
python=${PYTHON:-/usr/bin/python3}
shared=${PIXI_INSTALL_SHARED:-$root/../shared}

work=$(mktemp -d "${BENCH_TMP:-${TMPDIR:-/tmp}}/pixi-install-wheels-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT

# Our side alone: bench/wheels_bench from the build dir (built by meson), else
# linked here from the build dir's module libraries.
bench_exe="$build/bench/wheels_bench"
if [[ ! -x "$bench_exe" ]]; then
    bench_exe="$work/wheels_bench"
    libs=()
    for m in prefix cache archive spec base; do libs+=("$build/src/$m/libpi_$m.a"); done
    ${CXX:-g++} -std=c++20 -O2 -I"$root/include" "$here/wheels_bench.cpp" -o "$bench_exe" "${libs[@]}" \
        $(pkg-config --libs libarchive libzstd zlib libdeflate libcrypto libxxhash) -lpthread
fi

mkdir -p "$work/wheels"
"$python" "$here/wheels_gen/generate.py" "$work/wheels" 38
corpus=(my_webserver-0.1.0-py3-none-any.whl mypy-0.782-py3-none-any.whl pip-23.0.1-py3-none-any.whl
        sample-1.2.0-py2.py3-none-any.whl setuptools-66.1.1-py3-none-any.whl
        simple_namespace-1.0-py2.py3-none-any.whl test_unicode-1.0-py2.py3-none-any.whl
        script.wheel2a-0.1-py2.py3-none-any.whl console_scripts_uppercase-1.0-py2.py3-none-any.whl
        miniblack-23.1.0-py3-none-any.whl abi3_package-1.0.0-cp37-abi3-manylinux_2_17_x86_64.whl
        uv_build-0.8.2-py3-none-manylinux_2_17_x86_64.manylinux2014_x86_64.whl)
for w in "${corpus[@]}"; do
    [[ -f "$shared/corpus/wheels/$w" ]] && cp "$shared/corpus/wheels/$w" "$work/wheels/"
done
wheels=("$work"/wheels/*.whl)
pyver=$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')

ratio() { awk -v o="$1" -v p="$2" 'BEGIN { printf "%.1f", p / o }'; }
count_files() { find "$1" -type f | wc -l; }
# measure VAR CMD...: runs CMD, sets VAR_wall and VAR_cpu (user+sys, children included) in seconds.
measure() {
    local var=$1; shift
    local t0 c0 t1 c1
    # Not timed: flush what the previous step wrote, so no contender pays for another's writeback.
    sync -f "$work" 2>/dev/null || sync
    times > "$work/.times"
    c0=$(cpu_seconds "$work/.times")
    t0=$(date +%s.%N)
    "$@"
    t1=$(date +%s.%N)
    times > "$work/.times"
    c1=$(cpu_seconds "$work/.times")
    printf -v "${var}_wall" '%s' "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')"
    printf -v "${var}_cpu" '%s' "$(awk -v a="$c0" -v b="$c1" 'BEGIN { printf "%.3f", b - a }')"
}
# CPU seconds of this shell's finished children, from the output of `times`
# (its second line: children's user and sys time as 0m1.234s).
cpu_seconds() {
    awk 'NR == 2 { s = 0
        for (i = 1; i <= NF; i++) { split($i, p, /m/); sub(/s/, "", p[2]); s += p[1] * 60 + p[2] }
        printf "%.3f", s }' "$1"
}

# Warm the page cache so every contender reads the wheels from memory.
cat "${wheels[@]}" > /dev/null

# keep VAR: VAR_best_{wall,cpu} become VAR_{wall,cpu} when this round was faster.
keep() {
    local w="${1}_wall" c="${1}_cpu" bw="${1}_best_wall"
    if [[ -z "${!bw:-}" ]] || awk -v a="${!w}" -v b="${!bw}" 'BEGIN { exit !(a < b) }'; then
        printf -v "${1}_best_wall" '%s' "${!w}"
        printf -v "${1}_best_cpu" '%s' "${!c}"
    fi
}
installer_cli() {  # DEST
    for w in "${wheels[@]}"; do
        "$python" -m installer --no-compile-bytecode --destdir "$1" "$w"
    done
}
installer_api() {  # DEST: pypa/installer's library in one process, same layout as ours
    "$python" - "$1" "$pyver" "${wheels[@]}" <<'PY'
import os, sys
from installer import install
from installer.destinations import SchemeDictionaryDestination
from installer.sources import WheelFile
root, ver, wheels = sys.argv[1], sys.argv[2], sys.argv[3:]
site = os.path.join(root, "lib", "python" + ver, "site-packages")
for w in wheels:
    with WheelFile.open(w) as src:
        scheme = {"purelib": site, "platlib": site, "scripts": os.path.join(root, "bin"),
                  "headers": os.path.join(root, "include", "python" + ver, src.distribution), "data": root}
        dest = SchemeDictionaryDestination(scheme, interpreter=os.path.join(root, "bin", "python" + ver),
                                           script_kind="posix")
        install(src, dest, additional_metadata={"INSTALLER": b"installer"})
PY
}
pip_install() {  # DEST
    "$python" -m pip install -q --no-deps --no-index --no-compile --disable-pip-version-check \
        --break-system-packages --root-user-action=ignore --ignore-requires-python --prefix "$1" "${wheels[@]}"
}

have_installer=0; "$python" -c 'import installer' 2>/dev/null && have_installer=1
have_pip=0; "$python" -m pip --version > /dev/null 2>&1 && have_pip=1
jobs=${BENCH_JOBS:-$(nproc 2>/dev/null || echo 1)}
rounds=${BENCH_ROUNDS:-3}
# The contenders, each a function of the round number.
run_ours() { measure ours "$bench_exe" "$work/ours-$1" "$pyver" "${wheels[@]}" > /dev/null; keep ours; }
run_par() { measure par "$bench_exe" -j "$jobs" "$work/ours-par-$1" "$pyver" "${wheels[@]}" > /dev/null; keep par; }
run_cli() { measure cli installer_cli "$work/installer-cli-$1"; keep cli; }
run_api() { measure api installer_api "$work/installer-api-$1"; keep api; }
run_pip() { measure pip pip_install "$work/pip-$1"; keep pip; }
contenders=(run_ours)
(( jobs > 1 )) && contenders+=(run_par)
(( have_installer )) && contenders+=(run_cli run_api)
(( have_pip )) && contenders+=(run_pip)
# Every contender runs once per round into a fresh directory, and each round starts
# with the next contender, so none always runs first or last. Nothing is deleted
# until the end: on ext4 without a journal, creating files within 30 s of deleting
# many is several times slower (the inode allocator skips recently freed inodes), a
# tax on whoever runs next. Run benchmarks a minute apart for the same reason.
# Each contender's best round counts.
for ((round = 1; round <= rounds; round++)); do
    n=${#contenders[@]}
    for ((k = 0; k < n; k++)); do
        "${contenders[$(( (k + round - 1) % n ))]}" "$round"
    done
done
if (( jobs > 1 )); then
    for ((round = 1; round <= rounds; round++)); do
        [[ $(count_files "$work/ours-par-$round") == $(count_files "$work/ours-1") ]] || { echo "parallel install differs" >&2; exit 1; }
    done
fi
echo "${#wheels[@]} wheels, $(count_files "$work/ours-1") files installed by ours (python $pyver, $work), best of $rounds rounds"

peer() {  # name var: wall clock and CPU time (user+sys) lines
    local w c
    w="${2}_best_wall"; c="${2}_best_cpu"
    echo "$1: ours ${ours_best_wall}s, peer ${!w}s, ratio $(ratio "$ours_best_wall" "${!w}")"
    echo "$1-cpu: ours ${ours_best_cpu}s, peer ${!c}s, ratio $(ratio "$ours_best_cpu" "${!c}")"
    if (( jobs > 1 )); then
        echo "$1-parallel: ours ${par_best_wall}s (-j $jobs), peer ${!w}s, ratio $(ratio "$par_best_wall" "${!w}")"
    fi
}
if (( have_installer )); then
    peer wheels-installer-cli cli  # the command line, one process per wheel, as users run it
    peer wheels-installer-lib api  # its library in one process (no interpreter start per wheel)
else
    echo "wheels-installer: skipped (pypa/installer missing; Debian: apt-get install python3-installer)"
fi
if (( have_pip )); then
    peer wheels-pip pip
else
    echo "wheels-pip: skipped (pip missing)"
fi
