import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ComposeError, UsageError } from '../../src/errors.js';
import { assertValidProjectName, discover, normalizeProjectName } from '../../src/loader/discover.js';
import { corpusPath } from '../corpus.js';

let root: string;
beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), 'berth-discover-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

function write(rel: string, text = 'services: {}\n'): string {
  const p = path.join(root, rel);
  mkdirSync(path.dirname(p), { recursive: true });
  writeFileSync(p, text);
  return p;
}

describe('compose file discovery', () => {
  it('finds compose.yaml before the other default names, and its override file', () => {
    write('compose.yaml');
    write('docker-compose.yml');
    write('compose.override.yaml');
    const d = discover({ workingDir: root, environment: {} });
    expect(d.files).toEqual([path.join(root, 'compose.yaml'), path.join(root, 'compose.override.yaml')]);
    expect(d.projectDir).toBe(root);
  });

  it('pairs docker-compose.yml with docker-compose.override.yml', () => {
    write('docker-compose.yml');
    write('docker-compose.override.yml');
    expect(discover({ workingDir: root, environment: {} }).files.map((f) => path.basename(f))).toEqual([
      'docker-compose.yml',
      'docker-compose.override.yml',
    ]);
  });

  it('searches upward from the working directory; the project directory is where the file is, with its .env', () => {
    write('compose.yml');
    write('.env', 'FROM_PARENT=yes\n');
    mkdirSync(path.join(root, 'a/b'), { recursive: true });
    const d = discover({ workingDir: path.join(root, 'a/b'), environment: {} });
    expect(d.files).toEqual([path.join(root, 'compose.yml')]);
    expect(d.projectDir).toBe(root);
    expect(d.environment.FROM_PARENT).toBe('yes');
  });

  it('-f files are taken in order, relative to the working directory, and must exist', () => {
    write('x/one.yaml');
    write('x/two.yaml');
    const d = discover({ workingDir: root, files: ['x/one.yaml', 'x/two.yaml'], environment: {} });
    expect(d.files).toEqual([path.join(root, 'x/one.yaml'), path.join(root, 'x/two.yaml')]);
    expect(d.projectDir).toBe(path.join(root, 'x'));
    expect(() => discover({ workingDir: root, files: ['nope.yaml'], environment: {} })).toThrow(/-f nope\.yaml: no such file/);
  });

  it('-f - reads standard input and keeps the working directory as project directory', () => {
    const d = discover({ workingDir: root, files: ['-'], environment: {} });
    expect(d.files).toEqual(['-']);
    expect(d.projectDir).toBe(root);
  });

  it('COMPOSE_FILE lists files with the path separator, or COMPOSE_PATH_SEPARATOR', () => {
    write('a.yaml');
    write('b.yaml');
    expect(discover({ workingDir: root, environment: { COMPOSE_FILE: 'a.yaml:b.yaml' } }).files).toHaveLength(2);
    expect(
      discover({ workingDir: root, environment: { COMPOSE_FILE: 'a.yaml;b.yaml', COMPOSE_PATH_SEPARATOR: ';' } }).files,
    ).toEqual([path.join(root, 'a.yaml'), path.join(root, 'b.yaml')]);
  });

  it('COMPOSE_FILE may come from .env', () => {
    write('custom.yaml');
    write('.env', 'COMPOSE_FILE=custom.yaml\n');
    expect(discover({ workingDir: root, environment: {} }).files).toEqual([path.join(root, 'custom.yaml')]);
  });

  it('says where it looked when there is no file', () => {
    const err = (() => {
      try {
        discover({ workingDir: root, environment: {} });
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(ComposeError);
    expect((err as Error).message).toContain('no configuration file provided: not found');
    expect((err as Error).message).toContain('compose.yaml');
  });

  it('--project-directory moves the base of .env, and must exist', () => {
    write('compose.yaml');
    write('proj/.env', 'WHERE=proj\n');
    const d = discover({ workingDir: root, projectDirectory: 'proj', environment: {} });
    expect(d.projectDir).toBe(path.join(root, 'proj'));
    expect(d.environment.WHERE).toBe('proj');
    expect(() => discover({ workingDir: root, projectDirectory: 'missing', environment: {} })).toThrow(UsageError);
  });
});

describe('project environment', () => {
  it('the process environment beats .env', () => {
    write('compose.yaml');
    write('.env', 'A=from-file\nB=from-file\n');
    const d = discover({ workingDir: root, environment: { A: 'from-process' } });
    expect(d.environment).toMatchObject({ A: 'from-process', B: 'from-file' });
    expect(d.envFiles).toEqual([path.join(root, '.env')]);
  });

  it('--env-file replaces .env; several are read in order, later wins; a missing one is an error', () => {
    write('compose.yaml');
    write('.env', 'A=dotenv\n');
    write('one.env', 'A=one\nB=one\n');
    write('two.env', 'B=two\n');
    const d = discover({ workingDir: root, envFiles: ['one.env', 'two.env'], environment: {} });
    expect(d.environment).toMatchObject({ A: 'one', B: 'two' });
    expect(() => discover({ workingDir: root, envFiles: ['absent.env'], environment: {} })).toThrow(/absent\.env/);
  });
});

describe('project name', () => {
  it('-p and COMPOSE_PROJECT_NAME must be valid as given', () => {
    write('compose.yaml');
    expect(discover({ workingDir: root, projectName: 'my_project', environment: {} }).explicitName).toBe('my_project');
    expect(discover({ workingDir: root, environment: { COMPOSE_PROJECT_NAME: '42my_project_env' } }).explicitName).toBe('42my_project_env');
    for (const bad of ['-my_project', '_my_project', 'www.my.project', 'MY_PROJECT']) {
      expect(() => assertValidProjectName(bad, '-p')).toThrow(`-p: invalid project name "${bad}"`);
      expect(() => discover({ workingDir: root, projectName: bad, environment: {} })).toThrow(`invalid project name "${bad}"`);
    }
  });

  it('derived names are normalised like compose', () => {
    expect(normalizeProjectName('UNNORMALIZED PATH')).toBe('unnormalizedpath');
    expect(normalizeProjectName('_-My.App')).toBe('myapp');
    expect(normalizeProjectName('...')).toBe('');
  });

  it.skipIf(!corpusPath('compose-go'))('compose-go cli fixtures: COMPOSE_PROJECT_NAME from .env picks the file from COMPOSE_FILE', () => {
    const dir = corpusPath('compose-go', 'cli', 'testdata', 'env-file')!;
    const d = discover({ workingDir: dir, environment: {} });
    expect(d.explicitName).toBe('my_project_from_dot_env');
    expect(d.files).toEqual([path.join(dir, 'compose-with-env-file.yaml')]);
  });
});
