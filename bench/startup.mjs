#!/usr/bin/env node
// CLI start-up benchmark: what a user waits for before berth does any work. Each command is a
// fresh process, as typed: `berth --version`, `berth --help`, and `berth config -q` of the
// 10-service stack of bench/compose.mjs, run through bin/berth.js twice — as built (the one-file
// bundle with its V8 code cache, scripts/build-cli-bundle.mjs) and with BERTH_NO_BUNDLE=1 (the
// ESM modules of dist/) — beside `node -e 0`, the floor any Node CLI pays. No engine involved.
// Usage: node bench/startup.mjs [--runs 15]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, ratio } from './lib/stats.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name, dflt) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : dflt);
const runs = Number(arg('--runs', 15));
const launcher = path.join(root, 'bin', 'berth.js');
if (!existsSync(path.join(root, 'dist', 'cli', 'berth.cjs'))) console.log('note: dist/cli/berth.cjs is not built (npm run build): both rows run the ESM modules');

const lines = ['services:'];
for (let i = 0; i < 10; i++) {
  lines.push(`  s${i}:`, '    image: bench/busybox:latest', `    command: ["sh", "-c", "sleep 1"]`, `    networks: [${i < 5 ? 'front' : 'back'}]`);
  if (i > 0) lines.push(`    depends_on: [s${i - 1}]`);
  if (i === 0) lines.push('    volumes: ["data:/data"]');
}
lines.push('networks: { front: {}, back: {} }', 'volumes: { data: {} }', '');
const dir = mkdtempSync(path.join(tmpdir(), 'berth-bench-startup-'));
writeFileSync(path.join(dir, 'compose.yaml'), lines.join('\n'));

function timed(args, env) {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, args, { cwd: dir, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`node ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return ms;
}

const cases = [
  ['berth --version', ['--version']],
  ['berth --help', ['--help']],
  ['berth config -q (10 services)', ['config', '-q']],
];
const floor = [];
const rows = cases.map(() => ({ bundle: [], modules: [] }));
try {
  // Interleaved, so a load change on the machine hits every column alike.
  for (let i = 0; i < runs; i++) {
    floor.push(timed(['-e', '0'], {}));
    cases.forEach(([, args], k) => {
      rows[k].bundle.push(timed([launcher, ...args], {}));
      rows[k].modules.push(timed([launcher, ...args], { BERTH_NO_BUNDLE: '1' }));
    });
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const ms = (v) => `${v.toFixed(0)} ms`.padStart(8);
const nodeFloor = median(floor);
console.log(`\nCLI start-up, median of ${runs} fresh processes; node -e 0: ${ms(nodeFloor).trim()}\n`);
console.log(`${'command'.padEnd(32)}${'bundle'.padStart(8)}${'modules'.padStart(9)}  modules/bundle  bundle beyond node -e 0`);
cases.forEach(([label], k) => {
  const b = median(rows[k].bundle);
  const m = median(rows[k].modules);
  console.log(`${label.padEnd(32)}${ms(b)} ${ms(m)}  ${ratio(m, b).padStart(14)}  ${ms(b - nodeFloor)}`);
});
