// The interpolation stage over whole models: compose-go's interpolate-value and
// interpolate-cast cases, then locations, warnings, error aggregation, tags and casts.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { composeErrorsOf } from '../support/errors.js';
import { interpolateModel } from '../../src/loader/interpolate.js';
import { parseYaml } from '../../src/loader/parse.js';
import { OverrideTag, ResetTag } from '../../src/loader/tags.js';
import type { Lookup } from '../../src/loader/template.js';
import { corpusPath } from '../corpus.js';

interface InterpolationCase {
  id: string;
  kind: string;
  input: string;
  env: Record<string, string>;
  expected?: unknown;
  error?: boolean;
  errorContains?: string;
  note?: string;
}

const file = corpusPath('compose-go', 'interpolation-cases.json');
const cases: InterpolationCase[] = file ? JSON.parse(readFileSync(file, 'utf8')) : [];
const lookupOf =
  (env: Record<string, string>): Lookup =>
  (k) =>
    Object.hasOwn(env, k) ? env[k] : undefined;

/** Where a case puts its value; the notes name the exceptions to myservice.environment.TESTVAR. */
function pathOf(c: InterpolationCase): string[] {
  if (c.note?.includes('servicea.image')) return ['servicea', 'image'];
  if (c.note?.includes('networks.foo')) return ['networks', 'foo'];
  return ['myservice', 'environment', 'TESTVAR'];
}

function nest(path: readonly string[], leaf: unknown): unknown {
  return path.reduceRight<unknown>((acc, key) => ({ [key]: acc }), leaf);
}

function dig(value: unknown, path: readonly string[]): unknown {
  return path.reduce<unknown>((acc, key) => (acc as Record<string, unknown>)[key], value);
}

describe.skipIf(!file)('compose-go interpolation cases (interpolation-cases.json, kind: interpolate-*)', () => {
  const valueCases = cases.filter((c) => c.kind === 'interpolate-value');
  const castCases = cases.filter((c) => c.kind === 'interpolate-cast');

  it('holds 31 value cases and 2 cast cases', () => {
    expect([valueCases.length, castCases.length]).toEqual([31, 2]);
  });

  it.each(valueCases.map((c) => [c.id, c] as const))('%s', (_id, c) => {
    const path = pathOf(c);
    const run = () => interpolateModel(nest(path, c.input), { lookup: lookupOf(c.env) });
    if (c.error) {
      const [err, ...rest] = composeErrorsOf(run);
      expect(rest).toEqual([]);
      // compose-go's invalid-template message spans three lines (the template on the last);
      // berth says it on one: its first line's words, then the template quoted.
      const wanted = c.errorContains?.split('\n')[0].replace(/\.$/, ':');
      expect(err.message).toContain(wanted);
      return;
    }
    expect(dig(run().value, path)).toBe(c.expected);
  });

  // Deliberate difference: compose-go's test registers ad-hoc rules (`*.replicas`,
  // `*.required`); berth's cast table is fixed, so the values sit where those attributes
  // really live: services.*.deploy.replicas and services.*.depends_on.*.required.
  const castPaths: Record<string, string[]> = {
    'interpolation/TestInterpolateWithCast#0': ['services', 'foo', 'deploy', 'replicas'],
    'interpolation/TestInterpolateWithCast#1': ['services', 'foo', 'depends_on', 'db', 'required'],
  };
  it.each(castCases.map((c) => [c.id, c] as const))('%s', (id, c) => {
    const path = castPaths[id];
    expect(path, `no berth path for ${id}`).toBeDefined();
    expect(dig(interpolateModel(nest(path, c.input), { lookup: lookupOf(c.env) }).value, path)).toBe(c.expected);
  });
});

describe('interpolateModel', () => {
  const yaml = (text: string) => parseYaml(text, '/p/compose.yaml');

  it('substitutes values, never keys, and leaves non-strings alone', () => {
    const { value } = interpolateModel(
      { services: { '${NAME}': { image: '${IMAGE}', labels: { '$KEY': '$KEY' }, command: [1, true, null, '$IMAGE'] } } },
      { lookup: lookupOf({ NAME: 'web', IMAGE: 'nginx', KEY: 'k' }) },
    );
    expect(value).toEqual({ services: { '${NAME}': { image: 'nginx', labels: { $KEY: 'k' }, command: [1, true, null, 'nginx'] } } });
  });

  it('does not mutate its input', () => {
    const model = { services: { web: { image: '${I}' } } };
    interpolateModel(model, { lookup: lookupOf({ I: 'x' }) });
    expect(model.services.web.image).toBe('${I}');
  });

  it('walks through !override (keeping the tag) and leaves !reset alone', () => {
    const parsed = yaml('services:\n  web:\n    environment: !override\n      A: ${A}\n    ports: !reset []\n');
    const { value } = interpolateModel(parsed.value, { lookup: lookupOf({ A: 'a' }), sourceMap: parsed.sourceMap });
    const web = (value as { services: { web: { environment: unknown; ports: unknown } } }).services.web;
    expect(web.environment).toBeInstanceOf(OverrideTag);
    expect((web.environment as OverrideTag).value).toEqual({ A: 'a' });
    expect(web.ports).toBeInstanceOf(ResetTag);
  });

  it('warns like docker compose about unset variables, located at the value', () => {
    const parsed = yaml('services:\n  web:\n    image: nginx\n    user: "${NOBODY}"\n    command: ["$ALSO", "${NOBODY:-ok}"]\n');
    const { warnings } = interpolateModel(parsed.value, { lookup: () => undefined, sourceMap: parsed.sourceMap });
    expect(warnings).toEqual([
      {
        message: 'The "NOBODY" variable is not set. Defaulting to a blank string.',
        location: { file: '/p/compose.yaml', line: 4, column: 5, path: ['services', 'web', 'user'] },
      },
      {
        message: 'The "ALSO" variable is not set. Defaulting to a blank string.',
        location: expect.objectContaining({ file: '/p/compose.yaml', line: 5, path: ['services', 'web', 'command', 0] }),
      },
    ]);
  });

  it('without a source map, warnings still carry the key path', () => {
    const { warnings } = interpolateModel({ a: ['$X'] }, { lookup: () => undefined });
    expect(warnings[0].location).toEqual({ path: ['a', 0] });
  });

  it('reports every failure of the model together, each located, in document order', () => {
    const parsed = yaml(
      'services:\n  web:\n    image: "${TAG:?set TAG}"\n    user: "${"\n    read_only: maybe\n  db:\n    image: "${DB:?}"\n',
    );
    const errors = composeErrorsOf(() => interpolateModel(parsed.value, { lookup: () => undefined, sourceMap: parsed.sourceMap }));
    expect(errors.map((e) => e.detail)).toEqual([
      'error while interpolating services.web.image: required variable TAG is missing a value: set TAG',
      'invalid interpolation format for services.web.user: "${"',
      'error while interpolating services.web.read_only: failed to cast to expected type: invalid boolean: maybe',
      'error while interpolating services.db.image: required variable DB is missing a value',
    ]);
    expect(errors.map((e) => [e.location?.file, e.location?.line])).toEqual([
      ['/p/compose.yaml', 3],
      ['/p/compose.yaml', 4],
      ['/p/compose.yaml', 5],
      ['/p/compose.yaml', 7],
    ]);
    expect(errors[0].message).toMatch(/^\/p\/compose\.yaml:3:\d+: error while interpolating services\.web\.image: /);
    expect(errors[0].hint).toContain('set TAG');
    expect(errors[2].hint).toBe('use true or false');
  });
});

describe('interpolateModel: typed values', () => {
  const cast = (path: string[], raw: unknown, env: Record<string, string> = {}) => {
    const result = interpolateModel(nest(path, raw), { lookup: lookupOf(env) });
    return { value: dig(result.value, path), warnings: result.warnings.map((w) => w.message) };
  };

  it.each([
    [['services', 'web', 'read_only'], '${RO}', { RO: 'true' }, true],
    [['services', 'web', 'privileged'], 'False', {}, false],
    [['services', 'web', 'tty'], '$T', { T: 'TRUE' }, true],
    [['services', 'web', 'scale'], '${N}', { N: '3' }, 3],
    [['services', 'web', 'deploy', 'replicas'], '-1', {}, -1],
    [['services', 'web', 'cpus'], '${C}', { C: '0.5' }, 0.5],
    [['services', 'web', 'cpu_shares'], '512', {}, 512],
    [['services', 'web', 'ports', '0', 'target'], '${P}', { P: '80' }, 80],
    [['services', 'web', 'ulimits', 'nproc'], '65535', {}, 65535],
    [['services', 'web', 'ulimits', 'nofile', 'soft'], '1024', {}, 1024],
    [['services', 'web', 'healthcheck', 'retries'], '5', {}, 5],
    [['services', 'web', 'depends_on', 'db', 'required'], 'false', {}, false],
    [['services', 'web', 'volumes', '0', 'volume', 'nocopy'], 'true', {}, true],
    [['networks', 'front', 'external'], '${EXT}', { EXT: 'true' }, true],
    [['volumes', 'data', 'external'], 'false', {}, false],
    // berth's additions
    [['services', 'web', 'attach'], 'false', {}, false],
    [['services', 'web', 'env_file', '0', 'required'], '${R}', { R: 'false' }, false],
    [['services', 'web', 'develop', 'watch', '0', 'initial_sync'], 'true', {}, true],
  ] as const)('%j %j → %j', (path, raw, env, expected) => {
    expect(cast([...path], raw, env)).toEqual({ value: expected, warnings: [] });
  });

  it('accepts YAML 1.1 booleans with a warning, as compose-go does', () => {
    expect(cast(['services', 'web', 'init'], 'yes')).toEqual({
      value: true,
      warnings: ['"yes" for boolean is not supported by YAML 1.2, please use `true`'],
    });
    expect(cast(['services', 'web', 'init'], 'Off').value).toBe(false);
  });

  it('leaves published ports, sizes, durations and free-form strings as strings', () => {
    expect(cast(['services', 'web', 'ports', '0', 'published'], '${P}', { P: '8080' }).value).toBe('8080');
    expect(cast(['services', 'web', 'ports', '0', 'published'], '8000-8010').value).toBe('8000-8010');
    expect(cast(['services', 'web', 'mem_limit'], '${M}', { M: '512m' }).value).toBe('512m');
    expect(cast(['services', 'web', 'stop_grace_period'], '10s').value).toBe('10s');
    expect(cast(['services', 'web', 'build', 'provenance'], 'mode=max').value).toBe('mode=max');
    expect(cast(['services', 'web', 'environment', 'DEBUG'], 'true').value).toBe('true');
  });

  it('casts only strings: values already typed by YAML pass through', () => {
    expect(cast(['services', 'web', 'read_only'], true).value).toBe(true);
    expect(cast(['services', 'web', 'scale'], 2).value).toBe(2);
  });

  it.each([
    [['services', 'web', 'scale'], 'two', '"two" is not an integer'],
    [['services', 'web', 'scale'], '1.5', '"1.5" is not an integer'],
    [['services', 'web', 'cpus'], 'half', '"half" is not a number'],
    [['services', 'web', 'read_only'], '', 'invalid boolean: '],
  ] as const)('%j %j is an error', (path, raw, reason) => {
    const [err] = composeErrorsOf(() => cast([...path], raw));
    expect(err.detail).toBe(`error while interpolating ${path.join('.')}: failed to cast to expected type: ${reason}`);
  });
});
