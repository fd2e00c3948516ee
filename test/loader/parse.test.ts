import { describe, expect, it } from 'vitest';
import { ComposeError, ComposeErrors } from '../../src/errors.js';
import { parseYaml } from '../../src/loader/parse.js';
import { OverrideTag, ResetTag, stripTags } from '../../src/loader/tags.js';

describe('parseYaml', () => {
  it('returns plain values with positions for every key', () => {
    const { value, sourceMap } = parseYaml('services:\n  web:\n    image: nginx\n    ports:\n      - "80:80"\n', 'c.yaml');
    expect(value).toEqual({ services: { web: { image: 'nginx', ports: ['80:80'] } } });
    expect(sourceMap.get(['services', 'web', 'image'])).toEqual({ line: 3, column: 5 });
    expect(sourceMap.get(['services', 'web', 'ports', 0])).toEqual({ line: 5, column: 9 });
    expect(sourceMap.locate(['services', 'web', 'image', 'nonexistent'])).toMatchObject({ file: 'c.yaml', line: 3, column: 5 });
  });

  it('expands anchors, aliases and merge keys; explicit keys win, earlier merge sources win', () => {
    const text = [
      'x-a: &a {restart: always, image: a}',
      'x-b: &b {image: b, user: b}',
      'services:',
      '  one:',
      '    <<: [*a, *b]',
      '    user: mine',
      '  two: *a',
    ].join('\n');
    const { value } = parseYaml(text, 'c.yaml');
    expect((value as any).services.one).toEqual({ restart: 'always', image: 'a', user: 'mine' });
    expect((value as any).services.two).toEqual({ restart: 'always', image: 'a' });
  });

  it('an alias names the latest anchor of that name defined before it', () => {
    const { value } = parseYaml('a: &x 1\nb: *x\nc: &x 2\nd: *x\n', 'c.yaml');
    expect(value).toEqual({ a: 1, b: 1, c: 2, d: 2 });
    expect(() => parseYaml('a: *nope\n', 'c.yaml')).toThrow();
  });

  it('a quoted "<<" is an ordinary key', () => {
    const { value } = parseYaml('"<<": 1\n', 'c.yaml');
    expect(value).toEqual({ '<<': 1 });
  });

  it('turns !reset and !override into tag markers, which stripTags applies', () => {
    const { value } = parseYaml('services:\n  web:\n    ports: !reset []\n    environment: !override\n      A: "1"\n', 'c.yaml');
    const web = (value as any).services.web;
    expect(web.ports).toBeInstanceOf(ResetTag);
    expect(web.environment).toBeInstanceOf(OverrideTag);
    expect(stripTags(value)).toEqual({ services: { web: { environment: { A: '1' } } } });
  });

  it('returns undefined for a file with only comments', () => {
    expect(parseYaml('# nothing here\n', 'c.yaml').value).toBeUndefined();
  });

  it('reports a YAML syntax error with file:line:column', () => {
    let err: unknown;
    try {
      parseYaml('services:\n  web:\n    image: "unterminated\n', 'bad.yaml');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ComposeError);
    expect((err as ComposeError).message).toMatch(/^bad\.yaml:\d+:\d+: invalid YAML: /);
  });

  it('reports every syntax error of a file together', () => {
    expect(() => parseYaml('a: [1\nb: {2\n', 'bad.yaml')).toThrow(ComposeErrors);
  });

  it('refuses several documents in one file, pointing at the second', () => {
    expect(() => parseYaml('services: {}\n---\nservices: {}\n', 'multi.yaml')).toThrow(
      /^multi\.yaml:3:1: the file holds several YAML documents; berth reads one document per file \(split them/,
    );
  });

  it('refuses non-string keys with compose-go wording and the key path', () => {
    expect(() => parseYaml('123:\n  foo: 1\n', 'k.yaml')).toThrow(/k\.yaml:1:1: non-string key at top level: 123/);
    expect(() => parseYaml('services:\n  s:\n    environment:\n      1: x\n', 'k.yaml')).toThrow(
      /k\.yaml:4:7: services\.s\.environment: non-string key in services\.s\.environment: 1/,
    );
  });

  it('refuses duplicate keys', () => {
    expect(() => parseYaml('a: 1\na: 2\n', 'd.yaml')).toThrow(/d\.yaml:2:1: invalid YAML: mapping key "a" already defined at line 1/);
  });

  it('stops alias bombs instead of exhausting memory', () => {
    const lines = ['a0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 9; i++) lines.push(`a${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(', ')}]`);
    expect(() => parseYaml(lines.join('\n'), 'bomb.yaml')).toThrow(/expands to more than/);
  });

  it('merges an alias to a sequence of mappings like the sequence itself (go-yaml does; compose-go TestMergeKeyAliasTargets)', () => {
    const { value } = parseYaml('x: &l\n  - {image: nginx, restart: always}\n  - {image: other, user: me}\ns:\n  <<: *l\n  user: you\n', 'm.yaml');
    expect((value as any).s).toEqual({ image: 'nginx', restart: 'always', user: 'you' });
    expect(() => parseYaml('x: &l [a]\ns:\n  <<: *l\n', 'm.yaml')).toThrow(/merge key \(<<\) takes a mapping or a sequence of mappings/);
  });

  it('reports an alias used inside its own anchor as a cycle, where it is used', () => {
    const text = 'x-h: &h\n  egress:\n    <<: *h\n';
    expect(() => parseYaml(text, 'c.yaml')).toThrow(/c\.yaml:3:9: x-h\.egress: cycle detected: alias \*h is used inside its own anchor/);
    // The same anchor used twice side by side is no cycle.
    expect(parseYaml('a: &a {k: v}\nb: [*a, *a]\n', 'c.yaml').value).toEqual({ a: { k: 'v' }, b: [{ k: 'v' }, { k: 'v' }] });
  });

  it('keeps a __proto__ key as data', () => {
    const { value } = parseYaml('labels:\n  __proto__: x\n', 'p.yaml');
    expect(Object.keys((value as any).labels)).toEqual(['__proto__']);
    expect(({} as any).x).toBeUndefined();
  });
});

describe('scalars', () => {
  it('reads a plain leading-zero number as octal, like compose (file modes), but not a quoted one', () => {
    const { value } = parseYaml('a: 0440\nb: "0440"\nc: 440\nd: 0.5\ne: 089\n', 'm.yaml');
    expect(value).toEqual({ a: 0o440, b: '0440', c: 440, d: 0.5, e: 89 });
  });
});
