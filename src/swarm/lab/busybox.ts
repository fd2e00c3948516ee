// A busybox image for the lab, made from Debian's busybox-static like the test images
// (test/engine/helpers/images.ts): the static binary, one relative symlink per applet, a minimal
// /etc/passwd and /etc/group. Imported into node 1 and pushed to the lab registry, from where
// every node pulls it.
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import type Docker from 'dockerode';
import { LabError } from './host.js';

export const BUSYBOX_BINARY = ['/bin/busybox', '/usr/bin/busybox'].find((p) => existsSync(p));

const PASSWD = ['root:x:0:0:root:/root:/bin/sh', 'nobody:x:65534:65534:nobody:/nonexistent:/bin/false', ''].join('\n');
const GROUP = ['root:x:0:', 'nogroup:x:65534:', ''].join('\n');

/** The image's root filesystem as a tar stream (uncompressed), built in `workDir`. */
export function busyboxRootfsTar(workDir: string): Buffer {
  if (!BUSYBOX_BINARY) throw new LabError('busybox is not installed (Debian busybox-static)');
  const root = path.join(workDir, 'busybox-rootfs');
  rmSync(root, { recursive: true, force: true });
  for (const d of ['bin', 'etc', 'proc', 'sys', 'dev', 'tmp', 'root']) mkdirSync(path.join(root, d), { recursive: true });
  chmodSync(path.join(root, 'tmp'), 0o1777);
  copyFileSync(BUSYBOX_BINARY, path.join(root, 'bin/busybox'));
  chmodSync(path.join(root, 'bin/busybox'), 0o755);
  const applets = execFileSync(BUSYBOX_BINARY, ['--list'], { encoding: 'utf8' }).split('\n').filter((a) => a !== '' && a !== 'busybox');
  for (const a of applets) symlinkSync('busybox', path.join(root, 'bin', a));
  writeFileSync(path.join(root, 'etc/passwd'), PASSWD);
  writeFileSync(path.join(root, 'etc/group'), GROUP);
  try {
    return execFileSync('tar', ['-C', root, '--numeric-owner', '-cf', '-', '.'], { maxBuffer: 64 * 1024 * 1024 });
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

async function follow(docker: Docker, stream: NodeJS.ReadableStream): Promise<Record<string, unknown>[]> {
  return new Promise((resolve, reject) => {
    docker.modem.followProgress(stream, (err: Error | null, out: Record<string, unknown>[]) => {
      if (err) return reject(err);
      const failed = out.find((o) => typeof o.error === 'string');
      if (failed) return reject(new LabError(String(failed.error)));
      resolve(out);
    });
  });
}

/** Imports the tar into `docker` as `repo:tag`, pushes it, and returns the pushed manifest's digest. */
export async function importAndPush(docker: Docker, tar: Buffer, repo: string, tag: string): Promise<string> {
  const imported = (await docker.importImage(Readable.from([tar]) as unknown as NodeJS.ReadableStream, { repo, tag, changes: ['CMD ["sh"]'] } as Parameters<Docker['importImage']>[1])) as NodeJS.ReadableStream;
  await follow(docker, imported);
  const pushed = (await docker.getImage(`${repo}:${tag}`).push({ tag })) as NodeJS.ReadableStream;
  const out = await follow(docker, pushed);
  const aux = out.map((o) => o.aux as { Digest?: string } | undefined).find((a) => a?.Digest);
  if (!aux?.Digest) throw new LabError(`pushing ${repo}:${tag} reported no digest`);
  return aux.Digest;
}
