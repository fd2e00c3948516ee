// The fast parser (src/loader/yaml-subset.ts) must answer exactly as the general one (yaml's
// Document, walked by parse.ts) wherever it answers — same values, same offsets for the same
// key paths — and must give up on everything else, so that parseYaml's answer (value, positions
// or error) never depends on which path ran.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseYaml, parseYamlDocument } from '../../src/loader/parse.js';
import { parseYamlSubset, UNSUPPORTED } from '../../src/loader/yaml-subset.js';
import { corpusPath, describeCorpus, repoRoot } from '../corpus.js';

type Outcome = { value: unknown; offsets: [string, number][] } | { error: string };

function outcome(run: () => ReturnType<typeof parseYaml>): Outcome {
  try {
    const { value, sourceMap } = run();
    return { value, offsets: [...sourceMap.recordedOffsets()].sort(([a], [b]) => (a < b ? -1 : 1)) };
  } catch (e) {
    return { error: String(e) };
  }
}

const general = (text: string) => outcome(() => parseYamlDocument(text, 'c.yaml'));
const viaParseYaml = (text: string) => outcome(() => parseYaml(text, 'c.yaml'));

/** The fast path answers, and exactly as the general one. */
function expectFastAndSame(text: string): void {
  const fast = parseYamlSubset(text);
  expect(fast, `fast path gave up on:\n${text}`).not.toBe(UNSUPPORTED);
  expect(viaParseYaml(text)).toEqual(general(text));
}

/** The fast path gives up, and parseYaml answers as the general parser does. */
function expectFallback(text: string): void {
  expect(parseYamlSubset(text), `fast path answered:\n${text}`).toBe(UNSUPPORTED);
  expect(viaParseYaml(text)).toEqual(general(text));
}

describe('the YAML subset parser answers as the general parser', () => {
  const accepted: Record<string, string> = {
    'block mappings and sequences': 'services:\n  web:\n    image: nginx\n    ports:\n      - "80:80"\n      - 443:443\n',
    'comments everywhere': '# head\nservices: # trailing\n  # inside\n  web:   # more\n    image: nginx#not-a-comment # one\n\n\n',
    'a document start line': '# c\n--- # start\na: 1\n',
    'sequence at the key indentation': 'a:\n- x\n- y\nb: 2\n',
    'compact mappings in sequences': 'v:\n  - type: bind\n    source: ./a\n    target: /a\n  -   type: volume\n      source: b\n',
    'nested sequences': '- - a\n  - b\n- - c\n',
    'core schema scalars': 'a: ~\nb: null\nc: NULL\nd: true\ne: False\nf: 12\ng: -3\nh: +4\ni: 0o17\nj: 0x1F\nk: 1.5\nl: 1e3\nm: .inf\nn: -.Inf\no: .nan\np: 1_000\nq: yes\nr: 1.\ns: .5\nt: 08\n',
    'go-yaml octals': 'a: 0777\nb: -012\nc: "0777"\nd: 0\n',
    'quoted scalars and escapes': 'a: "x\\ty\\n\\"q\\" \\\\ \\x41\\u00e9"\nb: \'it\'\'s\'\nc: ""\nd: \'\'\n"quoted key": 1\n\'single key\' : 2\n',
    'plain scalars with indicators inside': 'a: http://x:80/p?q=1#frag\nb: -x\nc: ?y\nd: :z\ne: a-b c\nf: "x" # c\ng: x[0]{1},\n',
    'flow collections': 'a: [1, "two", three, {k: v, "q": 1}, [], {}]\nb: {x: [8080:80, a:b], y: , z}\nc: [a, b, ]\n',
    'multi-line flow collections': 'svc:\n  command: [\n    "a", # one\n    "b",\n  ]\n  env: {\n    A: 1,\n    B: 2\n    }\n',
    'a JSON file': '{\n  "services": {"web": {"image": "nginx", "ports": ["80:80"]}},\n  "volumes": {}\n}\n',
    'anchors, aliases and merge keys': 'x-a: &a {restart: always, image: a}\nx-b: &b\n  image: b\n  user: b\nservices:\n  one:\n    <<: [*a, *b]\n    user: mine\n  two: *a\n  three:\n    <<: *b\n    image: c\n  four:\n    <<: {image: d, x: 1}\n    x: 2\n  five: [*a, *b]\n',
    'an alias to a sequence of mappings in a merge key': 'x: &l [{a: 1}, {b: 2}]\ny:\n  <<: *l\n',
    'anchors on scalars and sequences': 'a: &s 1\nb: *s\nc: &q\n  - 1\n  - 2\nd: *q\n',
    'tags': 'a: !reset []\nb: !reset {}\nc: !reset\nd: !override [1]\ne: !override\n  x: 1\nf: !override 5\ng: !override "q"\nh: !reset null\ni:\n  - !reset\n  - !reset   # c\n  - !override {a: 1}\n',
    'empty values': 'a:\nb:   # c\nc:\n  - \n  -   # d\n  - x\n',
    'a scalar document': 'just text\n',
    'an empty document': '# nothing\n\n',
    'no final newline': 'a: [1, 2]',
    'keys that look like other things': 'a[b]: 1\n"1": 2\nx.y-z: 3\n',
    'literal block scalars': 'a: |\n  line one\n    indented # not a comment\n\n  after a blank\nb: |-\n  stripped\n\nc: |+\n  kept\n\n\nd: | # header comment\n  x\n# trailing comment\ne:\n  - |\n    in a sequence\n  - &s |\n    anchored\n  - *s\nf: !override |\n  tagged\n',
    'a literal block scalar at the end of the text': 'a: |\n  no final newline',
    'kept block scalars at the end of the text': 'a: |+\n  x',
    'kept block scalars before less indented empty lines': 'a: |+\n    x\n\n  \nb: 1\n',
    'a block scalar as the last item of a sequence': 'a:\n- |-\n  x\n  y\n',
    'a flow map key with a colon inside': '{a:1, b: 2}',
    'plain scalars with spaces in flow': 'a: [1 2, x  y , 3]\n',
  };
  for (const [name, text] of Object.entries(accepted)) it(name, () => expectFastAndSame(text));

  const fallback: Record<string, string> = {
    'folded block scalars': 'a: >\n  line\n',
    'block scalars with an indentation indicator': 'a: |2\n   line\n',
    'block scalars with leading empty lines': 'a: |\n\n  line\n',
    'empty block scalars': 'a: |\nb: 1\n',
    'multi-line plain scalars': 'a: one\n  two\n',
    'multi-line quoted scalars': 'a: "one\n  two"\n',
    'tabs': 'a:\t1\n',
    'CRLF line ends': 'a: 1\r\nb: 2\r\n',
    'several documents': 'a: 1\n---\nb: 2\n',
    'a document end marker': 'a: 1\n...\n',
    'directives': '%YAML 1.2\n---\na: 1\n',
    'duplicate keys': 'a: 1\na: 2\n',
    'duplicate flow keys': '{a: 1, a: 2}',
    'an unknown alias': 'a: *nope\n',
    'an alias inside its own anchor': 'a: &x [*x]\n',
    'a redefined anchor': 'a: &x 1\nb: *x\nc: &x 2\nd: *x\n',
    'other tags': 'a: !!str 1\nb: !custom x\n',
    'non-string keys': '1: a\n',
    'null keys': '~: a\n',
    'complex keys': '? a\n: b\n',
    'a flow collection as a key': '[a]: b\n',
    'a nested compact mapping': 'a: b: c\n',
    'bad indentation': 'a:\n    b: 1\n  c: 2\n',
    'a sequence where a key should be': 'a: 1\n- b\n',
    'flow content not indented enough': 'a:\n  b: [1,\n  2]\n',
    'an unterminated quote': 'a: "open\n',
    'an unterminated flow sequence': 'a: [1, 2\n',
    'a missing flow comma': 'a: ["x" "y", 3]\n',
    'an empty flow entry': 'a: [1, , 2]\n',
    'a pair in a flow sequence': 'a: [b: c]\n',
    'a quoted merge key': '"<<": {a: 1}\n',
    'an empty merge key value': 'a:\n  <<:\n  b: 1\n',
    'two merge keys': 'x: &x {a: 1}\ny:\n  <<: *x\n  <<: *x\n',
    'a merge of a scalar': 'x: &x 1\ny:\n  <<: *x\n',
    '__proto__ keys': '__proto__: {a: 1}\n',
    'a !reset over content': 'a: !reset [1, 2]\n',
    'an !override over an empty value': 'a: !override\n',
    'a byte-order mark': '\ufeffa: 1\n',
    'text after a quoted scalar': 'a: "x" y\n',
    'a key without a value indicator': 'a: 1\njunk\n',
  };
  for (const [name, text] of Object.entries(fallback)) it(`falls back on ${name}`, () => expectFallback(text));
});

function yamlFilesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) out.push(...yamlFilesUnder(full));
    else if (/\.ya?ml$/.test(name)) out.push(full);
  }
  return out;
}

it('answers as the general parser on every YAML fixture of the repository', () => {
  for (const file of yamlFilesUnder(path.join(repoRoot, 'test'))) {
    const text = readFileSync(file, 'utf8');
    expect(viaParseYaml(text), file).toEqual(general(text));
  }
});

const corpus = corpusPath();
describeCorpus(corpus, 'the YAML subset parser on the reference corpus', () => {
  it('answers as the general parser on every file, and takes the fast path on most', () => {
    const files = yamlFilesUnder(corpus as string);
    let fast = 0;
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      if (parseYamlSubset(text) !== UNSUPPORTED) fast++;
      expect(viaParseYaml(text), file).toEqual(general(text));
    }
    expect(fast).toBeGreaterThan(files.length * 0.9);
  });
});
