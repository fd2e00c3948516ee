// A private dockerd (Debian's docker.io) per test file: its own data root, exec root, socket and
// containerd namespace; no default bridge, no iptables, no NAT (user-defined bridge networks still
// work). A busybox image is imported as busybox:latest. stop() removes everything it made.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import Docker from 'dockerode';
import { busyboxTar } from '../engine/helpers/daemon-harness.js';

export interface PrivateDockerd {
  socket: string;
  dockerHost: string;
  docker: Docker;
  stop(): Promise<void>;
}

export interface DockerdOptions {
  /** An existing Linux bridge to be the default `bridge` network (default: none, no default bridge). */
  bridge?: string;
  /** dockerd's `--default-address-pool` value, e.g. `base=10.213.0.0/16,size=24`. */
  addressPools?: string;
}

export async function startDockerd(name: string, opts: DockerdOptions = {}): Promise<PrivateDockerd> {
  const dir = mkdtempSync(`/tmp/bdk-${name}-`);
  const socket = path.join(dir, 'docker.sock');
  const ns = `berth-test-${process.pid}-${path.basename(dir)}`;
  const child: ChildProcess = spawn(
    'dockerd',
    [
      `--data-root=${dir}/data`, `--exec-root=${dir}/exec`, `--pidfile=${dir}/dockerd.pid`, `--host=unix://${socket}`,
      `--bridge=${opts.bridge ?? 'none'}`, ...(opts.addressPools ? [`--default-address-pool=${opts.addressPools}`] : []), '--iptables=false', '--ip6tables=false', '--ip-masq=false', '--storage-driver=overlay2',
      `--containerd-namespace=${ns}`, `--containerd-plugins-namespace=${ns}-plugins`,
    ],
    // A pull of a missing image goes to a proxy on loopback that refuses it, never to a registry.
    { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, HTTP_PROXY: 'http://127.0.0.1:9', HTTPS_PROXY: 'http://127.0.0.1:9', NO_PROXY: '' } },
  );
  let log = '';
  child.stderr!.on('data', (d) => (log = (log + d).slice(-4000)));
  const docker = new Docker({ socketPath: socket });
  const stop = async (): Promise<void> => {
    try {
      const left = await docker.listContainers({ all: true });
      for (const c of left) await docker.getContainer(c.Id).remove({ force: true, v: true }).catch(() => undefined);
      // User-defined networks own host bridges (br-…) that outlive dockerd.
      for (const n of await docker.listNetworks()) {
        if (!['bridge', 'host', 'none'].includes(n.Name)) await docker.getNetwork(n.Id).remove().catch(() => undefined);
      }
    } catch {
      // dockerd already gone
    }
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null ? r(undefined) : child.once('exit', r)));
    }
    spawnSync('sh', ['-c', `grep -o " ${dir}[^ ]*" /proc/mounts | sort -r | xargs -r -n1 umount -l`]);
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (existsSync(socket)) {
      try {
        await docker.ping();
        break;
      } catch {
        // not yet
      }
    }
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`dockerd did not start:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const tar = await busyboxTar(dir);
  const stream = (await docker.importImage(Readable.from([tar]) as unknown as NodeJS.ReadableStream, { repo: 'busybox', tag: 'latest', changes: ['CMD ["sh"]'] } as never)) as unknown as NodeJS.ReadableStream;
  await new Promise((resolve, reject) => docker.modem.followProgress(stream, (err: unknown) => (err ? reject(err) : resolve(undefined))));
  return { socket, dockerHost: `unix://${socket}`, docker, stop };
}
