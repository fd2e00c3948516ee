// What changed between the model that was last applied and the one just loaded, in words a
// person reads: per service, the top-level keys that differ (`environment`, `image`, `ports`),
// and whether the change reaches the container (its config hash) or only orchestration
// (`depends_on`, `scale`). The plan decides what to do; this says why.
import { serviceConfigHash } from '../loader/hash.js';
import type { Project } from '../model/project.js';
import { stableStringify } from '../loader/stable-json.js';

export interface ServiceChange {
  service: string;
  kind: 'added' | 'removed' | 'changed' | 'unchanged';
  /** Top-level keys that differ, sorted; `files` when only the contents of env/config/secret files did. */
  keys: string[];
  /** The container must be re-created (config hash differs). */
  hashChanged: boolean;
}

export interface ResourceChange {
  section: 'networks' | 'volumes' | 'configs' | 'secrets';
  /** The key in the model. */
  name: string;
  /** The engine-side name (`<project>_<key>` unless set), as plan steps name networks and volumes. */
  engineName: string;
  kind: 'added' | 'removed' | 'changed';
}

export interface ModelDiff {
  services: ServiceChange[];
  resources: ResourceChange[];
}

/** The config hash of every service, taken when a model is applied (files are read then). */
export type ServiceHashes = Record<string, string>;

export function hashServices(project: Project, readFile?: (p: string) => string): ServiceHashes {
  const out: ServiceHashes = {};
  for (const name of Object.keys(project.services)) out[name] = serviceConfigHash(project, name, readFile);
  return out;
}

export function diffModels(
  prev: { project: Project; hashes: ServiceHashes } | undefined,
  next: { project: Project; hashes: ServiceHashes },
): ModelDiff {
  const services: ServiceChange[] = [];
  const before = prev?.project.services ?? {};
  const after = next.project.services;
  for (const service of [...new Set([...Object.keys(before), ...Object.keys(after)])].sort()) {
    const a = before[service];
    const b = after[service];
    if (!a) {
      services.push({ service, kind: 'added', keys: [], hashChanged: true });
      continue;
    }
    if (!b) {
      services.push({ service, kind: 'removed', keys: [], hashChanged: true });
      continue;
    }
    const keys = differingKeys(a, b);
    const hashChanged = prev?.hashes[service] !== next.hashes[service];
    if (hashChanged && keys.length === 0) keys.push('files');
    services.push({ service, kind: keys.length ? 'changed' : 'unchanged', keys, hashChanged });
  }

  const resources: ResourceChange[] = [];
  for (const section of ['networks', 'volumes', 'configs', 'secrets'] as const) {
    const a = prev?.project[section] ?? {};
    const b = next.project[section];
    for (const name of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
      const engineName = (b[name] ?? a[name]).name ?? name;
      if (!(name in a)) resources.push({ section, name, engineName, kind: 'added' });
      else if (!(name in b)) resources.push({ section, name, engineName, kind: 'removed' });
      else if (stableStringify(a[name]) !== stableStringify(b[name])) resources.push({ section, name, engineName, kind: 'changed' });
    }
  }
  return { services, resources };
}

function differingKeys(a: Record<string, unknown>, b: Record<string, unknown>): string[] {
  const keys: string[] = [];
  for (const k of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
    if (stableStringify(a[k]) !== stableStringify(b[k])) keys.push(k);
  }
  return keys;
}
