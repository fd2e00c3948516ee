#!/usr/bin/env node
// Volumes and docker cp benchmark. For each engine, through the Docker API with dockerode and the
// same busybox image (`VOLUME /etc` set at import, so every container gets an anonymous volume
// filled from the image by copy-up):
//  - volume create + inspect + remove: median of N;
//  - run `true` without volumes (the baseline), and with a fresh named volume on /data (create, start, wait, rm -v): median of N;
//  - run `true` with the anonymous copy-up volume on /etc, removed with rm -v: median of N;
//  - PUT /archive of a tar with 1000 small files + one 16 MiB file into a running container, and
//    GET /archive of the same directory back: median of a few;
// on berth's built-in engine and on a private dockerd (Debian's docker.io), with the ratio.
// Needs root and a built dist/ (npm run build). Usage: node bench/volumes.mjs [--runs 30] [--only builtin|dockerd]
import { createReadStream, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { busyboxRootfsTar } from './lib/busybox-image.mjs';
import { dockerdAvailable, startDockerd } from './lib/dockerd.mjs';
import { startBuiltinEngine } from './lib/builtin.mjs';
import { median, ms, ratio } from './lib/stats.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name, dflt) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : dflt);
const runs = Number(arg('--runs', 30));
const only = arg('--only', undefined);
const copyRuns = Math.max(3, Math.floor(runs / 6));

async function importImage(docker, tar, repo, changes) {
  const stream = await docker.importImage(createReadStream(tar), { repo, tag: 'latest', changes });
  await new Promise((resolve, reject) => docker.modem.followProgress(stream, (err) => (err ? reject(err) : resolve())));
}

async function drain(stream) {
  let bytes = 0;
  for await (const chunk of stream) bytes += chunk.length;
  return bytes;
}

async function runToExit(docker, spec) {
  const c = await docker.createContainer(spec);
  await c.start();
  const { StatusCode } = await c.wait();
  if (StatusCode !== 0) throw new Error(`container exited ${StatusCode}`);
  await c.remove({ force: true, v: true });
}

async function measure(name, docker, imageTar, payloadTar) {
  await importImage(docker, imageTar, 'bench/busybox', []);
  await importImage(docker, imageTar, 'bench/busybox-vol', ['VOLUME /etc']);
  const spec = (extra) => ({ Image: 'bench/busybox:latest', Cmd: ['true'], HostConfig: { NetworkMode: 'none', ...extra } });
  for (let i = 0; i < 2; i++) await runToExit(docker, spec({}));

  const volumeOps = [];
  const plainRuns = [];
  const namedRuns = [];
  const copyUpRuns = [];
  for (let i = 0; i < runs; i++) {
    const vname = `bench-${process.pid}-${i}`;
    let t0 = performance.now();
    const v = await docker.createVolume({ Name: vname });
    await v.inspect();
    await v.remove();
    volumeOps.push(performance.now() - t0);

    t0 = performance.now();
    await runToExit(docker, spec({}));
    plainRuns.push(performance.now() - t0);

    t0 = performance.now();
    await runToExit(docker, spec({ Binds: [`${vname}-run:/data`] }));
    namedRuns.push(performance.now() - t0);
    await docker.getVolume(`${vname}-run`).remove();

    t0 = performance.now();
    await runToExit(docker, { ...spec({}), Image: 'bench/busybox-vol:latest' });
    copyUpRuns.push(performance.now() - t0);
  }

  const puts = [];
  const gets = [];
  const c = await docker.createContainer({ ...spec({}), Cmd: ['sleep', '3600'] });
  await c.start();
  try {
    for (let i = 0; i < copyRuns; i++) {
      const dest = `/tmp/put${i}`;
      await (await c.exec({ Cmd: ['mkdir', dest] })).start({}).then(drain);
      await new Promise((r) => setTimeout(r, 50));
      let t0 = performance.now();
      await c.putArchive(createReadStream(payloadTar), { path: dest });
      puts.push(performance.now() - t0);
      t0 = performance.now();
      const bytes = await drain(await c.getArchive({ path: `${dest}/payload` }));
      gets.push(performance.now() - t0);
      if (bytes < 16 * 1024 * 1024) throw new Error(`${name}: GET /archive returned only ${bytes} bytes`);
    }
  } finally {
    await c.remove({ force: true });
  }
  return { volumeMs: median(volumeOps), plainRunMs: median(plainRuns), namedRunMs: median(namedRuns), copyUpRunMs: median(copyUpRuns), putMs: median(puts), getMs: median(gets) };
}

if (process.getuid?.() !== 0) {
  console.log('volumes bench: needs root (containers, overlayfs, mounts); skipped');
  process.exit(0);
}

const { tar: imageTar, cleanup } = busyboxRootfsTar();
const payloadDir = mkdtempSync(path.join(tmpdir(), 'berth-bench-payload-'));
const payload = path.join(payloadDir, 'payload');
mkdirSync(path.join(payload, 'small'), { recursive: true });
for (let i = 0; i < 1000; i++) writeFileSync(path.join(payload, 'small', `f${i}.txt`), `file ${i}\n`.repeat(8));
execFileSync('dd', ['if=/dev/urandom', `of=${path.join(payload, 'big.bin')}`, 'bs=1M', 'count=16'], { stdio: 'ignore' });
const payloadTar = path.join(payloadDir, 'payload.tar');
execFileSync('tar', ['-C', payloadDir, '-cf', payloadTar, 'payload']);

const results = {};
try {
  if (only !== 'dockerd') {
    const engine = await startBuiltinEngine(root);
    try {
      results.builtin = await measure('builtin', engine.docker, imageTar, payloadTar);
    } finally {
      for (const v of (await engine.docker.listVolumes()).Volumes ?? []) await engine.docker.getVolume(v.Name).remove().catch(() => undefined);
      await engine.stop();
    }
  }
  if (only !== 'builtin') {
    if (!dockerdAvailable()) console.log('dockerd: not installed (apt-get install docker.io to compare)');
    else {
      const d = await startDockerd();
      try {
        results.dockerd = await measure('dockerd', d.docker, imageTar, payloadTar);
      } finally {
        await d.stop();
      }
    }
  }
} finally {
  cleanup();
  rmSync(payloadDir, { recursive: true, force: true });
}

const b = results.builtin;
const d = results.dockerd;
const line = (r) =>
  `volume create+inspect+rm ${ms(r.volumeMs)}; run without volume ${ms(r.plainRunMs)}; run with named volume ${ms(r.namedRunMs)}; run with copy-up volume ${ms(r.copyUpRunMs)}; ` +
  `cp in (1000 files + 16 MiB) ${ms(r.putMs)}; cp out ${ms(r.getMs)}`;
console.log(`volumes bench, busybox, NetworkMode none, median of ${runs} (cp: ${copyRuns}):`);
if (b) console.log(`  built-in engine: ${line(b)}`);
if (d) console.log(`  dockerd:         ${line(d)}`);
if (b && d) {
  console.log(
    `  ratio (dockerd / built-in): volume ops ${ratio(d.volumeMs, b.volumeMs)}, named-volume run ${ratio(d.namedRunMs, b.namedRunMs)}, ` +
      `copy-up run ${ratio(d.copyUpRunMs, b.copyUpRunMs)}, cp in ${ratio(d.putMs, b.putMs)}, cp out ${ratio(d.getMs, b.getMs)}`,
  );
}
