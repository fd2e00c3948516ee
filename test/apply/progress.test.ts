// Progress renderers with an injected clock: plain lines, JSON lines, and the live terminal view
// redrawn in place.
import { describe, expect, it } from 'vitest';
import { jsonReporter, plainReporter, ProgressTracker, ttyReporter } from '../../src/apply/progress.js';

function run(reporter: (w: (t: string) => void) => ReturnType<typeof plainReporter>): string {
  let out = '';
  let now = 1000;
  const t = new ProgressTracker(reporter((s) => (out += s)), () => now);
  t.emit('Container', 'app-db-1', 'Creating');
  now += 200;
  t.emit('Container', 'app-db-1', 'Created');
  t.emit('Container', 'app-web-1', 'Waiting');
  now += 1300;
  t.emit('Container', 'app-web-1', 'Healthy');
  t.close();
  return out;
}

describe('progress', () => {
  it('plain: one line per change, final states with their time', () => {
    expect(run(plainReporter)).toBe(
      'Container app-db-1  Creating\nContainer app-db-1  Created  0.2s\nContainer app-web-1  Waiting\nContainer app-web-1  Healthy  1.3s\n',
    );
  });

  it('json: one object per change', () => {
    const lines = run(jsonReporter).trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.at(-1)).toEqual({ resource: 'Container', name: 'app-web-1', status: 'Healthy', elapsed_ms: 1300, done: true });
  });

  it('tty: rows redrawn in place (cursor up over the previous frame)', () => {
    const out = run((w) => ttyReporter(w, false));
    expect(out).toContain('\x1b[2A'); // the last frame redraws both rows
    expect(out.split('\x1b[2K').at(-1)).toMatch(/✔ Container app-web-1 +Healthy +1\.3s/);
  });
});
