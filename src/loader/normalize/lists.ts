// Attributes that accept either a `KEY=VALUE` sequence or a mapping (environment, labels,
// annotations, sysctls, build args, …) become mappings; `extra_hosts` becomes host → IPs;
// numeric `ulimits` become `{soft, hard}`.
import type { KeyPath } from '../../errors.js';
import { errorAt, type Rule } from './walk.js';
import { isPlainObject } from '../../lib/object.js';

/** A scalar as compose's string maps hold it: `1` → "1", `true` → "true". */
export function scalarString(v: unknown): string {
  return typeof v === 'string' ? v : String(v);
}

/**
 * `[K=V, K]` or `{K: V}` → mapping. `nullable` maps (environment, build args) keep a bare
 * `K` / `K:` as null, meaning "take it from the environment"; the others (labels, sysctls)
 * hold strings only, so those become "".
 */
function toMapping(nullable: boolean): Rule {
  return (value) => {
    const missing = nullable ? null : '';
    const out: Record<string, string | null> = {};
    if (Array.isArray(value)) {
      for (const entry of value) {
        const text = scalarString(entry);
        const eq = text.indexOf('=');
        if (eq === -1) out[text] = missing;
        else out[text.slice(0, eq)] = text.slice(eq + 1);
      }
      return out;
    }
    if (isPlainObject(value)) {
      for (const [k, v] of Object.entries(value)) out[k] = v === null || v === undefined ? missing : scalarString(v);
      return out;
    }
    return value;
  };
}

export const mappingWithNulls: Rule = toMapping(true);
export const mappingOfStrings: Rule = toMapping(false);

/** `extra_hosts`: `host:ip`, `host=ip`, `host=ip1,ip2`, `{host: ip | [ips]}` → `{host: [ips]}`. */
export const normalizeExtraHosts: Rule = (value, at) => {
  const out: Record<string, string[]> = {};
  if (Array.isArray(value)) {
    value.forEach((entry, i) => {
      const text = scalarString(entry);
      // `=` first, so `myhost=::1` keeps its IPv6 colons.
      const sep = text.includes('=') ? '=' : text.includes(':') ? ':' : undefined;
      if (!sep) throw errorAt([...at, i], `invalid additional host, missing IP: ${text}`, 'write it as "host=ip" or "host:ip"');
      const cut = text.indexOf(sep);
      const host = text.slice(0, cut);
      out[host] = [...(out[host] ?? []), ...text.slice(cut + 1).split(',')];
    });
  } else if (isPlainObject(value)) {
    for (const [host, ips] of Object.entries(value)) {
      out[host] = Array.isArray(ips) ? ips.map(scalarString) : [ips === null || ips === undefined ? '' : scalarString(ips)];
    }
  } else {
    return value;
  }
  for (const [host, ips] of Object.entries(out)) {
    if (host === '' || /[:=]/.test(host)) throw errorAt(at, `bad host name '${host}'`);
    out[host] = ips.map((ip) => (ip.length > 2 && ip.startsWith('[') && ip.endsWith(']') ? ip.slice(1, -1) : ip));
  }
  return out;
};

/** `ulimits.*`: a single number sets both limits. */
export const normalizeUlimit: Rule = (value) => (typeof value === 'number' ? { soft: value, hard: value } : value);

/** `expose`: numbers and strings alike become strings ("3000", "8000-8010/udp"). */
export const stringList: Rule = (value) => (Array.isArray(value) ? value.map(scalarString) : value);

/** `dns`, `tmpfs`, `label_file`, …: a single string is a one-item list. */
export const stringOrList: Rule = (value) => (typeof value === 'string' ? [value] : value);

/** Service `networks` as a list → mapping name → null (no per-network options). */
export const networkList: Rule = (value) => {
  if (!Array.isArray(value)) return value;
  const out: Record<string, null> = {};
  for (const name of value) out[scalarString(name)] = null;
  return out;
};

/** Secrets/configs short syntax `- name` → `{source: name}`; secrets default their target. */
export function fileReference(defaultTarget?: (source: string) => string): Rule {
  return (value, at: KeyPath) => {
    let ref: Record<string, unknown>;
    if (typeof value === 'string') ref = { source: value };
    else if (isPlainObject(value)) ref = { ...value };
    else throw errorAt(at, 'invalid file reference: expected a string or a mapping');
    if (defaultTarget && ref.target === undefined && typeof ref.source === 'string') ref.target = defaultTarget(ref.source);
    if (typeof ref.mode === 'string' && /^0?[0-7]+$/.test(ref.mode)) ref.mode = parseInt(ref.mode, 8);
    return ref;
  };
}
