// The precompiled validators (scripts/build-schemas.mjs) must be a pure speed-up: the same
// verdict as the run-time Ajv on every model, and, through validateSchema, the same messages.
// The build script is run into a temp dir, from the source module (what dist/ is built from).
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseYaml } from '../../src/loader/parse.js';
import { stripTags } from '../../src/loader/tags.js';
import * as schemaModule from '../../src/loader/validate-schema.js';
import { createSchemaAjv, createSchemaValidator, schemaFingerprint, validateSchema, type SchemaValidator } from '../../src/loader/validate-schema.js';
import { corpusPath, repoRoot } from '../corpus.js';

interface BuildScript {
  buildSchemaValidators(module: typeof schemaModule, outDir: string): string;
}

interface Generated {
  fingerprint: string;
  load(require: NodeJS.Require): { compose: (data: unknown) => boolean; placement: (data: unknown) => boolean };
}

const require = createRequire(import.meta.url);

/** A model to compare on: its name, and its YAML (messages are compared with line:column). */
interface Case {
  name: string;
  yaml: string;
}

// The YAML inputs of validate-schema.test.ts, valid and invalid (every error form it checks).
const OWN_CASES: string[][] = [
  ['name: demo', 'x-common: &c { restart: always }', 'services:', '  web:', '    image: nginx', '    ports: ["8080:80", 443, { target: 80, published: "${PORT}", x-note: hi }]', '    cpus: ${CPUS}', '    read_only: ${RO:-false}', '    x-owner: team-a', '    depends_on: { db: { condition: service_healthy } }', '  db: { image: postgres, healthcheck: { test: [CMD, pg_isready], retries: "${RETRIES}" } }', 'networks: { front: null, back: { x-driver-notes: 1 } }', 'volumes: { data: }'],
  ['{}'],
  ['services:', '  foo:', '    image: [busybox, latest]'],
  ['services:', '  - foo'],
  ['services:', '  foo:', '    cap_add: NET_ADMIN'],
  ['- a'],
  ['services:', '  foo:', '    environment:', '      FOO: ["1"]'],
  ['services:', '  foo:', '    expose: [{ a: 1 }]'],
  ['services:', '  foo:', '    deploy: { replicas: 1.5 }'],
  ['services:', '  web:', '    ports: [true]'],
  ['services:', '  web:', '    environment: "FOO=1"'],
  ['services:', '  web:', '    ports:', '      - target: 80', '        publish: 8080'],
  ['services:', '  web:', '    depends_on:', '      db: { condition: started }'],
  ['services:', '  web:', '    build:', '      context: .', '      ssh:'],
  ['services:', '  web:', '    image: nginx', '    imagee: nginx'],
  ['services:', '  web:', '    image: nginx', '    frobnicate: 1'],
  ['servces:', '  web: { image: nginx }'],
  ['services:', '  "my web": { image: nginx }'],
  ['networks:', '  "front net": {}'],
  ['services:', '  web:', '    develop:', '      watch:', '        - path: ./src'],
  ['services:', '  web:', '    cgroup: shared'],
  ['services:', '  web:', '    volumes:', '      - type: tmpfs', '        target: /app', '        tmpfs: { size: -1 }'],
  ['services:', '  web:', '    cpu_percent: 150'],
  ['services:', '  web:', '    container_name: "-"'],
  ['services:', '  web:', '    cap_add: [NET_ADMIN, SYS_TIME, NET_ADMIN]'],
  ['services:', '  web:', '    container_name: 5'],
  ['name: 123', 'services:', '  b:', '    image: 1', '    tty: [1]', '  a:', '    imagee: x', 'volumes:', '  data: local', 'bogus: 1'],
  ['services: { api: { image: a }, db: { image: b }, cache: { image: c } }', 'x-placement:', '  mode: split', '  x-note: extensions are allowed here too', '  groups:', '    backend: { mode: pod, services: [api, db], share_pid: true }', '    solo: { mode: single, services: [cache], x-why: "latency" }'],
  ['x-placement: {}'],
  ['x-placement:', '  mode: cluster', '  groups:', '    backend: { mode: pod, services: [api, api] }', '    empty: { mode: split, services: [] }', '    nomode: { services: [a] }', '    single: { mode: single, services: [a], share_pid: true }', '    "bad name": { mode: pod, services: [a] }', '    typo: { mode: pod, service: [a] }', '  group: {}'],
  ['x-placement: pod'],
  ['x-placement:', '  groups:', '    g: { mode: pod, services: [1], share_pid: "yes" }'],
];

function yamlFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) out.push(...yamlFiles(full));
    else if (/\.ya?ml$/.test(name)) out.push(full);
  }
  return out;
}

/** Own cases, every compose-go inline input, and the real-world files (when the corpus is here). */
function allCases(): Case[] {
  const cases: Case[] = OWN_CASES.map((lines, i) => ({ name: `validate-schema.test.ts #${i}`, yaml: `${lines.join('\n')}\n` }));
  const inline = corpusPath('compose-go', 'inline-yaml-cases.json');
  if (inline) {
    const all = JSON.parse(readFileSync(inline, 'utf8')) as { test: string; yamls: { role: string; yaml: string }[] }[];
    for (const c of all) {
      c.yamls.forEach((y, i) => {
        if (y.role === 'input') cases.push({ name: `${c.test}#${i}`, yaml: y.yaml });
      });
    }
  }
  for (const dir of ['awesome-compose', 'compose-e2e', 'compose-spec/spec-snippets']) {
    const full = corpusPath(...dir.split('/'));
    if (full) for (const file of yamlFiles(full)) cases.push({ name: path.relative(full, file), yaml: readFileSync(file, 'utf8') });
  }
  return cases;
}

describe('precompiled schema validators', () => {
  let dir: string;
  let file: string;
  let precompiled: SchemaValidator;
  const runtime = createSchemaValidator({ precompiled: false });

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'berth-schemas-'));
    const script = pathToFileURL(path.join(repoRoot, 'scripts', 'build-schemas.mjs')).href;
    const { buildSchemaValidators } = (await import(script)) as BuildScript;
    file = buildSchemaValidators(schemaModule, dir);
    precompiled = createSchemaValidator({ precompiled: file });
  }, 60_000);

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('writes one self-contained module: the schemas fingerprint, and only Ajv runtime helpers required', () => {
    expect(path.basename(file)).toBe('validators.cjs');
    const text = readFileSync(file, 'utf8');
    const required = [...new Set([...text.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]))];
    expect(required.length).toBeGreaterThan(0);
    expect(required.every((r) => r.startsWith('ajv/dist/runtime/'))).toBe(true);
    const generated = require(file) as Generated;
    expect(generated.fingerprint).toBe(schemaFingerprint());
    // The temp dir has no node_modules above it: the helpers come through the injected require.
    const { compose, placement } = generated.load(require);
    expect(compose({ services: { web: { image: 'nginx' } } })).toBe(true);
    expect(compose({ services: { web: { image: 1 } } })).toBe(false);
    expect(placement({ mode: 'pod' })).toBe(true);
    expect(placement({ mode: 'cluster' })).toBe(false);
  });

  it('gives the run-time verdict and the same messages on every case', () => {
    const compose = (require(file) as Generated).load(require).compose;
    const reference = createSchemaAjv('explain').getSchema('compose.schema.json');
    if (!reference) throw new Error('compose.schema.json did not compile');
    const cases = allCases();
    let valid = 0;
    let invalid = 0;
    let unparseable = 0;
    const mismatches: string[] = [];
    for (const c of cases) {
      let parsed: ReturnType<typeof parseYaml>;
      try {
        parsed = parseYaml(c.yaml, 'compose.yaml');
      } catch {
        unparseable++; // the parser's concern, not the schema's (schema-corpus.test.ts lists them)
        continue;
      }
      const model = stripTags(parsed.value);
      const locate = (p: Parameters<typeof parsed.sourceMap.locate>[0]) => parsed.sourceMap.locate(p);
      const verdict = compose(model);
      if (verdict !== reference(model)) mismatches.push(`${c.name}: verdict ${verdict}`);
      const [fast, slow] = [precompiled(model, locate), runtime(model, locate)].map((es) => es.map((e) => e.message));
      if (JSON.stringify(fast) !== JSON.stringify(slow)) mismatches.push(`${c.name}: ${fast.join('; ')} ≠ ${slow.join('; ')}`);
      if (verdict) valid++;
      else invalid++;
    }
    expect(mismatches).toEqual([]);
    // Both verdicts are well represented (with the corpus: 881 cases, 675 valid, 182 invalid).
    expect(valid).toBeGreaterThan(corpusPath() ? 600 : 3);
    expect(invalid).toBeGreaterThan(corpusPath() ? 150 : 20);
    expect(unparseable).toBeLessThan(cases.length / 10);
  });

  it('refuses an explicitly named module built from other schemas, or missing', () => {
    const stale = path.join(dir, 'stale.cjs');
    writeFileSync(stale, readFileSync(file, 'utf8').replace(schemaFingerprint(), '0'.repeat(64)));
    expect(() => createSchemaValidator({ precompiled: stale })({})).toThrow(/built from other schemas/);
    expect(() => createSchemaValidator({ precompiled: path.join(dir, 'absent.cjs') })({})).toThrow(/does not exist/);
  });

  it('falls back to compiling at run time when no build output sits beside the module (src/ under vitest)', () => {
    expect(validateSchema({ services: { web: { image: 1 } } }).map((e) => e.message)).toEqual(['services.web.image must be a string']);
  });
});
