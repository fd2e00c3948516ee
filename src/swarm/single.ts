// A `single` placement group on Swarm: one service runs the whole group, as single mode runs one
// container on an engine. The first member is the main process; the others are started before it
// by the task's own command, each in the loop src/plan/group-launch.ts gives every single group.
// Every member runs as the task's user: one that names another is refused below.
import { createHash } from 'node:crypto';
import { memberLoop, shellQuote } from '../plan/group-launch.js';
import type { ResolvedGroup } from '../plan/placement.js';
import type { ServiceConfig } from '../model/project.js';
import type { Findings } from './values.js';

/** The keys of a non-main member that the group's one container uses; any other key is named in a notice. */
const MEMBER_KEYS_USED = new Set(['command', 'entrypoint', 'environment', 'env_file', 'working_dir', 'user', 'ports', 'networks', 'volumes', 'image', 'depends_on', 'profiles', 'build', 'labels', 'label_file', 'scale', 'deploy']);


/** The main member's config carrying every member's ports, networks and mounts (first target wins). */
export function mergedGroupService(group: ResolvedGroup, services: Readonly<Record<string, ServiceConfig>>): ServiceConfig {
  const merged: ServiceConfig = { ...services[group.services[0]] };
  for (const m of group.services.slice(1)) {
    const o = services[m];
    merged.ports = [...(merged.ports ?? []), ...(o.ports ?? [])];
    merged.networks = { ...(o.networks ?? {}), ...(merged.networks ?? {}) };
    const targets = new Set((merged.volumes ?? []).map((v) => v.target));
    merged.volumes = [...(merged.volumes ?? []), ...(o.volumes ?? []).filter((v) => !targets.has(v.target))];
  }
  return merged;
}

/**
 * `sh -c` script: each other member in a restart loop in the background, then `exec` of the main
 * member's entrypoint + command. Every member needs an explicit command: a pure translation cannot
 * read an image's CMD.
 */
export function singleGroupCommand(group: ResolvedGroup, services: Readonly<Record<string, ServiceConfig>>, f: Findings): string[] | undefined {
  const [main, ...members] = group.services;
  const lines: string[] = [];
  let ok = true;
  const commandOf = (s: string): string[] | undefined => {
    const svc = services[s];
    const cmd = [...(svc.entrypoint ?? []), ...(svc.command ?? [])];
    if (cmd.length > 0) return cmd;
    f.error(['services', s], `runs in placement group "${group.name}" (single) on Swarm and needs an explicit command or entrypoint (the group's one container starts every member itself)`);
    ok = false;
    return undefined;
  };
  const mainSvc = services[main];
  for (const m of members) {
    const svc = services[m];
    if (svc.user !== undefined && svc.user !== mainSvc.user) {
      f.error(['services', m, 'user'], `runs in placement group "${group.name}" (single) and so as ${main}'s user; Swarm cannot start one member as another user (use --placement split or pod)`);
      ok = false;
    }
    const ignored = Object.keys(svc).filter((k) => !MEMBER_KEYS_USED.has(k) && !k.startsWith('x-')).sort();
    if (ignored.length) f.notice(`services.${m}: runs inside ${main}'s container (placement group "${group.name}", single); its ${ignored.join(', ')} ${ignored.length === 1 ? 'is' : 'are'} not applied`);
    const cmd = commandOf(m);
    if (!cmd) continue;
    const env = Object.entries(svc.environment ?? {})
      .filter((e): e is [string, string] => e[1] !== null)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, v]) => `${k}=${v}`);
    lines.push(memberLoop({ service: m, cmd, env, ...(svc.working_dir ? { workingDir: svc.working_dir } : {}) }));
  }
  const mainCmd = commandOf(main);
  if (!ok || !mainCmd) return undefined;
  lines.push(`exec ${mainCmd.map(shellQuote).join(' ')}`);
  return ['sh', '-c', lines.join('\n')];
}

/** The group's config hash: every member's, in order, so a change to any member is a change. */
export function groupHash(group: ResolvedGroup, hashOf: (service: string) => string): string {
  const h = createHash('sha256');
  for (const s of group.services) h.update(`${s}\0${hashOf(s)}\0`);
  return h.digest('hex');
}
