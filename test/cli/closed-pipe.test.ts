// `berth config | head`: the reader goes away mid-output. berth stops quietly with 141 (128 +
// SIGPIPE, what a shell reports for a program killed by SIGPIPE) instead of an EPIPE stack trace.
// Runs the CLI as a process through bin/berth.js (what a user runs; dist/ is built by npm ci).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const repoRoot = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const dir = mkdtempSync(path.join(tmpdir(), 'berth-pipe-'));

describe('output into a closed pipe', () => {
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('ends with 141 and nothing on stderr', async () => {
    const lines = ['services:'];
    for (let i = 0; i < 2000; i++) lines.push(`  s${i}:`, '    image: busybox', `    command: ["echo", "${'x'.repeat(60)}"]`);
    writeFileSync(path.join(dir, 'compose.yaml'), `${lines.join('\n')}\n`);
    const child = spawn(process.execPath, [path.join(repoRoot, 'bin/berth.js'), 'config'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    // Like `head -1`: read the first chunk, then close our end.
    await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
    child.stdout.destroy();
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    expect(stderr).toBe('');
    expect(code).toBe(141);
  }, 30_000);
});
