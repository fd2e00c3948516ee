#!/usr/bin/env bash
# Installs the system packages berth uses, on a Debian-family machine.
#   install-system-deps.sh           what running berth needs (the quick start runs this)
#   install-system-deps.sh --tests   that, and what only the tests, the benches and the optional
#                                    tools need (`npm test` runs this before the suite)
# Idempotent: installs only what is missing. Needs root (or sudo) for apt-get.
set -euo pipefail

# Package → the command that shows it is present.
declare -A runtime=(
  [runc]=runc                # OCI runtime the built-in engine starts containers with
  [busybox-static]=busybox   # the host image's shell and tools (berth/host), and test images
  [iproute2]=ip              # bridges, veth pairs, network namespaces
  [util-linux]=nsenter       # unshare --net=FILE / nsenter --net=FILE: the containers' named network namespaces; setpriv (single placement groups' members as their own users)
  [gcc]=gcc                  # compiles the native helpers at `npm ci` (native/: monitor, spawner, netns, fsops)
  [tini]=tini-static         # the reaping init of containers created with Init: true (--init)
  [zstd]=zstd                # zstd-compressed layers: the registry client decompresses them with `zstd -dc` on Node < 22.15
  [wget]=wget                # the quick start's request to the published port
)
declare -A tests=(
  [docker.io]=dockerd        # a private Docker Engine: berth's compose tests and benches run on it too; `berth swarm-lab`
  [docker-compose]=docker-compose  # docker-compose 1.29: the peer berth is compared with, and reads berth's labels
  [postgresql]=pg_ctlcluster # the real database of examples/db-layouts and the compare tests
  [redis-server]=redis-server # the real Redis of examples/db-layouts-redis and its compare test
  [docker-registry]=docker-registry # distribution 2.8: the real registry the registry client is tested against, and `berth swarm-lab`'s
  [skopeo]=skopeo            # copies images into/out of the test registry (interoperability tests)
  [umoci]=umoci              # builds OCI layouts for those tests
  [apache2-utils]=htpasswd   # htpasswd for the basic-auth test registry
  [openssl]=openssl          # the test token server's signing certificate, and TLS test certificates
  [mmdebstrap]=mmdebstrap    # a real Debian base image (minbase bookworm) for the image interop tests and the pull bench
  [libcap2-bin]=setcap       # file capabilities in the layer-fidelity image (setcap/getcap)
  [procps]=ps                # the tests' process checks (ps, pgrep)
  [passwd]=groupadd          # groupadd/groupdel: the socket access test's temporary group
)

# Packages without a command, by a file they install (always wanted).
declare -A runtime_files=(
  [libc6-dev]=/usr/include/stdio.h  # C headers and the static libc, which gcc only recommends: the native helpers, the containment tests' static probe
)

with_tests=no
case "${1:-}" in
  "") ;;
  --tests) with_tests=yes ;;
  *) echo "usage: install-system-deps.sh [--tests]" >&2; exit 2 ;;
esac

missing=()
for pkg in "${!runtime[@]}"; do
  command -v "${runtime[$pkg]}" >/dev/null 2>&1 || missing+=("$pkg")
done
for pkg in "${!runtime_files[@]}"; do
  [ -e "${runtime_files[$pkg]}" ] || missing+=("$pkg")
done
if [ "$with_tests" = yes ]; then
  for pkg in "${!tests[@]}"; do
    command -v "${tests[$pkg]}" >/dev/null 2>&1 || missing+=("$pkg")
  done
fi
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "berth setup: missing ${missing[*]}, and no apt-get to install them; install them with your package manager" >&2
  exit 1
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
echo "berth setup: installing ${missing[*]}" >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
