#!/usr/bin/env node
// Swarm benchmark, on a 3-node lab this script makes (`berth swarm-lab`, removed at the end): the
// 10-service bench stack of bench/compose.mjs (a depends_on chain s0 ← s1 ← … ← s9 over two overlay
// networks, s0 mounting a named volume, busybox from the lab registry), deployed
//   - by berth:               berth --engine swarm up -d   /  berth --engine swarm down -v
//   - by docker stack deploy: docker stack deploy -c …     /  docker stack rm
// from one compose file both accept (version 3.9, endpoint_mode dnsrr: the lab has no IPVS).
// Neither command's return is the end: `docker stack deploy` returns before any task runs, and rm
// before anything is removed; berth's up orders the chain (each service once its dependency's
// tasks started) and its down waits for the nodes. So each measurement runs the command and then
// polls the manager (and the nodes' engines) until every task runs — or, for down, until no
// service, task, network or container of the stack is left anywhere: the same finish line for both.
// Also the no-op: the same deploy again on a running stack. Medians of N rounds, ratios.
// Usage: node bench/swarm.mjs [--runs 3]   (root; docker.io, docker-registry; npm ci first)
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, ratio } from './lib/stats.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name, dflt) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : dflt);
const runs = Number(arg('--runs', 3));
const DOCKER = '/usr/bin/docker';

const { labPrerequisitesMissing, upLab, pushBusybox } = await import(path.join(root, 'dist/swarm/lab/lab.js'));
const { downLab } = await import(path.join(root, 'dist/swarm/lab/teardown.js'));
const missing = await labPrerequisitesMissing();
if (missing) {
  console.log(`swarm bench: ${missing}; skipped`);
  process.exit(0);
}

function stackYaml(image) {
  const lines = ['version: "3.9"', 'services:'];
  for (let i = 0; i < 10; i++) {
    lines.push(`  s${i}:`);
    lines.push(`    image: ${image}`);
    // sleep in the background and wait: a trapped TERM interrupts wait at once (not after a sleep).
    lines.push(`    command: ["sh", "-c", "trap 'exit 0' TERM; sleep 2147483647 & wait"]`);
    lines.push(`    networks: [${i < 5 ? 'front' : 'back'}${i === 4 || i === 5 ? ', ' + (i === 4 ? 'back' : 'front') : ''}]`);
    lines.push('    deploy: { endpoint_mode: dnsrr }');
    if (i > 0) lines.push(`    depends_on: [s${i - 1}]`);
    if (i === 0) lines.push('    volumes: ["data:/data"]');
  }
  lines.push('networks: { front: { driver: overlay }, back: { driver: overlay } }');
  lines.push('volumes: { data: {} }');
  return `${lines.join('\n')}\n`;
}

function timed(cmd, args, env, cwd) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(cmd, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(performance.now() - t0) : reject(new Error(`${cmd} ${args.join(' ')} exited ${code}:\n${out}`))));
  });
}

function api(socket, pathAndQuery) {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: socket, path: pathAndQuery, headers: { Host: 'docker' } }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => (res.statusCode < 300 ? resolve(JSON.parse(body)) : reject(new Error(`${pathAndQuery}: ${res.statusCode} ${body}`))));
    });
    req.on('error', reject);
    req.end();
  });
}

const label = (ns) => encodeURIComponent(JSON.stringify({ label: [`com.docker.stack.namespace=${ns}`] }));

async function pollUntil(what, test, timeoutMs = 300_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await test()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Every service of the stack there, with every wanted task running. */
async function allRunning(manager, ns) {
  const services = await api(manager, `/services?filters=${label(ns)}`);
  if (services.length !== 10) return false;
  const tasks = await api(manager, `/tasks?filters=${label(ns)}`);
  return services.every((s) => {
    const mine = tasks.filter((t) => t.ServiceID === s.ID && t.DesiredState === 'running');
    return mine.length === s.Spec.Mode.Replicated.Replicas && mine.every((t) => t.Status.State === 'running');
  });
}

/** Nothing of the stack anywhere: services, tasks, networks on the manager; containers on every node. */
async function allGone(manager, nodes, ns) {
  const [services, tasks, networks] = await Promise.all([api(manager, `/services?filters=${label(ns)}`), api(manager, `/tasks?filters=${label(ns)}`), api(manager, `/networks?filters=${label(ns)}`)]);
  if (services.length || tasks.length || networks.length) return false;
  for (const n of nodes) if ((await api(n, `/containers/json?all=1&filters=${label(ns)}`)).length) return false;
  return true;
}

const dir = mkdtempSync('/tmp/bsb-');
const results = {};
try {
  const t0 = performance.now();
  const lab = await upLab({ dir, nodes: 3 });
  const image = (await pushBusybox(dir)).reference;
  console.log(`lab: 3 nodes and a registry in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const manager = lab.nodes[0].socket;
  const nodes = lab.nodes.map((n) => n.socket);
  const work = mkdtempSync(path.join(dir, 'stack-'));
  writeFileSync(path.join(work, 'compose.yaml'), stackYaml(image));
  const env = { DOCKER_HOST: lab.nodes[0].dockerHost };

  const tools = {
    berth: (ns) => ({
      up: () => timed(process.execPath, [path.join(root, 'bin/berth.js'), '--engine', 'swarm', '-p', ns, 'up', '-d', '--progress', 'quiet'], env, work),
      down: () => timed(process.execPath, [path.join(root, 'bin/berth.js'), '--engine', 'swarm', '-p', ns, 'down', '-v', '--progress', 'quiet'], env, work),
    }),
    'docker stack deploy': (ns) => ({
      up: () => timed(DOCKER, ['stack', 'deploy', '-c', 'compose.yaml', ns], env, work),
      down: () => timed(DOCKER, ['stack', 'rm', ns], env, work),
    }),
  };
  // Interleaved rounds, so both see the same machine load.
  const rows = Object.fromEntries(Object.keys(tools).map((k) => [k, { upCmd: [], upRunning: [], noop: [], downCmd: [], downGone: [] }]));
  for (let i = 0; i < runs; i++) {
    for (const [name, make] of Object.entries(tools)) {
      const ns = `b${i}${name === 'berth' ? 'b' : 'd'}`;
      const t = make(ns);
      const r = rows[name];
      const start = performance.now();
      r.upCmd.push(await t.up());
      await pollUntil(`${ns} running`, () => allRunning(manager, ns));
      r.upRunning.push(performance.now() - start);
      r.noop.push(await t.up());
      const d = performance.now();
      r.downCmd.push(await t.down());
      await pollUntil(`${ns} gone`, () => allGone(manager, nodes, ns));
      r.downGone.push(performance.now() - d);
      console.log(`round ${i + 1} ${name}: up ${(r.upRunning.at(-1) / 1000).toFixed(2)} s (command ${(r.upCmd.at(-1) / 1000).toFixed(2)}), no-op ${(r.noop.at(-1) / 1000).toFixed(2)} s, down ${(r.downGone.at(-1) / 1000).toFixed(2)} s (command ${(r.downCmd.at(-1) / 1000).toFixed(2)})`);
    }
  }
  for (const [name, r] of Object.entries(rows)) results[name] = Object.fromEntries(Object.entries(r).map(([k, v]) => [k, median(v)]));
} finally {
  await downLab(dir, { graceMs: 10_000 }).catch((e) => console.error(`lab down: ${e.message}`));
  rmSync(dir, { recursive: true, force: true });
}

const s = (v) => `${(v / 1000).toFixed(2)} s`;
console.log(`\n10-service chained stack on a 3-node Swarm lab; median of ${runs} rounds; each command a fresh process`);
console.log(`${'tool'.padEnd(22)}${'up → all running'.padStart(18)}${'(command)'.padStart(11)}${'no-op'.padStart(9)}${'down → all gone'.padStart(17)}${'(command)'.padStart(11)}`);
for (const [name, r] of Object.entries(results)) {
  console.log(`${name.padEnd(22)}${s(r.upRunning).padStart(18)}${s(r.upCmd).padStart(11)}${s(r.noop).padStart(9)}${s(r.downGone).padStart(17)}${s(r.downCmd).padStart(11)}`);
}
const b = results.berth;
const d = results['docker stack deploy'];
if (b && d) console.log(`\ndocker stack / berth: up → running ${ratio(d.upRunning, b.upRunning)}, no-op ${ratio(d.noop, b.noop)}, down → gone ${ratio(d.downGone, b.downGone)}`);
