// `berth config`: the canonical model, or one facet of it, like `docker compose config`.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { UsageError } from '../../errors.js';
import { serviceConfigHash } from '../../loader/hash.js';
import type { Project } from '../../model/project.js';
import { printProject } from '../../loader/print.js';
import { listProfiles } from '../../loader/profiles.js';
import { extractVariables } from '../../loader/template.js';
import type { CliIO } from '../io.js';
import { loadForCommand } from '../project-load.js';
import type { GlobalFlags } from '../project-options.js';
import { wantsSwarm } from '../swarm-target.js';

export interface ConfigFlags {
  format: string;
  services?: boolean;
  volumes?: boolean;
  networks?: boolean;
  profiles?: boolean;
  images?: boolean;
  variables?: boolean;
  hash?: string;
  quiet?: boolean;
  interpolate: boolean;
  output?: string;
}

export async function runConfig(globals: GlobalFlags, flags: ConfigFlags, only: string[], io: CliIO): Promise<void> {
  if (wantsSwarm(globals, io)) return (await import('./swarm-config.js')).runSwarmConfig(globals, flags, only, io);
  if (flags.format !== 'yaml' && flags.format !== 'json') {
    throw new UsageError(`--format ${flags.format}: expected yaml or json`);
  }
  // `--profiles` lists every profile, so no profile may filter services away first.
  const loaded = loadForCommand(globals, io, {
    interpolate: flags.interpolate,
    explicitServices: only.length ? only : undefined,
    profiles: flags.profiles ? ['*'] : globals.profile,
  });
  const project = only.length ? withServices(loaded.project, only) : loaded.project;
  if (flags.quiet) return;

  let text: string;
  if (flags.services) text = lines(Object.keys(project.services));
  else if (flags.volumes) text = lines(Object.keys(project.volumes));
  else if (flags.networks) text = lines(Object.keys(project.networks));
  else if (flags.profiles) text = lines(listProfiles(project));
  else if (flags.images) text = lines(Object.entries(project.services).map(([name, s]) => s.image ?? `${project.name}-${name}`));
  else if (flags.variables) text = variablesTable(loaded.rawModels);
  else if (flags.hash !== undefined) text = hashes(project, flags.hash);
  else text = printProject(project, flags.format, { escapeDollars: flags.interpolate });

  if (flags.output) writeFileSync(path.resolve(io.cwd, flags.output), text);
  else io.stdout(text);
}

function lines(items: string[]): string {
  return items.length ? `${items.join('\n')}\n` : '';
}

/** The named services and everything they depend on, as `docker compose config svc` prints. */
function withServices(project: Project, names: string[]): Project {
  const keep = new Set<string>();
  const visit = (name: string) => {
    if (keep.has(name)) return;
    if (!project.services[name]) throw new UsageError(`no such service: ${name}`);
    keep.add(name);
    for (const dep of Object.keys(project.services[name].depends_on ?? {})) visit(dep);
  };
  names.forEach(visit);
  const services = Object.fromEntries(Object.entries(project.services).filter(([n]) => keep.has(n)));
  return { ...project, services };
}

function hashes(project: Project, spec: string): string {
  const names = spec === '*' ? Object.keys(project.services).sort() : spec.split(',').map((s) => s.trim()).filter(Boolean);
  for (const n of names) if (!project.services[n]) throw new UsageError(`--hash: no such service: ${n}`);
  return lines(names.map((n) => `${n} ${serviceConfigHash(project, n)}`));
}

function variablesTable(rawModels: unknown[]): string {
  const vars = new Map<string, ReturnType<typeof extractVariables> extends Map<string, infer V> ? V : never>();
  for (const model of rawModels) for (const [k, v] of extractVariables(model)) if (!vars.has(k)) vars.set(k, v);
  const rows = [['NAME', 'REQUIRED', 'DEFAULT VALUE', 'ALTERNATE VALUE']];
  for (const name of [...vars.keys()].sort()) {
    const v = vars.get(name)!;
    rows.push([name, v.required ? 'true' : 'false', v.defaultValue ?? '', v.alternateValue ?? '']);
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('   ').trimEnd()).join('\n') + '\n';
}
