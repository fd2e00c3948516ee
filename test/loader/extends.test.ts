import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ComposeError } from '../../src/errors.js';
import { composeErrorsOf } from '../support/errors.js';
import { resolveExtends, type LoadedFile, type LoadFile } from '../../src/loader/extends.js';
import { mergeModels } from '../../src/loader/merge.js';
import { parseYaml } from '../../src/loader/parse.js';
import { ResetTag, stripTags } from '../../src/loader/tags.js';
import { corpusPath } from '../corpus.js';

type Mapping = Record<string, unknown>;

/**
 * A LoadFile over an in-memory set of files, falling back to the disk; like the loader's, it
 * parses but (here) does not interpolate, and fails with an unlocated ComposeError when the
 * file cannot be read.
 */
function fileLoader(files: Record<string, string> = {}): LoadFile & { calls: string[] } {
  const calls: string[] = [];
  const load = (p: string): LoadedFile => {
    calls.push(p);
    let text = files[p];
    if (text === undefined) {
      try {
        text = readFileSync(p, 'utf8');
      } catch (e) {
        throw new ComposeError(`cannot read the compose file: ${(e as NodeJS.ErrnoException).code}`, { location: { file: p } });
      }
    }
    const parsed = parseYaml(text, p);
    return { file: p, value: (parsed.value ?? {}) as Mapping, sourceMap: parsed.sourceMap };
  };
  return Object.assign(load, { calls });
}

/** Parses `text` as the file `file` and resolves its extends. */
function resolveText(file: string, text: string, loader: LoadFile = fileLoader()): Mapping {
  const parsed = parseYaml(text, file);
  return resolveExtends(parsed.value as Mapping, { file, loadFile: loader, sourceMap: parsed.sourceMap });
}

function services(model: Mapping): Record<string, Mapping> {
  return stripTags(model.services) as Record<string, Mapping>;
}

const loaderDir = corpusPath('compose-go', 'loader');

// Expectations from NOTES.md §3.2 and §4. compose-go's tests load through the whole loader;
// here only extends runs, so values are raw (not normalised, not interpolated) and paths taken
// from another file are absolute (compose-go with ResolvePaths=false keeps them relative to the
// working directory: `testdata/extends`).
describe.skipIf(!loaderDir)('compose-go extends fixtures', () => {
  const dir = loaderDir ?? '';
  const testdata = path.join(dir, 'testdata');
  const inline = (text: string): Mapping => resolveText(path.join(dir, '(inline)'), text);

  it('TestExtends: each service keeps its own hostname; `another` extends `base` inside base.yaml', () => {
    const out = services(
      inline(`
services:
  test1: {extends: {file: testdata/extends/base.yaml, service: base}, hostname: test1}
  test2: {extends: {file: testdata/extends/base.yaml, service: base}, hostname: test2}
  test3: {extends: {file: testdata/extends/base.yaml, service: another}, hostname: test3}
`),
    );
    expect(out).toEqual({
      test1: { image: 'base', hostname: 'test1' },
      test2: { image: 'base', hostname: 'test2' },
      test3: { image: 'base', hostname: 'test3' },
    });
  });

  it('TestExtendsPort: the ports come from the base', () => {
    const out = services(inline('services: {test: {image: test, extends: {file: testdata/extends/base.yaml, service: with-port}}}'));
    expect(out.test).toEqual({ image: 'test', ports: ['8000:8000'] });
  });

  it('TestExtendsUlimits: nproc 65535', () => {
    const out = services(inline('services: {test: {extends: {file: testdata/extends/base.yaml, service: withUlimits}}}'));
    expect((out.test.ulimits as Mapping).nproc).toBe(65535);
  });

  it('TestExtendsRelativePath: build context relative to the extended file, through two files', () => {
    const out = services(inline('services: {test: {extends: {file: testdata/extends/base.yaml, service: with-build}}}'));
    expect(out.test).toEqual({ build: path.join(testdata, 'extends') });
  });

  it('TestExtendsNil: an empty base service adds nothing', () => {
    const out = services(inline('services: {test: {image: test, extends: {file: testdata/extends/base.yaml, service: nil}}}'));
    expect(out.test).toEqual({ image: 'test' });
  });

  it('TestExtendsWihtMissingService: extends.test.service is required (exact)', () => {
    const errors = composeErrorsOf(() => inline('services:\n  test:\n    image: test\n    extends:\n      file: testdata/extends/base.yaml\n'));
    expect(errors.map((e) => e.detail)).toEqual(['extends.test.service is required']);
    expect(errors[0].location).toMatchObject({ line: 4, column: 5, path: ['services', 'test', 'extends'] });
  });

  it('TestIncludeWithExtends: nested.yaml resolves its own extends of sibling.yaml', () => {
    const file = path.join(testdata, 'extends', 'nested.yaml');
    const out = services(resolveText(file, readFileSync(file, 'utf8')));
    expect(out['with-build']).toEqual({ build: path.join(testdata, 'extends') });
  });

  it('TestExtendsPortOverride: the same file loaded and extended gives one port', () => {
    const portsFile = path.join(testdata, 'extends', 'ports.yaml');
    const first = parseYaml(readFileSync(portsFile, 'utf8'), portsFile).value;
    const second = inline('services: {test: {extends: {file: testdata/extends/ports.yaml, service: test}}}');
    const merged = stripTags(mergeModels(first, second)) as { services: Record<string, Mapping> };
    expect(merged.services.test).toEqual({ image: 'test', ports: ['8080:8080'] });
  });

  it('TestExtendsReset: the base service `!reset` of its extended command survives', () => {
    const out = inline('services: {test: {extends: {file: testdata/extends/reset.yaml, service: base}}}');
    expect(services(out).test).toEqual({ image: 'alpine:latest' });
  });

  it('extends/reset.yaml on its own: the local `!reset` stays in the output for the file merge', () => {
    const file = path.join(testdata, 'extends', 'reset.yaml');
    const out = resolveText(file, readFileSync(file, 'utf8'));
    expect((out.services as Record<string, Mapping>).base.command).toBeInstanceOf(ResetTag);
    expect(services(out).base).toEqual({ image: 'alpine:latest' });
  });

  it('TestExtendsWithInterpolation: the volume is carried raw (interpolation is not this stage)', () => {
    const out = services(inline('services: {test: {extends: {file: testdata/extends/interpolated.yaml, service: foo}}}'));
    // Upstream asserts `/dev/null` after interpolation; here the `${SOURCE:-/dev/null}` template must reach the loader intact.
    expect(out.test).toEqual({ image: 'bash', volumes: ['${SOURCE:-/dev/null}:/tmp/foo:ro'] });
  });

  for (const base of ['with_volumes_from', 'with_depends_on', 'with_ipc', 'with_network_mode']) {
    it(`TestExtendsWithServiceRef ${base}: service "bar" depends on undefined service "zot"`, () => {
      const text = `services:\n  bar:\n    extends:\n      file: ./testdata/extends/depends_on.yaml\n      service: ${base}\n`;
      const errors = composeErrorsOf(() => inline(text));
      expect(errors.map((e) => e.detail)).toEqual(['service "bar" depends on undefined service "zot"']);
      expect(errors[0].location).toMatchObject({ line: 3, column: 5 });
      // Loads once a local `zot` is defined.
      expect(() => inline(`${text}  zot:\n    image: zot\n`)).not.toThrow();
    });
  }

  it('TestLoadWithExtends: env_file stays relative to the extended file; container_name is not interpolated here', () => {
    const file = path.join(testdata, 'compose-test-extends.yaml');
    const out = services(resolveText(file, readFileSync(file, 'utf8')));
    expect(out).toEqual({
      importer: {
        image: 'nginx',
        container_name: '${SOURCE:-imported}',
        env_file: [path.join(testdata, 'subdir', 'extra.env')],
        volumes: ['/opt/data:/var/lib/mysql'],
      },
    });
  });

  it('TestLoadWithExtendsWithContextUrl: a URL build context is left as is', () => {
    const file = path.join(testdata, 'compose-test-extends-with-context-url.yaml');
    const out = services(resolveText(file, readFileSync(file, 'utf8')));
    expect(out['importer-with-https-url']).toEqual({ build: { context: 'https://github.com/docker/compose.git' } });
  });

  it('extends/withdir: a nested extends.file is relative to the file that declares it', () => {
    const file = path.join(testdata, 'extends', 'withdir', 'compose.yaml');
    const loader = fileLoader();
    const out = services(resolveText(file, readFileSync(file, 'utf8'), loader));
    expect(out.test).toEqual({ image: 'hello-world' });
    expect(loader.calls).toEqual([path.join(testdata, 'extends', 'withdir', 'dir', 'compose.yaml'), path.join(testdata, 'extends', 'withdir', 'dir', 'base.yaml')]);
  });
});

describe('extends in the same file', () => {
  const file = '/p/compose.yaml';

  it('TestLoadExtends: the local value wins, the rest comes from the base', () => {
    const out = services(resolveText(file, 'services: {foo: {image: busybox, extends: bar}, bar: {image: alpine, command: echo}}'));
    expect(out).toEqual({ foo: { image: 'busybox', command: 'echo' }, bar: { image: 'alpine', command: 'echo' } });
  });

  it('TestLoadExtendsOverrideCommand: command is replaced, not merged', () => {
    const out = services(resolveText(file, 'services: {foo: {extends: {service: bar}, command: [b]}, bar: {image: alpine, command: [a, x]}}'));
    expect(out.foo).toEqual({ image: 'alpine', command: ['b'] });
  });

  it('TestLoadExtendsListener: chains resolve in any order of declaration', () => {
    const out = services(
      resolveText(
        file,
        `services:
  foo: {image: busybox, extends: bar}
  bar: {image: alpine, command: echo, extends: wee}
  wee: {extends: last, command: echo}
  last: {image: python, environment: [A=1]}`,
      ),
    );
    expect(out.foo).toEqual({ image: 'busybox', command: 'echo', environment: ['A=1'] });
    expect(out.wee).toEqual({ image: 'python', command: 'echo', environment: ['A=1'] });
  });

  it('TestLoadExtendsDependsOn: !override replaces the inherited depends_on', () => {
    const out = services(
      resolveText(
        file,
        `services:
  service_a: {image: a, depends_on: [service_c]}
  service_b:
    extends: service_a
    depends_on: !override [service_a]
  service_c: {image: c}`,
      ),
    );
    expect(out.service_b).toEqual({ image: 'a', depends_on: ['service_a'] });
  });

  it('TestLoadExtendsWihReset: !reset [] empties the inherited volumes', () => {
    const out = services(resolveText(file, 'services: {foo: {extends: {service: bar}, volumes: !reset []}, bar: {image: alpine, volumes: [".:/src"]}}'));
    expect(out.foo).toEqual({ image: 'alpine' });
  });

  it('merges sequences with the merge rules (ports deduplicated, environment by name)', () => {
    const out = services(
      resolveText(file, 'services: {a: {extends: b, ports: ["80:80", "81:81"], environment: {X: 2}}, b: {image: i, ports: ["80:80"], environment: [X=1, Y=1]}}'),
    );
    expect(out.a).toEqual({ image: 'i', ports: ['80:80', '81:81'], environment: ['X=2', 'Y=1'] });
  });

  it('keeps relative paths of the same file as they are (normalisation resolves them)', () => {
    const out = services(resolveText(file, 'services: {a: {extends: b}, b: {build: ./app, volumes: ["./d:/d"]}}'));
    expect(out.a).toEqual({ build: './app', volumes: ['./d:/d'] });
  });

  it('a base`s own tags do not leak into the extending service', () => {
    const out = resolveText(file, 'services: {a: {extends: b}, b: {extends: c, command: !reset }, c: {image: i, command: x}}');
    const raw = out.services as Record<string, Mapping>;
    expect(raw.b.command).toBeInstanceOf(ResetTag);
    expect('command' in raw.a).toBe(false);
    expect(services(out).a).toEqual({ image: 'i' });
  });

  it('is pure: the input model is not changed', () => {
    const parsed = parseYaml('services: {a: {extends: b, ports: ["1:1"]}, b: {image: i, ports: ["2:2"]}}', file);
    const before = JSON.stringify(parsed.value);
    resolveExtends(parsed.value as Mapping, { file, loadFile: fileLoader() });
    expect(JSON.stringify(parsed.value)).toBe(before);
  });

  it('returns the model itself when nothing extends', () => {
    const model = { services: { a: { image: 'i' } } };
    expect(resolveExtends(model, { file, loadFile: fileLoader() })).toBe(model);
  });

  it('reports a missing service with its location', () => {
    const errors = composeErrorsOf(() => resolveText(file, 'services:\n  a:\n    extends: nope\n'));
    expect(errors.map((e) => e.detail)).toEqual(['cannot extend service "a" in /p/compose.yaml: service "nope" not found']);
    expect(errors[0].location).toMatchObject({ file, line: 3, column: 5 });
  });

  it('reports a malformed extends', () => {
    expect(composeErrorsOf(() => resolveText(file, 'services: {a: {extends: [x]}}')).map((e) => e.detail)).toEqual(['services.a.extends must be a string or a mapping']);
  });

  it('reports a cycle once, with the whole chain, whichever service leads to it', () => {
    const errors = composeErrorsOf(() => resolveText(file, 'services:\n  z: {extends: b}\n  b: {extends: c}\n  c: {extends: b}\n  self: {extends: self}\n'));
    expect(errors.map((e) => e.detail)).toEqual(['extends cycle: b -> c -> b', 'extends cycle: self -> self']);
    expect(errors[0].location).toMatchObject({ line: 3, path: ['services', 'b', 'extends'] });
  });

  it('collects every problem of the file', () => {
    const errors = composeErrorsOf(() => resolveText(file, 'services: {a: {extends: x}, b: {extends: {file: other.yaml}}}'));
    expect(errors.map((e) => e.detail)).toEqual(['cannot extend service "a" in /p/compose.yaml: service "x" not found', 'extends.b.service is required']);
  });
});

describe('extends across files', () => {
  const file = '/p/compose.yaml';

  it('rebases the paths of a service from another file: build, env_file, label_file, short and long binds', () => {
    const loader = fileLoader({
      '/p/sub/base.yaml': `services:
  base:
    build: {context: ., dockerfile: Dockerfile.dev}
    env_file: [a.env, {path: ../b.env, required: false}]
    label_file: ./l.labels
    volumes: ["./data:/data:ro", "named:/n", "/abs:/abs", {type: bind, source: ./src, target: /src}, {type: volume, source: v, target: /v}]
`,
    });
    const out = services(resolveText(file, 'services: {web: {extends: {file: sub/base.yaml, service: base}, env_file: c.env}}', loader));
    expect(out.web).toEqual({
      build: { context: '/p/sub', dockerfile: 'Dockerfile.dev' },
      env_file: ['/p/sub/a.env', { path: '/p/b.env', required: false }, 'c.env'],
      label_file: '/p/sub/l.labels',
      volumes: ['/p/sub/data:/data:ro', 'named:/n', '/abs:/abs', { type: 'bind', source: '/p/sub/src', target: '/src' }, { type: 'volume', source: 'v', target: '/v' }],
    });
  });

  it('TestLoadExtendsMultipleFiles: a build without context gets none from the other file', () => {
    const loader = fileLoader({ '/p/a/compose.yaml': 'services: {a: {build: .}}', '/p/b/compose.yaml': 'services: {b: {build: {target: fake}}}' });
    const out = services(
      resolveText(file, 'services: {a: {extends: {file: ./a/compose.yaml, service: a}}, b: {extends: {file: ./b/compose.yaml, service: b}}}', loader),
    );
    expect(out).toEqual({ a: { build: '/p/a' }, b: { build: { target: 'fake' } } });
  });

  it('TestLoadExtendsSameFile: a same-file chain inside another file keeps that file`s paths', () => {
    const loader = fileLoader({ '/p/sub/compose.yaml': 'services: {base: {build: {context: ..}}, service: {extends: base, build: {target: target}}}' });
    const out = services(
      resolveText(file, 'services: {out-base: {extends: {file: sub/compose.yaml, service: base}}, out-service: {extends: {file: sub/compose.yaml, service: service}}}', loader),
    );
    expect(out).toEqual({ 'out-base': { build: { context: '/p' } }, 'out-service': { build: { context: '/p', target: 'target' } } });
  });

  it('loads each other file once', () => {
    const loader = fileLoader({ '/p/base.yaml': 'services: {x: {image: x}, y: {extends: x}}' });
    resolveText(file, 'services: {a: {extends: {file: base.yaml, service: x}}, b: {extends: {file: ./base.yaml, service: y}}}', loader);
    expect(loader.calls).toEqual(['/p/base.yaml']);
  });

  it('`file:` naming the declaring file itself is a same-file extends', () => {
    const loader = fileLoader();
    const out = services(resolveText(file, 'services: {a: {extends: {file: compose.yaml, service: b}}, b: {image: i, build: ./x}}', loader));
    expect(out.a).toEqual({ image: 'i', build: './x' });
    expect(loader.calls).toEqual([]);
  });

  it('accepts references to services defined in other compose files of the project', () => {
    const loader = fileLoader({ '/p/base.yaml': 'services: {x: {image: x, depends_on: {db: {condition: service_healthy}}}}' });
    const text = 'services: {a: {extends: {file: base.yaml, service: x}}}';
    expect(composeErrorsOf(() => resolveText(file, text, loader)).map((e) => e.detail)).toEqual(['service "a" depends on undefined service "db"']);
    const parsed = parseYaml(text, file);
    expect(() => resolveExtends(parsed.value as Mapping, { file, loadFile: loader, knownServices: ['db'] })).not.toThrow();
  });

  it('does not report references the extending service replaced', () => {
    const loader = fileLoader({ '/p/base.yaml': 'services: {x: {image: x, network_mode: "service:vpn"}}' });
    expect(() => resolveText(file, 'services: {a: {extends: {file: base.yaml, service: x}, network_mode: host}}', loader)).not.toThrow();
  });

  it('reports a missing file at the extends key, and a missing service in the other file', () => {
    const loader = fileLoader({ '/p/base.yaml': 'services: {x: {image: x}}' });
    const errors = composeErrorsOf(() =>
      resolveText(file, 'services:\n  a:\n    extends: {file: nope.yaml, service: x}\n  b:\n    extends: {file: base.yaml, service: y}\n', loader),
    );
    expect(errors.map((e) => e.detail)).toEqual([
      'cannot extend service "a": cannot read /p/nope.yaml: cannot read the compose file: ENOENT',
      'cannot extend service "b" in /p/compose.yaml: service "y" not found in /p/base.yaml',
    ]);
    expect(errors[0].location).toMatchObject({ file, line: 3, path: ['services', 'a', 'extends', 'file'] });
  });

  it('reports a file without services', () => {
    const loader = fileLoader({ '/p/empty.yaml': 'volumes: {}' });
    expect(composeErrorsOf(() => resolveText(file, 'services: {a: {extends: {file: empty.yaml, service: x}}}', loader)).map((e) => e.detail)).toEqual([
      'cannot extend service "a" in /p/compose.yaml: /p/empty.yaml has no services section',
    ]);
  });

  it('keeps errors located inside the other file where they are', () => {
    const loader = fileLoader({ '/p/base.yaml': 'services:\n  x:\n    extends: missing\n' });
    const errors = composeErrorsOf(() => resolveText(file, 'services: {a: {extends: {file: base.yaml, service: x}}}', loader));
    expect(errors.map((e) => e.detail)).toEqual(['cannot extend service "x" in /p/base.yaml: service "missing" not found']);
    expect(errors[0].location).toMatchObject({ file: '/p/base.yaml', line: 3 });
  });

  it('names the files of a cycle that crosses them, in a stable order', () => {
    const loader = fileLoader({
      '/p/sub/b.yaml': 'services: {b: {extends: {file: ../compose.yaml, service: a}}}',
      '/p/compose.yaml': 'services: {a: {extends: {file: sub/b.yaml, service: b}}}',
    });
    const errors = composeErrorsOf(() => resolveText(file, 'services: {a: {extends: {file: sub/b.yaml, service: b}}}', loader));
    expect(errors.map((e) => e.detail)).toEqual(['extends cycle: a -> b (sub/b.yaml) -> a']);
  });

  it('a !reset in the extending service also resets the value of an earlier compose file', () => {
    const loader = fileLoader({ '/p/base.yaml': 'services: {x: {image: x, command: run}}' });
    const second = resolveText(file, 'services: {web: {extends: {file: base.yaml, service: x}, command: !reset }}', loader);
    const merged = stripTags(mergeModels({ services: { web: { command: 'old', ports: ['1:1'] } } }, second)) as Mapping;
    expect(merged).toEqual({ services: { web: { image: 'x', ports: ['1:1'] } } });
  });

  it('does not leak tags of the other file', () => {
    const loader = fileLoader({ '/p/base.yaml': 'services: {x: {image: x, ports: !override ["1:1"]}}' });
    const out = resolveText(file, 'services: {web: {extends: {file: base.yaml, service: x}}}', loader);
    const web = (out.services as Record<string, Mapping>).web;
    expect(web.ports).toEqual(['1:1']);
  });
});
