// Loader fuzz cases: mutations of real compose files (the shared corpus) and of generated stacks.
// Shared by bench/fuzz.mjs (10,000 cases, in a memory-limited worker) and test/loader/fuzz.test.ts
// (a seeded few hundred). Everything is drawn from one seeded generator, so a case is reproduced
// by its seed and number alone.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

/** mulberry32: small, fast, good enough to spread mutations. */
export function rng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n) => Math.floor(next() * n);
  return { next, int, pick: (list) => list[int(list.length)], chance: (p) => next() < p };
}

/** The compose files of the corpus (by path relative to it), capped in size so a case stays quick. */
export function corpusSeeds(corpusDir, maxBytes = 64 * 1024) {
  if (!corpusDir || !existsSync(corpusDir)) return [];
  const out = [];
  const walk = (dir) => {
    for (const name of readdirSync(dir).sort()) {
      const p = path.join(dir, name);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else if (/\.ya?ml$/.test(name) && st.size <= maxBytes && !/schema|\.github/.test(p)) out.push({ name: path.relative(corpusDir, p), text: readFileSync(p, 'utf8') });
    }
  };
  walk(corpusDir);
  return out;
}

/** A stack drawn from `r`: services with ports, volumes, networks, env, depends_on (cycles too), extends, profiles, placement. */
export function generatedStack(r) {
  const n = 1 + r.int(12);
  const names = Array.from({ length: n }, (_, i) => `s${i}`);
  const lines = [];
  if (r.chance(0.5)) lines.push(`name: gen${r.int(100)}`);
  const common = r.chance(0.3);
  if (common) lines.push('x-common: &common', '  restart: unless-stopped', '  environment: { LEVEL: "${LEVEL:-info}" }');
  lines.push('services:');
  for (const [i, s] of names.entries()) {
    lines.push(`  ${s}:`);
    if (i > 0 && r.chance(0.15)) lines.push(`    extends: ${r.pick(names.slice(0, i))}`);
    else lines.push(`    image: "busybox:\${TAG:-${r.int(3)}}"`);
    if (common && r.chance(0.5)) lines.push('    <<: *common');
    if (r.chance(0.4)) lines.push(`    ports: ["${r.chance(0.5) ? '127.0.0.1:' : ''}${8000 + r.int(20)}:${80 + r.int(3)}"]`);
    if (r.chance(0.4)) lines.push(`    depends_on: [${names.filter(() => r.chance(0.3)).join(', ')}]`);
    if (r.chance(0.3)) lines.push(`    volumes: ["data${r.int(3)}:/data", "./conf:/etc/conf:ro"]`);
    if (r.chance(0.3)) lines.push(`    networks: [net${r.int(3)}]`);
    if (r.chance(0.3)) lines.push('    environment:', `      A: "\${A:-a}"`, `      B: ${r.int(100)}`);
    if (r.chance(0.2)) lines.push('    healthcheck:', '      test: ["CMD", "true"]', `      interval: ${1 + r.int(10)}s`);
    if (r.chance(0.1)) lines.push(`    profiles: [p${r.int(2)}]`);
    if (r.chance(0.1)) lines.push('    deploy: { resources: { limits: { memory: 64M, cpus: "0.5" } } }');
  }
  lines.push('networks:', '  net0: {}', '  net1: { internal: true }', '  net2: {}');
  lines.push('volumes:', '  data0: {}', '  data1: {}', '  data2: {}');
  if (r.chance(0.2)) lines.push('x-placement:', '  groups:', `    g: { mode: ${r.pick(['split', 'pod', 'single'])}, services: [${names.slice(0, 2).join(', ')}] }`);
  return `${lines.join('\n')}\n`;
}

const YAML_CHARS = [':', '-', '{', '}', '[', ']', ',', '&', '*', '!', '|', '>', '"', "'", '#', '%', '@', '`', '\t', '\n', ' ', '$', '\\', '?', '<', '\0', '\r'];
const UNICODE = ['\ufeff', '\u0085', '\u2028', '\u2029', '\u200b', '\u202e', '\ud800', '\udfff', '😀', 'é', '\u0000', '\u001b[31m', 'ﬀ', '\uffff', '\u00a0'];
const JUNK_TEMPLATES = ['${', '${}', '${ A}', '${A:-${B', '$${X}', '${A:?}', '${A?it is required}', '${1}', '${A/b}', '${A:+x}', '${A:-{"j":1}}', '$', '${A-${B-${C-d}}}', '${A:?${B:?${C}}}', '$$$$${A}'];
const KEY_JUNK = ['__proto__: {}', 'constructor: 1', 'toString: x', '? [complex, key]\n  : v', '<<: *nowhere', 'x: !!binary aGk=', 'x: !reset', 'x: !override [1]', 'x: !!python/object:os.system', '"": empty', '1: number', 'true: bool', 'null: ~', 'x: &a *a'];

function lineStarts(text) {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === '\n') starts.push(i + 1);
  return starts;
}

function insertAt(text, at, piece) {
  return text.slice(0, at) + piece + text.slice(at);
}

/** A nested value `depth` deep, of one of the shapes parsers recurse on. */
function nested(r, depth) {
  switch (r.int(4)) {
    case 0:
      return `${'['.repeat(depth)}1${']'.repeat(depth)}`;
    case 1:
      return `${'{a: '.repeat(depth)}1${'}'.repeat(depth)}`;
    case 2:
      return `\n${Array.from({ length: depth }, (_, i) => `${' '.repeat(6 + i)}k${i}:`).join('\n')} v`;
    default:
      return `\n      ${'- '.repeat(depth)}x`;
  }
}

/** Each mutator: (text, r) → text. */
export const MUTATORS = {
  byteFlip: (t, r) => {
    if (!t.length) return t;
    const at = r.int(t.length);
    return t.slice(0, at) + (r.chance(0.7) ? r.pick(YAML_CHARS) : String.fromCharCode(r.int(256))) + t.slice(at + 1);
  },
  deleteLine: (t, r) => {
    const lines = t.split('\n');
    lines.splice(r.int(lines.length), 1 + r.int(3));
    return lines.join('\n');
  },
  duplicateLine: (t, r) => {
    const lines = t.split('\n');
    const i = r.int(lines.length);
    lines.splice(i, 0, ...lines.slice(i, i + 1 + r.int(3)));
    return lines.join('\n');
  },
  swapLines: (t, r) => {
    const lines = t.split('\n');
    const i = r.int(lines.length);
    const j = r.int(lines.length);
    [lines[i], lines[j]] = [lines[j], lines[i]];
    return lines.join('\n');
  },
  reindent: (t, r) => {
    const lines = t.split('\n');
    const i = r.int(lines.length);
    const d = r.pick([-4, -2, -1, 1, 2, 3]);
    lines[i] = d > 0 ? (r.chance(0.2) ? '\t' : ' '.repeat(d)) + lines[i] : lines[i].replace(new RegExp(`^ {0,${-d}}`), '');
    return lines.join('\n');
  },
  deepNesting: (t, r) => {
    const depth = r.pick([50, 199, 200, 201, 1000, 3000]);
    return `${t.replace(/\n?$/, '\n')}x-deep${r.int(1000)}: ${nested(r, depth)}\n`;
  },
  deepTemplate: (t, r) => {
    const depth = r.pick([20, 99, 100, 101, 500, 3000]);
    const closed = r.chance(0.7);
    return `${t.replace(/\n?$/, '\n')}x-tpl: "${'${A:-'.repeat(depth)}v${closed ? '}'.repeat(depth) : ''}"\n`;
  },
  hugeScalar: (t, r) => {
    const size = r.pick([10_000, 100_000, 1_000_000]);
    const ch = r.pick(['a', '$', ' ', '\\u00e9', 'x y: z']);
    return `${t.replace(/\n?$/, '\n')}x-huge: "${ch.repeat(Math.ceil(size / ch.length)).replace(/"/g, '')}"\n`;
  },
  hugeKeyCount: (t, r) => {
    const n = r.pick([1_000, 10_000]);
    return `${t.replace(/\n?$/, '\n')}x-keys:\n${Array.from({ length: n }, (_, i) => `  k${i}: ${i}`).join('\n')}\n`;
  },
  randomUnicode: (t, r) => insertAt(t, r.int(t.length + 1), Array.from({ length: 1 + r.int(4) }, () => r.pick(UNICODE)).join('')),
  aliasBomb: (t, r) => {
    const levels = r.pick([5, 9, 12]);
    const width = r.pick([5, 10]);
    const lines = [`x-l0: &l0 [${Array.from({ length: width }, () => '"lol"').join(', ')}]`];
    for (let i = 1; i <= levels; i++) lines.push(`x-l${i}: &l${i} [${Array.from({ length: width }, () => `*l${i - 1}`).join(', ')}]`);
    if (r.chance(0.3)) lines.push(`x-merge: { <<: [${Array.from({ length: width }, () => `*l${levels}`).join(', ')}] }`);
    return `${lines.join('\n')}\n${t}`;
  },
  selfAlias: (t) => `x-self: &self\n  a: *self\n${t}`,
  interpolationJunk: (t, r) => {
    const lines = t.split('\n');
    const i = r.int(lines.length);
    lines[i] = lines[i].includes(':') ? `${lines[i]} ${r.pick(JUNK_TEMPLATES)}` : `${lines[i]}${r.pick(JUNK_TEMPLATES)}`;
    return lines.join('\n');
  },
  keyJunk: (t, r) => {
    const starts = lineStarts(t);
    const at = r.pick(starts);
    const indent = /^ */.exec(t.slice(at))[0];
    return insertAt(t, at, `${indent}${r.pick(KEY_JUNK).replace(/\n/g, `\n${indent}`)}\n`);
  },
  typeSwap: (t, r) => {
    const lines = t.split('\n');
    const i = r.int(lines.length);
    const m = /^(\s*[^:#]+:)\s*(.*)$/.exec(lines[i]);
    if (m) lines[i] = `${m[1]} ${r.pick(['[]', '{}', '~', '1', 'true', '"x"', '[a, b]', '{a: 1}', '0777', '1e400', '-1', '.inf'])}`;
    return lines.join('\n');
  },
  truncate: (t, r) => t.slice(0, r.int(t.length + 1)),
  documentMarkers: (t, r) => insertAt(t, r.pick(lineStarts(t)), `${r.pick(['---', '...', '%YAML 1.1', '%TAG ! tag:x,2000:', '--- !!map'])}\n`),
  crlf: (t) => t.replace(/\n/g, '\r\n'),
  binary: (t, r) => insertAt(t, r.int(t.length + 1), String.fromCharCode(...Array.from({ length: 8 + r.int(32) }, () => r.int(256)))),
};

const ENV_VALUES = ['', 'x', '1', 'true', 'no', '${B}', '$$', '{"a":1}', '-1', '1e9', 'ünï', '\n', 'a b'];

/**
 * `count` cases from `seed`: each a base text (a corpus file or a generated stack) with one to three
 * mutations, and an environment for interpolation.
 */
export function* fuzzCases({ seed, count, seeds }) {
  const r = rng(seed);
  const names = Object.keys(MUTATORS);
  for (let id = 0; id < count; id++) {
    const fromCorpus = seeds.length > 0 && r.chance(0.6);
    const base = fromCorpus ? r.pick(seeds) : { name: 'generated', text: generatedStack(r) };
    const mutations = Array.from({ length: 1 + r.int(3) }, () => r.pick(names));
    let text = base.text;
    for (const m of mutations) text = MUTATORS[m](text, r);
    const environment = {};
    for (const k of ['A', 'B', 'TAG', 'LEVEL', 'COMPOSE_PROFILES']) if (r.chance(0.3)) environment[k] = r.pick(ENV_VALUES);
    // Mostly valid: an invalid one ends every case at the same usage error.
    if (r.chance(0.1)) environment.COMPOSE_PROJECT_NAME = r.pick(['fuzz', 'a_b-1', 'Bad Name', '-x', '']);
    yield { id, base: base.name, mutations, text, environment };
  }
}

/**
 * What a case's outcome says about the loader: `ok` (a project), `located` (typed errors, each
 * naming at least its file), `usage` (a usage error naming the variable it comes from), or
 * `crash` (anything else: an untyped error, or a typed one that says nowhere).
 */
export function judge(error, { ComposeError, ComposeErrors, UsageError }) {
  if (error === undefined) return { kind: 'ok' };
  const located = (e) => Boolean(e.location && e.location.file);
  if (error instanceof ComposeErrors) {
    return error.errors.every(located) ? { kind: 'located', message: error.errors[0].message } : { kind: 'crash', message: `unlocated: ${error.message}` };
  }
  if (error instanceof ComposeError) return located(error) ? { kind: 'located', message: error.message } : { kind: 'crash', message: `unlocated: ${error.message}` };
  if (error instanceof UsageError && /^[A-Z_]+[ :]|^-[a-z-]/.test(error.message)) return { kind: 'usage', message: error.message };
  return { kind: 'crash', message: `${error?.constructor?.name ?? typeof error}: ${error instanceof Error ? error.stack : String(error)}` };
}
