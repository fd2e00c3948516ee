#!/usr/bin/env node
// Engine benchmark (built-in engine, part 1). For each engine, through the Docker API with
// dockerode and the same busybox image:
//  - create+start → running: median of N (target on this machine: ≤ 30 ms on the built-in engine);
//  - `run` of `true` to exit (create, start, wait): median of N;
// on berth's built-in engine and on dockerd (Debian's docker.io, started privately by this
// script: own data root, no bridge, no iptables), with the ratio. Needs root.
// Usage: node bench/engine.mjs [--runs 50] [--only builtin|dockerd]
import { spawn } from 'node:child_process';
import { createReadStream, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { busyboxRootfsTar } from './lib/busybox-image.mjs';
import { dockerdAvailable, startDockerd } from './lib/dockerd.mjs';
import { startBuiltinEngine } from './lib/builtin.mjs';
import { median, ms, ratio } from './lib/stats.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name, dflt) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : dflt);
const runs = Number(arg('--runs', 50));
const only = arg('--only', undefined);

async function importBusybox(docker, tar) {
  const stream = await docker.importImage(createReadStream(tar), { repo: 'bench/busybox', tag: 'latest' });
  await new Promise((resolve, reject) => docker.modem.followProgress(stream, (err) => (err ? reject(err) : resolve())));
}

async function measure(name, docker, tar) {
  await importBusybox(docker, tar);
  const spec = (cmd) => ({ Image: 'bench/busybox:latest', Cmd: cmd, HostConfig: { NetworkMode: 'none' } });
  // Warm-up: first container pays for caches on both engines.
  for (let i = 0; i < 2; i++) {
    const c = await docker.createContainer(spec(['true']));
    await c.start();
    await c.wait();
    await c.remove({ force: true });
  }
  const startTimes = [];
  const runTimes = [];
  for (let i = 0; i < runs; i++) {
    let t0 = performance.now();
    const c = await docker.createContainer(spec(['sleep', '3600']));
    await c.start();
    startTimes.push(performance.now() - t0);
    await c.remove({ force: true });

    t0 = performance.now();
    const r = await docker.createContainer(spec(['true']));
    await r.start();
    const { StatusCode } = await r.wait();
    runTimes.push(performance.now() - t0);
    if (StatusCode !== 0) throw new Error(`${name}: true exited ${StatusCode}`);
    await r.remove({ force: true });
  }
  return { startMs: median(startTimes), runMs: median(runTimes) };
}

// runc's own share: `runc run --detach` of the very bundle the engine wrote (same config.json,
// seccomp filter and cgroup parent; the image's files unpacked as its root), median of N — the floor
// any runc-based start pays here. The rest of the built-in engine's figure is the engine's.
// Asynchronous: the built-in engine runs in this very process and must keep serving meanwhile.
function runcAsync(args) {
  return new Promise((resolve, reject) => {
    const child = spawn('runc', args, { stdio: 'ignore' });
    child.on('error', reject);
    child.on('exit', (code) => resolve(code));
  });
}

async function runcFloor(daemon, docker, rootfs) {
  const c = await docker.createContainer({ Image: 'bench/busybox:latest', Cmd: ['sleep', '3600'], HostConfig: { NetworkMode: 'none' } });
  await c.start();
  const config = JSON.parse(readFileSync(daemon.engine.runner.paths(c.id).config, 'utf8'));
  const dir = mkdtempSync(path.join(tmpdir(), 'berth-bench-runc-'));
  try {
    config.root.path = rootfs;
    config.process.args = ['sleep', '3600'];
    // The engine's per-container files stay (that container runs meanwhile); only the cgroup is per run.
    const bundle = path.join(dir, 'bundle');
    mkdirSync(bundle);
    const times = [];
    for (let i = 0; i < runs; i++) {
      const id = `bench-floor-${process.pid}-${i}`;
      config.linux.cgroupsPath = `${config.linux.cgroupsPath.split('/').slice(0, -1).join('/')}/${id}`;
      writeFileSync(path.join(bundle, 'config.json'), JSON.stringify(config));
      const t0 = performance.now();
      const status = await runcAsync(['--root', path.join(dir, 'state'), 'run', '--detach', '--bundle', bundle, id]);
      times.push(performance.now() - t0);
      if (status !== 0) throw new Error(`runc run --detach exited ${status}`);
      await runcAsync(['--root', path.join(dir, 'state'), 'delete', '--force', id]);
    }
    return median(times);
  } finally {
    await c.remove({ force: true });
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.getuid?.() !== 0) {
  console.log('engine bench: needs root (containers, overlayfs, cgroups); skipped');
  process.exit(0);
}
const { tar, cleanup } = busyboxRootfsTar();
const results = {};
try {
  if (only !== 'dockerd') {
    const engine = await startBuiltinEngine(root);
    try {
      results.builtin = await measure('builtin', engine.docker, tar);
      results.builtin.runcMs = await runcFloor(engine.daemon, engine.docker, path.join(path.dirname(tar), 'rootfs'));
    } finally {
      await engine.stop();
    }
  }
  if (only !== 'builtin') {
    if (!dockerdAvailable()) console.log('dockerd: not installed (apt-get install docker.io to compare)');
    else {
      const d = await startDockerd();
      try {
        results.dockerd = await measure('dockerd', d.docker, tar);
      } finally {
        await d.stop();
      }
    }
  }
} finally {
  cleanup();
}

const b = results.builtin;
const d = results.dockerd;
console.log(`engine bench, busybox, NetworkMode none, median of ${runs}:`);
if (b) console.log(`  built-in engine: create+start → running ${ms(b.startMs)} [target ≤ 30 ms: ${b.startMs <= 30 ? 'met' : 'MISSED'}]; run true → exit ${ms(b.runMs)}`);
if (b) console.log(`  runc run --detach of the same bundle alone: ${ms(b.runcMs)} (the engine's own share: ${ms(b.startMs - b.runcMs)})`);
if (d) console.log(`  dockerd:         create+start → running ${ms(d.startMs)}; run true → exit ${ms(d.runMs)}`);
if (b && d) console.log(`  ratio (dockerd / built-in): create+start ${ratio(d.startMs, b.startMs)}, run ${ratio(d.runMs, b.runMs)}`);
