// The ${VAR} grammar: every `kind: substitute` case of compose-go's interpolation corpus,
// then one test per form and per rule that the corpus leaves implicit.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { extractVariables, substitute, TemplateError, type Lookup } from '../../src/loader/template.js';
import { OverrideTag, ResetTag } from '../../src/loader/tags.js';
import { corpusPath } from '../corpus.js';
import { thrownBy } from '../support/errors.js';

interface InterpolationCase {
  id: string;
  kind: string;
  input: string;
  env: Record<string, string>;
  expected?: unknown;
  error?: boolean;
  errorContains?: string;
  warnings?: number;
  note?: string;
}

const file = corpusPath('compose-go', 'interpolation-cases.json');
const cases: InterpolationCase[] = file ? JSON.parse(readFileSync(file, 'utf8')) : [];
const lookupOf =
  (env: Record<string, string>): Lookup =>
  (k) =>
    Object.hasOwn(env, k) ? env[k] : undefined;

describe.skipIf(!file)('compose-go template cases (interpolation-cases.json, kind: substitute)', () => {
  const substituteCases = cases.filter((c) => c.kind === 'substitute');

  it('holds the 70 substitute cases', () => {
    expect(substituteCases).toHaveLength(70);
  });

  it.each(substituteCases.map((c) => [c.id, c] as const))('%s', (_id, c) => {
    if (c.error) {
      let thrown: unknown;
      try {
        substitute(c.input, lookupOf(c.env));
      } catch (e) {
        thrown = e;
      }
      expect(thrown).toBeInstanceOf(TemplateError);
      expect((thrown as TemplateError).message).toContain(c.errorContains);
      return;
    }
    const result = substitute(c.input, lookupOf(c.env));
    expect(result.value).toBe(c.expected);
    if (c.warnings !== undefined) expect(result.unset).toHaveLength(c.warnings);
  });
});

describe('substitute: each form', () => {
  const env = lookupOf({ SET: 'value', EMPTY: '' });
  const value = (t: string) => substitute(t, env).value;

  it('$VAR and ${VAR}', () => {
    expect(value('$SET/${SET}')).toBe('value/value');
    expect(value('a-$SET-b')).toBe('a-value-b');
  });

  it('${VAR:-default}: unset or empty takes the default', () => {
    expect([value('${SET:-d}'), value('${EMPTY:-d}'), value('${UNSET:-d}')]).toEqual(['value', 'd', 'd']);
  });

  it('${VAR-default}: only unset takes the default', () => {
    expect([value('${SET-d}'), value('${EMPTY-d}'), value('${UNSET-d}')]).toEqual(['value', '', 'd']);
  });

  it('${VAR:+alternate}: set and non-empty takes the alternate', () => {
    expect([value('${SET:+a}'), value('${EMPTY:+a}'), value('${UNSET:+a}')]).toEqual(['a', '', '']);
  });

  it('${VAR+alternate}: set (even empty) takes the alternate', () => {
    expect([value('${SET+a}'), value('${EMPTY+a}'), value('${UNSET+a}')]).toEqual(['a', 'a', '']);
  });

  it('${VAR:?message}: unset or empty is an error naming the variable', () => {
    expect(value('${SET:?m}')).toBe('value');
    for (const t of ['${EMPTY:?need it}', '${UNSET:?need it}']) {
      expect(() => value(t)).toThrow(/required variable (EMPTY|UNSET) is missing a value: need it/);
    }
    expect(thrownBy(() => value('${UNSET:?m}'))).toMatchObject({ kind: 'required', variable: 'UNSET', template: '${UNSET:?m}' });
  });

  it('${VAR?message}: only unset is an error', () => {
    expect(value('${EMPTY?m}')).toBe('');
    expect(() => value('${UNSET?m}')).toThrow('required variable UNSET is missing a value: m');
  });

  it('an empty message leaves no dangling colon', () => {
    expect(() => value('${UNSET?}')).toThrow(/is missing a value$/);
  });

  it('$$ escapes a dollar, in braces and before names', () => {
    expect(value('$$SET $${SET} $$$SET')).toBe('$SET ${SET} $value');
  });

  it('names are [_a-zA-Z][_a-zA-Z0-9]*, looked up case-sensitively', () => {
    expect(substitute('$_a1-${B_2}', lookupOf({ _a1: 'x', B_2: 'y' })).value).toBe('x-y');
    expect(substitute('${set}', env)).toEqual({ value: '', unset: ['set'] });
  });

  it('invalid braced expressions are errors naming the whole template', () => {
    for (const t of ['x ${', '${}', '${1A}', '${A B}', '${A!}', '${A:=b}', 'ok ${A:-${}}']) {
      expect(() => substitute(t, env), t).toThrow(`Invalid template: ${JSON.stringify(t)}`);
    }
  });

  it('an invalid template is reported even inside a default that is never used', () => {
    expect(() => value('${SET:-${}}')).toThrow(TemplateError);
  });
});

describe('substitute: unset variables and laziness', () => {
  const env = lookupOf({ SET: 'v' });

  it('lists each variable used without value nor default once, in order', () => {
    expect(substitute('$B ${A} $B ${SET}', env).unset).toEqual(['B', 'A']);
  });

  it('a variable with any operator is never reported as unset', () => {
    expect(substitute('${A:-} ${B-} ${C:+x} ${D+x}', env).unset).toEqual([]);
  });

  it('defaults, alternates and messages are expanded only when used', () => {
    expect(substitute('${SET:-$NOPE}', env)).toEqual({ value: 'v', unset: [] });
    expect(substitute('${UNSET:-$NOPE}', env)).toEqual({ value: '', unset: ['NOPE'] });
    expect(substitute('${UNSET:+$NOPE}', env).unset).toEqual([]);
    expect(substitute('${SET:?$NOPE}', env).unset).toEqual([]);
    // A missing required variable inside an unused default is not an error.
    expect(substitute('${SET:-${NOPE:?boom}}', env).value).toBe('v');
  });

  it('a string without $ is returned as is', () => {
    expect(substitute('plain {text}', env)).toEqual({ value: 'plain {text}', unset: [] });
  });
});

describe('extractVariables', () => {
  it('walks values (never keys) through sequences, mappings and !override, skipping !reset', () => {
    const model = {
      services: {
        '${KEY}': { image: 'nginx:${TAG:-latest}', command: ['$CMD', 1, true, null] },
        web: { environment: new OverrideTag({ A: '${REQ:?set REQ}' }), labels: new ResetTag() },
      },
      'x-alt': '${ALT:+on}',
    };
    const vars = extractVariables(model);
    expect([...vars.keys()]).toEqual(['TAG', 'CMD', 'REQ', 'ALT']);
    expect(vars.get('TAG')).toEqual({ name: 'TAG', required: false, defaultValue: 'latest' });
    expect(vars.get('CMD')).toEqual({ name: 'CMD', required: false });
    expect(vars.get('REQ')).toEqual({ name: 'REQ', required: true, errorMessage: 'set REQ' });
    expect(vars.get('ALT')).toEqual({ name: 'ALT', required: false, alternateValue: 'on' });
  });

  it('includes variables nested in defaults, alternates and messages', () => {
    const vars = extractVariables({ a: '${A:-${B:-b}} ${C:+$D} ${E:?${F}}' });
    expect([...vars.keys()].sort()).toEqual(['A', 'B', 'C', 'D', 'E', 'F']);
    expect(vars.get('A')?.defaultValue).toBe('${B:-b}');
    expect(vars.get('B')?.defaultValue).toBe('b');
  });

  it('combines occurrences: required if any is, first default kept', () => {
    const vars = extractVariables(['${X}', '${X:-one}', '${X:-two}', '${X:?needed}']);
    expect(vars.get('X')).toEqual({ name: 'X', required: true, defaultValue: 'one', errorMessage: 'needed' });
  });

  it('skips escaped dollars and strings that are not valid templates', () => {
    expect([...extractVariables(['$$NOT', '${', 'fine $OK']).keys()]).toEqual(['OK']);
  });
});
