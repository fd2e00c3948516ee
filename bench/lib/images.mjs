// Registry images for the pull bench and the image tests, made with outside tools and cached per
// day and machine under /tmp/berth-test-cache/<date>/ (a lock dir across processes, the result
// renamed into place), so a run of the suite and the bench build each once:
//
//   debianImage()      `mmdebstrap --variant=minbase bookworm` (Debian's packages, ~170 MB), split
//                      into five layers as a Dockerfile build would make them: the top-level tree
//                      and /etc; /usr/lib; /usr/share; the programs; /var
//   smallFilesImage()  ~200 MB of many small files (about 24,000, 1–16 kB, half of them
//                      incompressible) in four layers
//
// Layers are archived by GNU tar from an unpacked tree (`--xattrs --numeric-owner`, every
// layer carrying the directories above its files, device nodes left out as image builders do)
// and gzip-compressed; each image comes with its config. Plain JavaScript, so the bench (which
// runs the compiled engine) and the tests (which import it through images.d.mts) share it.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';

export const CACHE_ROOT = '/tmp/berth-test-cache';

const today = () => new Date().toISOString().slice(0, 10);
const sha = (b) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** Runs `make(tmp)` once per name and day across processes; returns the path it made. */
export async function cached(name, make) {
  const dir = path.join(CACHE_ROOT, today());
  mkdirSync(dir, { recursive: true });
  const target = path.join(dir, name);
  const lock = `${target}.lock`;
  for (;;) {
    if (existsSync(target)) return target;
    try {
      mkdirSync(lock);
    } catch {
      // Another process is making it; a lock older than 15 minutes is from one that died.
      try {
        if (Date.now() - statSync(lock).mtimeMs > 15 * 60_000) rmSync(lock, { recursive: true, force: true });
      } catch {
        /* gone meanwhile */
      }
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

/** The mmdebstrap root filesystem tar. */
export function debianRootfs() {
  return cached('debian-bookworm-minbase.tar', async (tmp) => {
    const r = spawnSync('mmdebstrap', ['--quiet', '--variant=minbase', 'bookworm', tmp], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 15 * 60_000 });
    if (r.status !== 0) throw new Error(`mmdebstrap failed (${r.status ?? r.signal}): ${r.stderr?.toString().slice(-2000)}`);
  });
}

/** Every path under `root` (relative, directories with a trailing slash), in walk order. */
function walk(root) {
  const out = [];
  const visit = (rel) => {
    for (const name of readdirSync(path.join(root, rel)).sort()) {
      const p = rel ? `${rel}/${name}` : name;
      const st = lstatSync(path.join(root, p));
      if (st.isCharacterDevice() || st.isBlockDevice()) continue;
      if (st.isDirectory()) {
        out.push(`${p}/`);
        visit(p);
      } else out.push(p);
    }
  };
  visit('');
  return out;
}

/**
 * Archives `tree` as layers: `layerOf(path)` picks each entry's layer; every layer gets the
 * directories above its entries; empty directories go to layer 0. Writes layer-N.tar.gz,
 * config.json and layers.json into `out`.
 */
function writeLayers(tree, out, count, layerOf, config) {
  const lists = Array.from({ length: count }, () => new Set());
  for (const p of walk(tree)) {
    if (p.endsWith('/')) continue;
    const layer = layerOf(p);
    const parts = p.split('/');
    for (let i = 1; i < parts.length; i++) lists[layer].add(`${parts.slice(0, i).join('/')}/`);
    lists[layer].add(p);
  }
  for (const p of walk(tree)) if (p.endsWith('/') && !lists.some((l) => l.has(p))) lists[0].add(p);
  const layers = [];
  for (let i = 0; i < count; i++) {
    const list = path.join(out, `layer-${i}.list`);
    writeFileSync(list, `${[...lists[i]].map((p) => `./${p.replace(/\/$/, '')}`).join('\n')}\n`);
    const tar = execFileSync('tar', ['--xattrs', '--xattrs-include=*', '--numeric-owner', '--no-recursion', '-C', tree, '-cf', '-', '-T', list], { maxBuffer: 1 << 30 });
    rmSync(list);
    const gz = gzipSync(tar);
    writeFileSync(path.join(out, `layer-${i}.tar.gz`), gz);
    layers.push({ file: `layer-${i}.tar.gz`, digest: sha(gz), diffId: sha(tar), size: gz.length, uncompressed: tar.length });
  }
  const configBytes = Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      created: '2026-01-01T00:00:00Z',
      config,
      rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
      history: layers.map((_, i) => ({ created: '2026-01-01T00:00:00Z', created_by: `layer ${i + 1} of ${count}` })),
    }),
  );
  writeFileSync(path.join(out, 'config.json'), configBytes);
  writeFileSync(path.join(out, 'layers.json'), JSON.stringify(layers));
}

function load(dir) {
  const config = readFileSync(path.join(dir, 'config.json'));
  const layers = JSON.parse(readFileSync(path.join(dir, 'layers.json'), 'utf8')).map((l) => ({ ...l, file: path.join(dir, l.file) }));
  return { dir, config, configDigest: sha(config), layers };
}

/** The Debian base in five gzip layers. */
export async function debianImage() {
  const rootfs = await debianRootfs();
  const dir = await cached('debian-bookworm-5layers', async (tmp) => {
    mkdirSync(tmp);
    const tree = `${tmp}.tree`;
    mkdirSync(tree);
    try {
      execFileSync('tar', ['--xattrs', '--xattrs-include=*', '--numeric-owner', '--exclude=./dev/*', '-C', tree, '-xpf', rootfs]);
      const layerOf = (p) => (p.startsWith('usr/lib/') ? 1 : p.startsWith('usr/share/') ? 2 : /^usr\/(s?bin|libexec)\//.test(p) ? 3 : p.startsWith('var/') ? 4 : 0);
      writeLayers(tree, tmp, 5, layerOf, { Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], Cmd: ['bash'] });
    } finally {
      rmSync(tree, { recursive: true, force: true });
    }
  });
  return load(dir);
}

/** Deterministic bytes: xorshift noise (incompressible) or a repeated phrase (compressible). */
function content(n, seed, noisy) {
  if (!noisy) return Buffer.alloc(n, `file ${seed} of the small-files image\n`);
  const out = Buffer.alloc(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** About 200 MB of small files in four gzip layers (over nothing: a data image). */
export async function smallFilesImage() {
  const dir = await cached('small-files-200mb', async (tmp) => {
    mkdirSync(tmp);
    const tree = `${tmp}.tree`;
    try {
      let total = 0;
      let i = 0;
      while (total < 200_000_000) {
        const size = 1024 + ((i * 7919) % 15_360);
        const rel = `data/d${i % 4}/g${Math.floor(i / 100) % 60}/f${i}.bin`;
        mkdirSync(path.join(tree, path.dirname(rel)), { recursive: true });
        writeFileSync(path.join(tree, rel), content(size, i + 1, i % 2 === 0));
        total += size;
        i++;
      }
      writeLayers(tree, tmp, 4, (p) => (p.startsWith('data/d') ? Number(p[6]) : 0), { Cmd: ['/bin/true'] });
    } finally {
      rmSync(tree, { recursive: true, force: true });
    }
  });
  return load(dir);
}
