// Deep nesting is refused where it is written, with file:line:column, by every parser path
// (the fast subset parser hands over to the general one, which reports), instead of a
// "Maximum call stack size exceeded" from whichever recursive stage met it first. Up to the
// limit, every stage — parse, interpolate, merge, normalize, validate, print, hash — copes.
import { describe, expect, it } from 'vitest';
import { ComposeError } from '../../src/errors.js';
import { MAX_NESTING, MAX_TEMPLATE_NESTING } from '../../src/loader/limits.js';
import { loadProject } from '../../src/loader/loader.js';
import { runCli } from '../cli/run-cli.js';

function load(text: string, environment: Record<string, string> = {}) {
  return loadProject({ files: ['-'], workingDir: '/tmp', environment, readStdin: () => text, projectName: 'deep' });
}

function failure(text: string, environment: Record<string, string> = {}): ComposeError {
  try {
    load(text, environment);
  } catch (e) {
    expect(e).toBeInstanceOf(ComposeError);
    return e as ComposeError;
  }
  throw new Error('expected the load to fail');
}

// `services`, the service and `x-deep`'s mapping: the root is level 1, so a value under
// services.a.x-deep starts at level 4.
const HEAD = 'services:\n  a:\n    image: busybox\n    x-deep:';
const AROUND = 3;

/** Nested block mappings, `levels` of them under x-deep; each key on its own line. */
function blockMaps(levels: number): string {
  const lines = [HEAD];
  for (let i = 0; i < levels; i++) lines.push(`${' '.repeat(6 + i)}k${i}:${i === levels - 1 ? ' leaf' : ''}`);
  return `${lines.join('\n')}\n`;
}
const blockSeqs = (levels: number): string => `${HEAD}\n      ${'- '.repeat(levels)}leaf\n`;
const flowSeqs = (levels: number): string => `${HEAD} ${'['.repeat(levels)}1${']'.repeat(levels)}\n`;
const flowMaps = (levels: number): string => `${HEAD} ${'{a: '.repeat(levels)}1${'}'.repeat(levels)}\n`;
// A tab (in a quoted scalar, where it is valid) sends the file to the general parser.
const flowOnGeneralPath = (levels: number): string => `${HEAD} ${'['.repeat(levels)}"a\tb"${']'.repeat(levels)}\n`;

describe('collections nested past the limit', () => {
  const shapes: [string, (levels: number) => string, (text: string) => [number, number]][] = [
    // Level L (the first under x-deep is 4) starts on line L+1, at column L+3.
    ['block mappings', blockMaps, () => [MAX_NESTING + 2, MAX_NESTING + 4]],
    // `- ` per level from column 7.
    ['block sequences', blockSeqs, () => [5, 7 + 2 * (MAX_NESTING - AROUND)]],
    // `    x-deep: ` is 12 characters; then one `[` (or four characters of `{a: `) per level.
    ['flow sequences', flowSeqs, () => [4, 13 + MAX_NESTING - AROUND]],
    ['flow mappings', flowMaps, () => [4, 13 + 4 * (MAX_NESTING - AROUND)]],
    ['flow sequences (general parser)', flowOnGeneralPath, () => [4, 13 + MAX_NESTING - AROUND]],
  ];

  for (const [name, make, where] of shapes) {
    it(`${name}: ${MAX_NESTING} levels load, one more is an error at the collection that crosses it`, () => {
      const ok = load(make(MAX_NESTING - AROUND));
      expect(ok.project.services.a.image).toBe('busybox');
      const text = make(MAX_NESTING - AROUND + 1);
      const e = failure(text);
      expect(e.detail).toBe(`collections nest more than ${MAX_NESTING} levels deep`);
      expect([e.location?.line, e.location?.column]).toEqual(where(text));
      expect(e.location?.file).toBe('<stdin>');
    });

    it(`${name}: 2,000 and 5,000 levels are the same error, not a stack overflow`, () => {
      for (const levels of [2_000, 5_000]) expect(failure(make(levels)).detail).toBe(`collections nest more than ${MAX_NESTING} levels deep`);
    });
  }

  it('counts what aliases bring in: an anchor deep enough on its own, used deep enough, is refused at the alias', () => {
    const half = Math.floor(MAX_NESTING / 2);
    const text = `x-base: &base ${'['.repeat(half)}1${']'.repeat(half)}\n${HEAD} ${'['.repeat(half)}*base${']'.repeat(half)}\n`;
    const e = failure(text);
    expect(e.detail).toBe(`collections nest more than ${MAX_NESTING} levels deep once aliases are expanded`);
    expect(e.location?.line).toBe(1);
  });

  it('at the limit, config prints the model as YAML and JSON and hashes it', async () => {
    const text = blockMaps(MAX_NESTING - AROUND);
    for (const args of [['config'], ['config', '--format', 'json'], ['config', '--hash', '*']]) {
      const r = await runCli(['-f', '-', '-p', 'deep', ...args], { cwd: '/tmp', stdin: text });
      expect(r.stderr, args.join(' ')).toBe('');
      expect(r.code).toBe(0);
    }
  });

  it('past it, config exits 1 with one located line', async () => {
    const r = await runCli(['-f', '-', '-p', 'deep', 'config'], { cwd: '/tmp', stdin: flowSeqs(2_000) });
    expect(r).toMatchObject({ code: 1, stdout: '' });
    expect(r.stderr).toMatch(/^<stdin>:4:\d+: collections nest more than 200 levels deep \(flatten the structure; berth reads at most that depth\)\n$/);
  });
});

describe('interpolation nested past the limit', () => {
  const nested = (levels: number): string => `services:\n  a:\n    image: "${'${A:-'.repeat(levels)}busybox${'}'.repeat(levels)}"\n`;

  it(`${MAX_TEMPLATE_NESTING} levels are substituted; one more is an error at the value`, () => {
    expect(load(nested(MAX_TEMPLATE_NESTING)).project.services.a.image).toBe('busybox');
    const e = failure(nested(MAX_TEMPLATE_NESTING + 1));
    expect(e.location).toMatchObject({ file: '<stdin>', line: 3 });
    expect(e.detail).toMatch(new RegExp(`^invalid interpolation format for services\\.a\\.image: ".{60}…": variables nest more than ${MAX_TEMPLATE_NESTING} levels deep$`));
    expect(e.hint).toBe('escape a literal $ as $$');
  });

  it('2,000 and 50,000 levels, closed or not, are the same error', () => {
    for (const levels of [2_000, 50_000]) {
      expect(failure(nested(levels)).detail).toMatch(/variables nest more than 100 levels deep$/);
      expect(failure(`services:\n  a:\n    image: "${'${A:-'.repeat(levels)}"\n`).detail).toMatch(/^invalid interpolation format for services\.a\.image/);
    }
  });
});

describe('long chains', () => {
  it('an extends chain of 5,000 services loads in either order, and closing it is a cycle', () => {
    const chain = (n: number, reversed: boolean, cycle = false): string => {
      const services = [['  s0:', cycle ? `    extends: s${n}` : '    image: busybox']];
      for (let i = 1; i <= n; i++) services.push([`  s${i}:`, `    extends: s${i - 1}`]);
      if (reversed) services.reverse();
      return `services:\n${services.flat().join('\n')}\n`;
    };
    for (const reversed of [false, true]) {
      expect(load(chain(5_000, reversed)).project.services.s5000.image).toBe('busybox');
      expect(failure(chain(300, reversed, true)).detail).toMatch(/^extends cycle: s0 -> s300 -> s299 -> .* -> s1 -> s0$/);
    }
  });

  it('a depends_on chain of 5,000 services loads, and closing it into a cycle is reported, not a stack overflow', () => {
    const chain = (n: number, cycle: boolean): string => {
      const lines = ['services:'];
      for (let i = 0; i < n; i++) lines.push(`  s${i}:`, '    image: busybox', ...(i > 0 || cycle ? [`    depends_on: [s${i === 0 ? n - 1 : i - 1}]`] : []));
      return `${lines.join('\n')}\n`;
    };
    expect(Object.keys(load(chain(5_000, false)).project.services)).toHaveLength(5_000);
    expect(failure(chain(5_000, true)).detail).toMatch(/^dependency cycle detected: s0 -> s4999 -> s4998 -> .* -> s1 -> s0$/);
  });
});
