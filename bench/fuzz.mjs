#!/usr/bin/env node
// Loader fuzzer (issue #19, "bad input, everywhere"): 10,000 mutations of the corpus's compose
// files and of generated stacks (bench/lib/fuzz-cases.mjs) through the built loader
// (dist/loader/loader.js, `npm ci` builds it). Every case must end as a project, a typed error
// with a location, or a usage error naming its variable — never an untyped exception — within a
// time and memory bound: cases run in a worker limited to 384 MB of heap; a case that takes more
// than 10 s, or kills the worker (out of memory, a stack overflow Node cannot catch), is reported
// with its seed and number, and the run goes on in a fresh worker.
//
//   node bench/fuzz.mjs [--cases 10000] [--seed 1] [--show N]
// Exit code 1 when any case crashed, hung or ran out of memory.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { corpusSeeds, fuzzCases, judge } from './lib/fuzz-cases.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const HEAP_MB = 384;
const CASE_TIMEOUT_MS = 10_000;

function argument(name, fallback) {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

if (!isMainThread) {
  // Worker: runs cases [from, to) and reports each before and after, so a death names its case.
  const { loadProject } = await import(path.join(root, 'dist/loader/loader.js'));
  const classes = await import(path.join(root, 'dist/errors.js'));
  const { seed, count, from, corpus } = workerData;
  const seeds = corpusSeeds(corpus);
  let i = 0;
  for (const c of fuzzCases({ seed, count, seeds })) {
    if (i++ < from) continue;
    parentPort.postMessage({ type: 'start', id: c.id });
    const t0 = performance.now();
    let error;
    try {
      loadProject({ files: ['-'], workingDir: '/nonexistent/fuzz', environment: c.environment, readStdin: () => c.text });
    } catch (e) {
      error = e;
    }
    const verdict = judge(error, classes);
    parentPort.postMessage({ type: 'done', id: c.id, ms: performance.now() - t0, verdict, base: c.base, mutations: c.mutations, bytes: c.text.length });
  }
  parentPort.postMessage({ type: 'end' });
} else {
  if (!existsSync(path.join(root, 'dist/loader/loader.js'))) {
    console.error('bench/fuzz.mjs: dist/ is not built; run `npm ci` or `npm run build` first');
    process.exit(2);
  }
  const count = argument('--cases', 10_000);
  const seed = argument('--seed', 1);
  const show = argument('--show', 10);
  const corpus = process.env.BERTH_CORPUS ?? path.resolve(root, '../shared/corpus');
  const seeds = corpusSeeds(corpus);
  console.log(`fuzz: ${count} cases, seed ${seed}, ${seeds.length} corpus files${seeds.length ? '' : ` (none at ${corpus}: generated stacks only)`}, worker heap ${HEAP_MB} MB`);

  const tally = { ok: 0, located: 0, usage: 0, crash: 0, hang: 0, died: 0 };
  const failures = [];
  const times = [];
  const slowest = [];
  const started = performance.now();
  let next = 0;
  while (next < count) {
    await new Promise((resolve) => {
      const worker = new Worker(fileURLToPath(import.meta.url), { workerData: { seed, count, from: next, corpus }, resourceLimits: { maxOldGenerationSizeMb: HEAP_MB } });
      let current;
      let timer;
      const arm = () => {
        clearTimeout(timer);
        timer = setTimeout(() => {
          tally.hang++;
          failures.push({ id: current, kind: 'hang', message: `no answer within ${CASE_TIMEOUT_MS / 1000} s` });
          next = current + 1;
          void worker.terminate();
        }, CASE_TIMEOUT_MS);
      };
      worker.on('message', (m) => {
        if (m.type === 'start') {
          current = m.id;
          arm();
        } else if (m.type === 'done') {
          next = m.id + 1;
          tally[m.verdict.kind]++;
          times.push(m.ms);
          slowest.push({ id: m.id, ms: m.ms, base: m.base, mutations: m.mutations, bytes: m.bytes });
          slowest.sort((a, b) => b.ms - a.ms);
          slowest.length = Math.min(slowest.length, 5);
          if (m.verdict.kind === 'crash') failures.push({ id: m.id, kind: 'crash', base: m.base, mutations: m.mutations, message: m.verdict.message });
        } else if (m.type === 'end') {
          next = count;
        }
      });
      worker.on('error', (e) => {
        tally.died++;
        failures.push({ id: current, kind: 'died', message: String(e?.message ?? e) });
        next = current + 1;
      });
      worker.on('exit', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
  times.sort((a, b) => a - b);
  const q = (p) => times[Math.min(times.length - 1, Math.floor(p * times.length))]?.toFixed(1);
  console.log(`outcomes: ${tally.ok} loaded, ${tally.located} located errors, ${tally.usage} usage errors; ${tally.crash} crashes, ${tally.hang} hangs, ${tally.died} worker deaths`);
  console.log(`time per case: median ${q(0.5)} ms, p99 ${q(0.99)} ms, max ${q(1)} ms; whole run ${((performance.now() - started) / 1000).toFixed(1)} s`);
  console.log(`slowest: ${slowest.map((s) => `#${s.id} ${s.ms.toFixed(0)} ms (${s.mutations.join('+')} on ${s.base}, ${s.bytes} bytes)`).join('; ')}`);
  for (const f of failures.slice(0, show)) console.log(`  #${f.id} ${f.kind}${f.mutations ? ` (${f.mutations.join('+')} on ${f.base})` : ''}: ${String(f.message).split('\n').slice(0, 6).join('\n      ')}`);
  if (failures.length > show) console.log(`  … and ${failures.length - show} more`);
  process.exit(failures.length ? 1 : 0);
}
