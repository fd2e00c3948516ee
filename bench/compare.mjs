#!/usr/bin/env node
// Placement benchmark: berth compare on examples/db-layouts (PostgreSQL + Node app) on a private
// built-in engine started by this script, every mode against split measured in the same run.
// Prints the side-by-side table, then each mode's ratio to split for the headline figures.
// Needs root, runc, PostgreSQL (scripts/install-system-deps.sh --tests) and `npm ci`.
// Usage: node bench/compare.mjs [--duration 10s] [--repeat 3] [--clients 4] [--modes split,pod,single]
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startBuiltinEngine } from './lib/builtin.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name, dflt) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : dflt);
const file = path.join(root, 'examples/db-layouts/compose.yaml');

const { main } = await import(path.join(root, 'dist/cli/main.js'));
const engine = await startBuiltinEngine(root);
const out = mkdtempSync(path.join(tmpdir(), 'berth-bench-compare-'));
let code = 1;
try {
  const io = {
    stdout: (t) => process.stdout.write(t),
    stderr: (t) => process.stderr.write(t),
    env: { ...process.env, DOCKER_HOST: `unix://${engine.docker.modem.socketPath}` },
    cwd: out,
    readStdin: () => '',
    isTTY: false,
  };
  code = await main(['node', 'berth', '-f', file, 'compare',
    '--modes', arg('--modes', 'split,pod,single'), '--duration', arg('--duration', '10s'), '--repeat', arg('--repeat', '3'),
    '--clients', arg('--clients', '4'), '--recovery-timeout', '20s', '--report-dir', out], io);
  const report = JSON.parse(readFileSync(path.join(out, 'compare.json'), 'utf8'));
  const split = report.modes.find((m) => m.mode === 'split');
  const rows = [['upToHealthyMs', 'up → healthy'], ['p50Ms', 'latency p50'], ['p99Ms', 'latency p99'], ['throughput', 'throughput'], ['stackMemoryMaxMiB', 'stack memory peak'], ['stackCpuPercent', 'stack CPU']];
  if (split) {
    console.log('\nratio to split (median of runs; < 1 is less time, memory or CPU, > 1 more throughput):');
    for (const m of report.modes.filter((x) => x !== split)) {
      const cells = rows.map(([k, label]) => {
        const a = m.spread[k]?.median;
        const b = split.spread[k]?.median;
        return `${label} ${a !== undefined && b ? `${(a / b).toFixed(2)}x` : '–'}`;
      });
      console.log(`  ${m.mode}: ${cells.join(', ')}`);
    }
  }
} finally {
  await engine.stop();
  rmSync(out, { recursive: true, force: true });
}
process.exit(code);
