// Golden cases: test/fixtures/normalize/<case>/input.yaml is normalised with a fixed context
// and compared with expected.yaml (the Project; omitted sections are empty).
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { composeErrorsOf } from '../support/errors.js';
import { normalizeModel, type NormalizeContext } from '../../src/loader/normalize.js';
import { parseYaml } from '../../src/loader/parse.js';
import { stripTags } from '../../src/loader/tags.js';
import { repoRoot } from '../corpus.js';

const fixtures = path.join(repoRoot, 'test/fixtures/normalize');
const ctx: NormalizeContext = { projectName: 'golden', projectDir: '/project', homeDir: '/home/user' };

function load(text: string, file = 'compose.yaml') {
  const parsed = parseYaml(text, file);
  return { model: stripTags(parsed.value) as Record<string, unknown>, sourceMap: parsed.sourceMap };
}

function normalize(text: string, extra: Partial<NormalizeContext> = {}) {
  return normalizeModel(load(text).model, { ...ctx, ...extra });
}

describe('normalizeModel golden cases', () => {
  const cases = readdirSync(fixtures).sort();
  it('has a dozen cases', () => expect(cases.length).toBeGreaterThanOrEqual(12));

  for (const name of cases) {
    it(name, () => {
      const input = readFileSync(path.join(fixtures, name, 'input.yaml'), 'utf8');
      const expected = YAML.parse(readFileSync(path.join(fixtures, name, 'expected.yaml'), 'utf8'));
      const project = normalize(input);
      expect(project).toEqual({ services: {}, networks: {}, volumes: {}, secrets: {}, configs: {}, extensions: {}, ...expected });
      // Deterministic listings: resources are ordered by name (deeper keys are sorted when printed or hashed).
      for (const section of Object.values(project)) {
        if (section && typeof section === 'object') expect(Object.keys(section)).toEqual(Object.keys(section).sort());
      }
    });
  }
});

describe('normalizeModel', () => {
  it('reads cpus as numbers and driver_opts as strings, like compose-go (full-example.yml)', () => {
    const p = normalize(
      'services:\n  a:\n    image: x\n    cpus: "1.5"\n    deploy:\n      resources:\n        limits: {cpus: "0.001"}\n        reservations: {cpus: 0.5}\n' +
        'networks:\n  n:\n    driver_opts: {baz: 1, on: true}\nvolumes:\n  v:\n    driver_opts: {baz: 1}\n',
    );
    expect(p.services.a.cpus).toBe(1.5);
    expect(p.services.a.deploy).toEqual({ resources: { limits: { cpus: 0.001 }, reservations: { cpus: 0.5 } } });
    expect(p.networks.n.driver_opts).toEqual({ baz: '1', on: 'true' });
    expect(p.volumes.v.driver_opts).toEqual({ baz: '1' });
    expect(composeErrorsOf(() => normalize('services:\n  a:\n    image: x\n    cpus: lots\n')).map((e) => e.detail)).toEqual(['invalid number: "lots"']);
  });

  it('does not change its input', () => {
    const { model } = load('services:\n  a:\n    image: x\n    ports: ["80:80"]\n    depends_on: [b]\n  b: {image: y}\n');
    const before = JSON.stringify(model);
    normalizeModel(model, ctx);
    expect(JSON.stringify(model)).toBe(before);
  });

  it('drops `version` and keeps top-level x- keys as extensions', () => {
    const p = normalize('version: "3"\nservices: {a: {image: x}}\nx-b: 1\nx-a: {k: v}\n');
    expect(p.extensions).toEqual({ 'x-a': { k: 'v' }, 'x-b': 1 });
    expect(Object.keys(p.extensions)).toEqual(['x-a', 'x-b']);
    expect(p).not.toHaveProperty('version');
  });

  it('adds no default network when no service uses it', () => {
    const p = normalize('services:\n  a: {image: x, networks: [back]}\nnetworks:\n  back: {}\n');
    expect(p.networks).toEqual({ back: { name: 'golden_back' } });
  });

  it('keeps a declared default network and names it', () => {
    const p = normalize('services:\n  a: {image: x}\nnetworks:\n  default: {driver: bridge}\n');
    expect(p.networks.default).toEqual({ name: 'golden_default', driver: 'bridge' });
  });

  it('does not attach provider services to the default network', () => {
    const p = normalize('services:\n  m: {provider: {type: model}}\n');
    expect(p.services.m.networks).toBeUndefined();
    expect(p.networks).toEqual({});
  });

  it('resolves a local bind volume device against the project directory', () => {
    const p = normalize('volumes:\n  data:\n    driver: local\n    driver_opts: {type: none, o: bind, device: ./data}\n');
    expect(p.volumes.data.driver_opts).toEqual({ type: 'none', o: 'bind', device: '/project/data' });
  });

  it('keeps unresolved ${VAR} ports and volumes as written (interpolation skipped)', () => {
    const p = normalize('services:\n  a:\n    image: x\n    ports: ["${PORT}:80"]\n    volumes: ["${SRC}:/src"]\n');
    expect(p.services.a.ports).toEqual(['${PORT}:80']);
    expect(p.services.a.volumes).toEqual(['${SRC}:/src']);
  });

  it('refuses different scale and deploy.replicas as compose-go words it', () => {
    const [e] = composeErrorsOf(() => normalize('services:\n  web:\n    image: x\n    scale: 2\n    deploy: {replicas: 3}\n'));
    expect(e.detail).toBe("services.web: can't set distinct values on 'scale' and 'deploy.replicas'");
    expect(e.location?.path).toEqual(['services', 'web', 'scale']);
  });

  it('accepts a numeric string replicas equal to scale', () => {
    const p = normalize('services:\n  web:\n    image: x\n    scale: 2\n    deploy: {replicas: "2"}\n');
    expect(p.services.web.deploy).toEqual({ replicas: 2 });
  });

  it('refuses a name that conflicts with the legacy external.name', () => {
    const [e] = composeErrorsOf(() => normalize('networks:\n  foo:\n    name: a\n    external: {name: b}\n'));
    expect(e.message).toContain('networks.foo: name and external.name conflict; only use name');
  });

  it('reports every problem of the model at once, each with file:line:column', () => {
    const text = [
      'services:',
      '  web:',
      '    image: x',
      '    ports: ["80/xyz", "127.0.1:8080:80", "8080:80"]',
      '    command: echo a && echo b',
      '    mem_limit: lots',
      '    healthcheck: {interval: 10}',
      '    volumes: ["data::/x"]',
      '',
    ].join('\n');
    const { model, sourceMap } = load(text, 'stack.yaml');
    const errors = composeErrorsOf(() => normalizeModel(model, { ...ctx, locate: (p) => sourceMap.locate(p) }));
    expect(errors.map((e) => e.detail)).toEqual([
      'Invalid proto: xyz',
      'Invalid ip address: 127.0.1',
      'invalid command line string: unquoted "&": compose would silently drop the rest of the command',
      expect.stringContaining('invalid size: "lots"'),
      expect.stringContaining('invalid duration "10": missing unit'),
      'invalid spec: data::/x: empty section between colons',
    ]);
    expect(errors[0].message).toMatch(/^stack\.yaml:4:\d+: services\.web\.ports\[0\]: Invalid proto: xyz/);
    expect(errors[1].location?.path).toEqual(['services', 'web', 'ports', 1]);
    expect(errors[2].message).toMatch(/^stack\.yaml:5:\d+: services\.web\.command:/);
    expect(errors[4].location?.path).toEqual(['services', 'web', 'healthcheck', 'interval']);
  });

  it('refuses a long-syntax bind without a source', () => {
    const [e] = composeErrorsOf(() => normalize('services:\n  a:\n    image: x\n    volumes: [{type: bind, target: /app}]\n'));
    expect(e.detail).toBe('invalid mount config for type "bind": field Source must not be empty');
  });

  it('refuses extra_hosts entries without an IP or with a bad host name', () => {
    expect(composeErrorsOf(() => normalize('services:\n  a:\n    image: x\n    extra_hosts: [nohost]\n'))[0].detail).toBe(
      'invalid additional host, missing IP: nohost',
    );
    expect(composeErrorsOf(() => normalize('services:\n  a:\n    image: x\n    extra_hosts: ["=1.2.3.4"]\n'))[0].detail).toBe("bad host name ''");
  });
});
