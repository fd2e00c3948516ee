// The canonical model as a document: top-level sections in compose's order, keys sorted
// inside them, empty sections left out. `berth config` prints this; reloading it yields
// the same model.
import { createRequire } from 'node:module';
import { PatternTable } from './key-pattern.js';
import type { Project } from '../model/project.js';
import { sortKeysDeep } from './stable-json.js';

export interface PrintOptions {
  /**
   * The model was interpolated, so a `$` left in a value is a literal one: print it as `$$`,
   * as `docker compose config` does, or reloading the output would interpolate it again.
   * Off for `--no-interpolate`, whose `${VAR}` must stay as written. Keys are never
   * interpolated, so they are never escaped.
   */
  escapeDollars?: boolean;
}

/**
 * Fields the model holds as numbers but the Compose schema types as strings only: printed
 * as decimal strings (compose-go's UnitBytes marshalling) so the output validates again.
 */
const AS_STRING = new PatternTable<true>({
  'services.*.deploy.resources.limits.memory': true,
  'services.*.deploy.resources.reservations.memory': true,
});

// yaml is loaded when a model is printed as YAML, not by every command that imports this module.
const require = createRequire(import.meta.url);

export function printableProject(project: Project, opts: PrintOptions = {}): Record<string, unknown> {
  const doc: Record<string, unknown> = { name: project.name };
  for (const section of ['services', 'networks', 'volumes', 'secrets', 'configs'] as const) {
    const value = project[section];
    if (value && Object.keys(value).length > 0) doc[section] = sortKeysDeep(value);
  }
  for (const key of Object.keys(project.extensions).sort()) doc[key] = sortKeysDeep(project.extensions[key]);
  return asDocument(doc, [], opts) as Record<string, unknown>;
}

export function printProject(project: Project, format: 'yaml' | 'json', opts: PrintOptions = {}): string {
  const doc = printableProject(project, opts);
  if (format === 'json') return `${JSON.stringify(doc, null, 2)}\n`;
  const YAML = require('yaml') as typeof import('yaml');
  return YAML.stringify(doc, { lineWidth: 0, aliasDuplicateObjects: false });
}

function asDocument(value: unknown, at: (string | number)[], opts: PrintOptions): unknown {
  if (Array.isArray(value)) return value.map((v, i) => asDocument(v, [...at, i], opts));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = asDocument(v, [...at, k], opts);
    return out;
  }
  if (typeof value === 'number' && AS_STRING.lookup(at) !== undefined) return String(value);
  if (typeof value === 'string' && opts.escapeDollars) return value.replaceAll('$', () => '$$'); // a function: in a replacement string `$$` means one `$`
  return value;
}
