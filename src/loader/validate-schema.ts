// Stage: JSON-schema validation of the merged raw model (before casts and normalize), against
// berth's schemas/compose.schema.json, which delegates x-placement to placement.schema.json.
// Ajv reports every failed keyword (allErrors); a user wants one cause per place, in YAML
// words. So the raw errors are reduced here: a failed oneOf is explained by the one branch
// whose type fits the value (re-validated alone, recursively), a type error hides the other
// complaints about the same value, and each remaining keyword has its own phrasing rule.
// Compiling the schemas costs ~200 ms, so the verdict comes from validators generated at build
// time (scripts/build-schemas.mjs) when present; only a failing model compiles Ajv, to explain.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { Ajv2020 as Ajv2020Type, ErrorObject, ValidateFunction } from 'ajv/dist/2020.js';
import { ComposeError, formatKeyPath, type KeyPath, type Location } from '../errors.js';
import { requireWithCodeCache } from './code-cache.js';

const COMPOSE_ID = 'compose.schema.json';
const PLACEMENT_ID = 'placement.schema.json';

type Schema = Record<string, unknown>;

// Ajv is loaded through require, and only when something must be compiled: importing it costs
// tens of milliseconds that a CLI run with precompiled validators never needs.
const require = createRequire(import.meta.url);

interface Compiled {
  ajv: Ajv2020Type;
  validate: ValidateFunction;
  docs: Map<string, Schema>;
  branches: Map<string, ValidateFunction>;
}

let compiled: Compiled | undefined;

const schemaTexts = new Map<string, string>();

function schemaText(name: string): string {
  let text = schemaTexts.get(name);
  if (text === undefined) {
    // schemas/ sits two levels above both src/loader/ and dist/loader/.
    text = readFileSync(new URL(`../../schemas/${name}`, import.meta.url), 'utf8');
    schemaTexts.set(name, text);
  }
  return text;
}

function loadSchema(name: string): Schema {
  return JSON.parse(schemaText(name)) as Schema;
}

/**
 * The one Ajv configuration, for both ways of validating. `explain` is the run-time instance
 * the error reduction works on; `standalone` is what scripts/build-schemas.mjs turns into code
 * at build time. Both get the same schemas and the same options that decide validity (strict,
 * allowUnionTypes, and any keyword or format registered here), so their verdicts agree.
 */
export function createSchemaAjv(purpose: 'explain' | 'standalone'): Ajv2020Type {
  const { Ajv2020 } = require('ajv/dist/2020.js') as typeof import('ajv/dist/2020.js');
  const schemas = [loadSchema(PLACEMENT_ID), loadSchema(COMPOSE_ID)];
  const common = { strict: true, allowUnionTypes: true, schemas } as const;
  if (purpose === 'standalone') {
    // Only a verdict is needed from the generated code: stop at the first error, keep the code
    // small (it is parsed on every CLI start) and let Ajv optimize it, since compile time is
    // paid once, at build.
    return new Ajv2020({ ...common, allErrors: false, verbose: false, code: { source: true, esm: false } });
  }
  // verbose: errors carry the failing (sub)schema and value, which the reducer needs.
  // optimize: false halves compile time (median of 5 cold runs: 197 ms instead of 358 ms) and
  // costs ~8 ms when validating 1,000 services; this instance is compiled at most once per run.
  return new Ajv2020({ ...common, allErrors: true, verbose: true, code: { optimize: false } });
}

/** The validators scripts/build-schemas.mjs generates, by export name → schema $id. */
export const PRECOMPILED_EXPORTS = { compose: COMPOSE_ID, placement: PLACEMENT_ID } as const;

/** Where the build writes them, relative to this module (dist/loader/ → dist/schemas/). */
export const PRECOMPILED_FILE = new URL('../schemas/validators.cjs', import.meta.url);

/**
 * Identifies the schema texts a precompiled module was generated from. The schemas are read
 * at run time, so an edit after the last build must not be shadowed by stale generated code.
 */
export function schemaFingerprint(): string {
  const hash = createHash('sha256');
  for (const id of Object.values(PRECOMPILED_EXPORTS)) hash.update(id).update('\0').update(schemaText(id)).update('\0');
  return hash.digest('hex');
}

/** The shape scripts/build-schemas.mjs emits: location-independent, Ajv's runtime injected. */
interface PrecompiledModule {
  fingerprint: string;
  load(require: NodeJS.Require): Record<keyof typeof PRECOMPILED_EXPORTS, (data: unknown) => boolean>;
}

/**
 * The generated compose validator at `file`, or why it cannot be used. The module receives
 * this module's `require`, so Ajv's runtime helpers resolve from berth's own dependencies
 * wherever the file lies.
 */
function loadPrecompiled(file: string | URL): ((data: unknown) => boolean) | string {
  const filePath = file instanceof URL ? fileURLToPath(file) : file;
  if (!existsSync(filePath)) return `${filePath} does not exist (run the build)`;
  const generated = requireWithCodeCache(filePath, require) as PrecompiledModule;
  if (generated.fingerprint !== schemaFingerprint()) return `${filePath} was built from other schemas (run the build)`;
  return generated.load(require).compose;
}

/** Compiled once per process, and only when needed: compiling costs far more than validating. */
function schemas(): Compiled {
  if (compiled) return compiled;
  const ajv = createSchemaAjv('explain');
  const validate = ajv.getSchema(COMPOSE_ID);
  if (!validate) throw new Error(`${COMPOSE_ID} failed to compile`);
  // whereIs() finds union branches by object identity, so docs must be the very objects Ajv
  // compiled (and hands back in verbose errors), not fresh parses.
  const docs = new Map([PLACEMENT_ID, COMPOSE_ID].map((id) => [id, ajv.schemas[id]?.schema as Schema]));
  compiled = { ajv, validate, docs, branches: new Map() };
  return compiled;
}

/** The schema documents as data, for tools and tests (the corpus comparison). */
export function loadBerthSchemas(): { compose: Schema; placement: Schema } {
  return { compose: loadSchema(COMPOSE_ID), placement: loadSchema(PLACEMENT_ID) };
}

/** A schema validation stage: model (and an optional locator) → errors, none when valid. */
export type SchemaValidator = (model: unknown, locate?: (path: KeyPath) => Location) => ComposeError[];

export interface SchemaValidatorOptions {
  /**
   * Generated validators to decide validity with. Default: PRECOMPILED_FILE when it exists
   * and matches the schemas, else compile at run time. An explicit file must be usable
   * (an error otherwise); `false` always compiles.
   */
  precompiled?: string | URL | false;
}

/**
 * A validator whose verdict comes from the precompiled code when there is some. Only a
 * failing model needs the run-time Ajv (compiled lazily, once), whose verbose errors the
 * reduction below explains; so the messages are the same whichever decided the verdict.
 */
export function createSchemaValidator(options: SchemaValidatorOptions = {}): SchemaValidator {
  let verdict: ((data: unknown) => boolean) | undefined;
  const decide = (model: unknown): boolean => {
    if (!verdict) {
      const { precompiled } = options;
      const loaded = precompiled === false ? undefined : loadPrecompiled(precompiled ?? PRECOMPILED_FILE);
      if (typeof loaded === 'string' && precompiled !== undefined) throw new Error(`precompiled schema validators: ${loaded}`);
      verdict = typeof loaded === 'function' ? loaded : (data) => schemas().validate(data);
    }
    return verdict(model);
  };
  return (model, locate) => {
    if (decide(model)) return [];
    const { validate } = schemas();
    // Both decide with the same schemas and options; were they ever to disagree, the
    // run-time instance is the reference, exactly as without precompiled code.
    if (validate(model)) return [];
    return toErrors(explain(validate.errors ?? [], model, []), locate);
  };
}

/**
 * Validates a merged, tag-free model with the default validators: the build's precompiled
 * verdict when there is one (see SchemaValidatorOptions.precompiled). One error per offending
 * place, sorted by file, line and column; `locate` maps a key path to where it is written.
 */
export const validateSchema: SchemaValidator = createSchemaValidator();

// ---- reduction -----------------------------------------------------------------------------

interface Issue {
  detail: string;
  /** Where to point: the value, or for an unknown key the key itself. */
  at: KeyPath;
  hint?: string;
}

interface Located {
  error: ErrorObject;
  path: KeyPath;
}

/** Ajv errors of one validation of `data` (found at `base` in the model) → issues. */
function explain(errors: readonly ErrorObject[], data: unknown, base: KeyPath): Issue[] {
  const located: Located[] = errors.map((error) => ({ error, path: [...base, ...pointerToPath(error.instancePath, data)] }));
  const issues: Issue[] = [];

  // Outermost unions first: everything at or below one is re-derived from its chosen branch.
  const unions = located
    .map((l, index) => ({ ...l, index }))
    .filter((l) => l.error.keyword === 'oneOf' || l.error.keyword === 'anyOf')
    .sort((a, b) => a.path.length - b.path.length || b.index - a.index);
  const claimed: KeyPath[] = [];
  for (const union of unions) {
    if (claimed.some((p) => isWithin(union.path, p))) continue;
    claimed.push(union.path);
    issues.push(...explainUnion(union.error, union.path));
  }

  const rest = located.filter((l) => !claimed.some((p) => isWithin(l.path, p)));
  const typeFailed = new Set(rest.filter((l) => l.error.keyword === 'type').map((l) => pathKey(l.path)));
  const conditions = conditionHints(rest);
  for (const { error, path } of rest) {
    // A value of the wrong type makes every other complaint about it moot.
    if (error.keyword !== 'type' && typeFailed.has(pathKey(path))) continue;
    const issue = phrase(error, path);
    if (!issue) continue;
    // A key forbidden by an if/else (share_pid outside a pod) says which condition allows it.
    if (error.keyword === 'false schema' && !issue.hint) issue.hint = conditions.get(pathKey(path.slice(0, -1)));
    issues.push(issue);
  }
  return dedupe(issues);
}

/**
 * For each mapping whose `if` failed over to `else`, the condition in words, when it is the
 * simple form `if: {properties: {key: {const: value}}}`: "only allowed when mode is "pod"".
 */
function conditionHints(located: readonly Located[]): Map<string, string> {
  const hints = new Map<string, string>();
  for (const { error, path } of located) {
    if (error.keyword !== 'if' || (error.params as { failingKeyword?: string }).failingKeyword !== 'else') continue;
    const condition = (error.parentSchema as Schema | undefined)?.if;
    const properties = isRecord(condition) && isRecord(condition.properties) ? Object.entries(condition.properties) : [];
    if (properties.length !== 1) continue;
    const [key, rule] = properties[0];
    if (isRecord(rule) && 'const' in rule) hints.set(pathKey(path), `only allowed when ${key} is ${JSON.stringify(rule.const)}`);
  }
  return hints;
}

/** A failed oneOf/anyOf: explain it by the branch meant for the value's type, as compose-go does. */
function explainUnion(error: ErrorObject, path: KeyPath): Issue[] {
  const branches = (Array.isArray(error.schema) ? error.schema : []) as Schema[];
  const value: unknown = error.data;
  const where = whereIs(error.schema);
  const docId = where?.docId ?? COMPOSE_ID;
  const fitting = branches.map((b, i) => ({ b, i })).filter(({ b }) => acceptsType(docId, b, value));

  if (fitting.length === 0) {
    const expected = branches.flatMap((b) => branchTypes(docId, b));
    return [{ detail: `${subject(path)} must be ${typeList(expected)}`, at: path }];
  }
  let best: Issue[] | undefined;
  for (const { i } of fitting) {
    const branch = where && branchValidator(docId, `${where.pointer}/${i}`);
    if (!branch || branch(value)) continue;
    const found = explain(branch.errors ?? [], value, path);
    // Several branches fit the type (none in compose.schema.json today): trust the one that
    // got furthest into the value.
    if (!best || depth(found) > depth(best)) best = found;
  }
  // Unreachable with type-disjoint branches; kept so a future schema cannot fail silently.
  const ambiguous = Array.isArray((error.params as { passingSchemas?: unknown }).passingSchemas);
  return best ?? [{ detail: `${subject(path)} matches ${ambiguous ? 'more than one' : 'none'} of the allowed forms`, at: path }];
}

function phrase(error: ErrorObject, path: KeyPath): Issue | undefined {
  const p = error.params as Record<string, unknown>;
  const what = subject(path);
  switch (error.keyword) {
    case 'type': {
      const types = Array.isArray(p.type) ? (p.type as string[]) : String(p.type).split(',');
      return { detail: `${what} must be ${typeList(types)}`, at: path };
    }
    case 'additionalProperties':
      return unknownKey(path, String(p.additionalProperty), error.parentSchema as Schema | undefined);
    case 'required':
      return { detail: `${what} missing required key "${String(p.missingProperty)}"`, at: path };
    case 'enum':
      return { detail: `${what} must be one of: ${(p.allowedValues as unknown[]).map(String).join(', ')}`, at: path };
    case 'const':
      return { detail: `${what} must be ${JSON.stringify(p.allowedValue)}`, at: path };
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return { detail: `${what} must be ${BOUNDS[error.keyword]} ${String(p.limit)}`, at: path };
    case 'minItems':
      return { detail: p.limit === 1 ? `${what} must not be empty` : `${what} must have at least ${String(p.limit)} items`, at: path };
    case 'uniqueItems': {
      // Ajv scans from the end: j is the later duplicate, i the earlier one.
      const [earlier, later] = [Math.min(Number(p.i), Number(p.j)), Math.max(Number(p.i), Number(p.j))];
      return { detail: `${formatKeyPath([...path, later])} is a duplicate of ${formatKeyPath([...path, earlier])}`, at: [...path, later] };
    }
    case 'pattern':
      return { detail: `${what} must match the pattern ${String(p.pattern)}`, at: path };
    case 'false schema':
      return { detail: `${what} is not allowed here`, at: path };
    case 'if':
      // Only a wrapper: the failed then/else branch reports the actual cause.
      return undefined;
    default:
      return { detail: `${what} ${error.message ?? `fails ${error.keyword}`}`, at: path };
  }
}

const BOUNDS: Record<string, string> = {
  minimum: 'greater than or equal to',
  maximum: 'less than or equal to',
  exclusiveMinimum: 'greater than',
  exclusiveMaximum: 'less than',
};

const NAME_PATTERN = '^[a-zA-Z0-9._-]+$';

function unknownKey(path: KeyPath, key: string, parent: Schema | undefined): Issue {
  const at = [...path, key];
  const owner = path.length === 0 ? 'unknown top-level key' : `${formatKeyPath(path)}: unknown key`;
  const known = parent ? propertyNames(parent) : [];
  if (known.length === 0 && parent && isRecord(parent.patternProperties)) {
    // A mapping of user-chosen names (services, networks…): the key is a malformed name.
    const patterns = Object.keys(parent.patternProperties).filter((k) => k !== '^x-');
    if (patterns.includes(NAME_PATTERN)) {
      return {
        detail: `${formatKeyPath(path)}: invalid name "${key}"`,
        at,
        hint: 'names use only letters, digits, ".", "_" and "-"',
      };
    }
  }
  const close = closestKey(key, known);
  return { detail: `${owner} "${key}"`, at, hint: close ? `did you mean "${close}"?` : undefined };
}

function propertyNames(schema: Schema): string[] {
  return isRecord(schema.properties) ? Object.keys(schema.properties) : [];
}

/** The known key a mistyped one was most likely meant to be, if any is close enough. */
function closestKey(key: string, known: readonly string[]): string | undefined {
  let best: { name: string; distance: number } | undefined;
  for (const name of known) {
    const distance = editDistance(key.toLowerCase(), name.toLowerCase());
    if (!best || distance < best.distance) best = { name, distance };
  }
  if (!best) return undefined;
  const allowed = Math.max(1, Math.floor(Math.min(key.length, best.name.length) / 3));
  return best.distance <= allowed ? best.name : undefined;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length];
}

// ---- schema navigation (for union branches) ------------------------------------------------

/**
 * Where each node of the schema documents sits (`doc#/pointer`), by object identity. Ajv's
 * schemaPath restarts at every $ref'd definition, so it cannot address a union's branches;
 * the union's own array (which verbose errors carry) can.
 */
let nodeIndex: Map<unknown, { docId: string; pointer: string }> | undefined;

function whereIs(node: unknown): { docId: string; pointer: string } | undefined {
  if (!nodeIndex) {
    const index = new Map<unknown, { docId: string; pointer: string }>();
    const walk = (docId: string, n: unknown, pointer: string): void => {
      if (typeof n !== 'object' || n === null || index.has(n)) return;
      index.set(n, { docId, pointer });
      const entries: [string, unknown][] = Array.isArray(n) ? n.map((v, i) => [String(i), v]) : Object.entries(n);
      for (const [k, v] of entries) walk(docId, v, `${pointer}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`);
    };
    for (const [id, doc] of schemas().docs) walk(id, doc, '#');
    nodeIndex = index;
  }
  return nodeIndex.get(node);
}

function branchValidator(docId: string, pointer: string): ValidateFunction | undefined {
  const { ajv, branches } = schemas();
  const ref = `${docId}${pointer}`;
  let fn = branches.get(ref);
  if (!fn) {
    fn = ajv.getSchema(ref);
    if (fn) branches.set(ref, fn);
  }
  return fn;
}

function resolvePointer(doc: Schema, pointer: string): unknown {
  const fragment = pointer.startsWith('#') ? pointer.slice(1) : pointer;
  let node: unknown = doc;
  for (const raw of fragment.split('/').slice(1)) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(node)) node = node[Number(seg)];
    else if (isRecord(node)) node = node[seg];
    else return undefined;
  }
  return node;
}

function resolveRef(docId: string, ref: string): { docId: string; schema: Schema } | undefined {
  const { docs } = schemas();
  const [file, fragment = ''] = ref.split('#');
  const target = file === '' ? docId : file;
  const doc = docs.get(target);
  const node = doc ? resolvePointer(doc, `#${fragment}`) : undefined;
  return isRecord(node) ? { docId: target, schema: node } : undefined;
}

/** The JSON types a branch admits, following $ref; undefined when it does not constrain the type. */
function declaredTypes(docId: string, schema: Schema, seen = 0): string[] | undefined {
  if (typeof schema.type === 'string') return [schema.type];
  if (Array.isArray(schema.type)) return schema.type as string[];
  if (Array.isArray(schema.enum)) return [...new Set((schema.enum as unknown[]).map(jsonTypeOf))];
  if (typeof schema.$ref === 'string' && seen < 20) {
    const target = resolveRef(docId, schema.$ref);
    if (target) return declaredTypes(target.docId, target.schema, seen + 1);
  }
  return undefined;
}

function branchTypes(docId: string, schema: Schema): string[] {
  return declaredTypes(docId, schema) ?? [];
}

function acceptsType(docId: string, schema: Schema, value: unknown): boolean {
  const types = declaredTypes(docId, schema);
  if (!types) return true;
  const actual = jsonTypeOf(value);
  return types.some((t) => t === actual || (t === 'number' && actual === 'integer'));
}

// ---- words ---------------------------------------------------------------------------------

function jsonTypeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

const YAML_WORDS: Record<string, string> = { object: 'mapping', array: 'sequence' };

/** `["string","number","boolean","null"]` → "a boolean, null, number or string" (sorted, as compose-go does). */
function typeList(types: readonly string[]): string {
  const set = new Set(types);
  if (set.has('number')) set.delete('integer');
  const words = [...new Set([...set].map((t) => YAML_WORDS[t] ?? t))].sort();
  const listed = words.length <= 1 ? (words[0] ?? 'valid') : `${words.slice(0, -1).join(', ')} or ${words[words.length - 1]}`;
  return `${/^[aeiou]/.test(listed) ? 'an' : 'a'} ${listed}`;
}

function subject(path: KeyPath): string {
  return path.length === 0 ? 'top-level object' : formatKeyPath(path);
}

// ---- plumbing ------------------------------------------------------------------------------

/** A JSON pointer into `data` → key path; sequence indexes become numbers. */
function pointerToPath(pointer: string, data: unknown): KeyPath {
  if (pointer === '') return [];
  const out: (string | number)[] = [];
  let node: unknown = data;
  for (const raw of pointer.split('/').slice(1)) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(node)) {
      const i = Number(seg);
      out.push(i);
      node = node[i];
    } else {
      out.push(seg);
      node = isRecord(node) ? node[seg] : undefined;
    }
  }
  return out;
}

function isWithin(path: KeyPath, prefix: KeyPath): boolean {
  return prefix.length <= path.length && prefix.every((p, i) => p === path[i]);
}

function pathKey(path: KeyPath): string {
  return path.map(String).join('\u0000');
}

function depth(issues: readonly Issue[]): number {
  return issues.reduce((max, i) => Math.max(max, i.at.length), -1);
}

function dedupe(issues: readonly Issue[]): Issue[] {
  const seen = new Set<string>();
  return issues.filter((i) => {
    const k = `${pathKey(i.at)}\u0001${i.detail}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function toErrors(issues: readonly Issue[], locate?: (path: KeyPath) => Location): ComposeError[] {
  const errors = issues.map((issue) => {
    // The detail already names the key path (compose-go's wording), so the location carries
    // only file:line:column; otherwise the rendered message would print the path twice.
    const loc = locate?.(issue.at);
    const location: Location | undefined = loc ? { file: loc.file, line: loc.line, column: loc.column } : undefined;
    return new ComposeError(issue.detail, { location, hint: issue.hint });
  });
  const key = (e: ComposeError): [string, number, number, string] => [
    e.location?.file ?? '',
    e.location?.line ?? Number.MAX_SAFE_INTEGER,
    e.location?.column ?? Number.MAX_SAFE_INTEGER,
    e.detail,
  ];
  return errors.sort((a, b) => {
    const [ka, kb] = [key(a), key(b)];
    for (let i = 0; i < ka.length; i++) if (ka[i] !== kb[i]) return ka[i] < kb[i] ? -1 : 1;
    return 0;
  });
}
