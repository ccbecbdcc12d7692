#!/usr/bin/env bash
# Installs vigil into a temporary prefix and builds a consumer against it twice:
# with CMake's find_package(vigil) and with pkg-config. Both must link and run.
# Needs BUILD_DIR (the configured vigil build) and SOURCE_DIR.
set -euo pipefail
: "${BUILD_DIR:?}" "${SOURCE_DIR:?}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cmake --install "$BUILD_DIR" --prefix "$tmp/prefix" >/dev/null

# 1. find_package(vigil)
cmake -S "$SOURCE_DIR/tests/install/consumer" -B "$tmp/cmake-build" -G Ninja \
  -DCMAKE_PREFIX_PATH="$tmp/prefix" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$tmp/cmake-build" >/dev/null
"$tmp/cmake-build/consumer"

# 2. pkg-config
libdir=$(find "$tmp/prefix" -name vigil.pc -printf '%h\n' | head -n1)
flags=$(PKG_CONFIG_PATH="$libdir" pkg-config --cflags --libs vigil)
# shellcheck disable=SC2086
c++ -std=c++20 "$SOURCE_DIR/tests/install/consumer/main.cc" -o "$tmp/pc-consumer" $flags
"$tmp/pc-consumer"
echo "install test: find_package and pkg-config consumers built and ran"
