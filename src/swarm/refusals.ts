// Walks the keys a service sets against the key table: one error per refused key (at its own
// path), and one per key the table does not know (so a key added to the schema but not to the
// table fails loudly instead of being dropped). `x-` keys are extensions and pass.
import type { ServiceConfig } from '../model/project.js';
import { ruleFor } from './keys.js';
import { isRecord, type Findings } from './values.js';

export function checkServiceKeys(name: string, service: ServiceConfig, f: Findings): void {
  walk(service, '', ['services', name], f);
}

function walk(value: Record<string, unknown>, prefix: string, path: (string | number)[], f: Findings): void {
  for (const key of Object.keys(value).sort()) {
    if (key.startsWith('x-') || value[key] === undefined) continue;
    const tableKey = prefix ? `${prefix}.${key}` : key;
    const at = [...path, key];
    const rule = ruleFor(tableKey);
    if (!rule) {
      f.error(at, `berth does not know what Swarm makes of "${tableKey}"; it is not translated (report this; deploy with --engine docker meanwhile)`);
      continue;
    }
    if (rule.treatment === 'refused') {
      f.error(at, rule.note);
      continue;
    }
    if (!rule.children) continue;
    for (const [child, childPath] of entries(tableKey, value[key], at)) walk(child, tableKey, childPath, f);
  }
}

/** The objects whose keys sit one level down: the value itself, each list item, or each network's settings. */
function entries(tableKey: string, v: unknown, at: (string | number)[]): [Record<string, unknown>, (string | number)[]][] {
  if (Array.isArray(v)) return v.flatMap((item, i) => (isRecord(item) ? [[item, [...at, i]] as [Record<string, unknown>, (string | number)[]]] : []));
  if (!isRecord(v)) return [];
  if (tableKey === 'networks') return Object.entries(v).flatMap(([n, s]) => (isRecord(s) ? [[s, [...at, n]] as [Record<string, unknown>, (string | number)[]]] : []));
  return [[v, at]];
}
