// Profiles decide which services exist in this run. The rules follow compose-go
// (types.Project.WithServicesEnabled + WithProfiles + graph.newGraph):
//   - a service without `profiles` is always enabled;
//   - a service is enabled when one of its profiles is active, or when `*` is active;
//   - a service named on the command line activates its own profiles (so `berth up debug`
//     also brings the other services of the `debug` profile into the model);
//   - a disabled service is removed; a `required` depends_on on it is an error, an optional
//     one is dropped. Networks, volumes, secrets and configs are kept, used or not.
import { ComposeError, throwIfAny, type KeyPath, type Location } from '../errors.js';
import type { Project, ServiceConfig } from '../model/project.js';
import { isPlainObject } from '../lib/object.js';
import { sortByLocation } from './validate-semantics.js';

export interface ProfileOptions {
  profiles: string[];
  /** Services named on the command line. Unknown names are ignored here: the command reports them. */
  explicitServices?: string[];
  /** Source positions for errors; without it errors carry the key path only. */
  locate?: (path: KeyPath) => Location;
}

export function isServiceEnabled(service: ServiceConfig, activeProfiles: readonly string[]): boolean {
  const own = service.profiles ?? [];
  if (own.length === 0) return true;
  return activeProfiles.includes('*') || own.some((p) => activeProfiles.includes(p));
}

/** The profiles in effect: the requested ones plus those of the services named explicitly. */
export function activeProfiles(project: Project, opts: Pick<ProfileOptions, 'profiles' | 'explicitServices'>): string[] {
  const active = new Set(opts.profiles);
  for (const name of opts.explicitServices ?? []) {
    for (const p of project.services[name]?.profiles ?? []) active.add(p);
  }
  return [...active];
}

export function applyProfiles(project: Project, opts: ProfileOptions): Project {
  const active = activeProfiles(project, opts);
  const locate = opts.locate ?? ((path: KeyPath): Location => ({ path }));
  const disabled = new Set(Object.keys(project.services).filter((n) => !isServiceEnabled(project.services[n], active)));
  if (disabled.size === 0) return project;

  const errors: ComposeError[] = [];
  const services: Record<string, ServiceConfig> = {};
  for (const name of Object.keys(project.services)) {
    if (disabled.has(name)) continue;
    const svc = project.services[name];
    if (!svc.depends_on || !Object.keys(svc.depends_on).some((d) => disabled.has(d))) {
      services[name] = svc;
      continue;
    }
    const dependsOn: NonNullable<ServiceConfig['depends_on']> = {};
    for (const [dep, cfg] of Object.entries(svc.depends_on)) {
      if (!disabled.has(dep)) {
        dependsOn[dep] = cfg;
      } else if (cfg.required !== false) {
        // Go prints a []string as `[a b]`; the message keeps that form for parity.
        const profiles = project.services[dep].profiles ?? [];
        errors.push(
          new ComposeError(`service "${dep}" is required by "${name}" but is disabled. Can be enabled by profiles [${profiles.join(' ')}]`, {
            location: locate(['services', name, 'depends_on', dep]),
            hint: `pass --profile ${profiles[0]} or list it in COMPOSE_PROFILES, or set \`required: false\``,
          }),
        );
      }
    }
    services[name] = { ...svc, depends_on: dependsOn };
  }
  throwIfAny(sortByLocation(errors));

  return { ...project, services, extensions: withoutDisabledPlacement(project.extensions, disabled) };
}

/** Every profile any service declares, sorted: `berth config --profiles`. */
export function listProfiles(project: Project): string[] {
  const all = new Set<string>();
  for (const svc of Object.values(project.services)) for (const p of svc.profiles ?? []) all.add(p);
  return [...all].sort();
}

/**
 * A disabled service leaves its x-placement group too; otherwise the group would name a
 * service that no longer exists. Shapes the schema rejects are left alone for it to report.
 */
function withoutDisabledPlacement(extensions: Record<string, unknown>, disabled: Set<string>): Record<string, unknown> {
  const placement = extensions['x-placement'];
  if (!isPlainObject(placement) || !isPlainObject(placement.groups)) return extensions;
  let changed = false;
  const groups: Record<string, unknown> = {};
  for (const [name, group] of Object.entries(placement.groups)) {
    if (isPlainObject(group) && Array.isArray(group.services) && group.services.some((s) => disabled.has(s as string))) {
      groups[name] = { ...group, services: group.services.filter((s) => !disabled.has(s as string)) };
      changed = true;
    } else {
      groups[name] = group;
    }
  }
  return changed ? { ...extensions, 'x-placement': { ...placement, groups } } : extensions;
}
