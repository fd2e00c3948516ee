// Top-level networks, volumes, secrets and configs: the legacy `external: {name: x}` form
// becomes `name: x` + `external: true`; every resource gets its engine-side `name`
// (`<project>_<key>` unless set, or the key itself when external); a service without
// `network_mode` or `networks` joins `default`, and the `default` network exists when used.
import type { ComposeError, KeyPath } from '../../errors.js';
import { resolveHostPath } from './volumes.js';
import { errorAt, type RuleContext } from './walk.js';
import { isPlainObject } from '../../lib/object.js';

export const RESOURCE_KINDS = ['networks', 'volumes', 'secrets', 'configs'] as const;
export type ResourceKind = (typeof RESOURCE_KINDS)[number];

/** One resource definition with its legacy external name relocated; throws on a conflict. */
export function relocateExternalName(def: Record<string, unknown>, at: KeyPath): Record<string, unknown> {
  if (!isPlainObject(def.external)) return def;
  const out: Record<string, unknown> = { ...def, external: true };
  const extName = def.external.name;
  if (extName !== undefined) {
    if (def.name !== undefined && def.name !== extName) {
      throw errorAt(at, 'name and external.name conflict; only use name', 'remove `external.name`; keep `name:` with `external: true`');
    }
    out.name = extName;
  }
  return out;
}

/** Each resource section with names set and legacy forms gone. `file:` paths become absolute. */
export function nameResources(
  model: Record<string, unknown>,
  ctx: RuleContext,
  errors: ComposeError[],
): Record<string, unknown> {
  const out = { ...model };
  for (const kind of RESOURCE_KINDS) {
    const section = model[kind];
    if (!isPlainObject(section)) continue;
    const named: Record<string, unknown> = {};
    for (const [key, raw] of Object.entries(section)) {
      let def: Record<string, unknown> = isPlainObject(raw) ? { ...raw } : {};
      try {
        def = relocateExternalName(def, [kind, key]);
      } catch (e) {
        errors.push(e as ComposeError);
      }
      if (def.name === undefined || def.name === null) {
        def.name = def.external === true ? key : `${ctx.projectName}_${key}`;
      }
      if ((kind === 'secrets' || kind === 'configs') && typeof def.file === 'string') {
        def.file = resolveHostPath(def.file, ctx);
      }
      named[key] = def;
    }
    out[kind] = named;
  }
  return out;
}

/**
 * Services without `network_mode`, `provider` or `networks` join `default`; the top-level
 * `default` network is added when some service uses it and the file did not declare it.
 */
export function attachDefaultNetwork(model: Record<string, unknown>): Record<string, unknown> {
  if (!isPlainObject(model.services)) return model;
  let usesDefault = false;
  const services: Record<string, unknown> = {};
  for (const [name, raw] of Object.entries(model.services)) {
    if (!isPlainObject(raw) || 'network_mode' in raw || 'provider' in raw) {
      services[name] = raw;
      continue;
    }
    if (raw.networks === undefined || raw.networks === null) {
      usesDefault = true;
      services[name] = { ...raw, networks: { default: null } };
      continue;
    }
    if (isPlainObject(raw.networks) && 'default' in raw.networks) usesDefault = true;
    services[name] = raw;
  }
  const networks = isPlainObject(model.networks) ? { ...model.networks } : {};
  if (usesDefault && !('default' in networks)) networks.default = null;
  const out: Record<string, unknown> = { ...model, services };
  if (Object.keys(networks).length > 0) out.networks = networks;
  return out;
}

