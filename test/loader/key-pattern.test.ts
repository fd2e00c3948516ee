import { describe, expect, it } from 'vitest';
import { compilePattern, matchesPattern, PatternTable } from '../../src/loader/key-pattern.js';

describe('key patterns', () => {
  it('matches literal segments, * for one segment and ** for any number', () => {
    expect(matchesPattern(compilePattern('services.*.ports'), ['services', 'web', 'ports'])).toBe(true);
    expect(matchesPattern(compilePattern('services.*.ports'), ['services', 'web', 'ports', 0])).toBe(false);
    expect(matchesPattern(compilePattern('services.*.ports.*'), ['services', 'web', 'ports', 0])).toBe(true);
    expect(matchesPattern(compilePattern('services.**.target'), ['services', 'w', 'volumes', 1, 'target'])).toBe(true);
    expect(matchesPattern(compilePattern('**'), [])).toBe(true);
    expect(matchesPattern(compilePattern('networks.*'), ['services', 'x'])).toBe(false);
  });

  it('a table returns the first rule that matches', () => {
    const table = new PatternTable({ 'services.*.command': 'replace', 'services.*.*': 'merge' });
    expect(table.lookup(['services', 'a', 'command'])).toBe('replace');
    expect(table.lookup(['services', 'a', 'labels'])).toBe('merge');
    expect(table.lookup(['volumes', 'a'])).toBeUndefined();
  });
});

describe('PatternTable as a trie', () => {
  it('keeps declaration order when several patterns match, whatever their shape', () => {
    const table = new PatternTable({ 'services.*.*': 'generic', 'services.*.command': 'specific', '**': 'any' });
    expect(table.lookup(['services', 'a', 'command'])).toBe('generic');
    expect(table.lookup(['networks'])).toBe('any');
    expect(table.lookup([])).toBe('any');
  });

  it('matches ** at the start, middle and end, and numeric segments as strings', () => {
    const table = new PatternTable({ '**.target': 't', 'services.**': 's', 'volumes.*.0': 'first' });
    expect(table.lookup(['a', 'b', 'target'])).toBe('t');
    expect(table.lookup(['target'])).toBe('t');
    expect(table.lookup(['services', 'x', 1, 'y'])).toBe('s');
    expect(table.lookup(['services'])).toBe('s');
    expect(table.lookup(['volumes', 'v', 0])).toBe('first');
    expect(table.lookup(['volumes', 'v', 1])).toBeUndefined();
  });

  it('agrees with matchesPattern on every path of a sample', () => {
    const patterns = ['services.*.ports', 'services.*.ports.*', 'services.**.target', '*.*', 'x.**.y.*', 'services.web.image'];
    const table = new PatternTable(Object.fromEntries(patterns.map((p, i) => [p, i])));
    const paths = [
      ['services', 'web', 'ports'], ['services', 'web', 'ports', 0], ['services', 'w', 'volumes', 1, 'target'],
      ['a', 'b'], ['x', 'y', 'z'], ['x', 'q', 'y', 'z'], ['services', 'web', 'image'], ['services'], [],
    ];
    for (const p of paths) {
      const expected = patterns.findIndex((pat) => matchesPattern(compilePattern(pat), p));
      expect(table.lookup(p)).toBe(expected === -1 ? undefined : expected);
    }
  });
});

describe('PatternTable cursors', () => {
  it('give, step by step, the rule lookup gives for the whole path, and tell where nothing can match', () => {
    const patterns = ['services.*.ports', 'services.*.ports.*', 'services.**.target', '*.*', 'x.**.y.*', 'services.web.image', '**.z.**'];
    const table = new PatternTable(Object.fromEntries(patterns.map((p, i) => [p, i])));
    const paths: (string | number)[][] = [
      ['services', 'web', 'ports'], ['services', 'web', 'ports', 0], ['services', 'w', 'volumes', 1, 'target'],
      ['a', 'b'], ['x', 'y', 'z'], ['x', 'q', 'y', 'z'], ['services', 'web', 'image'], ['services'], [],
      ['a', 'z', 'b', 'c'], ['q', 'r', 's'], ['services', 'web', 'image', 'extra'],
    ];
    for (const p of paths) {
      let cursor = table.start();
      for (const seg of p) cursor = cursor.step(seg);
      expect(cursor.rule, p.join('.')).toBe(table.lookup(p));
    }
    const narrow = new PatternTable({ 'services.*.ports': 1 });
    expect(narrow.start().step('volumes').dead).toBe(true);
    expect(narrow.start().step('services').step('web').dead).toBe(false);
    expect(narrow.start().step('services').step('web').step('image').dead).toBe(true);
    expect(narrow.start().step('services').step('web').step('ports').rule).toBe(1);
  });
});

describe('PatternCursor.leaf', () => {
  it('is true where no pattern goes deeper, false above a ** or a longer pattern', () => {
    const table = new PatternTable({ 'services.*.ports': 1, 'x.**': 2 });
    const svc = table.start().step('services').step('web');
    expect(svc.leaf).toBe(false);
    expect(svc.step('ports').leaf).toBe(true);
    expect(svc.step('image').leaf).toBe(true);
    expect(table.start().step('x').leaf).toBe(false);
    expect(table.start().step('x').step('y').leaf).toBe(false);
  });
});
