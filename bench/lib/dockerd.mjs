// Starts a private dockerd (Debian's docker.io) for a bench run: its own data root, exec
// root and socket, no bridge, no iptables, no NAT — containers run with NetworkMode none.
// Stopped and its directory removed by stop().
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Docker from 'dockerode';

export function dockerdAvailable() {
  return spawnSync('sh', ['-c', 'command -v dockerd'], { stdio: 'ignore' }).status === 0;
}

export async function startDockerd() {
  const dir = mkdtempSync(path.join(tmpdir(), 'berth-bench-dockerd-'));
  const socket = path.join(dir, 'docker.sock');
  const child = spawn(
    'dockerd',
    [
      `--data-root=${dir}/data`,
      `--exec-root=${dir}/exec`,
      `--pidfile=${dir}/dockerd.pid`,
      `--host=unix://${socket}`,
      '--bridge=none',
      '--iptables=false',
      '--ip6tables=false',
      '--ip-masq=false',
      '--storage-driver=overlay2',
      `--containerd-namespace=berth-bench`,
      `--containerd-plugins-namespace=berth-bench-plugins`,
    ],
    // A pull of a missing image (or a BuildKit frontend) goes to a proxy on loopback that refuses it, never to a registry.
    { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, HTTP_PROXY: 'http://127.0.0.1:9', HTTPS_PROXY: 'http://127.0.0.1:9', NO_PROXY: '' } },
  );
  let log = '';
  child.stderr.on('data', (d) => (log += d));
  const docker = new Docker({ socketPath: socket });
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (existsSync(socket)) {
      try {
        await docker.ping();
        break;
      } catch {
        /* not yet */
      }
    }
    if (child.exitCode !== null || Date.now() > deadline) {
      throw new Error(`dockerd did not start:\n${log.slice(-2000)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    docker,
    socket,
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null ? r() : child.once('exit', r)));
      // dockerd leaves overlay mounts of removed containers only on crash; be thorough anyway.
      spawnSync('sh', ['-c', `grep -o " ${dir}[^ ]*" /proc/mounts | sort -r | xargs -r -n1 umount -l`]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
