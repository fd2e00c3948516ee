// berth's own schemas must accept and reject exactly what compose-go's canonical schema does,
// on every real-world Compose file the corpus holds. Files are validated raw (parsed, tags
// stripped, no interpolation), as the schema stage sees them before casts.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { parseYaml } from '../../src/loader/parse.js';
import { stripTags } from '../../src/loader/tags.js';
import { loadBerthSchemas, validateSchema } from '../../src/loader/validate-schema.js';
import { corpusComposeFiles, corpusPath } from '../corpus.js';

const upstreamSchema = corpusPath('compose-go', 'schema', 'compose-spec.json');
const dirs = ['awesome-compose', 'compose-e2e'].map((d) => corpusPath(d));
const snippetsDir = corpusPath('compose-spec', 'spec-snippets');

const corpusFiles = corpusComposeFiles;

/**
 * Files berth's parser refuses before any schema is involved, with the reason. They are
 * listed rather than skipped so that a parser change shows up here.
 */
const UNPARSEABLE: Record<string, string> = {
  'compose-spec/spec-snippets/build-006.yaml':
    'defines services.base twice (the spec text shows two alternatives in one block); duplicate keys are a YAML error in berth and in compose-go',
};

describe.skipIf(!upstreamSchema || dirs.some((d) => !d) || !snippetsDir)('berth schema vs compose-go schema on the corpus', () => {
  const files = corpusFiles();
  const root = corpusPath() ?? '';

  it('finds the corpus files', () => {
    expect(files.length).toBeGreaterThan(300);
  });

  it('gives the same verdict as the upstream schema on every file', () => {
    const upstream = new Ajv2020({ strict: false, allErrors: false }).compile(
      JSON.parse(readFileSync(upstreamSchema as string, 'utf8')) as object,
    );
    const mismatches: string[] = [];
    const unparseable: string[] = [];
    let rejectedByBoth = 0;
    for (const file of files) {
      const rel = path.relative(root, file);
      let value: unknown;
      try {
        value = stripTags(parseYaml(readFileSync(file, 'utf8'), rel).value);
      } catch (e) {
        unparseable.push(`${rel}: ${(e as Error).message}`);
        continue;
      }
      const upstreamOk = upstream(value);
      const berthErrors = validateSchema(value);
      const berthOk = berthErrors.length === 0;
      if (!upstreamOk && !berthOk) rejectedByBoth++;
      if (upstreamOk !== berthOk) {
        const why = berthOk
          ? `upstream rejects: ${JSON.stringify(upstream.errors?.[0])}`
          : `berth rejects: ${berthErrors.map((e) => e.detail).join('; ')}`;
        mismatches.push(`${rel}: ${why}`);
      }
    }
    console.info(`schema corpus: ${files.length} files, ${rejectedByBoth} rejected by both schemas, ${unparseable.length} unparseable`);
    expect(mismatches).toEqual([]);
    expect(unparseable.map((u) => u.split(':')[0]).sort()).toEqual(Object.keys(UNPARSEABLE).sort());
    // The corpus must exercise rejection too, or "same verdict" would prove little.
    expect(rejectedByBoth).toBeGreaterThan(0);
  });

  it('accepts compose-go/schema/using-variables.yaml (every typed field set to ${VARIABLE})', () => {
    const file = corpusPath('compose-go', 'schema', 'using-variables.yaml') as string;
    const parsed = parseYaml(readFileSync(file, 'utf8'), file);
    expect(validateSchema(stripTags(parsed.value), (p) => parsed.sourceMap.locate(p)).map((e) => e.message)).toEqual([]);
  });

  // Ten rejections prove little about equivalence, so every node of every accepted file is
  // also replaced by values of other YAML types, and every mapping gains an unknown key and
  // an x- key; both schemas must agree on each variant.
  it('gives the same verdict as the upstream schema on mutated corpus files', () => {
    const upstream = new Ajv2020({ strict: false }).compile(JSON.parse(readFileSync(upstreamSchema as string, 'utf8')) as object);
    const { compose, placement } = loadBerthSchemas();
    const berth = new Ajv2020({ strict: true, allowUnionTypes: true, schemas: [placement, compose] }).getSchema('compose.schema.json');
    if (!berth) throw new Error('berth schema did not compile');
    const mismatches = new Map<string, string>();
    let variants = 0;
    for (const file of files) {
      let value: unknown;
      try {
        value = stripTags(parseYaml(readFileSync(file, 'utf8'), file).value);
      } catch {
        continue;
      }
      if (!upstream(value)) continue;
      for (const { path: at, variant } of mutations(value)) {
        variants++;
        const [u, b] = [upstream(variant), berth(variant)];
        // One example per schema location is enough to read a failure.
        const where = at.map((p) => (typeof p === 'number' ? '[]' : p)).join('.');
        if (u !== b && !mismatches.has(where)) mismatches.set(where, `${path.relative(root, file)}: upstream ${u ? 'accepts' : 'rejects'}, berth ${b ? 'accepts' : 'rejects'} ${JSON.stringify(get(variant, at))}`);
      }
    }
    console.info(`schema corpus: ${variants} mutated variants compared`);
    expect([...mismatches.entries()].map(([k, v]) => `${k}: ${v}`)).toEqual([]);
    expect(variants).toBeGreaterThan(10_000);
  });
});

const REPLACEMENTS: unknown[] = [null, true, 7, -3, 1.5, 's', [], ['a', 'a'], [1], {}, { bogus: 1 }];

type Path = (string | number)[];

function* mutations(root: unknown): Generator<{ path: Path; variant: unknown }> {
  const walk = function* (node: unknown, at: Path): Generator<{ path: Path; variant: unknown }> {
    if (at.length > 0) for (const r of REPLACEMENTS) yield { path: at, variant: setAt(root, at, r) };
    if (Array.isArray(node)) {
      for (let i = 0; i < node.length; i++) yield* walk(node[i], [...at, i]);
    } else if (node !== null && typeof node === 'object') {
      const record = node as Record<string, unknown>;
      yield { path: [...at, 'bogus'], variant: setAt(root, at, { ...record, bogus: 1 }) };
      yield { path: [...at, 'x-ext'], variant: setAt(root, at, { ...record, 'x-ext': 1 }) };
      for (const k of Object.keys(record)) yield* walk(record[k], [...at, k]);
    }
  };
  yield* walk(root, []);
}

function setAt(node: unknown, at: Path, value: unknown): unknown {
  if (at.length === 0) return value;
  const [head, ...rest] = at;
  if (Array.isArray(node)) return node.map((v, i) => (i === head ? setAt(v, rest, value) : v));
  const record = node as Record<string, unknown>;
  return { ...record, [head]: setAt(record[head as string], rest, value) };
}

function get(node: unknown, at: Path): unknown {
  return at.reduce<unknown>((n, k) => (n as Record<string | number, unknown> | undefined)?.[k], node);
}

