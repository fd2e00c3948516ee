// Resolves a Docker `User` value (`name`, `uid`, `uid:gid`, `name:group`, …) against the image's
// /etc/passwd and /etc/group, with the rules and error texts of runc's libcontainer/user
// (GetExecUser), which dockerd uses: a name must exist; a number need not; supplementary groups
// come from /etc/group only when the group was not given explicitly.

import { readFile } from 'node:fs/promises';
import path from 'node:path';

export interface ExecUser {
  uid: number;
  gid: number;
  /** Supplementary groups from /etc/group membership, then `groupAdd`. */
  additionalGids: number[];
  /** From the passwd entry, else `/`; Docker sets HOME from it when the env has none. */
  home: string;
}

interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
}

export class UserResolveError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UserResolveError';
  }

  readonly apiKind = 'invalid';
}

const MAX_ID = 2 ** 31 - 1;

// Lines that do not parse are skipped, as libcontainer does: an image's odd line must not stop it.
export function parsePasswd(text: string): PasswdEntry[] {
  const out: PasswdEntry[] = [];
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const f = trimmed.split(':');
    const uid = Number(f[2]);
    const gid = Number(f[3]);
    if (f.length < 4 || !Number.isInteger(uid) || !Number.isInteger(gid)) continue;
    out.push({ name: f[0], uid, gid, home: f[5] ?? '' });
  }
  return out;
}

export function parseGroup(text: string): GroupEntry[] {
  const out: GroupEntry[] = [];
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const f = trimmed.split(':');
    const gid = Number(f[2]);
    if (f.length < 3 || !Number.isInteger(gid)) continue;
    out.push({ name: f[0], gid, members: (f[3] ?? '').split(',').filter((m) => m !== '') });
  }
  return out;
}

const numeric = (s: string): number | undefined => (/^[0-9]+$/.test(s) ? Number(s) : undefined);

/**
 * Pure resolution over file contents (undefined = the file does not exist in the image).
 * `groupAdd` entries (Docker's --group-add) may be names or numbers.
 */
export function resolveUser(
  spec: string,
  passwdText: string | undefined,
  groupText: string | undefined,
  groupAdd: readonly string[] = [],
): ExecUser {
  const colon = spec.indexOf(':');
  const userArg = colon >= 0 ? spec.slice(0, colon) : spec;
  const groupArg = colon >= 0 ? spec.slice(colon + 1) : '';
  const users = passwdText === undefined ? [] : parsePasswd(passwdText);
  const groups = groupText === undefined ? [] : parseGroup(groupText);

  const result: ExecUser = { uid: 0, gid: 0, additionalGids: [], home: '/' };
  const root = users.find((u) => u.uid === 0);
  if (root) {
    result.gid = root.gid;
    result.home = root.home || '/';
  }

  const uidArg = numeric(userArg);
  let userName = '';
  if (userArg !== '') {
    const match = users.find((u) => u.name === userArg || (uidArg !== undefined && u.uid === uidArg));
    if (match) {
      result.uid = match.uid;
      result.gid = match.gid;
      result.home = match.home || '/';
      userName = match.name;
    } else if (uidArg === undefined) {
      throw new UserResolveError(`unable to find user ${userArg}: no matching entries in passwd file`);
    } else {
      if (uidArg > MAX_ID) throw new UserResolveError('uids and gids must be in range 0-2147483647');
      result.uid = uidArg;
      // A bare uid unknown to the image keeps the default (root's) group, as runc does.
    }
  } else if (root) {
    userName = root.name;
  }

  if (groupArg !== '') {
    const gidArg = numeric(groupArg);
    const match = groups.find((g) => g.name === groupArg || (gidArg !== undefined && g.gid === gidArg));
    if (match) result.gid = match.gid;
    else if (gidArg === undefined) throw new UserResolveError(`unable to find group ${groupArg}: no matching entries in group file`);
    else {
      if (gidArg > MAX_ID) throw new UserResolveError('uids and gids must be in range 0-2147483647');
      result.gid = gidArg;
    }
  } else if (userName !== '') {
    // Implicit group: the user's memberships become supplementary groups.
    for (const g of groups) if (g.members.includes(userName)) result.additionalGids.push(g.gid);
  }

  for (const add of groupAdd) {
    const gid = numeric(add);
    if (gid !== undefined) {
      if (gid > MAX_ID) throw new UserResolveError('uids and gids must be in range 0-2147483647');
      result.additionalGids.push(gid);
      continue;
    }
    const match = groups.find((g) => g.name === add);
    if (!match) throw new UserResolveError(`unable to find group ${add}: no matching entries in group file`);
    result.additionalGids.push(match.gid);
  }
  result.additionalGids = [...new Set(result.additionalGids)];
  return result;
}

/**
 * The supplementary groups dockerd gives a container's process: its primary group first, then the
 * ones from /etc/group and --group-add (moby daemon/oci_linux.go getUser), so `id` lists the
 * user's own group too.
 */
export function dockerAdditionalGids(u: ExecUser): number[] {
  return [...new Set([u.gid, ...u.additionalGids])];
}

async function readOptional(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/**
 * Reads /etc/passwd and /etc/group of a mounted rootfs. The paths are joined lexically, so an image
 * whose /etc/passwd is a symlink is read through the host's view of it: callers pass a rootfs
 * that is an overlay mount they own, never a path a container can change while we read.
 */
export async function resolveUserInRootfs(rootfs: string, spec: string, groupAdd: readonly string[] = []): Promise<ExecUser> {
  const [passwd, group] = await Promise.all([
    readOptional(path.join(rootfs, 'etc/passwd')),
    readOptional(path.join(rootfs, 'etc/group')),
  ]);
  return resolveUser(spec, passwd, group, groupAdd);
}
