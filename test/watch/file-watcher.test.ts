// The chokidar watcher on a real directory, saving the ways editors do: in place, in pieces,
// by renaming a temp file over the original (vim, VS Code, JetBrains), by delete + re-create,
// and creating a file the stack names but that did not exist yet.
import { appendFileSync, mkdtempSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chokidarWatcher, type FileEvent, type FileWatcher } from '../../src/watch/file-watcher.js';
import { stackWatchSpec } from '../../src/watch/sources.js';

let dir: string;
let watcher: FileWatcher | undefined;
let events: FileEvent[];

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'berth-watcher-'));
  events = [];
});
afterEach(async () => {
  await watcher?.close();
  watcher = undefined;
  rmSync(dir, { recursive: true, force: true });
});

async function until(pred: () => boolean, what: string, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; events: ${JSON.stringify(events)}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function watchFiles(files: string[]): Promise<void> {
  watcher = chokidarWatcher((e) => events.push(e), (e) => {
    throw e;
  });
  await watcher.update(stackWatchSpec({ files }));
}

const seen = (file: string) => () => events.some((e) => e.path === file);

describe('chokidarWatcher on stack files', () => {
  it('sees in-place writes, writes in pieces, and ignores other files in the directory', async () => {
    const compose = path.join(dir, 'compose.yaml');
    writeFileSync(compose, 'services: {}\n');
    await watchFiles([compose]);
    writeFileSync(path.join(dir, 'notes.txt'), 'x');
    writeFileSync(compose, 'services:\n');
    appendFileSync(compose, '  web: {image: busybox}\n');
    await until(seen(compose), 'the compose file event');
    await new Promise((r) => setTimeout(r, 100));
    expect(events.every((e) => e.path === compose)).toBe(true);
  });

  it('keeps seeing a file replaced by rename, again and again', async () => {
    const env = path.join(dir, '.env');
    writeFileSync(env, 'A=1\n');
    await watchFiles([env]);
    for (let i = 2; i <= 4; i++) {
      events = [];
      const tmp = path.join(dir, `.env.tmp${i}`);
      writeFileSync(tmp, `A=${i}\n`);
      renameSync(tmp, env);
      await until(seen(env), `rename save #${i}`);
    }
  });

  it('keeps seeing a file deleted and re-created, and sees a named file appear', async () => {
    const compose = path.join(dir, 'compose.yaml');
    const override = path.join(dir, 'compose.override.yaml');
    writeFileSync(compose, 'services: {}\n');
    await watchFiles([compose, override]);
    unlinkSync(compose);
    writeFileSync(compose, 'services: {a: {image: x}}\n');
    await until(seen(compose), 'delete + re-create');
    writeFileSync(override, 'services: {}\n');
    await until(seen(override), 'the override file appearing');
  });

  it('moves to a new file set after update', async () => {
    const a = path.join(dir, 'a.env');
    const sub = mkdtempSync(path.join(dir, 'sub-'));
    const b = path.join(sub, 'b.env');
    writeFileSync(a, '1');
    writeFileSync(b, '1');
    await watchFiles([a]);
    await watcher!.update(stackWatchSpec({ files: [b] }));
    writeFileSync(a, '2');
    writeFileSync(b, '2');
    await until(seen(b), 'the new file');
    await new Promise((r) => setTimeout(r, 100));
    expect(events.some((e) => e.path === a)).toBe(false);
  });
});

describe('chokidarWatcher on a tree (develop.watch)', () => {
  it('reports the changed file under its real path, in subdirectories too, never a path below a file', async () => {
    const src = path.join(dir, 'src');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(path.join(src, 'lib'), { recursive: true });
    writeFileSync(path.join(src, 'index.html'), '1');
    writeFileSync(path.join(src, 'lib/app.js'), '1');
    watcher = chokidarWatcher((e) => events.push(e), (e) => {
      throw e;
    });
    await watcher.update({ roots: [src], shallow: false, accept: (f) => f.startsWith(`${src}/`) || f === src });
    writeFileSync(path.join(src, 'index.html'), '2');
    writeFileSync(path.join(src, 'lib/app.js'), '2');
    await until(seen(path.join(src, 'index.html')), 'the top-level file');
    await until(seen(path.join(src, 'lib/app.js')), 'the nested file');
    unlinkSync(path.join(src, 'lib/app.js'));
    await until(() => events.some((e) => e.path === path.join(src, 'lib/app.js') && e.kind === 'unlink'), 'the deletion');
    await new Promise((r) => setTimeout(r, 100));
    expect(events.filter((e) => !['index.html', 'lib/app.js'].includes(path.relative(src, e.path)))).toEqual([]);
  });
});
