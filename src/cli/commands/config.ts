// `berth config`: the canonical model, or one facet of it, like `docker compose config`.
import type { ConfigFlags } from './verb-flags.js';
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

export type { ConfigFlags } from './verb-flags.js';

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
  let project = only.length ? withServices(loaded.project, only) : loaded.project;
  let lock: Record<string, string> | undefined;
  if (flags.resolveImageDigests || flags.lockImageDigests) {
    const { engineFor } = await import('../engine-for.js');
    const { resolveImageDigests } = await import('../../compose/pull.js');
    const pinned = await resolveImageDigests((await engineFor(globals, io, 'change')).port, project);
    if (flags.lockImageDigests) lock = pinned;
    else project = { ...project, services: Object.fromEntries(Object.entries(project.services).map(([n, svc]) => [n, pinned[n] ? { ...svc, image: pinned[n] } : svc])) };
  }
  if (flags.quiet) return;

  let text: string;
  if (lock) text = lockFile(lock, flags.format);
  else if (flags.services) text = lines(Object.keys(project.services));
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

/** `--lock-image-digests`: an override file that pins each service's image. */
function lockFile(pinned: Record<string, string>, format: string): string {
  const services = Object.fromEntries(Object.entries(pinned).map(([n, image]) => [n, { image }]));
  if (format === 'json') return `${JSON.stringify({ services }, null, 2)}\n`;
  return `services:\n${Object.entries(pinned).map(([n, image]) => `  ${JSON.stringify(n)}:\n    image: ${JSON.stringify(image)}\n`).join('')}`;
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
