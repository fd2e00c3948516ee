// How a `single` placement group starts its members. The group is one container: the first member
// is its main process, the others run beside it. They are started by the container's own command —
// a shell that puts each other member in a restart loop in the background and then `exec`s the main
// member, which so stays the container's process 1 — and therefore run again on every start of the
// container, whoever starts it: its restart policy, `docker restart`, `berth restart`/`start`, an
// engine coming back. (Exec sessions opened by `up` after the start did not: a restarted container
// came back with its main process only.) Swarm runs single groups with the same loops.
//
// A member that runs as another user than the container's is started through `setpriv` (util-linux)
// from a container that then runs as root; the main member is dropped to its own user the same way.

import type { ContainerCreateBody } from '../client/engine-port.js';
import { ComposeError } from '../errors.js';

export function shellQuote(arg: string): string {
  return /^[A-Za-z0-9_\/.,:=@%+-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** A member of a single group other than the first, started by the group container's command. */
export interface GroupMember {
  service: string;
  /** Its entrypoint + command (explicit: the group's container cannot read another image's CMD). */
  cmd: string[];
  /** `KEY=value`, added to the container's environment; BERTH_SERVICE names the member. */
  env: string[];
  user?: string;
  workingDir?: string;
}

/**
 * The shell line that keeps `member` running: in the background, restarted a second after it exits.
 * `runAs`: the user to switch to (through the launcher's `berth_as`), when not the container's.
 */
export function memberLoop(member: GroupMember, runAs?: string): string {
  const run = ['env', ...member.env.map(shellQuote), `BERTH_SERVICE=${member.service}`, ...member.cmd.map(shellQuote)].join(' ');
  const cd = member.workingDir ? `cd ${shellQuote(member.workingDir)} && ` : '';
  const line = runAs === undefined ? run : `(berth_as ${shellQuote(runAs)} ${run})`;
  return `(${cd}while :; do ${line}; sleep 1; done) &`;
}

/**
 * `berth_as USER[:GROUP] CMD…`: execs CMD as that user the way an engine starts a container's
 * process — uid and primary group from the container's /etc/passwd unless a group is given,
 * supplementary groups from /etc/group when the user has an entry there, HOME from its entry (else
 * `/`) unless the environment fixes it — through util-linux's setpriv.
 */
const BERTH_AS = [
  'berth_as() {',
  '  u=${1%%:*} g=',
  '  case $1 in *:*) g=${1#*:} ;; esac',
  '  shift',
  '  [ -n "$g" ] || g=$(id -g "$u" 2>/dev/null) || g=0',
  '  if [ -z "${berth_fixed_home:-}" ]; then',
  '    HOME=/',
  '    if [ -r /etc/passwd ]; then while IFS=: read -r n _ i _ _ h _; do if [ "$n" = "$u" ] || [ "$i" = "$u" ]; then HOME=${h:-/}; break; fi; done < /etc/passwd; fi',
  '    export HOME',
  '  fi',
  '  if id -un "$u" >/dev/null 2>&1; then set -- --init-groups "$@"; else set -- --clear-groups "$@"; fi',
  '  exec setpriv --reuid="$u" --regid="$g" "$@"',
  '}',
].join('\n');

const isRoot = (user: string | undefined): boolean => !user || /^(root|0)(:(root|0))?$/.test(user);
const sameUser = (a: string | undefined, b: string | undefined): boolean => a === b || (isRoot(a) && isRoot(b));

/** The parts of an image's config a group's launch reads. */
export interface ImageRunConfig {
  Entrypoint?: string | string[] | null;
  Cmd?: string | string[] | null;
  User?: string;
}

const list = (v: string | string[] | null | undefined): string[] | undefined => (v === undefined || v === null ? undefined : typeof v === 'string' ? [v] : v);

/** What the create body would run, with the image's entrypoint and command filled in as an engine does. */
export function effectiveCommand(body: Pick<ContainerCreateBody, 'Entrypoint' | 'Cmd'>, image: ImageRunConfig): string[] {
  const entrypoint = list(body.Entrypoint);
  const cmd = list(body.Cmd);
  // An entrypoint of the container's own replaces the image's, and drops the image's command too.
  if (entrypoint && entrypoint.length > 0) return [...entrypoint, ...(cmd ?? [])];
  const command = cmd && cmd.length > 0 ? cmd : (list(image.Cmd) ?? []);
  return [...(entrypoint === undefined ? (list(image.Entrypoint) ?? []) : []), ...command];
}

export interface GroupLaunchInput {
  group: string;
  /** The main member's create body (its entrypoint, command and user, when it sets them). */
  body: ContainerCreateBody;
  members: readonly GroupMember[];
  /** The image's config: what runs when the main member sets no command, and as whom. */
  image: ImageRunConfig;
}

/**
 * The create body that starts the whole group: `sh -c <launcher> <group> <main command…>`, and
 * root as the container's user when a member must run as another user than the main one.
 */
export function groupLaunchBody({ group, body, members, image }: GroupLaunchInput): ContainerCreateBody {
  const main = effectiveCommand(body, image);
  if (main.length === 0) throw new ComposeError(`placement group "${group}" (single): its main member has no command, neither in the service nor in its image`);
  const containerUser = body.User || image.User || undefined;
  const userOf = (m: GroupMember): string | undefined => m.user ?? containerUser;
  // Some member runs as another user: the container starts as root, and every process that is not
  // root drops to its user (two users that differ cannot both be root, so setpriv is needed).
  const switching = members.some((m) => !sameUser(userOf(m), containerUser));
  const asUser = (user: string | undefined): string | undefined => (switching && !isRoot(user) ? user : undefined);
  const lines: string[] = [];
  if (switching) {
    lines.push(
      `case $(setpriv --help 2>&1) in *--reuid*) ;; *) echo "berth: placement group ${group} (single) starts members as other users through setpriv (util-linux), which this image lacks: install it, give the members one user, or use --placement pod" >&2; exit 126 ;; esac`,
      ...((body.Env ?? []).some((e) => e.startsWith('HOME=')) ? ['berth_fixed_home=1'] : []),
      BERTH_AS,
    );
  }
  for (const m of members) lines.push(memberLoop(m, asUser(userOf(m))));
  const mainUser = asUser(containerUser);
  lines.push(mainUser === undefined ? 'exec "$@"' : `berth_as ${shellQuote(mainUser)} "$@"`);
  const out: ContainerCreateBody = { ...body, Entrypoint: ['sh', '-c', lines.join('\n'), `berth-${group}`], Cmd: main };
  if (switching) out.User = '0';
  return out;
}
