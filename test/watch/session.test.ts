// A watch session on real files with the real chokidar watcher and loader, against an applier
// that keeps the "running" config hash per service (the engine side is covered by the end-to-end
// test): which edits lead to which cycles, what the report says, which files are watched.
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LoadedProject } from '../../src/loader/loader.js';
import type { StackAction, StackApplier } from '../../src/watch/applier.js';
import { hashServices } from '../../src/watch/diff.js';
import { startWatchSession, type WatchSession } from '../../src/watch/session.js';

let dir: string;
let session: WatchSession | undefined;
let printed: string;

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'berth-session-'));
  printed = '';
});
afterEach(async () => {
  await session?.close();
  session = undefined;
  rmSync(dir, { recursive: true, force: true });
});

function write(rel: string, text: string): string {
  const p = path.join(dir, rel);
  mkdirSync(path.dirname(p), { recursive: true });
  // Saved like most editors do: a temp file renamed over the original.
  writeFileSync(`${p}.tmp~`, text);
  renameSync(`${p}.tmp~`, p);
  return p;
}

/** Keeps what "runs": service → config hash; plans recreate/create/remove from it. */
class HashApplier implements StackApplier<StackAction[]> {
  running: Record<string, string> = {};
  applied: string[][] = [];
  async plan(loaded: LoadedProject): Promise<StackAction[]> {
    const want = hashServices(loaded.project);
    const actions: StackAction[] = [];
    for (const [s, h] of Object.entries(want)) {
      if (!(s in this.running)) actions.push({ target: s, action: 'create', cause: 'not found' });
      else if (this.running[s] !== h) actions.push({ target: s, action: 'recreate', cause: 'config hash changed' });
    }
    for (const s of Object.keys(this.running)) if (!(s in want)) actions.push({ target: s, action: 'remove', cause: 'not in the model' });
    (actions as StackAction[] & { want?: Record<string, string> }).want = want;
    return actions;
  }
  describe(plan: StackAction[]): StackAction[] {
    return plan;
  }
  async execute(plan: StackAction[]): Promise<void> {
    this.running = { ...(plan as StackAction[] & { want: Record<string, string> }).want };
    this.applied.push(plan.map((a) => `${a.action} ${a.target}`));
  }
}

async function start(applier: HashApplier): Promise<void> {
  session = await startWatchSession({
    loadOptions: { workingDir: dir, environment: {} },
    explicitFiles: false,
    explicitEnvFiles: false,
    applier,
    debounceMs: 30,
    print: (t) => (printed += t),
    cwd: dir,
  });
  await session.idle();
}

async function until(pred: () => boolean, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; output:\n${printed}`);
    await new Promise((r) => setTimeout(r, 10));
  }
  await session!.idle();
}

const stack = (webEnv: string, extra = '') =>
  `services:\n  web:\n    image: busybox\n    environment: {GREETING: "${webEnv}", TAG: "\${TAG:-none}"}\n  db:\n    image: busybox\n${extra}`;

describe('watch session', () => {
  it('reloads on each save, applies only the difference, reports why, and survives a broken file', async () => {
    write('compose.yaml', stack('hello'));
    const applier = new HashApplier();
    await start(applier);
    expect(applier.applied).toEqual([['create db', 'create web']]);

    write('compose.yaml', stack('bonjour'));
    await until(() => applier.applied.length === 2, 'the environment change');
    expect(applier.applied[1]).toEqual(['recreate web']);
    expect(printed).toMatch(/watch: compose\.yaml changed: 1 service changed, applied in \d+ ms \(detect \d+ · load \d+ · plan \d+ · apply \d+ ms\)\n  web: environment → recreate \(config hash changed\)/);

    write('compose.yaml', stack('bonjour', '  cache:\n    image: busybox\n'));
    await until(() => applier.applied.length === 3, 'the added service');
    expect(applier.applied[2]).toEqual(['create cache']);

    write('compose.yaml', 'services:\n  web:\n    image: busybox\n    environment: [oops\n');
    await until(() => printed.includes('invalid, nothing applied'), 'the parse error');
    expect(printed).toMatch(/compose\.yaml:\d+:\d+/);
    expect(applier.applied).toHaveLength(3);

    write('compose.yaml', stack('bonjour'));
    await until(() => applier.applied.length === 4, 'the fix');
    expect(applier.applied[3]).toEqual(['remove cache']);
  });

  it('a .env change recreates the services using the variable; an env_file and a new override file are watched', async () => {
    write('compose.yaml', stack('hello', '    env_file: [{path: db.env, required: false}]\n'));
    const applier = new HashApplier();
    await start(applier);
    expect(session!.sources().files).toEqual(
      [path.join(dir, '.env'), path.join(dir, 'compose.override.yaml'), path.join(dir, 'compose.override.yml'), path.join(dir, 'compose.yaml'), path.join(dir, 'db.env')].sort(),
    );

    write('.env', 'TAG=v2\n');
    await until(() => applier.applied.length === 2, 'the .env change');
    expect(applier.applied[1]).toEqual(['recreate web']);

    write('db.env', 'PASSWORD=x\n');
    await until(() => applier.applied.length === 3, 'the env_file appearing');
    expect(applier.applied[2]).toEqual(['recreate db']);

    write('compose.override.yaml', 'services:\n  db:\n    environment: {MORE: "1"}\n');
    await until(() => applier.applied.length === 4, 'the override file appearing');
    expect(applier.applied[3]).toEqual(['recreate db']);
  });

  it('five rapid saves are one or two applies and the last save wins', async () => {
    write('compose.yaml', stack('v0'));
    const applier = new HashApplier();
    await start(applier);
    for (let i = 1; i <= 5; i++) {
      write('compose.yaml', stack(`v${i}`));
      await new Promise((r) => setTimeout(r, 5));
    }
    await until(() => printed.includes('v5') || applier.applied.length >= 2, 'an apply');
    await new Promise((r) => setTimeout(r, 200));
    await session!.idle();
    expect(applier.applied.length - 1).toBeGreaterThanOrEqual(1);
    expect(applier.applied.length - 1).toBeLessThanOrEqual(2);
    const final = hashServices((await import('../../src/loader/loader.js')).loadProject({ workingDir: dir, environment: {} }).project);
    expect(applier.running).toEqual(final);
  });

  it('a project that does not load at start is still watched, and applies once fixed', async () => {
    write('compose.yaml', 'services:\n  web:\n    image: [busybox\n');
    write('.env', 'TAG=1\n');
    const applier = new HashApplier();
    await start(applier);
    expect(printed).toContain('initial up: invalid, nothing applied');
    expect(session!.sources().files).toEqual([path.join(dir, '.env'), path.join(dir, 'compose.yaml')]);
    write('compose.yaml', stack('fixed'));
    await until(() => applier.applied.length === 1, 'the fix');
    expect(applier.applied[0]).toEqual(['create db', 'create web']);
  });
});
