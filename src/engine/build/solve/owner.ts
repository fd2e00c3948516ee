// `--chown=user:group` and a WORKDIR's owner: names resolved in the stage's own /etc/passwd and
// /etc/group (the top-most layer that has them), with runc's rules, as Docker does.
import fs from 'node:fs/promises';
import path from 'node:path';
import { resolveUser } from '../../runtime/user.js';
import type { Owner } from './copy-write.js';

/** A file of the stacked layers, from the top-most layer that has it (a whiteout hides it). */
export async function readLayeredFile(lowers: readonly string[], rel: string): Promise<string | undefined> {
  for (const dir of lowers) {
    const p = path.join(dir, rel);
    const st = await fs.lstat(p).catch(() => undefined);
    if (!st) continue;
    if (st.isCharacterDevice() && st.rdev === 0) return undefined;
    if (!st.isFile()) return undefined;
    return fs.readFile(p, 'utf8');
  }
  return undefined;
}

export async function resolveOwner(lowers: readonly string[], spec: string): Promise<Owner> {
  const [passwd, group] = await Promise.all([readLayeredFile(lowers, 'etc/passwd'), readLayeredFile(lowers, 'etc/group')]);
  const u = resolveUser(spec, passwd, group);
  return { uid: u.uid, gid: u.gid };
}
