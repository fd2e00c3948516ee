// compose-go's fixture files with expectations (NOTES §3.2) and the file fixtures that must
// fail (NOTES §4), loaded by berth's loadProject with the options the Go tests use,
// translated (NOTES §2): working directory, environment (never the OS one), which files.
// berth normalises (absolute paths, default network, canonical forms), so assertions
// compare meaning; each deliberate difference is written next to its assertion.
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadProject, type LoadOptions } from '../../src/loader/loader.js';
import { describeCorpus, corpusPath } from '../corpus.js';

const goDir = corpusPath('compose-go');
const HOME = '/home/fixtures';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'berth-fixtures-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function load(opts: Partial<LoadOptions> & { workingDir: string }) {
  return loadProject({ environment: {}, homeDir: HOME, ...opts });
}

function errorOf(opts: Partial<LoadOptions> & { workingDir: string }): string {
  try {
    load(opts);
  } catch (e) {
    return (e as Error).message;
  }
  return '(loaded without error)';
}

let copies = 0;
/**
 * loader_test.go's loadYAML: the fixture's *content* loaded as `filename0.yml` from the
 * `loader/` directory. A copy of that directory is used, as berth reads files from disk.
 */
function asLoadYaml(fixture: string): { dir: string; file: string } {
  const dir = path.join(tmp, `loader-${copies++}`);
  cpSync(path.join(goDir as string, 'loader'), dir, { recursive: true });
  writeFileSync(path.join(dir, 'filename0.yml'), readFileSync(path.join(goDir as string, 'loader', fixture), 'utf8'));
  return { dir, file: 'filename0.yml' };
}

describeCorpus(goDir, 'compose-go fixtures with expected results (NOTES §3.2)', () => {
  const go = goDir as string;
  const testdata = path.join(go, 'loader', 'testdata');

  it('compose-test-with-version.yaml (TestComposeFileWithVersion)', () => {
    const { dir, file } = asLoadYaml('testdata/compose-test-with-version.yaml');
    const { project, warnings } = load({ files: [file], workingDir: dir, environment: { HOME, QUX: 'qux' } });
    const { web, other } = project.services;
    // `build: ./Dockerfile` is a context path, resolved against the working dir.
    expect(web.build).toEqual({ context: path.join(dir, 'Dockerfile'), dockerfile: 'Dockerfile' });
    expect(web.networks).toEqual({ front: null, default: null });
    expect(web.volumes_from).toEqual(['other']);
    expect(other.image).toBe('busybox:1.31.0-uclibc');
    expect(other.command).toEqual(['top']);
    expect(other.volumes).toEqual([{ type: 'volume', target: '/data', volume: {} }]);
    expect(Object.keys(project.networks).sort()).toEqual(['default', 'front']); // default: berth normalises
    expect(project.volumes.data).toMatchObject({ driver: 'local' });
    // `version: "2"` is ignored, with a warning.
    expect(warnings.map((w) => w.message).join('\n')).toContain('`version` is obsolete');
  });

  it('compose-test-extends.yaml (TestLoadWithExtends)', () => {
    const { project } = load({ files: ['compose-test-extends.yaml'], workingDir: testdata });
    expect(Object.keys(project.services)).toEqual(['importer']);
    const importer = project.services.importer;
    expect(importer.image).toBe('nginx');
    // Interpolated with the project env (empty), not with the env_file.
    expect(importer.container_name).toBe('imported');
    expect(importer.environment).toEqual({ SOURCE: 'extends' });
    // env_file relative to the *extended* file.
    expect(importer.env_file).toEqual([{ path: path.join(testdata, 'subdir', 'extra.env'), required: true }]);
    expect(importer.networks).toEqual({ default: null });
    expect(importer.volumes).toEqual([{ type: 'bind', source: '/opt/data', target: '/var/lib/mysql', bind: { create_host_path: true } }]);
  });

  it('compose-test-extends-with-context-url.yaml (TestLoadWithExtendsWithContextUrl)', () => {
    const { project } = load({ files: ['compose-test-extends-with-context-url.yaml'], workingDir: testdata });
    const svc = project.services['importer-with-https-url'];
    expect(svc.build).toEqual({ context: 'https://github.com/docker/compose.git', dockerfile: 'Dockerfile' });
    expect(svc.environment).toBeUndefined(); // compose-go: {} (its typed model has no "absent")
    expect(svc.networks).toEqual({ default: null });
  });

  it('compose-include.yaml includes the extends fixture (TestLoadWithInclude / TestLoadWithMultipleInclude)', () => {
    const { project } = load({ files: ['compose-include.yaml'], workingDir: testdata });
    // The include's own .env is absent, so the default applies; the env_file feeds `environment`.
    expect(project.services.imported.container_name).toBe('imported');
    expect(project.services.imported.env_file).toEqual([{ path: path.join(testdata, 'subdir', 'extra.env'), required: true }]);
    expect(project.services.bar.environment).toEqual({ FOO: 'BAR' });
    const withSource = load({ files: ['compose-include.yaml'], workingDir: testdata, environment: { SOURCE: 'override' } }).project;
    expect(withSource.services.imported.container_name).toBe('override');
  });

  it('include/compose.yaml → included.yaml (TestIncludeRelative)', () => {
    const { project } = load({ files: ['include/compose.yaml'], workingDir: testdata });
    // compose-go keeps "." with ResolvePaths=false; berth always resolves, against the included file's directory.
    expect(project.services.included.build?.context).toBe(path.join(testdata, 'include'));
    expect(project.services.included.volumes?.[0]).toMatchObject({ type: 'bind', source: path.join(testdata, 'include'), target: '/mnt' });
  });

  it('include/project-directory.yaml: paths resolve against project_directory (TestIncludeWithProjectDirectory)', () => {
    const { project } = load({ files: ['project-directory.yaml'], workingDir: path.join(testdata, 'include') });
    const svc = project.services.service;
    const subdir = path.join(testdata, 'subdir');
    expect(svc.build?.context).toBe(subdir);
    expect(svc.volumes?.[0]).toMatchObject({ type: 'bind', source: path.join(subdir, 'compose-test-extends-imported.yaml') });
    expect(svc.env_file).toEqual([{ path: path.join(subdir, 'extra.env'), required: true }]);
    expect(svc.environment).toEqual({ SOURCE: 'extends' });
  });

  it('combined/ (include + extends in a sub dir) loads (TestLoadIncludeExtendsCombined)', () => {
    const { project } = load({ files: ['compose.yaml'], workingDir: path.join(testdata, 'combined') });
    expect(Object.keys(project.services).length).toBeGreaterThan(0);
  });

  describe('extends/ (TestExtends*, ResolvePaths=false upstream: berth resolves paths)', () => {
    const ext = path.join(testdata, 'extends');
    /** base.yaml without its `nil:` service (see the next test), beside its sibling.yaml. */
    const base = () => {
      const dir = path.join(tmp, 'extends-base');
      mkdirSync(dir, { recursive: true });
      writeFileSync(path.join(dir, 'base.yaml'), readFileSync(path.join(ext, 'base.yaml'), 'utf8').replace(/\n\s*nil:.*\n?$/, '\n'));
      cpSync(path.join(ext, 'sibling.yaml'), path.join(dir, 'sibling.yaml'));
      // Its `with-port` has neither image nor build: compose-go's TestExtends loads it without the
      // consistency check, which refuses that.
      return { project: load({ files: ['base.yaml'], workingDir: dir, consistencyCheck: false }).project, dir };
    };

    it('base.yaml: another extends base; with-port; withUlimits; with-build from sibling.yaml', () => {
      const { project: p, dir } = base();
      expect(p.services.another.image).toBe('base');
      expect(p.services['with-port'].ports?.[0].target).toBe(8000);
      // compose-go: nproc.single == 65535; berth's canonical form is {soft, hard}.
      expect(p.services.withUlimits.ulimits?.nproc).toEqual({ soft: 65535, hard: 65535 });
      // Relative to the extended file (sibling.yaml), i.e. its directory.
      expect(p.services['with-build'].build?.context).toBe(dir);
    });

    it('base.yaml as it is: the null `nil:` service is refused, like the upstream schema does (TestExtendsNil loads it only with SkipValidation)', () => {
      expect(errorOf({ files: ['base.yaml'], workingDir: ext })).toMatch(/base\.yaml:25:3: services\.nil must be a mapping/);
    });

    it('nested.yaml: extends relative to the extended file (TestExtendsRelativePath)', () => {
      const { project } = load({ files: ['nested.yaml'], workingDir: ext });
      expect(project.services['with-build'].build?.context).toBe(ext);
    });

    it('ports.yaml extended by itself keeps exactly one port (TestExtendsPortOverride)', () => {
      const dir = path.join(tmp, 'ports-override');
      mkdirSync(dir, { recursive: true });
      writeFileSync(path.join(dir, 'compose.yaml'), `services:\n  test:\n    extends:\n      file: ${path.join(ext, 'ports.yaml')}\n      service: test\n`);
      const { project } = load({ files: [path.join(ext, 'ports.yaml'), 'compose.yaml'], workingDir: dir });
      expect(project.services.test.ports).toHaveLength(1);
    });

    it('reset.yaml: !reset survives extends (TestExtendsReset)', () => {
      const { project } = load({ files: ['reset.yaml'], workingDir: ext });
      expect(project.services.base.command).toBeUndefined();
    });

    it('interpolated.yaml: ${SOURCE:-/dev/null} (TestExtendsWithInterpolation)', () => {
      const { project } = load({ files: ['interpolated.yaml'], workingDir: ext });
      expect(project.services.foo.volumes?.[0]).toMatchObject({ source: '/dev/null', target: '/tmp/foo', read_only: true });
    });

    it('depends_on.yaml: a base naming a service the extending file lacks fails; with a local zot it loads (TestExtendsWithServiceRef)', () => {
      for (const svc of ['with_depends_on', 'with_volumes_from', 'with_ipc', 'with_network_mode']) {
        const dir = path.join(tmp, `ref-${svc}`);
        mkdirSync(dir, { recursive: true });
        const extending = `name: test\nservices:\n  bar:\n    extends:\n      file: ${path.join(ext, 'depends_on.yaml')}\n      service: ${svc}\n`;
        writeFileSync(path.join(dir, 'compose.yaml'), extending);
        expect(errorOf({ files: ['compose.yaml'], workingDir: dir }), svc).toMatch(/service "bar" .*undefined service "zot"|service "zot" not found/);
        writeFileSync(path.join(dir, 'compose.yaml'), `${extending}  zot:\n    image: zot\n`);
        expect(load({ files: ['compose.yaml'], workingDir: dir }).project.services.bar).toBeDefined();
      }
    });
  });

  describe('cli/testdata (cli/options_test.go)', () => {
    const cli = path.join(go, 'cli', 'testdata');
    const simple = path.join(cli, 'simple');

    it('project names (TestProjectName)', () => {
      const name = (opts: Partial<LoadOptions> & { workingDir: string }) => load(opts).project.name;
      expect(name({ workingDir: simple, projectName: 'my_project' })).toBe('my_project');
      expect(name({ workingDir: simple, projectName: '42my_project_num' })).toBe('42my_project_num');
      expect(name({ workingDir: simple, environment: { COMPOSE_PROJECT_NAME: '42my_project_env' } })).toBe('42my_project_env');
      expect(name({ workingDir: simple })).toBe('simple');
      expect(name({ workingDir: path.join(cli, 'UNNORMALIZED PATH') })).toBe('unnormalizedpath');
      expect(name({ workingDir: simple, files: ['compose-name.yaml'], environment: { TEST: 'expected' } })).toBe('test-expected-test');
      expect(name({ workingDir: path.join(cli, 'env-file') })).toBe('my_project_from_dot_env');
      for (const bad of ['-my_project', '_my_project', 'www.my.project', 'MY_PROJECT']) {
        expect(errorOf({ workingDir: simple, projectName: bad })).toContain(`invalid project name "${bad}"`);
        expect(errorOf({ workingDir: simple, environment: { COMPOSE_PROJECT_NAME: bad } })).toContain(`invalid project name "${bad}"`);
      }
    });

    it('compose.yaml + compose-with-overrides.yaml: the override wins; files absolute (TestProjectFromSetOfFiles)', () => {
      const { project, discovery } = load({ workingDir: simple, files: ['compose.yaml', 'compose-with-overrides.yaml'] });
      expect(project.services.simple.image).toBe('haproxy');
      expect(discovery.files).toEqual([path.join(simple, 'compose.yaml'), path.join(simple, 'compose-with-overrides.yaml')]);
    });

    it('default file discovery picks compose.yaml (TestProjectComposefilesFromSetOfFiles)', () => {
      expect(load({ workingDir: simple }).discovery.files).toEqual([path.join(simple, 'compose.yaml')]);
    });

    it('compose-with-variables.yaml takes PUBLIC_PORT from .env (TestProjectWithDotEnv)', () => {
      const { project } = load({ workingDir: simple, files: ['compose-with-variables.yaml'] });
      expect(project.services.simple.ports?.[0].published).toBe('8000');
    });

    it('env-file/: COMPOSE_FILE and COMPOSE_PROJECT_NAME from .env; env_file values (TestProjectWithDiscardEnvFile, TestProjectName/by .env)', () => {
      const envFile = path.join(cli, 'env-file');
      const { project, discovery } = load({ workingDir: envFile });
      expect(discovery.files).toEqual([path.join(envFile, 'compose-with-env-file.yaml')]);
      expect(project.name).toBe('my_project_from_dot_env');
      expect(project.services.simple.environment).toEqual({ DEFAULT_PORT: '8080' });
      expect(project.services.simple.ports?.[0].published).toBe('8000');
    });

    it('env-file/compose-with-env-files.yaml: later env_file wins; override.env beats .env (TestProjectWithMultipleEnvFile)', () => {
      const envFile = path.join(cli, 'env-file');
      const { project } = load({
        workingDir: envFile,
        files: ['compose-with-env-files.yaml'],
        envFiles: ['.env', 'override.env'],
      });
      expect(project.services.simple.environment).toEqual({ DEFAULT_PORT: '9090' });
      expect(project.services.simple.ports?.[0].published).toBe('9000');
    });

    it('working dir "/" has no name to fall back on (TestProjectName)', () => {
      const dir = path.join(tmp, 'root-like');
      mkdirSync(dir, { recursive: true });
      writeFileSync(path.join(dir, 'compose.yaml'), 'services:\n  a:\n    image: a\n');
      // berth names the project from the compose file's directory; "/" itself is not a usable fixture.
      // A directory whose name normalises to nothing gives the same error as compose-go's "/".
      const empty = path.join(tmp, '___');
      mkdirSync(empty, { recursive: true });
      writeFileSync(path.join(empty, 'compose.yaml'), 'services:\n  a:\n    image: a\n');
      expect(errorOf({ workingDir: empty })).toContain('project name must not be empty');
    });
  });

  it('loader/example1.env + example2.env (TestDiscardEnvFileOption)', () => {
    const dir = path.join(tmp, 'discard');
    mkdirSync(dir, { recursive: true });
    const loaderDir = path.join(go, 'loader');
    writeFileSync(
      path.join(dir, 'compose.yaml'),
      `services:\n  web:\n    image: x\n    env_file:\n      - ${path.join(loaderDir, 'example1.env')}\n      - path: ${path.join(loaderDir, 'example2.env')}\n        required: false\n`,
    );
    const { project } = load({ workingDir: dir });
    expect(project.services.web.environment).toMatchObject({
      FOO: 'foo_from_env_file',
      BAZ: 'baz_from_env_file',
      BAR: 'bar_from_env_file_2',
      QUX: 'quz_from_env_file_2',
      'ENV.WITH.DOT': 'ok',
      ENV_WITH_UNDERSCORE: 'ok',
    });
    expect(project.services.web.env_file).toEqual([
      { path: path.join(loaderDir, 'example1.env'), required: true },
      { path: path.join(loaderDir, 'example2.env'), required: false },
    ]);
  });

  it('types/fixtures base.env + override.env: environment precedence (TestProject_WithServicesEnvironmentResolved)', () => {
    const fixtures = path.join(go, 'types', 'fixtures');
    const dir = path.join(tmp, 'precedence');
    mkdirSync(dir, { recursive: true });
    const compose = (files: string[]) =>
      `services:\n  s:\n    image: x\n    environment:\n      BAR: bar_from_environment\n      QIX:\n    env_file:\n${files.map((f) => `      - ${path.join(fixtures, f)}\n`).join('')}`;
    const env = { FOO: 'FOO_from_os.env', QIX: 'QIX_from_os.env' };
    writeFileSync(path.join(dir, 'compose.yaml'), compose(['base.env']));
    const base = load({ workingDir: dir, environment: env }).project.services.s.environment;
    expect(base).toMatchObject({
      FOO: 'foo_from_base.env',
      BAR: 'bar_from_environment', // service environment beats env_file
      QIX: 'QIX_from_os.env', // a bare name takes the project environment
      ZOT: 'zot_from_base.env',
      INTERPOLATED_FOO: 'FOO_from_os.env', // ${FOO} in an env file prefers the project environment
      INTERPOLATED_ZOT: 'zot_from_base.env',
    });
    writeFileSync(path.join(dir, 'compose.yaml'), compose(['base.env', 'override.env']));
    const both = load({ workingDir: dir, environment: env }).project.services.s.environment;
    expect(both).toMatchObject({ FOO: 'foo_from_override.env', BAR: 'bar_from_environment', INTERPOLATED_FOO: 'FOO_from_os.env' });
  });
});

describeCorpus(goDir, 'compose-go file fixtures that must fail (NOTES §4)', () => {
  const testdata = path.join(goDir as string, 'loader', 'testdata');

  it('empty.yaml: "empty compose file" (TestEmptyFile)', () => {
    expect(errorOf({ files: ['empty.yaml'], workingDir: testdata })).toContain('empty compose file');
  });

  it('compose-include-cycle.yaml: "include cycle detected" (TestLoadWithIncludeCycle)', () => {
    expect(errorOf({ files: ['compose-include-cycle.yaml'], workingDir: testdata })).toContain('include cycle detected');
  });

  it('compose-depends-on-cycle.yaml (TestLoadDependsOnCycle)', () => {
    expect(errorOf({ files: ['compose-depends-on-cycle.yaml'], workingDir: testdata })).toContain(
      'dependency cycle detected: service1 -> service2 -> service3 -> service1',
    );
  });

  it('compose-depends-on-self.yaml (TestLoadDependsOnSelf)', () => {
    expect(errorOf({ files: ['compose-depends-on-self.yaml'], workingDir: testdata })).toContain('dependency cycle detected: service1 -> service1');
  });

  it('compose-depends-on-profile-no-cycle.yaml: despite its name, the same cycle (NOTES: "treat it as suspect")', () => {
    expect(errorOf({ files: ['compose-depends-on-profile-no-cycle.yaml'], workingDir: testdata })).toContain('dependency cycle detected');
  });

  it('extends with a file but no service: "extends.test.service is required" (TestExtendsWihtMissingService)', () => {
    const dir = path.join(tmp, 'missing-service');
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      path.join(dir, 'compose.yaml'),
      `name: test-extends-port\nservices:\n  test:\n    image: test\n    extends:\n      file: ${path.join(testdata, 'extends', 'base.yaml')}\n`,
    );
    expect(errorOf({ workingDir: dir })).toContain('extends.test.service is required');
  });

  it('remote/ fixtures are not replayable: they need compose-go\'s `remote:` ResourceLoader API (TestLoadWithResources*)', () => {
    // Listed rather than skipped: berth reads local files only, so `remote:x` is a missing file.
    const dir = path.join(tmp, 'remote');
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'compose.yaml'), 'name: r\nservices:\n  foo:\n    extends:\n      file: remote:unavailable.yaml\n      service: foo\n');
    expect(errorOf({ workingDir: dir })).toContain('remote:unavailable.yaml');
  });
});
