// Stage: merging raw models, as the Compose Specification's merge rules say (compose-go
// `override/merge.go` and `override/uncity.go`). Used for `-f a -f b`, for includes and, one
// service at a time, for `extends`. Pure: inputs are never mutated; the output may share
// untouched sub-trees with them.
//
// The rules live in two tables keyed by path pattern:
//   MERGE_RULES    how one attribute merges when both sides define it (default: mappings merge
//                  key by key, sequences append, scalars are replaced);
//   UNICITY_RULES  which sequences hold entries with an identity (a key, a mount target, a port
//                  binding); after appending, a later entry with the same identity replaces the
//                  earlier one in place.
//
// Tags: `!reset` in the override removes the base value; `!override x` replaces it without
// merging. A tag whose base had nothing stays in the output (the loader strips leftovers with
// `stripTags`), so that an include or an extends merged first does not swallow it.
import { ComposeError, formatKeyPath, throwIfAny, type KeyPath, type Location } from '../errors.js';
import { PatternTable, type PatternCursor } from './key-pattern.js';
import { parseVolumeSpec } from './normalize/volumes.js';
import { isOverride, isReset, OverrideTag, ResetTag } from './tags.js';
import { isPlainObject } from '../lib/object.js';

type Mapping = Record<string, unknown>;

interface MergeContext {
  errors: ComposeError[];
  locate: (path: KeyPath) => Location;
  /**
   * Keep the override's tags in the output even where they consumed a base value. Extends
   * needs this: the extending service is later merged with the earlier compose files, and its
   * `!reset`/`!override` must apply to them as well (compose-go applies a file's reset paths
   * both to an extended base and to the accumulated model).
   */
  keepTags: boolean;
}

export interface MergeOptions {
  /** Where a key path is in the source files, for error messages. */
  locate?: (path: KeyPath) => Location;
}

/** Merges `override` into `base` (two raw models), then removes redefined sequence entries. */
export function mergeModels(base: unknown, override: unknown, opts: MergeOptions = {}): unknown {
  const ctx = newContext(opts, false);
  const merged = mergeValues(base, override, [], ctx, MERGE_RULES.start());
  throwIfAny(ctx.errors);
  return unicityAt(merged, UNICITY_RULES.start());
}

/**
 * Merges an extending service over its base (`extends`). The override's tags are kept in the
 * result, so they still apply when the service is merged with earlier compose files.
 */
export function mergeService(base: Record<string, unknown>, override: Record<string, unknown>, opts: MergeOptions = {}): Record<string, unknown> {
  // Rules are keyed by `services.*.…`: merge under a stand-in service path, as compose-go does.
  const at: KeyPath = ['services', 'x'];
  const ctx = newContext(opts, true);
  const merged = mergeMappings(base, override, at, ctx, MERGE_RULES.start().step('services').step('x'));
  throwIfAny(ctx.errors);
  return unicityAt(merged, UNICITY_RULES.start().step('services').step('x')) as Record<string, unknown>;
}

/** compose-go EnforceUnicity: within sequences that have an identity per entry, the last definition wins, in the first one's place. */
export function enforceUnicity(model: unknown): unknown {
  return unicityAt(model, UNICITY_RULES.start());
}

function newContext(opts: MergeOptions, keepTags: boolean): MergeContext {
  return { errors: [], locate: opts.locate ?? ((path) => ({ path })), keepTags };
}

// ---------------------------------------------------------------------------------------------
// Merge rules

/** `cursor` is where `path` stands in MERGE_RULES, for merging the children. */
type MergeRule = (base: unknown, override: unknown, path: KeyPath, ctx: MergeContext, cursor: RuleCursor) => unknown;
type RuleCursor = PatternCursor<MergeRule>;

const replace: MergeRule = (_base, override) => override;

/** Both sides as `KEY=VALUE` sequences, appended (unicity then keeps the last per key). */
const toSequence: MergeRule = (base, override) => {
  const over = toKeyValueSequence(override);
  const right = toKeyValueSequence(base).entries.filter((e) => !over.resets.has(entryKey(e)));
  return [...right, ...over.entries];
};

/** Like toSequence, but an override entry already present verbatim is not repeated. */
const extraHosts: MergeRule = (base, override) => {
  const over = toKeyValueSequence(override);
  const right = toKeyValueSequence(base).entries.filter((e) => !over.resets.has(entryKey(e)));
  return [...right, ...over.entries.filter((e) => !right.includes(e))];
};

/** Both sides as mappings (a sequence lists keys with a default value), merged key by key. */
function asMappings(defaultValue: () => unknown): MergeRule {
  return (base, override, path, ctx, cursor) => mergeMappings(toMapping(base, defaultValue), toMapping(override, defaultValue), path, ctx, cursor);
}

const logging: MergeRule = (base, override, path, ctx, cursor) => {
  if (!isPlainObject(base) || !isPlainObject(override)) return override;
  // Options of different drivers mean nothing to each other: a new driver replaces the block.
  if ('driver' in base && 'driver' in override && base.driver !== override.driver) return override;
  return mergeMappings(base, override, path, ctx, cursor);
};

const build: MergeRule = (base, override, path, ctx, cursor) => {
  const asBuild = (v: unknown): unknown => (typeof v === 'string' ? { context: v } : v);
  const b = asBuild(base);
  const o = asBuild(override);
  if (!isPlainObject(b) || !isPlainObject(o)) return mergeDefault(b, o, path, ctx, cursor);
  return mergeMappings(b, o, path, ctx, cursor);
};

/**
 * IPAM pools are identified by subnet: an override pool with a known subnet merges into it,
 * a new one is appended. (compose-go pairs every base pool with every override pool, which
 * drops the base pools when the override has none; we keep them.)
 */
const ipamConfig: MergeRule = (base, override, path, ctx, cursor) => {
  if (!Array.isArray(base) || !Array.isArray(override)) return mergeDefault(base, override, path, ctx, cursor);
  const out = [...base];
  for (const pool of override) {
    const i = isPlainObject(pool) ? out.findIndex((p) => isPlainObject(p) && p.subnet === pool.subnet) : -1;
    if (i === -1) out.push(pool);
    else out[i] = mergeMappings(out[i] as Mapping, pool as Mapping, [...path, i], ctx, cursor.step(i));
  }
  return out;
};

const MERGE_RULES = new PatternTable<MergeRule>({
  'networks.*.ipam.config': ipamConfig,
  // A model's runtime flags are one command line: an override restates it (merge-cases.json).
  'models.*.runtime_flags': replace,
  'networks.*.labels': toSequence,
  'volumes.*.labels': toSequence,
  'services.*.annotations': toSequence,
  'services.*.build': build,
  'services.*.build.args': toSequence,
  'services.*.build.additional_contexts': toSequence,
  'services.*.build.extra_hosts': extraHosts,
  'services.*.build.labels': toSequence,
  'services.*.command': replace,
  'services.*.depends_on': asMappings(() => ({ condition: 'service_started', required: true })),
  'services.*.deploy.labels': toSequence,
  'services.*.dns': toSequence,
  'services.*.dns_opt': toSequence,
  'services.*.dns_search': toSequence,
  'services.*.entrypoint': replace,
  'services.*.env_file': toSequence,
  'services.*.label_file': toSequence,
  'services.*.environment': toSequence,
  'services.*.extra_hosts': extraHosts,
  'services.*.healthcheck.test': replace,
  'services.*.labels': toSequence,
  'services.*.volumes.*.volume.labels': toSequence,
  'services.*.logging': logging,
  'services.*.models': asMappings(() => null),
  'services.*.networks': asMappings(() => null),
  'services.*.sysctls': toSequence,
  'services.*.tmpfs': toSequence,
  'services.*.ulimits.*': replace,
});

function mergeValues(base: unknown, override: unknown, path: KeyPath, ctx: MergeContext, cursor: RuleCursor): unknown {
  // A tag left by an earlier merge (its own base had nothing) only mattered to that merge.
  if (isReset(base)) return override;
  if (isOverride(base)) base = base.value;
  // An empty override (`key:` with no value) keeps what the base says.
  if (override === null || override === undefined) return base;
  if (base === null || base === undefined) return override;
  const rule = cursor.rule;
  if (rule) return rule(base, override, path, ctx, cursor);
  return mergeDefault(base, override, path, ctx, cursor);
}

function mergeDefault(base: unknown, override: unknown, path: KeyPath, ctx: MergeContext, cursor: RuleCursor): unknown {
  if (base === null || base === undefined) return override;
  if (isPlainObject(base)) {
    if (isPlainObject(override)) return mergeMappings(base, override, path, ctx, cursor);
    return mismatch(base, override, path, ctx);
  }
  if (Array.isArray(base)) {
    if (Array.isArray(override)) return [...base, ...override];
    return mismatch(base, override, path, ctx);
  }
  return override;
}

function mismatch(base: unknown, override: unknown, path: KeyPath, ctx: MergeContext): unknown {
  ctx.errors.push(
    new ComposeError(`cannot override ${formatKeyPath(path)}: a ${yamlKind(base)} cannot be merged with a ${yamlKind(override)}`, {
      location: ctx.locate(path),
      hint: 'write the same kind of value in both files, or tag the override with !override to replace it',
    }),
  );
  return override;
}

function mergeMappings(base: Mapping, override: Mapping, path: KeyPath, ctx: MergeContext, cursor: RuleCursor): Mapping {
  const out: Mapping = {};
  for (const [k, v] of Object.entries(base)) put(out, k, v);
  for (const [k, v] of Object.entries(override)) {
    const had = Object.prototype.hasOwnProperty.call(base, k) && !isReset(base[k]);
    if (isReset(v)) {
      if (had && !ctx.keepTags) delete out[k];
      else put(out, k, v);
    } else if (isOverride(v)) {
      put(out, k, had && !ctx.keepTags ? v.value : v);
    } else if (!Object.prototype.hasOwnProperty.call(base, k)) {
      put(out, k, v);
    } else {
      put(out, k, mergeValues(base[k], v, [...path, k], ctx, cursor.step(k)));
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Conversions between the list and mapping forms

/**
 * A `KEY=VALUE` sequence from either form. Mapping entries are sorted (compose-go does, so the
 * order does not depend on the file's key order); a null value gives a bare `KEY`; a sequence
 * value gives one entry per item (extra_hosts `name: [ip1, ip2]`); a `!reset` value drops the
 * key from the base instead.
 */
function toKeyValueSequence(value: unknown): { entries: unknown[]; resets: Set<string> } {
  const resets = new Set<string>();
  if (Array.isArray(value)) return { entries: value, resets };
  if (isPlainObject(value)) {
    const entries: string[] = [];
    for (const [k, raw] of Object.entries(value)) {
      const v = isOverride(raw) ? raw.value : raw;
      if (isReset(v)) resets.add(k);
      else if (v === null || v === undefined) entries.push(k);
      else if (Array.isArray(v)) for (const item of v) entries.push(`${k}=${scalarText(item)}`);
      else entries.push(`${k}=${scalarText(v)}`);
    }
    entries.sort(compareStrings);
    return { entries, resets };
  }
  if (value === null || value === undefined) return { entries: [], resets };
  return { entries: [value], resets };
}

function toMapping(value: unknown, defaultValue: () => unknown): Mapping {
  if (isPlainObject(value)) return value;
  const out: Mapping = {};
  if (Array.isArray(value)) for (const item of value) put(out, scalarText(item), defaultValue());
  return out;
}

function entryKey(entry: unknown): string {
  const s = scalarText(entry);
  const eq = s.indexOf('=');
  return eq === -1 ? s : s.slice(0, eq);
}

function scalarText(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (v === null || v === undefined) return '';
  return JSON.stringify(v);
}

/** Byte-wise order, like Go's string comparison (not locale-aware). */
function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function yamlKind(v: unknown): string {
  if (Array.isArray(v)) return 'sequence';
  if (isPlainObject(v)) return 'mapping';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'number') return 'number';
  if (typeof v === 'boolean') return 'boolean';
  return 'null';
}

/** Sets a key even when it is `__proto__`, which plain assignment would swallow. */
function put(obj: Mapping, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  else obj[key] = value;
}

// ---------------------------------------------------------------------------------------------
// Unicity

/** The identity of one sequence entry; undefined when it has none we can tell (kept as is). */
type Indexer = (entry: unknown) => string | undefined;

const keyValue: Indexer = (e) => (typeof e === 'string' ? entryKey(e) : undefined);

/**
 * Targets of short volume specs already parsed: unicity runs once per file and once per
 * merge over mostly the same specs. Bounded, so a long-lived process does not grow it forever.
 */
const volumeTargets = new Map<string, string | undefined>();

const byTarget: Indexer = (e) => {
  if (isPlainObject(e)) return typeof e.target === 'string' ? e.target : undefined;
  if (typeof e !== 'string') return undefined;
  if (volumeTargets.has(e)) return volumeTargets.get(e);
  let target: string | undefined;
  try {
    target = parseVolumeSpec(e).target;
  } catch {
    target = undefined; // a malformed spec is reported by normalisation, with its location
  }
  if (volumeTargets.size >= 10_000) volumeTargets.clear();
  volumeTargets.set(e, target);
  return target;
};

const deviceTarget: Indexer = (e) => {
  if (isPlainObject(e)) return typeof e.target === 'string' ? e.target : undefined;
  if (typeof e !== 'string') return undefined;
  const parts = e.split(':');
  return parts.length === 1 ? parts[0] : parts[1];
};

const expose: Indexer = (e) => (typeof e === 'string' || typeof e === 'number' ? String(e) : undefined);

/** Secrets and configs are identified by where they are mounted. */
function mountTarget(defaultDir: string): Indexer {
  return (e) => {
    if (typeof e === 'string') return `${defaultDir}/${e}`;
    if (!isPlainObject(e)) return undefined;
    if (typeof e.target === 'string') return e.target;
    return `${defaultDir}/${scalarText(e.source)}`;
  };
}

/** Short ports by their text; long ports by the whole binding (host ip, published, target, protocol). */
const port: Indexer = (e) => {
  if (typeof e === 'string' || typeof e === 'number') return String(e);
  if (!isPlainObject(e) || e.target === undefined) return undefined;
  const host = e.host_ip === undefined ? '0.0.0.0' : scalarText(e.host_ip);
  const protocol = e.protocol === undefined ? 'tcp' : scalarText(e.protocol);
  return `${host}:${scalarText(e.published)}:${scalarText(e.target)}/${protocol}`;
};

const envFile: Indexer = (e) => {
  if (typeof e === 'string') return e;
  if (isPlainObject(e) && typeof e.path === 'string') return e.path;
  return undefined;
};

const UNICITY_RULES = new PatternTable<Indexer>({
  'networks.*.labels': keyValue,
  'networks.*.ipam.options': keyValue,
  'services.*.annotations': keyValue,
  'services.*.build.args': keyValue,
  'services.*.build.additional_contexts': keyValue,
  'services.*.build.platform': keyValue,
  'services.*.build.tags': keyValue,
  'services.*.build.labels': keyValue,
  'services.*.cap_add': keyValue,
  'services.*.cap_drop': keyValue,
  'services.*.configs': mountTarget(''),
  'services.*.deploy.labels': keyValue,
  'services.*.devices': deviceTarget,
  'services.*.dns': keyValue,
  'services.*.dns_opt': keyValue,
  'services.*.dns_search': keyValue,
  'services.*.environment': keyValue,
  'services.*.env_file': envFile,
  'services.*.expose': expose,
  'services.*.labels': keyValue,
  'services.*.links': keyValue,
  'services.*.networks.*.aliases': keyValue,
  'services.*.networks.*.link_local_ips': keyValue,
  'services.*.ports': port,
  'services.*.profiles': keyValue,
  'services.*.secrets': mountTarget('/run/secrets'),
  'services.*.sysctls': keyValue,
  'services.*.tmpfs': keyValue,
  'services.*.volumes': byTarget,
});

/**
 * Applies UNICITY_RULES below `cursor`. Subtrees no rule reaches are returned as they are, and
 * a mapping whose entries are all unchanged is returned itself: the model is only copied
 * where an entry was dropped.
 */
function unicityAt(value: unknown, cursor: PatternCursor<Indexer>): unknown {
  if (cursor.dead || typeof value !== 'object' || value === null) return value;
  if (isOverride(value)) return new OverrideTag(unicityAt(value.value, cursor));
  if (value instanceof ResetTag) return value;
  if (isPlainObject(value)) {
    if (cursor.leaf) return value;
    let out: Mapping | undefined;
    const keys = Object.keys(value);
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i];
      const v = value[k];
      const next = unicityAt(v, cursor.step(k));
      if (next !== v && out === undefined) {
        out = {};
        for (let j = 0; j < i; j++) put(out, keys[j], value[keys[j]]);
      }
      if (out !== undefined) put(out, k, next);
    }
    return out ?? value;
  }
  if (Array.isArray(value)) {
    const indexer = cursor.rule;
    if (!indexer) return value;
    const out: unknown[] = [];
    const seen = new Map<string, number>();
    for (const entry of value) {
      const key = indexer(entry);
      const at = key === undefined ? undefined : seen.get(key);
      if (at !== undefined) {
        out[at] = entry;
      } else {
        if (key !== undefined) seen.set(key, out.length);
        out.push(entry);
      }
    }
    return out;
  }
  return value;
}
