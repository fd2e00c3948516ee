#!/usr/bin/env node
// Build benchmark (issue #17 item 7). One realistic multi-stage build — a C program compiled with
// gcc in a Debian stage (an mmdebstrap minbase with gcc, libc6-dev and make, imported into each
// engine; made once and cached under /var/tmp/berth-bench-cache) and copied into a busybox stage —
// over a ~2,000-file context, in three cases:
//   cold       nothing cached (build cache pruned, images removed);
//   cached     the same build again, nothing changed;
//   one file   one C source changed.
// Peers, measured in the same run with the same docker CLI (Debian docker.io's /usr/bin/docker),
// wall time of `docker build`, median of --runs:
//   berth     the built-in engine (classic builder API: DOCKER_BUILDKIT=0);
//   buildkit  dockerd 20.10's BuildKit (DOCKER_BUILDKIT=1) on a private dockerd;
//   legacy    dockerd 20.10's classic builder (DOCKER_BUILDKIT=0), same dockerd.
// Targets: cached and one-file ≤ BuildKit's time; cold ≤ 1.2× BuildKit's. Needs root, dockerd,
// mmdebstrap (first run only) and npm's build (dist/). Nothing is pulled: every base is local.
// Usage: node bench/build.mjs [--runs 3] [--files 2000] [--only berth|buildkit|legacy]
import { execFileSync, spawn } from 'node:child_process';
import { createReadStream, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { busyboxRootfsTar } from './lib/busybox-image.mjs';
import { dockerdAvailable, startDockerd } from './lib/dockerd.mjs';
import { startBuiltinEngine } from './lib/builtin.mjs';
import { median, ratio } from './lib/stats.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name, dflt) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : dflt);
const runs = Number(arg('--runs', 3));
const fileCount = Number(arg('--files', 2000));
const only = arg('--only', undefined);
const DOCKER = process.env.BERTH_TEST_DOCKER_CLI || '/usr/bin/docker';
const CACHE = process.env.BERTH_BENCH_CACHE || '/var/tmp/berth-bench-cache';
const BASE_TAR = path.join(CACHE, 'debian-gcc.tar');

const DOCKERFILE = `FROM bench/debian-gcc:latest AS build
WORKDIR /src
COPY Makefile ./
COPY include/ ./include/
COPY src/ ./src/
COPY assets/ ./assets/
RUN make -j2 app && ./app --self-test

FROM bench/busybox:latest
COPY --from=build /src/app /usr/local/bin/app
COPY assets/ /usr/share/app/
ENTRYPOINT ["/usr/local/bin/app"]
`;

function ensureBase() {
  if (existsSync(BASE_TAR)) return;
  mkdirSync(CACHE, { recursive: true });
  console.error(`making the Debian base with gcc (mmdebstrap, once; cached at ${BASE_TAR}) …`);
  execFileSync('mmdebstrap', ['--variant=minbase', '--format=tar', '--include=gcc,libc6-dev,make', '--mode=root', 'bookworm', `${BASE_TAR}.tmp`], { stdio: ['ignore', 'ignore', 'inherit'] });
  execFileSync('mv', [`${BASE_TAR}.tmp`, BASE_TAR]);
}

/** The app: 8 C files, a header per module, and data files up to `fileCount` in all. */
function makeContext() {
  const dir = mkdtempSync(path.join(tmpdir(), 'berth-bench-build-'));
  writeFileSync(path.join(dir, 'Dockerfile'), DOCKERFILE);
  writeFileSync(path.join(dir, '.dockerignore'), '*.log\nscratch/\n');
  mkdirSync(path.join(dir, 'src'));
  mkdirSync(path.join(dir, 'include'));
  const modules = 8;
  let made = 3;
  for (let m = 0; m < modules; m++) {
    writeFileSync(path.join(dir, 'include', `mod${m}.h`), `int mod${m}(int x);\n`);
    writeFileSync(path.join(dir, 'src', `mod${m}.c`), `#include "mod${m}.h"\nint mod${m}(int x) { int s = 0; for (int i = 0; i < x; i++) s += (i * ${m + 3}) % 7; return s; }\n`);
    made += 2;
  }
  const calls = Array.from({ length: modules }, (_, m) => `total += mod${m}(100);`).join(' ');
  writeFileSync(path.join(dir, 'src', 'main.c'), `#include <stdio.h>\n#include <string.h>\n${Array.from({ length: modules }, (_, m) => `#include "mod${m}.h"`).join('\n')}\nint main(int argc, char **argv) { int total = 0; ${calls} if (argc > 1 && strcmp(argv[1], "--self-test") == 0) return total > 0 ? 0 : 1; printf("total %d\\n", total); return 0; }\n`);
  writeFileSync(path.join(dir, 'Makefile'), `CFLAGS=-O2 -static -Iinclude\nSRCS=$(wildcard src/*.c)\nOBJS=$(SRCS:.c=.o)\napp: $(OBJS)\n\t$(CC) $(CFLAGS) -o $@ $(OBJS)\n`);
  // The rest of the context: static assets in nested folders (a typical web app's).
  const rest = Math.max(0, fileCount - made - 3);
  for (let i = 0; i < rest; i++) {
    const sub = path.join(dir, 'assets', `group${Math.floor(i / 100)}`);
    if (i % 100 === 0) mkdirSync(sub, { recursive: true });
    writeFileSync(path.join(sub, `asset${i}.txt`), `asset ${i}\n${'x'.repeat(200 + (i % 300))}\n`);
  }
  mkdirSync(path.join(dir, 'scratch'));
  writeFileSync(path.join(dir, 'scratch', 'ignored.bin'), 'x'.repeat(1 << 20));
  return dir;
}

function cli(dockerHost, args, env = {}) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(DOCKER, args, { env: { PATH: process.env.PATH, HOME: tmpdir(), DOCKER_HOST: dockerHost, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) reject(new Error(`docker ${args.join(' ')} → exit ${code}\n${out.slice(-3000)}`));
      else resolve({ ms: performance.now() - t0, out });
    });
  });
}

async function importImage(docker, tar, repo) {
  const stream = await docker.importImage(createReadStream(tar), { repo, tag: 'latest' });
  await new Promise((resolve, reject) => docker.modem.followProgress(stream, (err) => (err ? reject(err) : resolve())));
}

/** One round of a peer: cold (after pruning), cached, one file changed. */
async function round(peer, host, ctx, i) {
  const env = { DOCKER_BUILDKIT: peer === 'buildkit' ? '1' : '0' };
  const tag = `bench/app-${peer}:latest`;
  // RUN steps without network on every peer (the private dockerd has no bridge; berth's have loopback only).
  const build = () => cli(host, ['build', '--network', 'none', '-t', tag, ctx], env);
  await cli(host, ['rmi', '-f', tag]).catch(() => undefined);
  await cli(host, ['image', 'prune', '-f']).catch(() => undefined);
  await cli(host, ['builder', 'prune', '-af']).catch(() => undefined);
  execFileSync('sync');
  const cold = (await build()).ms;
  const cached = (await build()).ms;
  appendFileSync(path.join(ctx, 'src', 'mod3.c'), `/* change ${peer} ${i} ${Date.now()} */\n`);
  const oneFile = (await build()).ms;
  const run = await cli(host, ['run', '--rm', '--network', 'none', tag]);
  if (!/total \d+/.test(run.out)) throw new Error(`${peer}: the built image printed ${run.out}`);
  console.error(`${peer} round ${i + 1}: cold ${cold.toFixed(0)} ms, cached ${cached.toFixed(0)} ms, one file ${oneFile.toFixed(0)} ms`);
  return { cold, cached, oneFile };
}

async function main() {
  if (process.getuid?.() !== 0) throw new Error('bench/build.mjs needs root (it runs engines)');
  ensureBase();
  const busybox = busyboxRootfsTar();
  const ctx = makeContext();
  const results = {};
  const engines = [];
  try {
    // Both engines up and loaded first; then the peers take turns round by round, so a change in
    // the machine's load (it is shared) falls on all of them alike.
    const peers = [];
    if (!only || only === 'berth') {
      const berth = await startBuiltinEngine(root);
      engines.push(berth);
      await importImage(berth.docker, BASE_TAR, 'bench/debian-gcc');
      await importImage(berth.docker, busybox.tar, 'bench/busybox');
      peers.push(['berth', `unix://${berth.daemon.socketPath}`]);
    }
    if ((!only || only !== 'berth') && dockerdAvailable()) {
      const d = await startDockerd();
      engines.push(d);
      await importImage(d.docker, BASE_TAR, 'bench/debian-gcc');
      await importImage(d.docker, busybox.tar, 'bench/busybox');
      if (!only || only === 'buildkit') peers.push(['buildkit', `unix://${d.socket}`]);
      if (!only || only === 'legacy') peers.push(['legacy', `unix://${d.socket}`]);
    }
    const times = Object.fromEntries(peers.map(([p]) => [p, { cold: [], cached: [], oneFile: [] }]));
    for (let i = 0; i < runs; i++) {
      for (const [peer, host] of peers) {
        const r = await round(peer, host, ctx, i);
        for (const k of ['cold', 'cached', 'oneFile']) times[peer][k].push(r[k]);
      }
    }
    for (const [peer] of peers) results[peer] = Object.fromEntries(['cold', 'cached', 'oneFile'].map((k) => [k, median(times[peer][k])]));
  } finally {
    for (const e of engines.reverse()) await e.stop().catch((err) => console.error(`stopping an engine: ${err}`));
    rmSync(ctx, { recursive: true, force: true });
    busybox.cleanup();
  }
  const s = (n) => (n === undefined ? '—' : `${(n / 1000).toFixed(2)} s`);
  console.log(`build bench: ${fileCount}-file context, gcc stage → busybox stage, median of ${runs} (wall time of docker build)`);
  console.log('case       berth      buildkit   legacy     berth/buildkit  target');
  const target = { cold: 1.2, cached: 1, oneFile: 1 };
  for (const c of ['cold', 'cached', 'oneFile']) {
    const b = results.berth?.[c];
    const k = results.buildkit?.[c];
    const l = results.legacy?.[c];
    const r = b !== undefined && k !== undefined ? b / k : undefined;
    console.log(`${c.padEnd(10)} ${s(b).padEnd(10)} ${s(k).padEnd(10)} ${s(l).padEnd(10)} ${(r === undefined ? '—' : ratio(b, k)).padEnd(15)} ≤ ${target[c]}x ${r === undefined ? '' : r <= target[c] ? 'met' : 'MISSED'}`);
  }
  console.log(JSON.stringify({ runs, files: fileCount, results }));
}

main().catch((e) => {
  console.error(e.stack ?? String(e));
  process.exit(1);
});
