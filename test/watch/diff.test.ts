// The "why" of each apply: top-level keys that differ per service, file contents that only the
// config hash sees, orchestration-only changes that do not re-create, resources added/removed.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadProject } from '../../src/loader/loader.js';
import { diffModels, hashServices } from '../../src/watch/diff.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'berth-diff-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function model(yaml: string) {
  writeFileSync(path.join(dir, 'compose.yaml'), yaml);
  const { project } = loadProject({ workingDir: dir, environment: {} });
  return { project, hashes: hashServices(project) };
}

describe('diffModels', () => {
  it('names the keys that differ, marks what re-creates, and lists added/removed services and resources', () => {
    writeFileSync(path.join(dir, 'site.conf'), 'a\n');
    const a = model('services:\n  web: {image: busybox, environment: {A: "1"}, configs: [site]}\n  db: {image: busybox}\n  old: {image: busybox}\nconfigs:\n  site: {file: ./site.conf}\n');
    writeFileSync(path.join(dir, 'site.conf'), 'b\n');
    const b = model('services:\n  web: {image: busybox, environment: {A: "2"}, ports: ["127.0.0.1:8080:80"], configs: [site]}\n  db: {image: busybox, depends_on: [new]}\n  new: {image: busybox}\nconfigs:\n  site: {file: ./site.conf}\nvolumes:\n  data: {}\n');
    const d = diffModels(a, b);
    expect(d.services).toEqual([
      // depends_on is orchestration: a change, but not one that re-creates the container.
      { service: 'db', kind: 'changed', keys: ['depends_on'], hashChanged: false },
      { service: 'new', kind: 'added', keys: [], hashChanged: true },
      { service: 'old', kind: 'removed', keys: [], hashChanged: true },
      { service: 'web', kind: 'changed', keys: ['environment', 'ports'], hashChanged: true },
    ]);
    expect(d.resources).toEqual([{ section: 'volumes', name: 'data', engineName: expect.stringMatching(/_data$/), kind: 'added' }]);
  });

  it('a config file edited with the model unchanged is a change of `files`', () => {
    writeFileSync(path.join(dir, 'site.conf'), 'a\n');
    const yaml = 'services:\n  web: {image: busybox, configs: [site]}\n  db: {image: busybox}\nconfigs:\n  site: {file: ./site.conf}\n';
    const a = model(yaml);
    writeFileSync(path.join(dir, 'site.conf'), 'b\n');
    const b = model(yaml);
    expect(diffModels(a, b).services).toEqual([
      { service: 'db', kind: 'unchanged', keys: [], hashChanged: false },
      { service: 'web', kind: 'changed', keys: ['files'], hashChanged: true },
    ]);
  });
});
