// The loader end to end: scenarios a user meets, each on files written into a fresh directory.
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { composeErrorsOf } from '../support/errors.js';
import { loadProject, type LoadOptions } from '../../src/loader/loader.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'berth-loader-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function write(rel: string, text: string): string {
  const p = path.join(dir, rel);
  mkdirSync(path.dirname(p), { recursive: true });
  writeFileSync(p, text);
  return p;
}

function load(opts: Partial<LoadOptions> = {}) {
  return loadProject({ workingDir: dir, environment: {}, homeDir: '/home/tester', ...opts });
}

/** The error a load throws, flattened to its messages. */
function loadErrors(opts: Partial<LoadOptions> = {}): string[] {
  return composeErrorsOf(() => load(opts)).map((x) => x.message);
}

describe('loading a project', () => {
  it('names the project from name:, else the directory, and -p wins over both', () => {
    write('compose.yaml', 'services:\n  web:\n    image: nginx\n');
    expect(load().project.name).toBe(path.basename(dir).toLowerCase().replace(/[^a-z0-9_-]/g, ''));
    write('compose.yaml', 'name: my.app\nservices:\n  web:\n    image: nginx\n');
    // As Compose v2: a name written in the file must be valid as it is; only the directory's is normalised.
    expect(loadErrors()).toEqual([
      `${path.join(dir, 'compose.yaml')}:1:1: name: invalid project name "my.app": must consist only of lowercase alphanumeric characters, hyphens, and underscores as well as start with a letter or number (write it in lower case, e.g. "myapp")`,
    ]);
    write('compose.yaml', 'name: my_app-2\nservices:\n  web:\n    image: nginx\n');
    expect(load().project.name).toBe('my_app-2');
    expect(load({ projectName: 'explicit' }).project.name).toBe('explicit');
    expect(load({ environment: { COMPOSE_PROJECT_NAME: 'fromenv' } }).project.name).toBe('fromenv');
  });

  it('merges -f files in order and the override file found beside compose.yaml', () => {
    write('compose.yaml', 'services:\n  web:\n    image: nginx\n    environment: [A=1, B=1]\n');
    write('compose.override.yaml', 'services:\n  web:\n    environment:\n      B: "2"\n');
    write('extra.yaml', 'services:\n  web:\n    image: httpd\n');
    const auto = load().project.services.web;
    expect(auto.environment).toEqual({ A: '1', B: '2' });
    const explicit = load({ files: ['compose.yaml', 'extra.yaml'] }).project.services.web;
    expect(explicit.image).toBe('httpd');
    expect(explicit.environment).toEqual({ A: '1', B: '1' });
  });

  it('interpolates from the process environment first, then .env; warns about unset variables with their location', () => {
    write('.env', 'TAG=from-dotenv\nPORT=8080\n');
    write('compose.yaml', 'services:\n  web:\n    image: "nginx:${TAG}"\n    ports: ["${PORT}:80"]\n    user: "${NOBODY}"\n');
    const { project, warnings } = load({ environment: { TAG: 'from-process' } });
    expect(project.services.web.image).toBe('nginx:from-process');
    expect(project.services.web.ports).toEqual([{ mode: 'ingress', target: 80, published: '8080', protocol: 'tcp' }]);
    expect(warnings.map((w) => w.message)).toEqual(['The "NOBODY" variable is not set. Defaulting to a blank string.']);
    expect(warnings[0].location).toMatchObject({ file: path.join(dir, 'compose.yaml'), line: 5, path: ['services', 'web', 'user'] });
  });

  it('--no-interpolate keeps ${VAR} as written', () => {
    write('compose.yaml', 'services:\n  web:\n    image: "nginx:${TAG:-latest}"\n');
    expect(load({ interpolate: false }).project.services.web.image).toBe('nginx:${TAG:-latest}');
  });

  it('a required variable that is missing is an error at its location', () => {
    write('compose.yaml', 'services:\n  web:\n    image: "nginx:${TAG:?set TAG to the release}"\n');
    const [msg] = loadErrors();
    expect(msg).toContain(`${path.join(dir, 'compose.yaml')}:3:`);
    expect(msg).toContain('required variable TAG is missing a value: set TAG to the release');
  });

  it('resolves env_file into environment: environment beats env_file, later env_file beats earlier', () => {
    write('a.env', 'A=from-a\nB=from-a\nC=from-a\n');
    write('b.env', 'B=from-b\nC=from-b\n');
    write('compose.yaml', 'services:\n  web:\n    image: nginx\n    env_file: [a.env, {path: b.env}, {path: missing.env, required: false}]\n    environment:\n      C: explicit\n');
    const web = load().project.services.web;
    expect(web.environment).toEqual({ A: 'from-a', B: 'from-b', C: 'explicit' });
    expect(web.env_file?.map((f) => [path.basename(f.path), f.required])).toEqual([
      ['a.env', true],
      ['b.env', true],
      ['missing.env', false],
    ]);
  });

  it('a required env_file that is missing is an error naming the file', () => {
    write('compose.yaml', 'services:\n  web:\n    image: nginx\n    env_file: nope.env\n');
    const [msg] = loadErrors();
    expect(msg).toContain('nope.env');
  });

  it.skipIf(process.getuid?.() === 0)('an env_file without read permission is an error naming the file', () => {
    write('secret.env', 'A=1\n');
    chmodSync(path.join(dir, 'secret.env'), 0o000);
    write('compose.yaml', 'services:\n  web:\n    image: nginx\n    env_file: secret.env\n');
    expect(loadErrors()[0]).toContain('secret.env');
  });

  it('an env_file that cannot be read (a directory) is an error naming the file', () => {
    mkdirSync(path.join(dir, 'conf.env'));
    write('compose.yaml', 'services:\n  web:\n    image: nginx\n    env_file: conf.env\n');
    expect(loadErrors()[0]).toContain(path.join(dir, 'conf.env'));
  });

  it('an invalid ${ template is an error at its location', () => {
    write('compose.yaml', 'services:\n  web:\n    image: nginx\n    user: "${"\n');
    const [msg] = loadErrors();
    expect(msg).toMatch(/compose\.yaml:4:\d+: /);
    expect(msg).toContain('invalid interpolation format for services.web.user');
  });

  it('a missing -f file is an error naming it', () => {
    expect(loadErrors({ files: ['absent.yaml'] })[0]).toMatch(/absent\.yaml: -f absent\.yaml: no such file/);
  });

  it('reads -f - from standard input', () => {
    const { project } = load({ files: ['-'], readStdin: () => 'services:\n  web:\n    image: from-stdin\n' });
    expect(project.services.web.image).toBe('from-stdin');
  });

  it('drops an obsolete version key with a warning', () => {
    write('compose.yaml', 'version: "3.8"\nservices:\n  web:\n    image: nginx\n');
    const { warnings } = load();
    expect(warnings.map((w) => w.message)).toContain('`version` is obsolete and ignored; remove it');
  });

  it('refuses an empty file and a file whose top level is not a mapping', () => {
    write('compose.yaml', '# nothing\n');
    expect(loadErrors()[0]).toContain('empty compose file');
    write('compose.yaml', '- a\n- b\n');
    expect(loadErrors()[0]).toMatch(/compose\.yaml:1:1: top-level object must be a mapping/);
  });

  it('points at malformed YAML', () => {
    write('compose.yaml', 'services:\n  web:\n    image: [nginx\n');
    expect(loadErrors()[0]).toMatch(/compose\.yaml:\d+:\d+: invalid YAML/);
  });

  it('reports every schema problem of a file at once, each with line:column and key path', () => {
    write('compose.yaml', 'services:\n  web:\n    image: [a, b]\n  db:\n    imagee: postgres\n');
    const msgs = loadErrors();
    expect(msgs).toHaveLength(2);
    expect(msgs[0]).toMatch(/compose\.yaml:3:\d+: services\.web\.image.*must be a string/);
    expect(msgs[1]).toMatch(/compose\.yaml:5:5: services\.db.*imagee/);
  });

  it('reports a dependency cycle with its whole chain', () => {
    write('compose.yaml', 'services:\n  a:\n    image: x\n    depends_on: [b]\n  b:\n    image: x\n    depends_on: [c]\n  c:\n    image: x\n    depends_on: [a]\n');
    expect(loadErrors().join('\n')).toContain('dependency cycle detected: a -> b -> c -> a');
  });

  it('reports a reference to an undefined network', () => {
    write('compose.yaml', 'services:\n  web:\n    image: x\n    networks: [missing]\n');
    expect(loadErrors().join('\n')).toMatch(/services\.web.*missing/);
  });
});

describe('profiles', () => {
  const stack = [
    'services:',
    '  web: {image: x}',
    '  debug: {image: x, profiles: [debug]}',
    '  tools: {image: x, profiles: [tools], depends_on: [debug]}',
  ].join('\n');

  it('services without profiles are always on; --profile and COMPOSE_PROFILES enable others', () => {
    write('compose.yaml', stack);
    expect(Object.keys(load().project.services)).toEqual(['web']);
    expect(Object.keys(load({ profiles: ['debug'] }).project.services).sort()).toEqual(['debug', 'web']);
    expect(Object.keys(load({ environment: { COMPOSE_PROFILES: 'debug,tools' } }).project.services).sort()).toEqual(['debug', 'tools', 'web']);
  });

  it('a service named on the command line enables itself; its disabled required dependency is an error naming both', () => {
    write('compose.yaml', stack);
    expect(loadErrors({ explicitServices: ['tools'] }).join('\n')).toContain('service "debug" is required by "tools" but is disabled');
    expect(Object.keys(load({ explicitServices: ['debug'] }).project.services).sort()).toEqual(['debug', 'web']);
  });
});

describe('include', () => {
  it('loads included files relative to their own directory with their own .env, and lets the includer override', () => {
    write('sub/.env', 'IMG=from-sub-env\n');
    write('sub/compose.yaml', 'services:\n  db:\n    image: "${IMG}"\n    build: ./ctx\n    volumes: ["./data:/data"]\n');
    write('compose.yaml', 'include:\n  - sub/compose.yaml\nservices:\n  web:\n    image: nginx\n    depends_on: [db]\n');
    const { project, inputs } = load();
    expect(project.services.db.image).toBe('from-sub-env');
    expect(project.services.db.build?.context).toBe(path.join(dir, 'sub/ctx'));
    expect(project.services.db.volumes?.[0]).toMatchObject({ type: 'bind', source: path.join(dir, 'sub/data'), target: '/data' });
    expect(inputs).toEqual(expect.arrayContaining([path.join(dir, 'sub/compose.yaml'), path.join(dir, 'sub/.env')]));
  });

  it('the project environment beats the include env_file; long form takes project_directory and env_file', () => {
    write('inc/vars.env', 'IMG=from-include-env\nTAG=1\n');
    write('inc/compose.yaml', 'services:\n  db:\n    image: "${IMG}:${TAG}"\n    build: ctx\n');
    write('compose.yaml', 'include:\n  - path: inc/compose.yaml\n    project_directory: other\n    env_file: inc/vars.env\n');
    const { project } = load({ environment: { IMG: 'from-process' } });
    expect(project.services.db.image).toBe('from-process:1');
    expect(project.services.db.build?.context).toBe(path.join(dir, 'other/ctx'));
  });

  it("an included file's extends.file starts from the include's project_directory (compose-go TestNestedIncludeAndExtends)", () => {
    write('compose.yaml', 'include:\n  - project_directory: .\n    path: dir/included.yaml\n');
    write('dir/included.yaml', 'services:\n  included:\n    extends:\n      file: dir/extended.yaml\n      service: extended\n');
    write('dir/extended.yaml', 'services:\n  extended:\n    image: alpine\n    build: ctx\n');
    const { project } = load();
    expect(project.services.included.image).toBe('alpine');
    // A file reached through extends keeps its own directory for its relative paths.
    expect(project.services.included.build?.context).toBe(path.join(dir, 'dir/ctx'));
  });

  it('two includes defining the same service differently is an error naming both files', () => {
    write('a.yaml', 'services:\n  db: {image: a}\n');
    write('b.yaml', 'services:\n  db: {image: b}\n');
    write('compose.yaml', 'include: [a.yaml, b.yaml]\n');
    expect(loadErrors()[0]).toMatch(/services\.db is defined differently by two included files: .*a\.yaml and .*b\.yaml/);
  });

  it('an include cycle is reported with its chain', () => {
    write('a.yaml', 'include: [b.yaml]\nservices:\n  a: {image: a}\n');
    write('b.yaml', 'include: [a.yaml]\nservices:\n  b: {image: b}\n');
    write('compose.yaml', 'include: [a.yaml]\n');
    expect(loadErrors()[0]).toMatch(/include cycle detected: .*compose\.yaml -> .*a\.yaml -> .*b\.yaml -> .*a\.yaml/);
  });

  it('a missing include is an error at the include entry', () => {
    write('compose.yaml', 'services:\n  a: {image: a}\ninclude:\n  - nope.yaml\n');
    expect(loadErrors()[0]).toMatch(/compose\.yaml:4:\d+: include\[0\]: included file .*nope\.yaml does not exist/);
  });
});

describe('extends', () => {
  it('extends a service of another file, with that file\'s relative paths', () => {
    write('base/common.yaml', 'services:\n  app:\n    image: base\n    build: ./src\n    environment: [A=1]\n');
    write('compose.yaml', 'services:\n  web:\n    extends: {file: base/common.yaml, service: app}\n    environment: [B=2]\n');
    const web = load().project.services.web;
    expect(web.image).toBe('base');
    expect(web.build?.context).toBe(path.join(dir, 'base/src'));
    expect(web.environment).toEqual({ A: '1', B: '2' });
    expect(web).not.toHaveProperty('extends');
  });
});

describe('canonical output', () => {
  it('loads back to the same model', async () => {
    const { printProject } = await import('../../src/loader/print.js');
    write('compose.yaml', [
      'services:',
      '  web:',
      '    image: nginx',
      '    command: nginx -g "daemon off;"',
      '    ports: ["127.0.0.1:8080-8081:80-81/udp"]',
      '    volumes: ["./html:/usr/share/nginx/html:ro", "cache:/cache"]',
      '    depends_on: [db]',
      '    healthcheck: {test: curl -f localhost, interval: 90s}',
      '  db:',
      '    image: postgres',
      '    mem_limit: 512m',
      'volumes:',
      '  cache: {}',
    ].join('\n'));
    const first = load().project;
    write('canonical.yaml', printProject(first, 'yaml'));
    const again = load({ files: ['canonical.yaml'] }).project;
    expect(again).toEqual(first);
  });
});

describe('project name in interpolation, label files, standard input', () => {
  it('${COMPOSE_PROJECT_NAME} is the project name unless the environment sets it', () => {
    write('compose.yaml', 'name: shop\nservices:\n  web:\n    image: nginx\n    container_name: "${COMPOSE_PROJECT_NAME}-web"\n');
    expect(load().project.services.web.container_name).toBe('shop-web');
    expect(load({ projectName: 'other' }).project.services.web.container_name).toBe('other-web');
    write('compose.yaml', 'name: "app-${TIER}"\nservices:\n  web:\n    image: nginx\n    container_name: "${COMPOSE_PROJECT_NAME}-web"\n');
    expect(load({ environment: { TIER: 'prod' } }).project.services.web.container_name).toBe('app-prod-web');
  });

  it('label_file labels are merged under explicit labels, and the file is an input', () => {
    write('labels.txt', 'com.example.a=from-file\ncom.example.b=from-file\n');
    write('compose.yaml', 'services:\n  web:\n    image: nginx\n    label_file: ./labels.txt\n    labels:\n      com.example.b: explicit\n');
    const { project, inputs } = load();
    expect(project.services.web.labels).toEqual({ 'com.example.a': 'from-file', 'com.example.b': 'explicit' });
    expect(inputs).toContain(path.join(dir, 'labels.txt'));
  });

  it('-f - resolves include and extends paths against the working directory', () => {
    write('base.yaml', 'services:\n  app: {image: base}\n');
    write('inc/compose.yaml', 'services:\n  db: {image: db}\n');
    const { project } = load({
      files: ['-'],
      readStdin: () => 'include: [inc/compose.yaml]\nservices:\n  web:\n    extends: {file: base.yaml, service: app}\n',
    });
    expect(project.services.web.image).toBe('base');
    expect(project.services.db.image).toBe('db');
  });
});

describe('inputs: every file that shaped the model', () => {
  it('lists compose, override, .env, include, extends, env_file, label_file, config and secret files', () => {
    const files = [
      write('compose.yaml', [
        'include: [inc/compose.yaml]',
        'services:',
        '  web:',
        '    extends: {file: base.yaml, service: app}',
        '    env_file: [web.env, {path: optional.env, required: false}]',
        '    label_file: labels.txt',
        '    configs: [site]',
        '    secrets: [token]',
        'configs:',
        '  site: {file: ./site.conf}',
        '  inline: {content: "x"}',
        'secrets:',
        '  token: {file: ./token.txt}',
        '',
      ].join('\n')),
      write('compose.override.yaml', 'services:\n  web:\n    environment: {A: "1"}\n'),
      write('.env', 'TAG=1\n'),
      write('inc/compose.yaml', 'services:\n  db: {image: db}\n'),
      write('base.yaml', 'services:\n  app: {image: "base:${TAG}"}\n'),
      write('web.env', 'B=2\n'),
      write('labels.txt', 'l=1\n'),
      write('site.conf', 'x\n'),
      write('token.txt', 'secret\n'),
    ];
    const { inputs } = load();
    // An optional env_file that does not exist yet is still an input: creating it changes the model.
    expect(inputs).toEqual([...files, path.join(dir, 'optional.env')].sort());
  });
});
