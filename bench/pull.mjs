#!/usr/bin/env node
// Pull and push benchmark, each peer from the same loopback registry (Debian's docker-registry,
// distribution 2.8) in one run:
//   - berth's built-in engine (POST /images/create: download → verify → unpack per layer,
//     pipelined, layers in parallel);
//   - a private dockerd (Debian's docker.io: parallel downloads, layers unpacked one after another);
//   - `skopeo copy` to a dir: the transfer alone, nothing unpacked (a floor for the network part).
// Images (bench/lib/images.mjs, cached per day): the mmdebstrap Debian base in five layers, and
// ~200 MB of many small files in four. Cases: cold (nothing of the image on the engine), and
// layers present (the same layers under a new repository: only manifest and config move).
// Also push: the pulled image to an empty registry (berth sends its stored blobs; dockerd
// compresses its layers again), and the pipeline's overlap (download vs unpack time) from the
// engine's own timings. Targets: pull ≥ 2× faster than dockerd cold; push ≥ 1.5×.
// Needs root, docker-registry, dockerd, skopeo, mmdebstrap, and a build (npm run build).
// Usage: node bench/pull.mjs [--runs 3] [--image debian|small|all] [--only builtin|dockerd|skopeo]
import { spawn, spawnSync } from 'node:child_process';
import { createReadStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startBuiltinEngine } from './lib/builtin.mjs';
import { dockerdAvailable, startDockerd } from './lib/dockerd.mjs';
import { debianImage, smallFilesImage } from './lib/images.mjs';
import { median, ratio } from './lib/stats.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name, dflt) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : dflt);
const runs = Number(arg('--runs', 3));
const only = arg('--only', undefined);
const which = arg('--image', 'all');
const s = (ms) => `${(ms / 1000).toFixed(2)} s`;
const mb = (b) => `${(b / 1e6).toFixed(0)} MB`;

if (process.getuid?.() !== 0) {
  console.log('pull bench: needs root (overlay snapshots, dockerd); skipped');
  process.exit(0);
}
for (const tool of ['docker-registry', 'skopeo', 'mmdebstrap']) {
  if (spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status !== 0) {
    console.log(`pull bench: needs ${tool} (scripts/install-system-deps.sh --tests installs it); skipped`);
    process.exit(0);
  }
}

/** A registry on 127.0.0.1 with its own store; stop() removes it. */
async function startRegistry() {
  const dir = mkdtempSync(path.join(tmpdir(), 'berth-bench-registry-'));
  writeFileSync(
    path.join(dir, 'config.yml'),
    `version: 0.1\nlog:\n  level: info\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: ${dir}/data\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:0\n  secret: bench\n`,
  );
  const child = spawn('docker-registry', ['serve', path.join(dir, 'config.yml')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  const port = await new Promise((resolve, reject) => {
    // The "listening on" line is logged at info level; after it, the log is not kept.
    const on = (d) => {
      if (log.length > 100_000) return;
      log += d;
      const m = /listening on 127\.0\.0\.1:(\d+)/.exec(log);
      if (m) resolve(Number(m[1]));
    };
    child.stdout.on('data', on);
    child.stderr.on('data', on);
    child.once('exit', (code) => reject(new Error(`docker-registry exited ${code}: ${log}`)));
  });
  return {
    host: `127.0.0.1:${port}`,
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null ? r() : child.once('exit', r)));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** An API call answered with a JSON progress stream; resolves with the lines, throws on an error line. */
function progressCall(socketPath, method, urlPath, headers = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath, method, path: urlPath, headers: { 'X-Registry-Auth': Buffer.from('{}').toString('base64'), ...headers } }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => {
        if (res.statusCode !== 200) return reject(new Error(`${method} ${urlPath}: ${res.statusCode} ${text}`));
        const lines = text.split('\n').filter(Boolean).map((l) => JSON.parse(l));
        const failed = lines.find((l) => l.error);
        if (failed) return reject(new Error(`${method} ${urlPath}: ${failed.error}`));
        resolve(lines);
      });
    });
    req.on('error', reject);
    req.end();
  });
}

function call(socketPath, method, urlPath) {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath, method, path: urlPath }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.on('error', reject);
    req.end();
  });
}

async function pushToRegistry(client, ref, image) {
  const { pushImage, MediaType } = await import(path.join(root, 'dist/engine/distribution/index.js'));
  const layers = image.layers.map((l) => ({ mediaType: MediaType.dockerLayerGzip, digest: l.digest, size: l.size, open: () => createReadStream(l.file) }));
  await pushImage(client, ref, { config: { data: image.config }, layers, format: 'docker' });
}

/** One engine's figures for one image: cold pulls, pulls with the layers present, pushes. */
async function measureEngine(socketPath, registry, name, repo) {
  const [repository, tag] = repo.split(':');
  const pull = async (r) => {
    const t0 = performance.now();
    const lines = await progressCall(socketPath, 'POST', `/images/create?fromImage=${encodeURIComponent(`${registry.host}/${r}`)}&tag=${tag}`);
    return { ms: performance.now() - t0, stats: lines.find((l) => l.aux?.['berth.pull'])?.aux['berth.pull'] };
  };
  const removeAll = async () => {
    for (const r of [repository, `${repository}-copy`]) await call(socketPath, 'DELETE', `/images/${encodeURIComponent(`${registry.host}/${r}:${tag}`)}?force=1`);
    await call(socketPath, 'POST', `/images/prune?filters=${encodeURIComponent('{"dangling":["false"]}')}`);
  };
  const cold = [];
  const present = [];
  const pipeline = [];
  for (let i = 0; i < runs; i++) {
    await removeAll();
    const c = await pull(repository);
    cold.push(c.ms);
    if (c.stats) pipeline.push(c.stats);
    present.push((await pull(`${repository}-copy`)).ms);
  }
  // Push what was pulled to a registry that has none of it, so every blob is uploaded.
  const pushes = [];
  for (let i = 0; i < runs; i++) {
    const empty = await startRegistry();
    try {
      const target = `${empty.host}/pushed/${name}`;
      await call(socketPath, 'POST', `/images/${encodeURIComponent(`${registry.host}/${repository}:${tag}`)}/tag?repo=${encodeURIComponent(target)}&tag=${tag}`);
      const t0 = performance.now();
      await progressCall(socketPath, 'POST', `/images/${encodeURIComponent(target)}/push?tag=${tag}`);
      pushes.push(performance.now() - t0);
      await call(socketPath, 'DELETE', `/images/${encodeURIComponent(`${target}:${tag}`)}`);
    } finally {
      await empty.stop();
    }
  }
  await removeAll();
  return { cold: median(cold), present: median(present), push: median(pushes), pipeline };
}

async function measureSkopeo(registry, repo) {
  const times = [];
  for (let i = 0; i < runs; i++) {
    const dir = mkdtempSync(path.join(tmpdir(), 'berth-bench-skopeo-'));
    try {
      const t0 = performance.now();
      const r = spawnSync('skopeo', ['copy', '--quiet', '--src-tls-verify=false', `docker://${registry.host}/${repo}`, `dir:${dir}/out`], { stdio: ['ignore', 'ignore', 'pipe'] });
      if (r.status !== 0) throw new Error(`skopeo copy failed: ${r.stderr}`);
      times.push(performance.now() - t0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return median(times);
}

const images = [];
if (which === 'all' || which === 'debian') images.push({ name: 'debian', label: 'Debian bookworm minbase (mmdebstrap), 5 layers', image: await debianImage() });
if (which === 'all' || which === 'small') images.push({ name: 'small', label: '~200 MB of small files, 4 layers', image: await smallFilesImage() });

const { RegistryClient, staticCredentials } = await import(path.join(root, 'dist/engine/distribution/index.js'));
const registry = await startRegistry();
const results = {};
try {
  const client = new RegistryClient({ credentials: staticCredentials({}) });
  for (const { name, image } of images) {
    await pushToRegistry(client, `${registry.host}/bench/${name}:1`, image);
    await pushToRegistry(client, `${registry.host}/bench/${name}-copy:1`, image);
  }
  for (const { name } of images) {
    results[name] = {};
    if (only === undefined || only === 'builtin') {
      const engine = await startBuiltinEngine(root);
      try {
        results[name].builtin = await measureEngine(engine.daemon.socketPath, registry, name, `bench/${name}:1`);
      } finally {
        await engine.stop();
      }
    }
    if ((only === undefined || only === 'dockerd') && dockerdAvailable()) {
      const d = await startDockerd();
      try {
        results[name].dockerd = await measureEngine(d.socket, registry, name, `bench/${name}:1`);
      } finally {
        await d.stop();
      }
    }
    if (only === undefined || only === 'skopeo') results[name].skopeo = await measureSkopeo(registry, `bench/${name}:1`);
  }
} finally {
  await registry.stop();
}

console.log(`pull bench: loopback registry (distribution 2.8), median of ${runs}`);
let pullOk = true;
let pushOk = true;
for (const { name, label, image } of images) {
  const r = results[name];
  const packed = image.layers.reduce((n, l) => n + l.size, 0);
  const unpacked = image.layers.reduce((n, l) => n + l.uncompressed, 0);
  const b = r.builtin;
  const d = r.dockerd;
  console.log(`\n${label}: ${mb(packed)} gzip, ${mb(unpacked)} of tar`);
  if (b) console.log(`  berth engine   pull cold ${s(b.cold)}   layers present ${s(b.present)}   push to an empty registry ${s(b.push)}`);
  if (d) console.log(`  dockerd        pull cold ${s(d.cold)}   layers present ${s(d.present)}   push to an empty registry ${s(d.push)}`);
  if (r.skopeo !== undefined) console.log(`  skopeo copy    to a dir ${s(r.skopeo)} (transfer only, nothing unpacked)`);
  if (b && d) {
    const pullRatio = d.cold / b.cold;
    const pushRatio = d.push / b.push;
    pullOk &&= pullRatio >= 2;
    pushOk &&= pushRatio >= 1.5;
    console.log(`  ratio dockerd/berth: pull cold ${ratio(d.cold, b.cold)} [target ≥ 2x: ${pullRatio >= 2 ? 'met' : 'MISSED'}], layers present ${ratio(d.present, b.present)}, push ${ratio(d.push, b.push)} [target ≥ 1.5x: ${pushRatio >= 1.5 ? 'met' : 'MISSED'}]`);
  }
  if (b && b.pipeline.length > 0) {
    const p = b.pipeline[Math.floor(b.pipeline.length / 2)];
    const overlapShare = p.overlapMs / Math.max(1, Math.min(p.downloadMs, p.unpackMs));
    console.log(`  berth pipeline (a cold pull): wall ${s(p.wallMs)}; downloading ${s(p.downloadMs)}, unpacking ${s(p.unpackMs)}, both at once ${s(p.overlapMs)} (${(overlapShare * 100).toFixed(0)}% of the shorter); unpacking ends ${s(p.afterDownloadMs)} after the last byte`);
  }
}
if (Object.values(results).some((r) => r.builtin && r.dockerd)) console.log(`\ntargets: pull ≥ 2x dockerd cold ${pullOk ? 'met' : 'MISSED'}; push ≥ 1.5x ${pushOk ? 'met' : 'MISSED'}`);
