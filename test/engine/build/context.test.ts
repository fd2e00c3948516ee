// The context walker and source selection on real directories: which ignore file applies and
// what it keeps, digests that ignore time and follow content, mode and owner, confinement
// (symlinks are never followed, `..` never leaves), and the messages for missing sources.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync, chmodSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ContextError } from '../../../src/engine/build/context/errors.js';
import { selectSource, selectSources } from '../../../src/engine/build/context/select.js';
import { walkContext, type ContextIndex } from '../../../src/engine/build/context/walk.js';

const made: string[] = [];
afterEach(() => {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A temporary context from a map of relative path → content (a trailing `/` makes a directory). */
function tree(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'berth-ctx-test-'));
  made.push(dir);
  for (const [rel, content] of Object.entries(files)) {
    const abs = path.join(dir, rel);
    if (rel.endsWith('/')) mkdirSync(abs, { recursive: true });
    else {
      mkdirSync(path.dirname(abs), { recursive: true });
      writeFileSync(abs, content);
    }
  }
  return dir;
}
const paths = (index: ContextIndex): string[] => [...index.entries.keys()].sort();
const digestOf = (index: ContextIndex, source: string): string => selectSource(index, source).digest;
function caught(fn: () => unknown): ContextError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ContextError) return e;
    throw e;
  }
  throw new Error('expected a ContextError');
}

describe('ignore files', () => {
  it('.dockerignore excludes, with the Dockerfile and the ignore file still sent', async () => {
    const dir = tree({
      Dockerfile: 'FROM scratch\n',
      '.dockerignore': '*\n!src\n',
      'src/main.go': 'package main\n',
      'README.md': '# hi\n',
      'secrets/key': 'x',
    });
    const index = await (walkContext(dir, { dockerfile: 'Dockerfile' }));
    expect(paths(index)).toEqual(['.', '.dockerignore', 'Dockerfile', 'src', 'src/main.go']);
    expect(index.excluded).toEqual(['README.md', 'secrets']);
  });

  it('the Dockerfile-specific ignore file wins over .dockerignore', async () => {
    const dir = tree({
      'docker/app.Dockerfile': 'FROM scratch\n',
      'docker/app.Dockerfile.dockerignore': 'tests\n',
      '.dockerignore': 'src\n',
      'src/a.go': 'a',
      'tests/a_test.go': 't',
    });
    const index = await (walkContext(dir, { dockerfile: 'docker/app.Dockerfile' }));
    expect(index.ignore.rules.source).toBe('docker/app.Dockerfile.dockerignore');
    expect(paths(index)).toContain('src/a.go');
    expect(paths(index)).not.toContain('tests/a_test.go');
    expect(paths(index)).toContain('docker/app.Dockerfile.dockerignore');
  });

  it('re-includes files under an excluded directory, and keeps the Dockerfile inside one', async () => {
    const dir = tree({ 'build/Dockerfile': 'FROM scratch\n', 'build/tmp/x': 'x', 'docs/a.md': 'a', 'docs/b.txt': 'b', '.dockerignore': 'build\ndocs\n!docs/*.md\n' });
    const index = await (walkContext(dir, { dockerfile: 'build/Dockerfile' }));
    expect(paths(index)).toEqual(['.', '.dockerignore', 'build', 'build/Dockerfile', 'docs', 'docs/a.md']);
  });
});

describe('digests', () => {
  const files = { 'a.txt': 'alpha\n', 'src/main.go': 'package main\n', 'src/util/u.go': 'package util\n', 'docs/readme': 'r' };

  it('are stable across walks and insensitive to mtime', async () => {
    const dir = tree(files);
    const first = await (walkContext(dir));
    const old = new Date('2001-01-01T00:00:00Z');
    utimesSync(path.join(dir, 'a.txt'), old, old);
    utimesSync(path.join(dir, 'src/util'), old, old);
    const second = await (walkContext(dir));
    expect([...second.entries.values()].map((e) => e.digest)).toEqual([...first.entries.values()].map((e) => e.digest));
    expect(second.entries.get('.')!.digest).toBe(first.entries.get('.')!.digest);
  });

  it('a content change changes only the selections that include the file', async () => {
    const dir = tree(files);
    const before = await (walkContext(dir));
    writeFileSync(path.join(dir, 'src/util/u.go'), 'package util // changed\n');
    const after = await (walkContext(dir));
    for (const [source, changes] of [['src', true], ['src/util', true], ['src/*', true], ['.', true], ['a.txt', false], ['docs', false], ['src/main.go', false]] as const) {
      expect(digestOf(after, source) !== digestOf(before, source), source).toBe(changes);
    }
  });

  it('a mode change, an owner change and a symlink target change count', async () => {
    const dir = tree(files);
    symlinkSync('a.txt', path.join(dir, 'link'));
    const before = await (walkContext(dir));
    chmodSync(path.join(dir, 'a.txt'), 0o755);
    rmSync(path.join(dir, 'link'));
    symlinkSync('docs/readme', path.join(dir, 'link'));
    const after = await (walkContext(dir));
    expect(digestOf(after, 'a.txt')).not.toBe(digestOf(before, 'a.txt'));
    expect(digestOf(after, 'link')).not.toBe(digestOf(before, 'link'));
    const owned = await (walkContext(dir, { metadata: new Map([['src/main.go', { uid: 1000, gid: 1000 }]]) }));
    expect(digestOf(owned, 'src/main.go')).not.toBe(digestOf(after, 'src/main.go'));
    expect(digestOf(owned, 'docs')).toBe(digestOf(after, 'docs'));
  });

  it('a directory digest is over its sorted entries', async () => {
    const a = await (walkContext(tree({ 'd/x': '1', 'd/y': '2' })));
    const b = await (walkContext(tree({ 'd/y': '2', 'd/x': '1' })));
    expect(a.entries.get('d')!.digest).toBe(b.entries.get('d')!.digest);
    const c = await (walkContext(tree({ 'd/x': '1', 'd/z': '2' })));
    expect(c.entries.get('d')!.digest).not.toBe(a.entries.get('d')!.digest);
  });
});

describe('selection', () => {
  it('wildcards match whole paths with filepath.Match; directories come whole', async () => {
    const index = await (walkContext(tree({ 'src/a.go': 'a', 'src/b.go': 'b', 'src/sub/c.go': 'c', 'src/sub/d.txt': 'd', 'go.mod': 'm', 'go.sum': 's' })));
    expect(selectSource(index, 'src/*.go').roots).toEqual(['src/a.go', 'src/b.go']);
    expect(selectSource(index, 'go.*').roots).toEqual(['go.mod', 'go.sum']);
    expect(selectSource(index, 'src/*').roots).toEqual(['src/a.go', 'src/b.go', 'src/sub']);
    expect(selectSource(index, 'src/*').entries.map((e) => e.path)).toContain('src/sub/d.txt');
    expect(selectSource(index, './src/../go.mod').roots).toEqual(['go.mod']);
    expect(selectSources(index, ['go.mod', 'go.sum']).digest).not.toBe(selectSources(index, ['go.sum', 'go.mod']).digest);
  });

  it('--exclude patterns leave entries out, relative to the source', async () => {
    const index = await (walkContext(tree({ 'app/main.go': 'm', 'app/README.md': 'r', 'app/docs/x.md': 'x', 'notes.md': 'n', 'notes.txt': 't' })));
    const all = selectSource(index, 'app');
    const noTopMd = selectSource(index, 'app', { excludes: ['*.md'] });
    const noMd = selectSource(index, 'app', { excludes: ['**/*.md'] });
    expect(noTopMd.entries.map((e) => e.path)).toEqual(['app', 'app/docs', 'app/docs/x.md', 'app/main.go']);
    expect(noMd.entries.map((e) => e.path)).toEqual(['app', 'app/docs', 'app/main.go']);
    expect(new Set([all.digest, noTopMd.digest, noMd.digest]).size).toBe(3);
    // A wildcard's files are matched by name, as in `COPY --exclude=*.txt hom* /mydir/`.
    expect(selectSource(index, 'notes.*', { excludes: ['*.txt'] }).entries.map((e) => e.path)).toEqual(['notes.md']);
  });

  it('a missing source is named, and the ignore rule that excluded it too', async () => {
    const index = await (walkContext(tree({ '.dockerignore': '# logs\n*.log\n', 'app.log': 'x', 'main.go': 'm' })));
    const excluded = caught(() => selectSource(index, 'app.log'));
    expect(excluded.kind).toBe('excluded');
    expect(excluded.message).toBe('COPY source "app.log" is excluded by .dockerignore (line 2: *.log) (remove that line, or add an exception such as !app.log)');
    const missing = caught(() => selectSource(index, 'nope.txt', { what: 'ADD' }));
    expect(missing.kind).toBe('not-found');
    expect(missing.message).toMatch(/^ADD source "nope.txt" not found in the build context/);
    expect(caught(() => selectSource(index, '*.log')).kind).toBe('excluded');
    expect(caught(() => selectSource(index, '*.txt')).kind).toBe('not-found');
  });
});

describe('confinement', () => {
  it('records symlinks as symlinks: never followed out of the context, nor into directories', async () => {
    const outside = tree({ 'secret.txt': 'top secret', 'dir/inner': 'x' });
    const dir = tree({ 'ok.txt': 'ok' });
    symlinkSync(path.join(outside, 'secret.txt'), path.join(dir, 'leak'));
    symlinkSync(path.join(outside, 'dir'), path.join(dir, 'leakdir'));
    symlinkSync('/', path.join(dir, 'root'));
    const first = await (walkContext(dir));
    expect(first.entries.get('leak')).toMatchObject({ type: 'symlink', linkTarget: path.join(outside, 'secret.txt'), size: 0 });
    expect(paths(first)).toEqual(['.', 'leak', 'leakdir', 'ok.txt', 'root']);
    writeFileSync(path.join(outside, 'secret.txt'), 'changed outside');
    const second = await (walkContext(dir));
    expect(second.entries.get('leak')!.digest).toBe(first.entries.get('leak')!.digest);
  });

  it('refuses sources that climb out of the context', async () => {
    const index = await (walkContext(tree({ 'a/b': 'x' })));
    for (const bad of ['../etc/passwd', 'a/../../x', '..']) {
      const e = caught(() => selectSource(index, bad));
      expect(e.kind).toBe('escape');
      expect(e.message).toContain('is outside the build context');
    }
    // A leading / means the context root, as in Docker.
    expect(selectSource(index, '/a/b').roots).toEqual(['a/b']);
  });

  it('never opens a FIFO', async () => {
    const dir = tree({ 'a.txt': 'a' });
    execFileSync('mkfifo', [path.join(dir, 'pipe')]);
    const index = await (walkContext(dir));
    expect(index.entries.get('pipe')).toMatchObject({ type: 'other', size: 0 });
  });

  it('warns above the large-context threshold and reports sizes', async () => {
    const index = await (walkContext(tree({ 'big.bin': 'x'.repeat(4096), 'small': 'y' }), { largeContextBytes: 1024 }));
    expect(index.totalBytes).toBe(4097);
    expect(index.fileCount).toBe(2);
    expect(index.warnings.map((w) => w.message)).toEqual(['the build context is 4.0 KiB in 2 files; a .dockerignore could leave out what the build does not need']);
  });
});
