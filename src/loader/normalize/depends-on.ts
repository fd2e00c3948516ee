// `depends_on`: the list form becomes a mapping and every entry gets compose's defaults.
// Then the dependencies a service declares without saying so — `links`, `volumes_from`,
// and `service:X` in network_mode/ipc/pid/uts/cgroup — are added, unless already declared.
import { errorAt, type Rule } from './walk.js';
import { isPlainObject } from '../../lib/object.js';

export const normalizeDependsOn: Rule = (value, at) => {
  if (Array.isArray(value)) {
    const out: Record<string, unknown> = {};
    for (const name of value) out[String(name)] = { condition: 'service_started', required: true };
    return out;
  }
  if (!isPlainObject(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [name, dep] of Object.entries(value)) {
    if (dep !== null && !isPlainObject(dep)) throw errorAt([...at, name], 'a depends_on entry must be a mapping');
    const entry = { ...(dep ?? {}) };
    entry.condition ??= 'service_started';
    entry.required ??= true;
    out[name] = entry;
  }
  return out;
};

const NAMESPACE_KEYS = ['network_mode', 'ipc', 'pid', 'uts', 'cgroup'] as const;

/**
 * The service with its implicit dependencies added. A link or a shared namespace restarts
 * with its target (`restart: true`); `volumes_from` does not, and compose omits the false.
 */
export function withImplicitDependencies(service: Record<string, unknown>): Record<string, unknown> {
  const declared = isPlainObject(service.depends_on) ? service.depends_on : {};
  const added: Record<string, unknown> = {};
  const add = (name: string, restart: boolean) => {
    if (name === '' || name in declared || name in added) return;
    added[name] = restart ? { condition: 'service_started', required: true, restart: true } : { condition: 'service_started', required: true };
  };

  if (Array.isArray(service.links)) {
    for (const link of service.links) add(String(link).split(':')[0], true);
  }
  for (const key of NAMESPACE_KEYS) {
    const ref = service[key];
    if (typeof ref === 'string' && ref.startsWith('service:')) add(ref.slice('service:'.length), true);
  }
  if (Array.isArray(service.volumes_from)) {
    for (const from of service.volumes_from) {
      const text = String(from);
      if (!text.startsWith('container:')) add(text.split(':')[0], false);
    }
  }
  if (Object.keys(added).length === 0) return service;
  return { ...service, depends_on: { ...declared, ...added } };
}
