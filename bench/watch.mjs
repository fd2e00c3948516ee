#!/usr/bin/env node
// Watch benchmark (issue 6). On the built-in engine, a 3-service stack under `berth watch`
// (startWatchSession, the real chokidar watcher, loader, plan and apply):
//  - latency from a file write (rename-save of compose.yaml changing one service's environment)
//    to that service's new container running, median of N edits, broken into
//    detect (write → cycle start: event delivery + the quiet window) / load / plan / apply;
//    target on this machine: ≤ 300 ms median;
//  - the peer, measured in the same run on the same engine: what users do without a watcher
//    that diffs (compose's `watch` never watches the compose file): re-create the whole stack
//    after the edit (`up --force-recreate`), median of N, and the ratio;
//  - the engine floor: the same recreate as four bare engine calls, so the watcher's own share
//    (total − floor) is visible apart from the engine's container start/stop.
// Needs root; run after `npm ci` (dist/). Usage: node bench/watch.mjs [--runs 20] [--debounce 50]
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createReadStream } from 'node:fs';
import { busyboxRootfsTar } from './lib/busybox-image.mjs';
import { startBuiltinEngine } from './lib/builtin.mjs';
import { median, ms, ratio } from './lib/stats.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name, dflt) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : dflt);
const runs = Number(arg('--runs', 20));
const debounceMs = Number(arg('--debounce', 50));

if (process.getuid?.() !== 0) {
  console.log('watch bench: needs root (the built-in engine runs real containers); skipped');
  process.exit(0);
}

const { DockerPort } = await import(path.join(root, 'dist/client/docker-port.js'));
const { composeApplier } = await import(path.join(root, 'dist/watch/compose-applier.js'));
const { startWatchSession } = await import(path.join(root, 'dist/watch/session.js'));
const { loadProject } = await import(path.join(root, 'dist/loader/loader.js'));

// init: true puts tini in front, so SIGTERM ends `sleep` at once and a recreate does not wait.
const CMD = `["sleep", "3600"]`;
const stack = (project, n) =>
  `name: ${project}\nservices:\n` +
  ['web', 'api', 'db']
    .map((s) => `  ${s}:\n    image: busybox\n    network_mode: none\n    init: true\n    command: ${CMD}\n    environment: {EDIT: "${s === 'web' ? n : 0}"}\n`)
    .join('');

function save(file, text) {
  writeFileSync(`${file}.tmp`, text);
  renameSync(`${file}.tmp`, file);
}

const { tar, cleanup } = busyboxRootfsTar();
const engine = await startBuiltinEngine(root);
const dir = mkdtempSync(path.join(tmpdir(), 'berth-bench-watch-'));
const file = path.join(dir, 'compose.yaml');
let session;
try {
  const stream = await engine.docker.importImage(createReadStream(tar), { repo: 'busybox', tag: 'latest' });
  await new Promise((resolve, reject) => engine.docker.modem.followProgress(stream, (err) => (err ? reject(err) : resolve())));
  const port = new DockerPort({ socketPath: engine.docker.modem.socketPath });

  // --- berth watch: one service's environment per edit
  const project = `benchwatch${process.pid}`;
  save(file, stack(project, 0));
  let resolveCycle;
  session = await startWatchSession({
    loadOptions: { workingDir: dir, environment: {} },
    explicitFiles: false,
    explicitEnvFiles: false,
    applier: composeApplier(port, { print: () => {} }),
    engine: port,
    debounceMs,
    print: () => {},
    cwd: dir,
    onCycle: (r) => resolveCycle?.(r),
  });
  await session.idle();
  const rows = [];
  for (let i = 1; i <= runs + 2; i++) {
    const cycle = new Promise((r) => (resolveCycle = r));
    // The session's clock is the wall clock (lib/clock): the edit is timed on it too.
    const t0 = Date.now();
    save(file, stack(project, i));
    const r = await cycle;
    await session.idle();
    if (r.kind !== 'applied') throw new Error(`edit ${i}: ${r.kind}: ${r.error?.message}`);
    const recreated = r.plan.actions.filter((a) => a.action === 'recreate').map((a) => a.target);
    if (recreated.join() !== 'web') throw new Error(`edit ${i}: expected only web recreated, got ${recreated.join(', ')}`);
    // The first two edits warm caches (module loading, the first recreate path); not counted.
    if (i > 2) rows.push({ total: r.finishedAt - t0, detect: r.startedAt - t0, load: r.timings.loadMs, plan: r.timings.planMs, apply: r.timings.applyMs });
  }
  await session.close();
  session = undefined;

  // --- peer: the same edit, then the whole stack re-created
  const peerProject = `benchpeer${process.pid}`;
  const applier = composeApplier(port, { print: () => {} });
  const loadOpts = { workingDir: dir, environment: {} };
  save(file, stack(peerProject, 0));
  await applier.execute(await applier.plan(loadProject(loadOpts)));
  const peer = [];
  for (let i = 1; i <= runs + 2; i++) {
    const t0 = performance.now();
    save(file, stack(peerProject, i));
    const loaded = loadProject(loadOpts);
    await applier.recreate(loaded, Object.keys(loaded.project.services));
    if (i > 2) peer.push(performance.now() - t0);
  }

  // --- floor: the engine calls a recreate makes (stop, remove, create, start), straight through
  // the port, no watcher, loader or planner: what the engine alone costs on this machine now.
  const floor = [];
  const spec = { Image: 'busybox', Cmd: ['sleep', '3600'], HostConfig: { NetworkMode: 'none', Init: true } };
  let { Id: prev } = await port.containers.create(`benchfloor${process.pid}`, spec);
  await port.containers.start(prev);
  for (let i = 1; i <= runs + 2; i++) {
    const t0 = performance.now();
    await port.containers.stop(prev);
    await port.containers.remove(prev, { force: true });
    ({ Id: prev } = await port.containers.create(`benchfloor${process.pid}`, spec));
    await port.containers.start(prev);
    if (i > 2) floor.push(performance.now() - t0);
  }
  await port.containers.remove(prev, { force: true });

  const col = (k) => median(rows.map((r) => r[k]));
  const total = col('total');
  console.log(`watch bench, built-in engine, 3 services (busybox, network_mode none), debounce ${debounceMs} ms, median of ${runs} edits:`);
  console.log(`  berth watch, write → changed service running: ${ms(total)} [target ≤ 300 ms: ${total <= 300 ? 'met' : 'MISSED'}]`);
  console.log(`    detect ${ms(col('detect'))} (includes the ${debounceMs} ms quiet window) · load ${ms(col('load'))} · plan ${ms(col('plan'))} · apply ${ms(col('apply'))}`);
  console.log(`  engine floor, the same recreate as bare engine calls (stop, remove, create, start): ${ms(median(floor))} → watch's own share ${ms(total - median(floor))}`);
  console.log(`  peer, re-create the whole stack after the edit (up --force-recreate): ${ms(median(peer))}`);
  console.log(`  ratio (peer / watch): ${ratio(median(peer), total)}`);
} finally {
  await session?.close();
  await engine.stop();
  rmSync(dir, { recursive: true, force: true });
  cleanup();
}
