#!/usr/bin/env bash
# README quick start: install everything berth needs on a fresh Debian-family machine, build it,
# and run the example stack for real on the built-in engine — up (waiting until healthy), ps, a
# request to the published port on 127.0.0.1, down. Needs root (the built-in engine does).
# WEB_PORT=... picks another host port than the example's .env (8080).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-system-deps.sh
npm ci --no-audit --no-fund
berth() { node bin/berth.js "$@"; }
stack=(-f examples/quickstart/compose.yaml)
berth "${stack[@]}" config --services
berth "${stack[@]}" graph

# The built-in engine starts by itself on the first `up`; stop it again at the end if it was not running.
engine_was_running=no
if berth engine status >/dev/null 2>&1; then engine_was_running=yes; fi
cleanup() {
  berth "${stack[@]}" down -v --progress plain || true
  if [ "$engine_was_running" = no ]; then berth engine stop || true; fi
}
trap cleanup EXIT

berth --engine builtin "${stack[@]}" build --progress plain
berth --engine builtin "${stack[@]}" up -d --wait --wait-timeout 60 --progress plain
berth "${stack[@]}" ps
port="${WEB_PORT:-8080}"
echo "GET http://127.0.0.1:${port}/"
body="$(wget -qO- "http://127.0.0.1:${port}/")"
echo "$body"
[ "$body" = "hello from berth" ]
