// A real Debian base image for the image tests and the pull bench: `mmdebstrap --variant=minbase
// bookworm` (Debian's own packages, ~170 MB, half a minute to two), split into five gzip layers
// the way a Dockerfile build would have made them (the top-level tree and /etc; /usr/lib;
// /usr/share; the programs; /var). Made once per day and machine, cached under
// /tmp/berth-test-cache/<date>/ (written to a temp name and renamed, under a lock dir, so
// parallel test files and benches share one build). Device nodes are left out, as image
// builders do; every layer carries the directory entries above its files, and a hard link
// stays in the layer of its target.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { MediaType, pushImage, type PushBlobSource, type RegistryClient } from '../../src/engine/distribution/index.js';
import { readTar, writeTar, type TarHeader, type TarWriteEntry } from '../../src/lib/tar.js';

export const CACHE_ROOT = '/tmp/berth-test-cache';

export interface CachedLayer {
  file: string;
  digest: string;
  diffId: string;
  size: number;
}

export interface CachedImage {
  dir: string;
  config: Buffer;
  configDigest: string;
  layers: CachedLayer[];
}

const today = (): string => new Date().toISOString().slice(0, 10);
const sha = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** Runs `make` once per key and day across processes: a lock dir, and the result renamed into place. */
export async function cached(name: string, make: (tmp: string) => Promise<void>): Promise<string> {
  const dir = path.join(CACHE_ROOT, today());
  mkdirSync(dir, { recursive: true });
  const target = path.join(dir, name);
  const lock = `${target}.lock`;
  for (;;) {
    if (existsSync(target)) return target;
    try {
      mkdirSync(lock);
    } catch {
      // Another process makes it; a lock older than 15 minutes is from one that died.
      if (Date.now() - statSync(lock).mtimeMs > 15 * 60_000) rmSync(lock, { recursive: true, force: true });
      await new Promise((r) => setTimeout(r, 1000));
      continue;
    }
    try {
      if (existsSync(target)) return target;
      const tmp = `${target}.tmp-${process.pid}`;
      rmSync(tmp, { recursive: true, force: true });
      await make(tmp);
      renameSync(tmp, target);
      return target;
    } finally {
      rmSync(lock, { recursive: true, force: true });
    }
  }
}

/** The mmdebstrap root filesystem tar (made on first use today). */
export function debianRootfs(): Promise<string> {
  return cached('debian-bookworm-minbase.tar', async (tmp) => {
    const r = spawnSync('mmdebstrap', ['--quiet', '--variant=minbase', 'bookworm', tmp], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 15 * 60_000 });
    if (r.status !== 0) throw new Error(`mmdebstrap failed (${r.status ?? r.signal}): ${r.stderr?.toString().slice(-2000)}`);
  });
}

function layerOf(p: string): number {
  if (p.startsWith('usr/lib/')) return 1;
  if (p.startsWith('usr/share/')) return 2;
  if (/^usr\/(s?bin|libexec)\//.test(p)) return 3;
  if (p.startsWith('var/')) return 4;
  return 0;
}

/** The Debian base split into five layers, gzip, with a config: cached as files. */
export async function debianImage(): Promise<CachedImage> {
  const rootfs = await debianRootfs();
  const dir = await cached('debian-bookworm-5layers', async (tmp) => {
    mkdirSync(tmp);
    const entries: TarWriteEntry[][] = [[], [], [], [], []];
    const dirs = new Map<string, TarHeader>();
    const placed = new Map<string, number>();
    const added: Set<string>[] = entries.map(() => new Set());
    const addParents = (layer: number, p: string): void => {
      const parts = p.replace(/\/$/, '').split('/');
      for (let i = 1; i < parts.length; i++) {
        const d = `${parts.slice(0, i).join('/')}/`;
        const h = dirs.get(d);
        if (!h || added[layer].has(d)) continue;
        added[layer].add(d);
        entries[layer].push({ path: d, type: 'directory', mode: h.mode, uid: h.uid, gid: h.gid, mtime: h.mtime });
      }
    };
    for await (const { header: h, body } of readTar(createReadStream(rootfs))) {
      const p = h.path.replace(/^\.\//, '');
      if (p === '' || p === '.') continue;
      if (h.type === 'char' || h.type === 'block' || h.type === 'fifo') continue;
      if (h.type === 'directory') {
        dirs.set(p.endsWith('/') ? p : `${p}/`, h);
        continue;
      }
      const layer = h.type === 'hardlink' ? (placed.get(h.linkpath.replace(/^\.\//, '')) ?? layerOf(p)) : layerOf(p);
      placed.set(p, layer);
      addParents(layer, p);
      const chunks: Buffer[] = [];
      for await (const c of body) chunks.push(c);
      entries[layer].push({ path: p, type: h.type, mode: h.mode, uid: h.uid, gid: h.gid, uname: h.uname, gname: h.gname, mtime: h.mtime, linkpath: h.linkpath.replace(/^\.\//, ''), xattrs: h.xattrs, ...(h.type === 'file' ? { body: Buffer.concat(chunks) } : {}) });
    }
    // Directories with nothing in them (tmp, root, home, dev…) go in the first layer.
    for (const [d, h] of dirs) if (!entries.some((_, i) => added[i].has(d))) entries[0].push({ path: d, type: 'directory', mode: h.mode, uid: h.uid, gid: h.gid, mtime: h.mtime });
    const layers: CachedLayer[] = [];
    for (let i = 0; i < entries.length; i++) {
      const parts: Buffer[] = [];
      for await (const c of writeTar(entries[i])) parts.push(c);
      const tar = Buffer.concat(parts);
      const gz = gzipSync(tar);
      const file = path.join(tmp, `layer-${i}.tar.gz`);
      writeFileSync(file, gz);
      layers.push({ file: path.basename(file), digest: sha(gz), diffId: sha(tar), size: gz.length });
    }
    const config = Buffer.from(
      JSON.stringify({
        architecture: 'amd64',
        os: 'linux',
        created: '2026-01-01T00:00:00Z',
        config: { Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], Cmd: ['bash'] },
        rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
        history: layers.map((_, i) => ({ created: '2026-01-01T00:00:00Z', created_by: `mmdebstrap --variant=minbase bookworm (part ${i + 1} of 5)` })),
      }),
    );
    writeFileSync(path.join(tmp, 'config.json'), config);
    writeFileSync(path.join(tmp, 'layers.json'), JSON.stringify(layers));
  });
  const config = readFileSync(path.join(dir, 'config.json'));
  const layers = (JSON.parse(readFileSync(path.join(dir, 'layers.json'), 'utf8')) as CachedLayer[]).map((l) => ({ ...l, file: path.join(dir, l.file) }));
  return { dir, config, configDigest: sha(config), layers };
}

/** Pushes a cached image to `ref` (docker schema 2 media types, as dockerd pushes). */
export async function pushCachedImage(client: RegistryClient, ref: string, image: CachedImage): Promise<{ digest: string }> {
  const layers: PushBlobSource[] = image.layers.map((l) => ({ mediaType: MediaType.dockerLayerGzip, digest: l.digest, size: l.size, open: () => createReadStream(l.file) }));
  const pushed = await pushImage(client, ref, { config: { data: image.config }, layers, format: 'docker' });
  return { digest: pushed.digest };
}
