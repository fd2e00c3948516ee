// Pattern semantics, as tables: .dockerignore rules (moby's patternmatcher through
// @balena/dockerignore: `**`, `!` exceptions, parent directories, last rule wins, case
// matters) and COPY wildcards (Go's filepath.Match, where `**` is nothing special).
import { describe, expect, it } from 'vitest';
import { matchPath } from '../../../src/engine/build/context/glob.js';
import { IgnoreMatcher, parseIgnoreFile } from '../../../src/engine/build/context/ignore.js';

const matcher = (text: string): IgnoreMatcher => new IgnoreMatcher(parseIgnoreFile(text, '.dockerignore'));

// [rules, path, excluded?]
const ignoreCases: [string, string, boolean][] = [
  ['*.md', 'README.md', true],
  ['*.md', 'docs/guide.md', false],
  ['**/*.md', 'docs/guide.md', true],
  ['**/*.md', 'README.md', true],
  ['docs', 'docs/guide.md', true],
  ['docs', 'docs', true],
  ['docs/', 'docs/guide.md', true],
  ['/docs', 'docs/guide.md', true],
  ['docs', 'src/docs/x', false],
  ['**/node_modules', 'web/app/node_modules/react/index.js', true],
  ['node_modules', 'web/node_modules/x', false],
  ['*\n!src', 'src/main.go', false],
  ['*\n!src', 'README.md', true],
  ['docs/*\n!docs/keep.md', 'docs/keep.md', false],
  ['docs/*\n!docs/keep.md', 'docs/drop.md', true],
  ['!a.txt\n*.txt', 'a.txt', true],
  ['*.txt\n!a.txt', 'a.txt', false],
  ['*.MD', 'a.md', false],
  ['a?c', 'abc', true],
  ['a?c', 'a/c', false],
  ['[a-c].txt', 'b.txt', true],
  ['[a-c].txt', 'd.txt', false],
  ['**', 'deep/down/file', true],
  ['# a comment\n\n  build  \n', 'build/out.js', true],
  ['# a comment', '# a comment', false],
  ['.git', '.git/HEAD', true],
  ['**/.git', 'vendor/lib/.git/HEAD', true],
  ['temp?', 'temp1/x', true],
  ['*/temp*', 'somedir/temporary.txt', true],
  ['*/temp*', 'somedir/sub/temporary.txt', false],
  ['*/*/temp*', 'somedir/subdir/temporary.txt', true],
];

describe('.dockerignore semantics', () => {
  it.each(ignoreCases)('%j excludes %s: %s', (rules, p, excluded) => {
    expect(matcher(rules).ignores(p)).toBe(excluded);
  });

  it('never excludes the context root', () => {
    expect(matcher('*\n**').ignores('.')).toBe(false);
  });

  it('names the rule (and its line) that excludes a path', () => {
    const m = matcher('# deps\nnode_modules\n*.log\n!keep.log\n');
    expect(m.excludedBy('debug.log')).toEqual({ pattern: '*.log', line: 3 });
    expect(m.excludedBy('node_modules/x/index.js')).toEqual({ pattern: 'node_modules', line: 2 });
    expect(m.excludedBy('keep.log')).toBeUndefined();
    expect(m.hasExceptions).toBe(true);
  });
});

// Go's path/filepath match_test.go cases (Unix).
const globCases: [string, string, boolean | 'bad'][] = [
  ['abc', 'abc', true], ['*', 'abc', true], ['*c', 'abc', true], ['a*', 'a', true], ['a*', 'abc', true], ['a*', 'ab/c', false],
  ['a*/b', 'abc/b', true], ['a*/b', 'a/c/b', false], ['a*b*c*d*e*/f', 'axbxcxdxe/f', true], ['a*b*c*d*e*/f', 'axbxcxdxexxx/f', true],
  ['a*b*c*d*e*/f', 'axbxcxdxe/xxx/f', false], ['a*b*c*d*e*/f', 'axbxcxdxexxx/fff', false], ['a*b?c*x', 'abxbbxdbxebxczzx', true],
  ['a*b?c*x', 'abxbbxdbxebxczzy', false], ['ab[c]', 'abc', true], ['ab[b-d]', 'abc', true], ['ab[e-g]', 'abc', false],
  ['ab[^c]', 'abc', false], ['ab[^b-d]', 'abc', false], ['ab[^e-g]', 'abc', true], ['a\\*b', 'a*b', true], ['a\\*b', 'ab', false],
  ['a?b', 'a☺b', true], ['a[^a]b', 'a☺b', true], ['a???b', 'a☺b', false], ['a[^a][^a][^a]b', 'a☺b', false], ['[a-ζ]*', 'α', true],
  ['*[a-ζ]', 'A', false], ['a?b', 'a/b', false], ['a*b', 'a/b', false], ['[\\]a]', ']', true], ['[\\-]', '-', true],
  ['[x\\-]', 'x', true], ['[x\\-]', '-', true], ['[x\\-]', 'z', false], ['[\\-x]', 'x', true], ['[\\-x]', '-', true],
  ['[\\-x]', 'a', false], ['[]a]', ']', 'bad'], ['[-]', '-', 'bad'], ['[x-]', 'x', 'bad'], ['[x-]', '-', 'bad'],
  ['[x-]', 'z', 'bad'], ['[-x]', 'x', 'bad'], ['[-x]', '-', 'bad'], ['[-x]', 'a', 'bad'], ['\\', 'a', 'bad'],
  ['[a-b-c]', 'a', 'bad'], ['[', 'a', 'bad'], ['[^', 'a', 'bad'], ['[^bc', 'a', 'bad'], ['a[', 'a', 'bad'], ['a[', 'ab', 'bad'],
  ['a[', 'x', 'bad'], ['a/b[', 'x', 'bad'], ['*x', 'xxx', true],
  // COPY specifics: ** is two stars, not "any depth".
  ['src/**/*.go', 'src/a/b.go', true], ['src/**/*.go', 'src/a/b/c.go', false], ['**', 'a/b', false],
];

describe('COPY wildcards (filepath.Match)', () => {
  it.each(globCases)('%s ~ %s → %s', (pattern, name, expected) => {
    if (expected === 'bad') expect(() => matchPath(pattern, name)).toThrow(/syntax error in pattern/);
    else expect(matchPath(pattern, name)).toBe(expected);
  });
});
