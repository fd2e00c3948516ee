#!/usr/bin/env node
// Compose engine benchmark: a 10-service stack (a depends_on chain s0 ← s1 ← … ← s9, over two
// bridge networks, s0 mounting a named volume; busybox commands that exit promptly on SIGTERM).
// Measures, as a user runs them (each a fresh CLI process): cold `up -d`, no-op `up -d`, `down`.
//   - berth on the built-in engine (started by this script on private roots),
//   - berth on dockerd (Debian's docker.io, private: own data root, no default bridge, no iptables),
//   - docker-compose 1.29 on the same dockerd,
// medians of N rounds and the ratios. Targets: built-in ≤ 0.5 s cold up, ≤ 0.15 s no-op up,
// ≤ 1 s down; berth on dockerd faster than docker-compose on all three.
// Usage: node bench/compose.mjs [--runs 5] [--only builtin|dockerd]
import { spawn, spawnSync } from 'node:child_process';
import { createReadStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { busyboxRootfsTar } from './lib/busybox-image.mjs';
import { dockerdAvailable, startDockerd } from './lib/dockerd.mjs';
import { startBuiltinEngine } from './lib/builtin.mjs';
import { median, ratio } from './lib/stats.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name, dflt) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : dflt);
const runs = Number(arg('--runs', 5));
const only = arg('--only', undefined);

if (process.getuid?.() !== 0) {
  console.log('compose bench: needs root (engines, containers); skipped');
  process.exit(0);
}

function stackYaml({ volume }) {
  const lines = ['services:'];
  for (let i = 0; i < 10; i++) {
    lines.push(`  s${i}:`);
    lines.push('    image: bench/busybox:latest');
    // sleep in the background and wait: a trapped TERM interrupts wait at once (not after a sleep).
    lines.push(`    command: ["sh", "-c", "trap 'exit 0' TERM; sleep 2147483647 & wait"]`);
    lines.push(`    networks: [${i < 5 ? 'front' : 'back'}${i === 4 || i === 5 ? ', ' + (i === 4 ? 'back' : 'front') : ''}]`);
    if (i > 0) lines.push(`    depends_on: [s${i - 1}]`);
    if (i === 0 && volume) lines.push('    volumes: ["data:/data"]');
  }
  lines.push('networks: { front: {}, back: {} }');
  if (volume) lines.push('volumes: { data: {} }');
  return `${lines.join('\n')}\n`;
}

async function importBusybox(docker, tar) {
  const stream = await docker.importImage(createReadStream(tar), { repo: 'bench/busybox', tag: 'latest', changes: ['CMD ["sh"]'] });
  await new Promise((resolve, reject) => docker.modem.followProgress(stream, (err) => (err ? reject(err) : resolve())));
}

// Asynchronous: the built-in engine runs in this very process and must keep serving meanwhile.
function timed(cmd, args, env, cwd) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(cmd, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('exit', (code) => {
      const elapsed = performance.now() - t0;
      if (code !== 0) reject(new Error(`${cmd} ${args.join(' ')} exited ${code}:\n${out}`));
      else resolve(elapsed);
    });
  });
}

async function supportsVolumes(docker) {
  try {
    await docker.listVolumes();
    return true;
  } catch {
    return false;
  }
}

/** Rounds of cold up, no-op up, down for one tool on one engine. */
async function measure(label, tool, dockerHost, volume) {
  const dir = mkdtempSync(path.join(tmpdir(), 'berth-bench-compose-'));
  writeFileSync(path.join(dir, 'compose.yaml'), stackYaml({ volume }));
  const project = `bench${process.pid}${label.replace(/[^a-z]/g, '')}`;
  const env = { DOCKER_HOST: dockerHost, COMPOSE_PROJECT_NAME: project };
  const run = (args) =>
    tool === 'berth'
      ? timed(process.execPath, [path.join(root, 'bin/berth.js'), ...args, '--progress', 'quiet'], env, dir)
      : timed('docker-compose', ['--no-ansi', ...args], env, dir);
  const downArgs = volume ? ['down', '-v'] : ['down'];
  const cold = [];
  const noop = [];
  const down = [];
  try {
    await run(downArgs); // a clean slate
    for (let i = 0; i < runs; i++) {
      cold.push(await run(['up', '-d']));
      noop.push(await run(['up', '-d']));
      down.push(await run(downArgs));
    }
  } finally {
    try {
      await run(downArgs);
    } catch {
      /* already down */
    }
    rmSync(dir, { recursive: true, force: true });
  }
  return { cold: median(cold), noop: median(noop), down: median(down) };
}

const s = (msValue) => `${(msValue / 1000).toFixed(3)} s`;
const results = {};
const { tar, cleanup } = busyboxRootfsTar();
try {
  if (!only || only === 'builtin') {
    const engine = await startBuiltinEngine(root);
    try {
      await importBusybox(engine.docker, tar);
      const volume = await supportsVolumes(engine.docker);
      if (!volume) console.log('note: this built-in engine has no volumes yet; its stack runs without the volume');
      const host = `unix://${engine.docker.modem.socketPath}`;
      results['berth / built-in'] = await measure('builtin', 'berth', host, volume);
    } finally {
      await engine.stop();
    }
  }
  if ((!only || only === 'dockerd') && dockerdAvailable()) {
    const dockerd = await startDockerd();
    try {
      await importBusybox(dockerd.docker, tar);
      const host = `unix://${dockerd.socket}`;
      results['berth / dockerd'] = await measure('berthdockerd', 'berth', host, true);
      const hasCompose = spawnSync('sh', ['-c', 'command -v docker-compose'], { stdio: 'ignore' }).status === 0;
      if (hasCompose) results['docker-compose 1.29 / dockerd'] = await measure('compose', 'docker-compose', host, true);
      else console.log('docker-compose not installed: no peer on dockerd');
    } finally {
      await dockerd.stop();
    }
  } else if (!only || only === 'dockerd') {
    console.log('dockerd not installed (Debian docker.io): berth/dockerd and docker-compose rows skipped');
  }
} finally {
  cleanup();
}

console.log(`\n10-service chained stack, two networks, one volume; median of ${runs} rounds, each command a fresh process\n`);
console.log(`${'tool / engine'.padEnd(32)}${'cold up -d'.padStart(12)}${'no-op up -d'.padStart(13)}${'down'.padStart(10)}`);
for (const [name, r] of Object.entries(results)) console.log(`${name.padEnd(32)}${s(r.cold).padStart(12)}${s(r.noop).padStart(13)}${s(r.down).padStart(10)}`);
const peer = results['docker-compose 1.29 / dockerd'];
const berthDockerd = results['berth / dockerd'];
if (peer && berthDockerd) {
  console.log(`\ndocker-compose / berth on the same dockerd: cold ${ratio(peer.cold, berthDockerd.cold)}, no-op ${ratio(peer.noop, berthDockerd.noop)}, down ${ratio(peer.down, berthDockerd.down)}`);
}
const builtin = results['berth / built-in'];
if (builtin) {
  const mark = (v, t) => (v <= t ? 'met' : 'MISSED');
  console.log(`built-in targets: cold ≤ 0.5 s ${mark(builtin.cold, 500)}, no-op ≤ 0.15 s ${mark(builtin.noop, 150)}, down ≤ 1 s ${mark(builtin.down, 1000)}`);
  if (peer) console.log(`docker-compose on dockerd / berth on built-in: cold ${ratio(peer.cold, builtin.cold)}, no-op ${ratio(peer.noop, builtin.noop)}, down ${ratio(peer.down, builtin.down)}`);
}
