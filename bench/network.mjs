#!/usr/bin/env node
// Network benchmark (built-in engine). In one run, on one engine:
//  - network create (bridge + subnet + DNS server): median of N;
//  - attach cost: create+start of a container on a bridge network vs with NetworkMode none
//    (netns, veth pair, addresses), and `network connect` of a running container: medians;
//  - TCP round-trip latency (1-byte ping-pong, median) and throughput (64 MiB one way) between
//      split: two containers on one bridge network (veth → bridge → veth),
//      pod:   two members of one sandbox (shared network namespace, loopback),
//      host:  two processes on the host's loopback (the peer that costs nothing),
//    with ratios against the host figures.
// Containers run the host image (berth/host:latest: the machine's / read-only), so the same node
// binary and script measure every case. Traffic stays on loopback and the bench's own bridge.
// Usage: node bench/network.mjs [--runs 20] [--pings 2000] [--mib 64]
import { spawn } from 'node:child_process';
import { PassThrough } from 'node:stream';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createReadStream } from 'node:fs';
import { busyboxRootfsTar } from './lib/busybox-image.mjs';
import { startBuiltinEngine } from './lib/builtin.mjs';
import { median, ms, ratio } from './lib/stats.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name, dflt) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : dflt);
const runs = Number(arg('--runs', 20));
const pings = Number(arg('--pings', 2000));
const mib = Number(arg('--mib', 64));
const NODE = process.execPath;
const HOST_IMAGE = 'berth/host:latest';

// Port 7001 echoes (latency), 7002 swallows and answers the byte count at the end (throughput).
const SERVER = `
const net = require('net');
net.createServer((s) => { s.setNoDelay(true); s.on('data', (d) => s.write(d)); s.on('error', () => {}); }).listen(7001);
net.createServer((s) => { let n = 0; s.on('data', (d) => (n += d.length)); s.on('end', () => s.end(String(n))); s.on('error', () => {}); }).listen(7002);
`;

const CLIENT = `
const net = require('net');
const [host, pings, mib] = [process.argv[1], Number(process.argv[2]), Number(process.argv[3])];
function connect(port) {
  return new Promise((resolve, reject) => {
    const tryOnce = (left) => {
      const s = net.connect(port, host, () => resolve(s));
      s.once('error', (e) => (left > 0 ? setTimeout(() => tryOnce(left - 1), 50) : reject(e)));
    };
    tryOnce(100);
  });
}
(async () => {
  const s = await connect(7001);
  s.setNoDelay(true);
  const times = [];
  for (let i = 0; i < pings; i++) {
    const t0 = process.hrtime.bigint();
    await new Promise((r) => { s.once('data', r); s.write('x'); });
    times.push(Number(process.hrtime.bigint() - t0) / 1000);
  }
  s.destroy();
  times.sort((a, b) => a - b);
  const sink = await connect(7002);
  const chunk = Buffer.alloc(64 * 1024, 120);
  const total = mib * 1024 * 1024;
  const t0 = process.hrtime.bigint();
  let sent = 0;
  await new Promise((resolve) => {
    let reply = '';
    sink.on('data', (d) => (reply += d));
    sink.on('end', resolve);
    const pump = () => {
      while (sent < total) {
        sent += chunk.length;
        if (!sink.write(chunk)) return sink.once('drain', pump);
      }
      sink.end();
    };
    pump();
  });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  console.log(JSON.stringify({ rttUs: times[Math.floor(times.length / 2)], mibPerS: mib / seconds }));
})().catch((e) => { console.error(e.message); process.exit(1); });
`;

function hostPair() {
  return new Promise((resolve, reject) => {
    const server = spawn(NODE, ['-e', SERVER], { stdio: 'ignore' });
    const client = spawn(NODE, ['-e', CLIENT, '127.0.0.1', String(pings), String(mib)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    client.stdout.on('data', (d) => (out += d));
    client.on('close', (code) => {
      server.kill();
      code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`host client exited ${code}`));
    });
  });
}

async function execJson(docker, container, cmd) {
  const e = await container.exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true });
  const stream = await e.start({});
  const out = new PassThrough();
  const err = new PassThrough();
  let stdout = '';
  let stderr = '';
  out.on('data', (d) => (stdout += d));
  err.on('data', (d) => (stderr += d));
  docker.modem.demuxStream(stream, out, err);
  await new Promise((r) => stream.on('end', r));
  try {
    return JSON.parse(stdout);
  } catch {
    throw new Error(`client in container failed: ${stderr || stdout}`);
  }
}

async function timeIt(fn) {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

if (process.getuid?.() !== 0) {
  console.log('network bench: needs root (bridges, namespaces, containers); skipped');
  process.exit(0);
}

const engine = await startBuiltinEngine(root);
const { docker } = engine;
const suffix = process.pid;
try {
  const { tar, cleanup } = busyboxRootfsTar();
  const stream = await docker.importImage(createReadStream(tar), { repo: 'bench/busybox', tag: 'latest' });
  await new Promise((resolve, reject) => docker.modem.followProgress(stream, (err) => (err ? reject(err) : resolve())));
  cleanup();

  // --- network create
  const createTimes = [];
  for (let i = 0; i < runs; i++) {
    const name = `bench-create-${suffix}-${i}`;
    createTimes.push(await timeIt(() => docker.createNetwork({ Name: name })));
    await docker.getNetwork(name).remove();
  }

  // --- attach: start on a network vs without one; connect of a running container
  const net = `bench-net-${suffix}`;
  await docker.createNetwork({ Name: net });
  const extra = `bench-extra-${suffix}`;
  await docker.createNetwork({ Name: extra });
  const startOn = async (mode) => {
    const c = await docker.createContainer({ Image: 'bench/busybox:latest', Cmd: ['sleep', '3600'], HostConfig: { NetworkMode: mode } });
    const t = await timeIt(async () => {
      await c.start();
    });
    return { c, t };
  };
  for (let i = 0; i < 2; i++) for (const m of ['none', net]) await (await startOn(m)).c.remove({ force: true });
  const noneTimes = [];
  const netTimes = [];
  const connectTimes = [];
  for (let i = 0; i < runs; i++) {
    const a = await startOn('none');
    noneTimes.push(a.t);
    await a.c.remove({ force: true });
    const b = await startOn(net);
    netTimes.push(b.t);
    connectTimes.push(await timeIt(() => docker.getNetwork(extra).connect({ Container: b.c.id })));
    await b.c.remove({ force: true });
  }

  // --- traffic
  const server = await docker.createContainer({ Image: HOST_IMAGE, name: `bench-srv-${suffix}`, Cmd: [NODE, '-e', SERVER], HostConfig: { NetworkMode: net } });
  await server.start();
  const splitClient = await docker.createContainer({ Image: HOST_IMAGE, Cmd: ['sleep', '3600'], HostConfig: { NetworkMode: net } });
  await splitClient.start();
  const podClient = await docker.createContainer({ Image: HOST_IMAGE, Cmd: ['sleep', '3600'], HostConfig: { NetworkMode: `container:${server.id}` } });
  await podClient.start();
  const clientCmd = (host) => [NODE, '-e', CLIENT, host, String(pings), String(mib)];
  const results = { split: [], pod: [], host: [] };
  for (let i = 0; i < 3; i++) {
    results.split.push(await execJson(docker, splitClient, clientCmd(`bench-srv-${suffix}`)));
    results.pod.push(await execJson(docker, podClient, clientCmd('127.0.0.1')));
    results.host.push(await hostPair());
  }
  for (const c of [podClient, splitClient, server]) await c.remove({ force: true });
  await docker.getNetwork(net).remove();
  await docker.getNetwork(extra).remove();

  const rtt = (k) => median(results[k].map((r) => r.rttUs));
  const tput = (k) => median(results[k].map((r) => r.mibPerS));
  console.log(`network bench (built-in engine, ${runs} runs, ${pings} pings, ${mib} MiB per throughput run)`);
  console.log(`  network create                 ${ms(median(createTimes))}`);
  console.log(`  start, NetworkMode none        ${ms(median(noneTimes))}`);
  console.log(`  start, on a bridge network     ${ms(median(netTimes))}   (attach cost ${ms(median(netTimes) - median(noneTimes))})`);
  console.log(`  network connect (running)      ${ms(median(connectTimes))}`);
  console.log('  TCP                            round trip        throughput');
  for (const k of ['split', 'pod', 'host']) {
    const vs = k === 'host' ? '' : `   (${ratio(rtt(k), rtt('host'))} host RTT, ${ratio(tput(k), tput('host'))} host throughput)`;
    console.log(`  ${k.padEnd(30)} ${`${rtt(k).toFixed(1)} µs`.padEnd(17)} ${`${tput(k).toFixed(0)} MiB/s`.padEnd(12)}${vs}`);
  }
} finally {
  await engine.stop();
}
