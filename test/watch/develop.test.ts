// develop.watch rules: which changed files fall under which rule (ignore, include,
// .dockerignore, editor temp files) and what a sync batch copies or removes.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadProject } from '../../src/loader/loader.js';
import { developRules, ruleMatches } from '../../src/watch/develop.js';
import { syncBatch } from '../../src/watch/develop-sync.js';
import { isEditorTempFile, PathPatterns } from '../../src/watch/patterns.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'berth-develop-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function write(rel: string, text: string): string {
  const p = path.join(dir, rel);
  mkdirSync(path.dirname(p), { recursive: true });
  writeFileSync(p, text);
  return p;
}

function rulesOf(yaml: string) {
  write('compose.yaml', yaml);
  const loaded = loadProject({ workingDir: dir, environment: {} });
  return developRules(loaded.project, loaded.discovery.projectDir);
}

describe('PathPatterns (dockerignore semantics)', () => {
  it('matches within a segment, across segments with **, through parent directories, and ! re-includes', () => {
    const p = new PathPatterns(['node_modules', '*.log', '**/*.tmp', 'build/', '!keep.log']);
    expect(p.matches('node_modules/x/y.js')).toBe(true);
    expect(p.matches('a.log')).toBe(true);
    expect(p.matches('sub/a.log')).toBe(false);
    expect(p.matches('sub/deep/x.tmp')).toBe(true);
    expect(p.matches('build/out.js')).toBe(true);
    expect(p.matches('keep.log')).toBe(false);
    expect(p.matches('src/app.js')).toBe(false);
  });

  it('knows editor temp files', () => {
    for (const f of ['/a/.app.js.swp', '/a/4913', '/a/app.js~', '/a/.#app.js', '/a/#app.js#', '/a/app.js___jb_tmp___']) expect(isEditorTempFile(f)).toBe(true);
    expect(isEditorTempFile('/a/app.js')).toBe(false);
  });
});

describe('developRules', () => {
  it('reads path/target/action/ignore/include/initial_sync/exec, paths absolute', () => {
    const rules = rulesOf(`services:
  web:
    image: busybox
    develop:
      watch:
        - {path: ./src, target: /app/src, action: sync, ignore: [node_modules/], initial_sync: true}
        - {path: ./conf, action: restart, include: ["*.conf"]}
        - {path: ./src, target: /app/src, action: sync+exec, exec: {command: "touch /tmp/reloaded"}}
`);
    expect(rules).toHaveLength(3);
    expect(rules[0]).toMatchObject({ service: 'web', action: 'sync', path: path.join(dir, 'src'), target: '/app/src', initialSync: true });
    expect(rules[2].exec?.command).toEqual(['/bin/sh', '-c', 'touch /tmp/reloaded']);
    expect(ruleMatches(rules[0], path.join(dir, 'src/app.js'))).toBe(true);
    expect(ruleMatches(rules[0], path.join(dir, 'src/node_modules/x.js'))).toBe(false);
    expect(ruleMatches(rules[0], path.join(dir, 'src/.app.js.swp'))).toBe(false);
    expect(ruleMatches(rules[0], path.join(dir, 'other/app.js'))).toBe(false);
    expect(ruleMatches(rules[1], path.join(dir, 'conf/a.conf'))).toBe(true);
    expect(ruleMatches(rules[1], path.join(dir, 'conf/a.txt'))).toBe(false);
  });

  it('honours the .dockerignore of the build context', () => {
    write('.dockerignore', '**/*.secret\n');
    const rules = rulesOf('services:\n  web:\n    image: busybox\n    build: .\n    develop:\n      watch:\n        - {path: ./src, target: /app, action: sync}\n');
    expect(ruleMatches(rules[0], path.join(dir, 'src/a.js'))).toBe(true);
    expect(ruleMatches(rules[0], path.join(dir, 'src/x.secret'))).toBe(false);
  });

  it('rejects a sync without target, with the key path', () => {
    expect(() => rulesOf('services:\n  web:\n    image: busybox\n    develop:\n      watch:\n        - {path: ./src, action: sync}\n')).toThrow(/services\.web\.develop\.watch\[0\]\.target: develop\.watch action sync needs a target/);
  });
});

describe('syncBatch', () => {
  it('copies what exists (a new directory with its contents, symlinks as links) and removes what does not', () => {
    const rules = rulesOf('services:\n  web:\n    image: busybox\n    develop:\n      watch:\n        - {path: ./src, target: /app, action: sync, ignore: ["**/*.log"]}\n');
    const a = write('src/a.txt', 'A');
    write('src/lib/b.txt', 'B');
    write('src/lib/debug.log', 'x');
    symlinkSync('a.txt', path.join(dir, 'src/link'));
    const batch = syncBatch(rules[0], [a, path.join(dir, 'src/lib'), path.join(dir, 'src/link'), path.join(dir, 'src/gone.txt')]);
    expect(batch.copy.map((c) => [c.containerPath, c.entry.type])).toEqual([
      ['/app/a.txt', 'file'],
      ['/app/lib', 'directory'],
      ['/app/lib/b.txt', 'file'],
      ['/app/link', 'symlink'],
    ]);
    expect(batch.copy[0].entry.path).toBe('app/a.txt');
    expect(batch.remove).toEqual(['/app/gone.txt']);
  });
});
