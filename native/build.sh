#!/bin/sh
# Compiles berth's native helpers into dist/native/ (run at install time or by the tests;
# binaries are never committed). Needs a C compiler (gcc or cc) and glibc headers.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-"$here/../dist/native"}
cc=${CC:-$(command -v gcc || command -v cc)}
mkdir -p "$out"
# Build to a temp name and rename, so a concurrent reader never executes a half-written binary.
for name in berth-shim berth-spawner berth-netns berth-fsops berth-xattrs; do
  "$cc" -O2 -Wall -Wextra -Werror -std=c11 -pthread -o "$out/$name.tmp.$$" "$here/$name.c"
  mv -f "$out/$name.tmp.$$" "$out/$name"
  echo "$out/$name"
done
