// The shell lexer against BuildKit's own tables: envVarTest (every platform-neutral and Unix
// line, with PWD=/home SHELL=bash KOREAN=한국어 NULL=), TestProcessWithMatches (the matched
// and unmatched sets too) and the pattern helpers; then the backtick escape.
import { describe, expect, it } from 'vitest';
import { LexError, patternRegex, processWord, processWords, reversePattern, type Env } from '../../../src/engine/build/dockerfile/lex.js';

const env = (o: Record<string, string>): Env => new Map(Object.entries(o));
const BS = { escape: '\\' as const };

// [input, expected | 'error'] — BuildKit frontend/dockerfile/shell/envVarTest, rows A and U.
const envVarTest: [string, string][] = [
  ['hello', 'hello'], ["he'll'o", 'hello'], ["he'llo", 'error'], ["he\\'llo", "he'llo"], ["he\\\\'llo", 'error'],
  ['abc\\tdef', 'abctdef'], ['"abc\\tdef"', 'abc\\tdef'], ['"abc\\\\tdef"', 'abc\\tdef'], ["'abc\\tdef'", 'abc\\tdef'],
  ['hello\\', 'hello'], ['hello\\\\', 'hello\\'], ['"hello', 'error'], ['"hello\\"', 'error'], ['"hel\'lo"', "hel'lo"],
  ["'hello", 'error'], ["'hello\\'", 'hello\\'], ["'hello\\there'", 'hello\\there'], ["'hello\\\\there'", 'hello\\\\there'],
  ['"\'\'"', "''"], ['$.', '$.'], ['$1', ''], ['he$1x', 'hex'], ['he$.x', 'he$.x'], ['he$pwd.', 'he.'],
  ['he$PWD', 'he/home'], ['he\\$PWD', 'he$PWD'], ['he\\\\$PWD', 'he\\/home'], ['"he\\$PWD"', 'he$PWD'],
  ['"he\\\\$PWD"', 'he\\/home'], ['\\${}', '${}'], ['\\${}aaa', '${}aaa'], ['he\\${}', 'he${}'], ['he\\${}xx', 'he${}xx'],
  ['${}', 'error'], ['${}aaa', 'error'], ['he${}', 'error'], ['he${}xx', 'error'], ['he${hi}', 'he'], ['he${hi}xx', 'hexx'],
  ['he${PWD}', 'he/home'], ['he${.}', 'error'], ['he${XXX:-000}xx', 'he000xx'], ['he${PWD:-000}xx', 'he/homexx'],
  ['he${XXX:-$PWD}xx', 'he/homexx'], ['he${XXX:-${PWD:-yyy}}xx', 'he/homexx'], ['he${XXX:-${YYY:-yyy}}xx', 'heyyyxx'],
  ['he${XXX:YYY}', 'error'], ['he${XXX:+${PWD}}xx', 'hexx'], ['he${PWD:+${XXX}}xx', 'hexx'], ['he${PWD:+${SHELL}}xx', 'hebashxx'],
  ['he${XXX:+000}xx', 'hexx'], ['he${PWD:+000}xx', 'he000xx'], ["'he${XX}'", 'he${XX}'], ['"he${PWD}"', 'he/home'],
  ['"he\'$PWD\'"', "he'/home'"], ['"$PWD"', '/home'], ["'$PWD'", '$PWD'], ["'\\$PWD'", '\\$PWD'], ['\'"hello"\'', '"hello"'],
  ["'he\\$PWD'", 'he\\$PWD'], ['he${PWD', 'error'], ['he${PWD:=000}xx', 'error'], ['he${PWD:+${PWD}:}xx', 'he/home:xx'],
  ['he${XXX:-\\$PWD:}xx', 'he$PWD:xx'], ['he${XXX:-\\${PWD}z}xx', 'he${PWDz}xx'], ['안녕하세요', '안녕하세요'],
  ["안'녕'하세요", '안녕하세요'], ["안'녕하세요", 'error'], ["안녕\\'하세요", "안녕'하세요"], ['안녕\\t하세요', '안녕t하세요'],
  ['"안녕\\t하세요"', '안녕\\t하세요'], ['안녕$1x', '안녕x'], ['안녕$pwd.', '안녕.'], ['안녕\\\\$PWD', '안녕\\/home'],
  ['안녕${XXX:-${YYY:-yyy}}xx', '안녕yyyxx'], ['$KOREAN', '한국어'], ['안녕$KOREAN', '안녕한국어'],
  ['${{aaa}', 'error'], ['${aaa}}', '}'], ['${aaa', 'error'], ['${{aaa:-bbb}', 'error'], ['${aaa:-bbb}}', 'bbb}'],
  ['${aaa:-bbb', 'error'], ['${aaa:-bbb}', 'bbb'], ['${aaa:-${bbb:-ccc}}', 'ccc'], ['${aaa:-bbb ${foo}', 'error'],
  ['${aaa:-bbb {foo}', 'bbb {foo'], ['${:}', 'error'], ['${:-bbb}', 'error'], ['${:+bbb}', 'error'],
];

describe('BuildKit envVarTest', () => {
  const e = env({ PWD: '/home', SHELL: 'bash', KOREAN: '한국어', NULL: '' });
  it.each(envVarTest)('%s → %s', (input, expected) => {
    if (expected === 'error') expect(() => processWord(input, e, BS)).toThrow(LexError);
    else expect(processWord(input, e, BS).result).toBe(expected);
  });
});

interface MatchCase { input: string; envs: Record<string, string>; expected?: string; error?: true; matches?: string[]; unmatched?: string[] }

// BuildKit TestProcessWithMatches.
const matchCases: MatchCase[] = [
  { input: 'x', envs: { DUMMY: 'dummy' }, expected: 'x' },
  { input: 'x ${UNUSED}', envs: { DUMMY: 'dummy' }, expected: 'x ', unmatched: ['UNUSED'] },
  { input: 'x ${FOO}', envs: { FOO: 'y' }, expected: 'x y', matches: ['FOO'] },
  { input: '${FOO-aaa} ${BAR-bbb} ${BAZ-ccc}', envs: { FOO: 'xxx', BAR: '' }, expected: 'xxx  ccc', matches: ['FOO', 'BAR'], unmatched: ['BAZ'] },
  { input: '${FOO:-aaa} ${BAR:-bbb} ${BAZ:-ccc}', envs: { FOO: 'xxx', BAR: '' }, expected: 'xxx bbb ccc', matches: ['FOO', 'BAR'], unmatched: ['BAZ'] },
  { input: '${FOO:-}', envs: { FOO: 'xxx', BAR: '' }, expected: 'xxx', matches: ['FOO'] },
  { input: '${FOO:-}', envs: {}, expected: '', unmatched: ['FOO'] },
  { input: '${FOO+aaa} ${BAR+bbb} ${BAZ+ccc}', envs: { FOO: 'xxx', BAR: '' }, expected: 'aaa bbb ', matches: ['FOO', 'BAR'], unmatched: ['BAZ'] },
  { input: '${FOO:+aaa} ${BAR:+bbb} ${BAZ:+ccc}', envs: { FOO: 'xxx', BAR: '' }, expected: 'aaa  ', matches: ['FOO', 'BAR'], unmatched: ['BAZ'] },
  { input: '${FOO?aaa}', envs: { FOO: 'xxx', BAR: '' }, expected: 'xxx', matches: ['FOO'] },
  { input: '${BAR?bbb}', envs: { FOO: 'xxx', BAR: '' }, expected: '', matches: ['BAR'] },
  { input: '${BAZ?ccc}', envs: { FOO: 'xxx', BAR: '' }, error: true },
  { input: '${FOO:?aaa}', envs: { FOO: 'xxx', BAR: '' }, expected: 'xxx', matches: ['FOO'] },
  { input: '${BAR:?bbb}', envs: { FOO: 'xxx', BAR: '' }, error: true },
  { input: '${BAZ:?ccc}', envs: { FOO: 'xxx', BAR: '' }, error: true },
  { input: '${BAZ:?}', envs: { FOO: 'xxx', BAR: '' }, error: true },
  { input: '${FOO=aaa}', envs: { FOO: 'xxx', BAR: '' }, error: true },
  { input: '${FOO=:aaa}', envs: { FOO: 'xxx', BAR: '' }, error: true },
  { input: '${FOO=}', envs: {}, error: true },
  { input: '${FOO#()[]{\\}^$.\\*\\?|\\\\}', envs: { FOO: '()[]{}^$.*?|\\x' }, expected: 'x', matches: ['FOO'] },
  { input: '${FOO%%\\**}', envs: { FOO: 'xx**' }, expected: 'xx', matches: ['FOO'] },
  { input: '${FOO#*x*y}', envs: { FOO: 'xxyy' }, expected: 'y', matches: ['FOO'] },
  { input: '${FOO#*}', envs: { FOO: 'xxyy' }, expected: 'xxyy', matches: ['FOO'] },
  { input: '${FOO#$BAR}', envs: { FOO: 'xxyy', BAR: 'x' }, expected: 'xyy', matches: ['FOO', 'BAR'] },
  { input: '${FOO#$BAR}', envs: { FOO: 'xxyy', BAR: '' }, expected: 'xxyy', matches: ['FOO', 'BAR'] },
  { input: '${FOO#}', envs: { FOO: 'xxyy' }, expected: 'xxyy', matches: ['FOO'] },
  { input: '${FOO##*x}', envs: { FOO: 'xxyy' }, expected: 'yy', matches: ['FOO'] },
  { input: '${FOO##}', envs: { FOO: 'xxyy' }, expected: 'xxyy', matches: ['FOO'] },
  { input: '${FOO#?\\?}', envs: { FOO: '???y' }, expected: '?y', matches: ['FOO'] },
  { input: '${ABC:-.}${FOO%x}${ABC:-.}', envs: { FOO: 'xxyy' }, expected: '.xxyy.', matches: ['FOO'], unmatched: ['ABC'] },
  { input: '${FOO%%\\**\\*}', envs: { FOO: 'a***yy*' }, expected: 'a', matches: ['FOO'] },
  { input: '${FOO%}', envs: { FOO: 'xxyy' }, expected: 'xxyy', matches: ['FOO'] },
  { input: '${FOO%%$BAR}', envs: { FOO: 'xxyy', BAR: '' }, expected: 'xxyy', matches: ['FOO', 'BAR'] },
  { input: '${FOO/$NEEDLE/.} - ${FOO//$NEEDLE/.}', envs: { FOO: '/foo*/*/*.txt', NEEDLE: '\\*/' }, expected: '/foo.*/*.txt - /foo..*.txt', matches: ['FOO', 'NEEDLE'] },
  { input: '${FOO/$NEEDLE/} - ${FOO//$NEEDLE/}', envs: { FOO: '/tmp/tmp/bar.txt', NEEDLE: '/tmp' }, expected: '/tmp/bar.txt - /bar.txt', matches: ['FOO', 'NEEDLE'] },
  { input: '${FOO/$NEEDLE/$REPLACEMENT} - ${FOO//$NEEDLE/$REPLACEMENT}', envs: { FOO: '/a/foo/b/c.txt', NEEDLE: '/?/', REPLACEMENT: '/' }, expected: '/foo/b/c.txt - /foo/c.txt', matches: ['FOO', 'NEEDLE', 'REPLACEMENT'] },
  { input: '${FOO/$NEEDLE/$REPLACEMENT}', envs: { FOO: 'http://google.de', NEEDLE: 'http://', REPLACEMENT: 'https://' }, expected: 'https://google.de', matches: ['FOO', 'NEEDLE', 'REPLACEMENT'] },
  { input: '${FOO//\\//\\/}', envs: { FOO: '/tmp/foo.txt' }, expected: '\\/tmp\\/foo.txt', matches: ['FOO'] },
  { input: '${FOO/$BAR/ww}', envs: { FOO: 'xxyy', BAR: '' }, expected: 'wwxxyy', matches: ['FOO', 'BAR'] },
  { input: '${FOO//ww}', envs: { FOO: 'xxyy' }, error: true },
  { input: '${FOO//}', envs: { FOO: 'xxyy' }, error: true },
  { input: '${FOO///}', envs: { FOO: 'xxyy' }, expected: 'xxyy', matches: ['FOO'] },
  { input: '${FOO///}', envs: {}, expected: '', unmatched: ['FOO'] },
];

describe('BuildKit TestProcessWithMatches', () => {
  it.each(matchCases.map((c) => [c.input, c] as const))('%s', (_input, c) => {
    if (c.error) {
      expect(() => processWord(c.input, env(c.envs), BS)).toThrow(LexError);
      return;
    }
    const r = processWord(c.input, env(c.envs), BS);
    expect(r.result).toBe(c.expected);
    expect([...r.matched].sort()).toEqual([...(c.matches ?? [])].sort());
    expect([...r.unmatched].sort()).toEqual([...(c.unmatched ?? [])].sort());
  });

  it('the release-name case: nested alternates around platform args', () => {
    const release = 'something-${VERSION}.${TARGETOS}-${TARGETARCH}${TARGETVARIANT:+-${TARGETVARIANT}}.tar.gz';
    expect(processWord(release, env({ VERSION: 'v1.2.3', TARGETOS: 'linux', TARGETARCH: 'arm', TARGETVARIANT: 'v7' }), BS).result).toBe(
      'something-v1.2.3.linux-arm-v7.tar.gz',
    );
    expect(processWord(release, env({ VERSION: 'v1.2.3', TARGETOS: 'linux', TARGETARCH: 'amd64', TARGETVARIANT: '' }), BS).result).toBe(
      'something-v1.2.3.linux-amd64.tar.gz',
    );
  });
});

describe('mandatory variables (TestShellParserMandatoryEnvVars)', () => {
  it('${VAR:?msg} refuses unset and empty, ${VAR?msg} only unset; the message is expanded', () => {
    const noEmpty = '${VAR:?message here$ARG}';
    const noUnset = '${VAR?message here$ARG}';
    expect(processWord(noEmpty, env({ VAR: 'plain', ARG: 'x' }), BS).result).toBe('plain');
    expect(() => processWord(noEmpty, env({ VAR: '', ARG: 'x' }), BS)).toThrow('message herex');
    expect(() => processWord(noEmpty, env({ ARG: 'x' }), BS)).toThrow('message herex');
    expect(processWord(noUnset, env({ VAR: '', ARG: 'x' }), BS).result).toBe('');
    expect(() => processWord(noUnset, env({ ARG: 'x' }), BS)).toThrow('VAR: message herex');
    expect(() => processWord('${VAR:?}', env({ VAR: '' }), BS)).toThrow('VAR: is not allowed to be empty');
    expect(() => processWord('${VAR?}', env({}), BS)).toThrow('VAR: is not allowed to be unset');
  });
});

describe('pattern helpers', () => {
  it('converts shell patterns like convertShellPatternToRegex', () => {
    const cases: [string, string][] = [
      ['*', '^.*'], ['?', '^.'], ['\\*', '^\\*'], ['(()[]{\\}^$.\\*\\?|\\\\', '^\\(\\(\\)\\[\\]\\{\\}\\^\\$\\.\\*\\?\\|\\\\'],
    ];
    for (const [p, re] of cases) expect(patternRegex(p, true, true).source).toBe(re);
    for (const bad of ['\\', '\\x', '\\\\\\']) expect(() => patternRegex(bad, true, true)).toThrow(LexError);
  });

  it('reverses patterns without reversing escapes', () => {
    const cases: [string, string][] = [['a\\*c', 'c\\*a'], ['\\\\\\ab', 'b\\a\\\\'], ['ab\\', '\\ba'], ['👽\\🚀🖖', '🖖\\🚀👽'], ['\\\\b', 'b\\\\']];
    for (const [p, r] of cases) expect(reversePattern(p)).toBe(r);
  });
});

describe('words and escape tokens', () => {
  it('ProcessWords splits after expansion, keeping quoted spaces', () => {
    const e = env({ A: 'x y', EMPTY: '' });
    expect(processWords('80 $A "a b" \'c d\'', e, BS)).toEqual(['80', 'x', 'y', 'a b', 'c d']);
    expect(processWords('"$A" ${EMPTY} z', e, BS)).toEqual(['x y', 'z']);
  });

  it('with `# escape=`` the backtick escapes and the backslash is literal', () => {
    const BT = { escape: '`' as const };
    const e = env({ DIR: 'C:\\app' });
    expect(processWord('c:\\dir\\$DIR', e, BT).result).toBe('c:\\dir\\C:\\app');
    expect(processWord('`$DIR', e, BT).result).toBe('$DIR');
    expect(processWord('"a`"b"', e, BT).result).toBe('a"b');
  });

  it('skipProcessQuotes keeps quotes (heredoc bodies) and skipUnsetEnv keeps unknown variables', () => {
    const e = env({ A: '1' });
    expect(processWord('echo "$A" \'$A\'', e, { escape: '\\', skipProcessQuotes: true }).result).toBe('echo "1" \'1\'');
    expect(processWord('$A $B ${C:-x}', e, { escape: '\\', skipUnsetEnv: true }).result).toBe('1 $B ${C:-x}');
  });

  it('names the source in its errors', () => {
    expect(() => processWord('${A', env({}), BS)).toThrow(`failed to process "\${A": syntax error: missing '}'`);
  });
});
