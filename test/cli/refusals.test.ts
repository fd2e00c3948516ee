// What Compose v2 refuses, berth refuses too, each in one located line: an invalid project name
// (from `name:`, -p or COMPOSE_PROJECT_NAME; only a directory's name is normalised), a service
// with neither image nor build, an env_file that is not there (at its entry; `required: false`
// ones skipped), and `-f` given a directory.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from './run-cli.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'berth-refusals-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const write = (rel: string, text: string): void => writeFileSync(path.join(dir, rel), text);
const config = (args: string[] = [], env: Record<string, string> = {}) => runCli([...args, 'config', '-q'], { cwd: dir, env });
const VALID = 'must consist only of lowercase alphanumeric characters, hyphens, and underscores as well as start with a letter or number';

describe('project names', () => {
  it('name: "My Project" is refused where it is written', async () => {
    write('compose.yaml', 'name: "My Project"\nservices:\n  web:\n    image: busybox\n');
    expect(await config()).toEqual({ code: 1, stdout: '', stderr: `${dir}/compose.yaml:1:1: name: invalid project name "My Project": ${VALID} (write it in lower case, e.g. "myproject")\n` });
  });

  it('-p and COMPOSE_PROJECT_NAME must be valid as given', async () => {
    write('compose.yaml', 'services:\n  web:\n    image: busybox\n');
    expect(await config(['-p', 'My Project'])).toEqual({ code: 2, stdout: '', stderr: `-p: invalid project name "My Project": ${VALID}\n` });
    expect(await config([], { COMPOSE_PROJECT_NAME: 'Shop' })).toEqual({ code: 2, stdout: '', stderr: `COMPOSE_PROJECT_NAME: invalid project name "Shop": ${VALID}\n` });
  });

  it('a directory\'s name is still normalised', async () => {
    const sub = path.join(dir, 'My Stack.v2');
    mkdirSync(sub);
    writeFileSync(path.join(sub, 'compose.yaml'), 'services:\n  web:\n    image: busybox\n');
    const r = await runCli(['config', '--format', 'json'], { cwd: sub });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).name).toBe('mystackv2');
  });
});

describe('services', () => {
  it('a service with neither image nor build fails config, located at the service', async () => {
    write('compose.yaml', 'services:\n  web:\n    image: busybox\n  worker:\n    command: ["run"]\n');
    expect(await config()).toEqual({
      code: 1,
      stdout: '',
      stderr: `${dir}/compose.yaml:4:3: services.worker: service "worker" has neither an image nor a build context specified (add \`image:\` (an image on the engine) or \`build:\` (a directory with a Dockerfile))\n`,
    });
  });
});

describe('env_file', () => {
  it('a missing file is reported at its entry, in each syntax', async () => {
    const missing = path.join(dir, 'missing.env');
    const cases: [string, string][] = [
      ['services:\n  web:\n    image: busybox\n    env_file:\n      - ok.env\n      - missing.env\n', '6:9: services.web.env_file[1]'],
      ['services:\n  web:\n    image: busybox\n    env_file: missing.env\n', '4:5: services.web.env_file[0]'],
      ['services:\n  web:\n    image: busybox\n    env_file:\n      - path: missing.env\n', '5:9: services.web.env_file[0]'],
    ];
    write('ok.env', 'A=1\n');
    for (const [yaml, where] of cases) {
      write('compose.yaml', yaml);
      expect(await config(), where).toEqual({
        code: 1,
        stdout: '',
        stderr: `${dir}/compose.yaml:${where}: env file ${missing} not found (create it, or mark it optional with \`required: false\` in env_file)\n`,
      });
    }
  });

  it('an optional one (required: false) is skipped', async () => {
    write('compose.yaml', 'services:\n  web:\n    image: busybox\n    env_file:\n      - path: missing.env\n        required: false\n');
    expect(await config()).toEqual({ code: 0, stdout: '', stderr: '' });
  });

  it('a label_file that is not there is located the same way', async () => {
    write('compose.yaml', 'services:\n  web:\n    image: busybox\n    label_file: [gone.labels]\n');
    const r = await config();
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`${dir}/compose.yaml:4:18: services.web.label_file[0]: env file ${path.join(dir, 'gone.labels')} not found (create it, or mark it optional with \`required: false\` in env_file)\n`);
  });
});

describe('-f', () => {
  it('a directory says so, and what to pass instead', async () => {
    write('compose.yaml', 'services:\n  web:\n    image: busybox\n');
    mkdirSync(path.join(dir, 'empty'));
    expect(await config(['-f', '.'])).toEqual({ code: 2, stdout: '', stderr: '-f .: is a directory, not a compose file (pass the file itself, -f compose.yaml, or use --project-directory . to work in it)\n' });
    expect((await config(['-f', 'empty'])).stderr).toBe('-f empty: is a directory, not a compose file (pass a compose file, or use --project-directory empty to work in it)\n');
    expect((await config([], { COMPOSE_FILE: '.' })).stderr).toMatch(/^COMPOSE_FILE \.: is a directory/);
  });

  it('a missing file is still "no such file"', async () => {
    expect(await config(['-f', 'nope.yaml'])).toEqual({ code: 1, stdout: '', stderr: `${dir}/nope.yaml: -f nope.yaml: no such file (check the path, relative to the working directory)\n` });
  });
});
