#!/usr/bin/env bash
# The install test: installs a built cbench into a temporary prefix and
# checks that a program can be built against it the ways users build one:
#
#   - CMake, find_package(cbench), linking cbench::cbench and cbench::cbench_static;
#   - by hand with pkg-config, shared and static (libcbench.a);
#   - <cbench.h> and each public header compile on their own as C and C++.
#
# Each consumer profiles some CPU work to a file and checks it is gzip.
#
#   tests/install/test_install.sh SOURCE_DIR BUILD_DIR
#
# BUILD_DIR must already be built. Stops at the first failing step, with its
# name and output; ends with "install test: N passed, 0 failed".
set -euo pipefail

if (($# != 2)); then
    echo "usage: $0 SOURCE_DIR BUILD_DIR" >&2
    exit 2
fi
for dir in "$1" "$2"; do
    [[ -d "$dir" ]] || {
        echo "install test: FAILED at step 'setup': no directory $dir" >&2
        exit 1
    }
done
source_dir=$(cd "$1" && pwd -P)
build_dir=$(cd "$2" && pwd -P)
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
consumer_src=$here/consumer

work=$(mktemp -d "${TMPDIR:-/tmp}/cbench-install-test.XXXXXX")
keep_work=${CBENCH_KEEP_INSTALL_TEST:-}
cleanup() {
    if [[ -n "$keep_work" ]]; then
        echo "install test: work files kept in $work"
    else
        rm -rf "$work"
    fi
}
trap cleanup EXIT

prefix=$work/prefix
passed=0
current_step="setup"

fail() {
    echo "install test: FAILED at step '$current_step': $*" >&2
    echo "install test: $passed passed, 1 failed" >&2
    exit 1
}
trap 'fail "unexpected error (line $LINENO)"' ERR

# step NAME COMMAND...: runs COMMAND (a function or a program) with errexit
# on in a subshell, its output to a log that is shown if it fails.
step() {
    current_step=$1
    shift
    local log
    log=$work/step-$((passed + 1)).log
    local rc=0
    set +e
    trap - ERR
    (
        set -e
        "$@"
    ) >"$log" 2>&1
    rc=$?
    trap 'fail "unexpected error (line $LINENO)"' ERR
    set -e
    if ((rc != 0)); then
        echo "---- output of step '$current_step' (exit $rc) ----" >&2
        tail -n 200 "$log" >&2
        echo "---- end of output ----" >&2
        fail "exit status $rc"
    fi
    passed=$((passed + 1))
    echo "ok $passed - $current_step"
}

# die MESSAGE: fails the current step with an explicit message.
die() {
    echo "error: $*" >&2
    exit 1
}

cache_value() { # NAME: a value from the build's CMakeCache.txt
    sed -n "s/^$1:[A-Z]*=//p" "$build_dir/CMakeCache.txt" | head -n 1
}

[[ -f "$build_dir/CMakeCache.txt" ]] ||
    fail "$build_dir is not a CMake build folder (no CMakeCache.txt)"
[[ -f "$consumer_src/consumer.c" && -f "$consumer_src/CMakeLists.txt" ]] ||
    fail "consumer project missing in $consumer_src"

libdir_rel=$(cache_value CMAKE_INSTALL_LIBDIR)
includedir_rel=$(cache_value CMAKE_INSTALL_INCLUDEDIR)
libdir_rel=${libdir_rel:-lib}
includedir_rel=${includedir_rel:-include}
[[ "$libdir_rel" != /* && "$includedir_rel" != /* ]] ||
    fail "absolute CMAKE_INSTALL_LIBDIR/INCLUDEDIR cannot be installed under a test prefix"
libdir=$prefix/$libdir_rel
includedir=$prefix/$includedir_rel
pcdir=$libdir/pkgconfig

cc=${CC:-cc}
cxx=${CXX:-c++}

# Everything pkg-config and CMake look up comes from the prefix or the system,
# never from an environment that happens to point elsewhere.
unset PKG_CONFIG_LIBDIR PKG_CONFIG_SYSROOT_DIR CMAKE_PREFIX_PATH cbench_DIR || true
export PKG_CONFIG_PATH=$pcdir

# ---------------------------------------------------------------- install

do_install() {
    [[ -f "$build_dir/cmake_install.cmake" ]] || die "no cmake_install.cmake in $build_dir"
    cmake --install "$build_dir" --prefix "$prefix"
}
step "cmake --install $build_dir --prefix <tmp>" do_install

check_files() {
    local f
    for f in "$includedir/cbench.h" \
        "$libdir/libcbench.a" "$libdir/libcbench.so" \
        "$pcdir/cbench.pc" \
        "$libdir/cmake/cbench/cbenchConfig.cmake" \
        "$libdir/cmake/cbench/cbenchConfigVersion.cmake" \
        "$libdir/cmake/cbench/cbenchTargets.cmake"; do
        [[ -e "$f" ]] || die "not installed: ${f#"$prefix"/}"
    done
    # Every header that cbench.h includes is installed next to it.
    local h
    while read -r h; do
        [[ -f "$includedir/$h" ]] || die "cbench.h includes \"$h\", which is not installed"
    done < <(sed -n 's/^#include "\(.*\)"/\1/p' "$includedir/cbench.h")
    # The shared library has a SONAME, and the symlink for it exists.
    local soname
    soname=$(readelf -d "$libdir/libcbench.so" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
    [[ -n "$soname" ]] || die "libcbench.so has no SONAME"
    [[ -e "$libdir/$soname" ]] || die "SONAME $soname is not installed"
    echo "SONAME $soname"
    # The public API is exported from the shared library, internals are not.
    local dyn
    dyn=$(nm -D --defined-only "$libdir/libcbench.so")
    grep -qw cbench_start_cpu_profile_path <<<"$dyn" ||
        die "libcbench.so does not export cbench_start_cpu_profile_path"
    if grep -w ' T cb_[a-z_]*' <<<"$dyn"; then
        die "libcbench.so exports internal cb_ symbols (above)"
    fi
}
step "installed files" check_files

check_relocatable() {
    # Installed metadata must not point back into the build or source tree.
    local bad=0 f
    for f in "$pcdir/cbench.pc" "$libdir"/cmake/cbench/*.cmake; do
        if grep -nF -e "$build_dir" -e "$source_dir" "$f"; then
            echo "  ^ in ${f#"$prefix"/}"
            bad=1
        fi
    done
    ((bad == 0)) || die "installed package refers to the build or source tree"
}
if [[ "$prefix" == "$build_dir"/* || "$prefix" == "$source_dir"/* ]]; then
    echo "skip - no build-tree paths in installed files (temp dir is inside the tree)"
else
    step "no build or source tree paths in installed files" check_relocatable
fi

# ---------------------------------------------------------------- pkg-config

same_dir() { # A B: same directory, whatever ../ or symlinks are in them
    [[ -d "$1" && -d "$2" && "$(cd "$1" && pwd -P)" == "$(cd "$2" && pwd -P)" ]]
}

check_pkgconfig() {
    pkg-config --exists --print-errors cbench || die "pkg-config does not find cbench"
    if pkg-config --help 2>&1 | grep -q -- --validate; then
        pkg-config --validate cbench || die "pkg-config --validate cbench failed"
    fi
    local version want
    version=$(pkg-config --modversion cbench)
    want=$(sed -n 's/^set(PACKAGE_VERSION "\(.*\)")/\1/p' \
        "$libdir/cmake/cbench/cbenchConfigVersion.cmake")
    echo "cbench.pc version $version, CMake package version $want"
    [[ "$version" == "$want" ]] || die "cbench.pc version $version != CMake package version $want"
    # Requires: cmocka resolves, and its flags come along.
    pkg-config --print-requires cbench | grep -qw cmocka ||
        die "cbench.pc does not require cmocka"
    pkg-config --exists --print-errors cmocka || die "cmocka.pc (Requires: cmocka) not found"
    local libs cflags static_libs
    libs=$(pkg-config --libs cbench)
    cflags=$(pkg-config --cflags cbench)
    static_libs=$(pkg-config --static --libs cbench)
    echo "cflags: $cflags"
    echo "libs: $libs"
    echo "static libs: $static_libs"
    local word
    for word in -lcbench $(pkg-config --libs-only-l cmocka); do
        grep -qw -- "$word" <<<"$libs" || die "pkg-config --libs cbench lacks $word"
    done
    for word in -lprotobuf-c -lz -lunwind -ldw -lm; do
        grep -qw -- "$word" <<<"$static_libs" ||
            die "pkg-config --static --libs cbench lacks $word"
    done
    # The paths it gives are those of this prefix (cbench.pc must follow
    # `cmake --install --prefix`, not the prefix configured at build time).
    local pc_libdir pc_includedir
    pc_libdir=$(pkg-config --variable=libdir cbench)
    pc_includedir=$(pkg-config --variable=includedir cbench)
    same_dir "$pc_libdir" "$libdir" ||
        die "cbench.pc libdir is '$pc_libdir', not the install prefix's $libdir"
    same_dir "$pc_includedir" "$includedir" ||
        die "cbench.pc includedir is '$pc_includedir', not the install prefix's $includedir"
    local found=0 flag
    for flag in $(pkg-config --cflags-only-I cbench); do
        if same_dir "${flag#-I}" "$includedir"; then found=1; fi
    done
    ((found)) || die "pkg-config --cflags cbench has no -I for $includedir"
    found=0
    for flag in $(pkg-config --libs-only-L cbench); do
        if same_dir "${flag#-L}" "$libdir"; then found=1; fi
    done
    ((found)) || die "pkg-config --libs cbench has no -L for $libdir"
}
step "pkg-config cbench (Requires: cmocka, paths in the prefix)" check_pkgconfig

# ---------------------------------------------------------------- headers

compile_header() { # COMPILER LANG STD HEADER
    local compiler=$1 lang=$2 std=$3 header=$4
    printf '#include <%s>\n' "$header" |
        "$compiler" -x "$lang" -std="$std" -fsyntax-only -Wall -Wextra -Wpedantic -Werror \
            -I"$includedir" -
}

check_headers() { # C-COMPILER C++-COMPILER
    local headers=(cbench.h) h
    while read -r h; do
        headers+=("${h#"$includedir"/}")
    done < <(find "$includedir/cbench" -name '*.h' | sort)
    for h in "${headers[@]}"; do
        echo "<$h>"
        compile_header "$1" c c99 "$h" || die "<$h> does not compile as C99 with $1"
        compile_header "$1" c c11 "$h" || die "<$h> does not compile as C11 with $1"
        compile_header "$2" c++ c++11 "$h" || die "<$h> does not compile as C++11 with $2"
        compile_header "$2" c++ c++17 "$h" || die "<$h> does not compile as C++17 with $2"
    done
    # Twice in one unit (include guards).
    printf '%s\n' '#include <cbench.h>' '#include <cbench.h>' \
        'int main() { int (*stop)(void) = cbench_stop_cpu_profile; return stop != 0; }' |
        "$2" -x c++ -fsyntax-only -Wall -Wextra -Werror -I"$includedir" - ||
        die "<cbench.h> twice in C++ fails"
}
step "public headers compile alone as C and C++ ($cc, $cxx)" check_headers "$cc" "$cxx"
if command -v clang >/dev/null && command -v clang++ >/dev/null; then
    step "public headers compile alone as C and C++ (clang, clang++)" check_headers clang clang++
fi

# ---------------------------------------------------------------- consumers

needs_libcbench_so() { # BINARY: prints its NEEDED libcbench entries
    readelf -d "$1" | grep '(NEEDED)' | grep -o 'libcbench[^]]*' || true
}

run_consumer() { # BINARY NAME [env assignments...]: runs it, checks the profile
    local bin=$1 name=$2
    shift 2
    local profile=$work/$name.pb.gz
    env "$@" "$bin" "$profile" || die "$bin exited with status $?"
    [[ -s "$profile" ]] || die "no profile at $profile"
    local magic
    magic=$(od -An -tx1 -N2 "$profile" | tr -d ' \n')
    [[ "$magic" == 1f8b ]] || die "$profile is not gzip (starts with $magic)"
    if command -v go >/dev/null; then
        # The profile is what pprof reads (symbolized in-process: no binary).
        HOME=${HOME:-$work} go tool pprof -top "$profile" >"$work/$name.top" 2>&1 || {
            cat "$work/$name.top"
            die "go tool pprof cannot read $profile"
        }
        head -n 12 "$work/$name.top"
    fi
}

cmake_consumer() { # VARIANT(shared|static) BUILD_TYPE
    local variant=$1 build_type=$2
    local bdir=$work/cmake-$variant static=OFF
    [[ "$variant" == static ]] && static=ON
    cmake -S "$consumer_src" -B "$bdir" -DCMAKE_PREFIX_PATH="$prefix" \
        -DCMAKE_BUILD_TYPE="$build_type" -DCBENCH_STATIC=$static \
        -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF -DCMAKE_FIND_PACKAGE_NO_SYSTEM_PACKAGE_REGISTRY=ON ||
        die "configuring the consumer failed"
    local found_dir
    found_dir=$(sed -n 's/^cbench_DIR:PATH=//p' "$bdir/CMakeCache.txt")
    same_dir "$found_dir" "$libdir/cmake/cbench" ||
        die "find_package(cbench) found '$found_dir', not the test prefix"
    cmake --build "$bdir" --verbose || die "building the consumer failed"
    ctest --test-dir "$bdir" --output-on-failure || die "ctest on the cbench_add_test() binary failed"
    readelf -n "$bdir/consumer_tests" | grep -q cbench ||
        die "the cbench_add_test() binary lacks the cbench marker note"
    local needed
    needed=$(needs_libcbench_so "$bdir/consumer")
    if [[ "$variant" == shared ]]; then
        [[ -n "$needed" ]] || die "cbench::cbench consumer does not link libcbench.so"
        # CMake gives the build tree an RPATH to the prefix: runs as is.
        run_consumer "$bdir/consumer" "cmake-$variant"
    else
        [[ -z "$needed" ]] || die "cbench::cbench_static consumer needs $needed"
        run_consumer "$bdir/consumer" "cmake-$variant"
    fi
}
step "CMake consumer, find_package(cbench), cbench::cbench" cmake_consumer shared Release
step "CMake consumer, find_package(cbench), cbench::cbench_static" cmake_consumer static Debug

# find_package(cbench QUIET) with a dependency missing: not found, no error.
cmake_optional_missing_dep() {
    local src=$work/optional-src bdir=$work/optional-build
    mkdir -p "$src"
    cat >"$src/CMakeLists.txt" <<'EOF'
cmake_minimum_required(VERSION 3.18)
project(cbench_optional LANGUAGES C)
find_package(cbench QUIET)
if(cbench_FOUND)
  message(FATAL_ERROR "cbench found although its dependencies are not")
endif()
message(STATUS "cbench not found, as expected: ${cbench_NOT_FOUND_MESSAGE}")
EOF
    # pkg-config that sees only cbench.pc: cmocka and the others are "missing".
    PKG_CONFIG_LIBDIR=$pcdir PKG_CONFIG_PATH='' \
        cmake -S "$src" -B "$bdir" -DCMAKE_PREFIX_PATH="$prefix" ||
        die "find_package(cbench QUIET) stopped the configure when a dependency is missing"
}
step "CMake find_package(cbench QUIET), a dependency missing: not found, no error" \
    cmake_optional_missing_dep

pc_consumer_shared() {
    local bin=$work/pc-shared
    # shellcheck disable=SC2046 # pkg-config's output is meant to be split
    "$cc" -Wall -Wextra -Werror "$consumer_src/consumer.c" -o "$bin" \
        $(pkg-config --cflags --libs cbench) ||
        die "cc consumer.c \$(pkg-config --cflags --libs cbench) failed"
    [[ -n "$(needs_libcbench_so "$bin")" ]] || die "consumer does not link libcbench.so"
    run_consumer "$bin" pc-shared LD_LIBRARY_PATH="$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
}
step "pkg-config consumer, shared: cc consumer.c \$(pkg-config --cflags --libs cbench)" \
    pc_consumer_shared

pc_consumer_cxx() {
    local bin=$work/pc-cxx
    # The same program built as C++: the header's extern "C" must let it link.
    # shellcheck disable=SC2046 # pkg-config's output is meant to be split
    "$cxx" -Wall -Wextra -Werror -x c++ "$consumer_src/consumer.c" -x none -o "$bin" \
        $(pkg-config --cflags --libs cbench) ||
        die "c++ -x c++ consumer.c \$(pkg-config --cflags --libs cbench) failed"
    run_consumer "$bin" pc-cxx LD_LIBRARY_PATH="$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
}
step "pkg-config consumer, C++: c++ -x c++ consumer.c \$(pkg-config --cflags --libs cbench)" \
    pc_consumer_cxx

pc_consumer_static() {
    local bin=$work/pc-static
    # pkg-config --static gives -lcbench, which the linker would resolve to
    # libcbench.so when both are installed: ask for the archive by name.
    local flags=() f
    read -r -a flags <<<"$(pkg-config --static --cflags --libs cbench)"
    for f in "${!flags[@]}"; do
        [[ "${flags[f]}" == -lcbench ]] && flags[f]=-l:libcbench.a
    done
    echo "flags: ${flags[*]}"
    "$cc" -Wall -Wextra -Werror "$consumer_src/consumer.c" -o "$bin" "${flags[@]}" ||
        die "cc consumer.c \$(pkg-config --static --cflags --libs cbench) (-l:libcbench.a) failed"
    local needed
    needed=$(needs_libcbench_so "$bin")
    [[ -z "$needed" ]] || die "statically linked consumer needs $needed"
    # No LD_LIBRARY_PATH: nothing of cbench is loaded at run time.
    run_consumer "$bin" pc-static
}
step "pkg-config consumer, static: cc consumer.c \$(pkg-config --static --cflags --libs cbench)" \
    pc_consumer_static

trap - ERR
echo "install test: $passed passed, 0 failed"
