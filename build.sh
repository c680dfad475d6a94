#!/usr/bin/env bash
# build.sh: the one entry point. Installs what katabox needs from Debian,
# builds the static libraries from Debian source packages, the guest kernel,
# the katabox binary and the initramfs, then runs the main job.
#
#   ./build.sh            build everything, then run a container in its own VM
#   ./build.sh test       build everything, then run the whole test suite
#   ./build.sh build      build everything, run nothing
#   ./build.sh deps       only the packages, libraries and guest kernel
#
# Everything slow is cached outside the clone, in $KATABOX_CACHE
# (default ~/.cache/katabox), keyed by Debian package version and a hash of
# the recipe that built it: a second run rebuilds nothing.
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache=${KATABOX_CACHE:-$HOME/.cache/katabox}
jobs=$(nproc 2>/dev/null || echo 2)
action=${1:-run}

say() { printf 'build.sh: %s\n' "$*" >&2; }
die() { printf 'build.sh: error: %s\n' "$*" >&2; exit 1; }

case $action in
    run|test|build|deps) ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) die "unknown action '$action' (expected: run, test, build or deps)" ;;
esac

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# ---------------------------------------------------------------------------
# 1. Debian packages

# what the build needs, then what the test suite drives
build_pkgs="make gcc musl-tools linux-libc-dev dpkg-dev xz-utils gzip file
    autoconf automake libtool pkg-config gperf bc flex bison libelf-dev linux-source-6.1 qemu-system-x86 ca-certificates"
test_pkgs="clang libclang-rt-14-dev libyajl-dev libseccomp-dev busybox-static procps cpio runc jq bsdutils
    podman conmon python3 containerd python3-grpcio python3-protobuf"

install_packages() {
    local missing=() p
    for p in $build_pkgs $test_pkgs; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' \
            || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    say "installing ${missing[*]}"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

pkgver() { dpkg-query -W -f='${Version}' "$1"; }

# ---------------------------------------------------------------------------
# 2. Debian source packages, fetched without touching /etc/apt

aptsrc=$cache/apt
apt_opts=(-o "Dir::Etc::sourcelist=$aptsrc/deb-src.sources"
          -o Dir::Etc::sourceparts=/dev/null
          -o "Dir::State::Lists=$aptsrc/lists"
          -o "Dir::Cache=$aptsrc/cache"
          -o APT::Sandbox::User=root)
# build_dep runs in a subshell: the stamp is a file, per build.sh run ($$)
apt_stamp=$aptsrc/.updated-$$
trap 'rm -f "$apt_stamp"' EXIT

apt_source_update() {
    [ -e "$apt_stamp" ] && return 0
    mkdir -p "$aptsrc/lists/partial" "$aptsrc/cache/archives/partial"
    cat >"$aptsrc/deb-src.sources" <<EOF
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb-src
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
    say "updating deb-src lists"
    apt-get "${apt_opts[@]}" update -q >/dev/null
    touch "$apt_stamp"
}

# fetch_source NAME DIR: unpack Debian source package NAME into DIR/src,
# write its version to DIR/version
fetch_source() {
    local name=$1 dir=$2 dsc
    apt_source_update
    rm -rf "$dir/dl" "$dir/src"
    mkdir -p "$dir/dl"
    (cd "$dir/dl" && apt-get "${apt_opts[@]}" source --download-only -q "$name" >/dev/null)
    dsc=$(ls "$dir"/dl/*.dsc | head -n1)
    dpkg-source --no-check -x "$dsc" "$dir/src" >/dev/null
    sed -n 's/^Version: //p' "$dsc" | head -n1 >"$dir/version"
    # dpkg-source leaves copies of the tarballs beside the tree
    rm -rf "$dir/dl" "$dir"/*.tar.*
}

# a recipe's cache key: the hash of the function that builds it
recipe_hash() { declare -f "$@" | sha256sum | cut -c1-16; }

# ---------------------------------------------------------------------------
# 3. static libraries, built with musl-gcc

# musl-gcc does not search /usr/include, so it gets a copy of the kernel UAPI
kheaders=
setup_kheaders() {
    local dir=$cache/kheaders/$(pkgver linux-libc-dev)
    if [ ! -e "$dir/.done" ]; then
        rm -rf "$dir"; mkdir -p "$dir/include"
        cp -a /usr/include/linux /usr/include/asm-generic "$dir/include/"
        cp -a /usr/include/x86_64-linux-gnu/asm "$dir/include/asm"
        touch "$dir/.done"
    fi
    kheaders=$dir/include
}

build_zlib() {
    (cd src && CC=musl-gcc CFLAGS="-O2 -fPIC" ./configure --static --prefix="$1" >/dev/null &&
     make -j"$jobs" libz.a >/dev/null && make install >/dev/null)
}

build_bearssl() {
    (cd src && make -j"$jobs" CONF=Unix CC=musl-gcc CFLAGS="-O2 -fPIC" \
        BUILD=build lib >/dev/null) || return 1
    mkdir -p "$1/lib" "$1/include"
    cp src/build/libbearssl.a "$1/lib/"
    cp src/inc/*.h "$1/include/"
}

build_libarchive() {
    # Debian's patches touch configure.ac and Makefile.am: regenerate, as
    # the package's own build does with dh-autoreconf
    (cd src && autoreconf -fi >/dev/null 2>&1 && CC=musl-gcc CFLAGS="-O2 -fPIC" \
        CPPFLAGS="-I$zlib_prefix/include -I$kheaders" LDFLAGS="-L$zlib_prefix/lib" \
        ./configure --prefix="$1" --enable-static --disable-shared \
            --disable-bsdtar --disable-bsdcpio --disable-bsdcat \
            --disable-acl --disable-xattr --without-xml2 --without-expat \
            --without-openssl --without-mbedtls --without-nettle --without-lzma \
            --without-zstd --without-lz4 --without-bz2lib --without-libb2 \
            --without-iconv --without-lzo2 --without-cng --with-zlib >/dev/null &&
     make -j"$jobs" >/dev/null && make install-libLTLIBRARIES install-includeHEADERS >/dev/null)
}

# yajl: the JSON parser crun and runc's C parts use. Its CMake build only
# fills in the version header and compiles src/*.c, so we do just that.
yajl_cmake_version() { sed -n "s/^SET (YAJL_$1 \([0-9]*\))/\1/p" src/CMakeLists.txt; }
build_yajl() {
    local inc=$1/include/yajl f
    mkdir -p "$inc" "$1/lib" obj
    cp src/src/api/yajl_common.h src/src/api/yajl_gen.h src/src/api/yajl_parse.h \
        src/src/api/yajl_tree.h "$inc/"
    sed -e "s/\${YAJL_MAJOR}/$(yajl_cmake_version MAJOR)/" \
        -e "s/\${YAJL_MINOR}/$(yajl_cmake_version MINOR)/" \
        -e "s/\${YAJL_MICRO}/$(yajl_cmake_version MICRO)/" \
        src/src/api/yajl_version.h.cmake >"$inc/yajl_version.h"
    for f in src/src/*.c; do
        musl-gcc -O2 -fPIC -I"$1/include" -c "$f" -o "obj/$(basename "$f" .c).o" || return 1
    done
    ar rcs "$1/lib/libyajl.a" obj/*.o
}

# libseccomp: linux.seccomp compiled to BPF, as runc and crun do it. Debian's
# patch updates the syscall table, so the gperf lookup is generated again.
build_libseccomp() {
    (cd src && CC=musl-gcc CFLAGS="-O2 -fPIC" CPPFLAGS="-I$kheaders" \
        ./configure --prefix="$1" --enable-static --disable-shared --disable-python >/dev/null &&
     make -j"$jobs" -C src >/dev/null && make -C src install-libLTLIBRARIES >/dev/null &&
     make -C include install >/dev/null)
}

# build_dep NAME SRCPKG FUNC [EXTRA-KEY]: prints the installed prefix
build_dep() {
    local name=$1 srcpkg=$2 fn=$3 extra=${4:-}
    local key; key=$(printf '%s %s' "$(recipe_hash "$fn")" "$extra" | sha256sum | cut -c1-16)
    local dir=$cache/deps/$name-$key
    if [ ! -e "$dir/.done" ]; then
        say "building $name from Debian source"
        rm -rf "$dir"; mkdir -p "$dir"
        fetch_source "$srcpkg" "$dir"
        (cd "$dir" && "$fn" "$dir/prefix") >"$dir.log" 2>&1 \
            || { rm -rf "$dir"; tail -n 30 "$dir.log" >&2; die "building $name failed (log: $dir.log)"; }
        rm -rf "$dir/src"
        touch "$dir/.done"
    fi
    printf '%s\n' "$dir"
}

# ---------------------------------------------------------------------------
# 4. the guest kernel, from Debian's linux-source-6.1

build_kernel_tree() {
    local fragment=$top/guestkernel/katabox.config
    make -s ARCH=x86_64 tinyconfig
    scripts/kconfig/merge_config.sh -m .config "$fragment" >/dev/null
    make -s ARCH=x86_64 olddefconfig
    # every option we set must have survived dependency resolution, and none
    # we unset may have come back
    local missing
    missing=$(grep -E '^CONFIG_[A-Z0-9_]+=' "$fragment" | while IFS= read -r l; do
        grep -qxF "$l" .config || printf ' %s' "$l"; done
        sed -n 's/^# \(CONFIG_[A-Z0-9_]*\) is not set$/\1/p' "$fragment" | while IFS= read -r o; do
        grep -q "^$o=" .config && printf ' %s(unset)' "$o"; done)
    [ -z "$missing" ] || { say "kernel options not applied:$missing"; return 1; }
    make -s ARCH=x86_64 -j"$jobs" bzImage
    make -s -C usr gen_init_cpio >/dev/null 2>&1 || gcc -O2 -o usr/gen_init_cpio usr/gen_init_cpio.c
}

kernel_dir=
build_kernel() {
    local ver; ver=$(pkgver linux-source-6.1)
    local key; key=$( (recipe_hash build_kernel_tree; cat "$top/guestkernel/katabox.config") \
        | sha256sum | cut -c1-16)
    kernel_dir=$cache/kernel/$ver-$key
    [ -e "$kernel_dir/.done" ] && return 0
    say "building the guest kernel (linux-source-6.1 $ver); takes several minutes"
    rm -rf "$kernel_dir"; mkdir -p "$kernel_dir"
    tar -C "$kernel_dir" -xf /usr/src/linux-source-6.1.tar.xz
    local src=$kernel_dir/linux-source-6.1
    local t0=$SECONDS
    (cd "$src" && build_kernel_tree) >"$kernel_dir/build.log" 2>&1 \
        || { tail -n 30 "$kernel_dir/build.log" >&2; die "guest kernel build failed"; }
    # System.map turns initcall_debug addresses into names when boot time is studied
    cp "$src/arch/x86/boot/bzImage" "$src/.config" "$src/System.map" "$src/usr/gen_init_cpio" "$kernel_dir/"
    make -s -C "$src" ARCH=x86_64 kernelrelease >"$kernel_dir/release"
    rm -rf "$src"
    say "guest kernel built in $((SECONDS - t0)) s: $(stat -c %s "$kernel_dir/bzImage") bytes"
    touch "$kernel_dir/.done"
}

# ---------------------------------------------------------------------------
# 5. the binary, its links, the initramfs (the Makefile's `all`)

build_katabox() {
    local commit
    commit=$(git -C "$top" rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
    if [ "$commit" != unknown ] && [ -n "$(git -C "$top" status --porcelain -- applets core Makefile VERSION 2>/dev/null)" ]; then
        commit=$commit-dirty
    fi
    # what make needs, kept so that a plain `make` or `make test` works later
    mkdir -p "$top/build"
    cat >"$top/build/config.mk.tmp" <<EOF
KHEADERS := $kheaders
KERNEL_DIR := $kernel_dir
ZLIB := $zlib_dir/prefix
BEARSSL := $bearssl_dir/prefix
LIBARCHIVE := $libarchive_dir/prefix
YAJL := $yajl_dir/prefix
YAJL_VERSION := $(cat "$yajl_dir/version")
SECCOMP := $seccomp_dir/prefix
SECCOMP_VERSION := $(cat "$seccomp_dir/version")
GIT_COMMIT := $commit
MUSL_VERSION := $(pkgver musl-tools)
BEARSSL_VERSION := $(cat "$bearssl_dir/version")
KERNEL_VERSION := $(cat "$kernel_dir/release") (linux-source-6.1 $(pkgver linux-source-6.1))
EOF
    mv "$top/build/config.mk.tmp" "$top/build/config.mk"
    make -C "$top" -s -j"$jobs" all
}

# ---------------------------------------------------------------------------

# The first thing a user sees: an OCI bundle (busybox-static as its whole
# rootfs, `kata-runtime spec` as its config) run in its own VM.
demo_container() {
    local dir rc=0
    dir=$(mktemp -d /tmp/katabox-demo.XXXXXX)
    mkdir -p "$dir/bundle/rootfs/bin"
    cp /bin/busybox "$dir/bundle/rootfs/bin/busybox"
    ln -s busybox "$dir/bundle/rootfs/bin/sh"
    "$top/build/bin/kata-runtime" spec -b "$dir/bundle"
    jq '.process.terminal = false | .hostname = "katabox-demo"
        | .process.args = ["sh", "-c", "echo \"hello from a container in its own VM: kernel $(busybox uname -r), hostname $(busybox hostname), pid $$\""]' \
        "$dir/bundle/config.json" >"$dir/config.json" && mv "$dir/config.json" "$dir/bundle/config.json"
    say "running: kata-runtime --root $dir/state run -b $dir/bundle demo"
    "$top/build/bin/kata-runtime" --root "$dir/state" --debug run -b "$dir/bundle" demo || rc=$?
    rm -rf "$dir"
    return $rc
}

main() {
    install_packages
    mkdir -p "$cache"
    setup_kheaders
    zlib_dir=$(build_dep zlib zlib build_zlib)
    zlib_prefix=$zlib_dir/prefix
    bearssl_dir=$(build_dep bearssl bearssl build_bearssl)
    libarchive_dir=$(build_dep libarchive libarchive build_libarchive "$zlib_dir")
    yajl_dir=$(build_dep yajl yajl build_yajl "$(declare -f yajl_cmake_version)")
    seccomp_dir=$(build_dep libseccomp libseccomp build_libseccomp "$kheaders")
    build_kernel
    [ "$action" = deps ] && return 0
    build_katabox
    say "built build/katabox ($(stat -c %s "$top/build/katabox") bytes)," \
        "build/initramfs.cpio.gz ($(stat -c %s "$top/build/initramfs.cpio.gz") bytes)," \
        "build/bzImage ($(stat -c %s "$top/build/bzImage") bytes)"
    case $action in
        run) demo_container ;;
        test) make -C "$top" -s test ;;
        build) ;;
    esac
}

main
