// A service's final environment: compose-go's types/fixtures precedence case, then each rule.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ComposeError } from '../../src/errors.js';
import { resolveServiceEnvironment } from '../../src/loader/environment.js';
import type { Lookup } from '../../src/loader/template.js';
import { corpusPath } from '../corpus.js';

const lookupOf =
  (env: Record<string, string>): Lookup =>
  (k) =>
    Object.hasOwn(env, k) ? env[k] : undefined;

const fixtures = corpusPath('compose-go', 'types', 'fixtures');

// compose-go TestProject_WithServicesEnvironmentResolved: project env FOO and QIX; base.env
// and override.env define FOO/BAR(/ZOT) and INTERPOLATED_* = ${same name}.
describe.skipIf(!fixtures)('compose-go types/fixtures/{base,override}.env precedence', () => {
  const project = lookupOf({ FOO: 'FOO_from_os.env', QIX: 'QIX_from_os.env' });
  const envFile = (name: string) => ({ path: path.join(fixtures!, `${name}.env`), required: true });

  it('base.env with BAR in environment: environment beats env_file; ${FOO} prefers the project env, ${BAR} the service environment', () => {
    expect(resolveServiceEnvironment({ BAR: 'bar_from_environment', QIX: null }, [envFile('base')], project)).toEqual({
      FOO: 'foo_from_base.env',
      INTERPOLATED_FOO: 'FOO_from_os.env',
      BAR: 'bar_from_environment',
      INTERPOLATED_BAR: 'bar_from_environment',
      ZOT: 'zot_from_base.env',
      INTERPOLATED_ZOT: 'zot_from_base.env',
      QIX: 'QIX_from_os.env',
    });
  });

  it('base.env then override.env: the later file wins, and its ${BAR} sees its own BAR', () => {
    expect(resolveServiceEnvironment({ QIX: null }, [envFile('base'), envFile('override')], project)).toEqual({
      FOO: 'foo_from_override.env',
      INTERPOLATED_FOO: 'FOO_from_os.env',
      BAR: 'bar_from_override.env',
      INTERPOLATED_BAR: 'bar_from_override.env',
      ZOT: 'zot_from_base.env',
      INTERPOLATED_ZOT: 'zot_from_base.env',
      QIX: 'QIX_from_os.env',
    });
  });

  it('base.env then override.env with BAR in environment: the service environment still feeds ${BAR}', () => {
    const env = resolveServiceEnvironment({ BAR: 'bar_from_environment' }, [envFile('base'), envFile('override')], project);
    expect(env).toMatchObject({ BAR: 'bar_from_environment', INTERPOLATED_BAR: 'bar_from_environment' });
  });
});

describe('resolveServiceEnvironment', () => {
  const tmp = mkdtempSync(path.join(tmpdir(), 'berth-environment-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));
  const file = (name: string, text: string, extra: { required?: boolean; format?: string } = {}) => {
    const p = path.join(tmp, name);
    writeFileSync(p, text);
    return { path: p, required: extra.required ?? true, format: extra.format };
  };

  it('no env_file: a bare VAR takes the project env, or stays null', () => {
    expect(resolveServiceEnvironment({ A: '1', SET: null, UNSET: null }, undefined, lookupOf({ SET: 's' }))).toEqual({
      A: '1',
      SET: 's',
      UNSET: null,
    });
  });

  it('a bare VAR the project env does not set hides the env_file value (compose-go: environment overrides, even unset)', () => {
    const f = file('hide.env', 'VAR=from-file\n');
    expect(resolveServiceEnvironment({ VAR: null }, [f], lookupOf({}))).toEqual({ VAR: null });
  });

  it('env_file values are not replaced by the project env; only expansions read it', () => {
    const f = file('own.env', 'HOME=/from/file\nX=${HOME}\n');
    expect(resolveServiceEnvironment(undefined, [f], lookupOf({ HOME: '/home/me' }))).toEqual({ HOME: '/from/file', X: '/home/me' });
  });

  it('an earlier file feeds the expansions of a later one, after the later file\'s own lines', () => {
    const a = file('a.env', 'K=a\nONLY_A=x\n');
    const b = file('b.env', 'EARLY=${K}\nK=b\nLATE=${K}\nUSE=${ONLY_A}\n');
    expect(resolveServiceEnvironment(undefined, [a, b], lookupOf({}))).toEqual({ K: 'b', ONLY_A: 'x', EARLY: 'a', LATE: 'b', USE: 'x' });
  });

  it('skips a missing optional env_file and fails on a missing required one, naming it', () => {
    const missing = { path: path.join(tmp, 'nope.env'), required: false };
    expect(resolveServiceEnvironment({ A: '1' }, [missing], lookupOf({}))).toEqual({ A: '1' });
    expect(() => resolveServiceEnvironment({}, [{ ...missing, required: true }], lookupOf({}))).toThrow(ComposeError);
    expect(() => resolveServiceEnvironment({}, [{ ...missing, required: true }], lookupOf({}))).toThrow(/nope\.env not found/);
  });

  it('honours format: raw', () => {
    const f = file('raw.env', 'A="quoted ${X}"\n', { format: 'raw' });
    expect(resolveServiceEnvironment(undefined, [f], lookupOf({ X: 'x' }))).toEqual({ A: '"quoted ${X}"' });
  });

  it('returns keys sorted and never mutates its input', () => {
    const input = { Z: '1', A: null as string | null };
    const out = resolveServiceEnvironment(input, [], lookupOf({ A: 'a' }));
    expect(Object.keys(out)).toEqual(['A', 'Z']);
    expect(input).toEqual({ Z: '1', A: null });
  });
});
