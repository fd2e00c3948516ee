import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveUser, resolveUserInRootfs, UserResolveError } from '../../../src/engine/runtime/user.js';
import { GROUP, PASSWD } from '../helpers/images.js';

const r = (spec: string, groupAdd: string[] = []) => resolveUser(spec, PASSWD, GROUP, groupAdd);

describe('resolveUser (libcontainer GetExecUser rules)', () => {
  it('empty user is root with its passwd home', () => {
    expect(r('')).toEqual({ uid: 0, gid: 0, additionalGids: [], home: '/root' });
  });
  it('a name takes uid, primary gid and home from passwd, and memberships as supplementary groups', () => {
    expect(r('app')).toEqual({ uid: 1000, gid: 1000, additionalGids: [50, 29], home: '/home/app' });
    expect(r('daemon')).toEqual({ uid: 1, gid: 1, additionalGids: [29], home: '/usr/sbin' });
  });
  it('a known uid behaves like its name', () => {
    expect(r('1000')).toEqual(r('app'));
  });
  it('an unknown uid is allowed, with root’s group and no supplementary groups', () => {
    expect(r('4242')).toEqual({ uid: 4242, gid: 0, additionalGids: [], home: '/root' });
  });
  it('an explicit group (name or number) replaces the primary group and drops implicit memberships', () => {
    expect(r('app:staff')).toEqual({ uid: 1000, gid: 50, additionalGids: [], home: '/home/app' });
    expect(r('app:4242')).toMatchObject({ gid: 4242, additionalGids: [] });
    expect(r('1000:1')).toMatchObject({ uid: 1000, gid: 1 });
  });
  it('group-add appends names or numbers, deduplicated', () => {
    expect(r('app', ['audio', '7', '50'])).toMatchObject({ additionalGids: [50, 29, 7] });
  });
  it('unknown names fail with runc’s messages', () => {
    expect(() => r('ghost')).toThrow(new UserResolveError('unable to find user ghost: no matching entries in passwd file'));
    expect(() => r('app:ghosts')).toThrow('unable to find group ghosts: no matching entries in group file');
    expect(() => r('app', ['ghosts'])).toThrow('unable to find group ghosts: no matching entries in group file');
    expect(() => r('3000000000')).toThrow('uids and gids must be in range 0-2147483647');
  });
  it('an image without /etc/passwd accepts numbers only', () => {
    expect(resolveUser('33:33', undefined, undefined)).toEqual({ uid: 33, gid: 33, additionalGids: [], home: '/' });
    expect(() => resolveUser('www-data', undefined, undefined)).toThrow('unable to find user www-data');
  });
  it('skips comments and malformed lines', () => {
    expect(resolveUser('x', '# c\nbroken\nx:x:5:6::/h:/bin/sh\n', 'g:x:notnum:\n')).toEqual({ uid: 5, gid: 6, additionalGids: [], home: '/h' });
  });
  it('reads the files of a rootfs', async () => {
    const dir = mkdtempSync('/tmp/berth-user-');
    try {
      mkdirSync(path.join(dir, 'etc'));
      writeFileSync(path.join(dir, 'etc/passwd'), PASSWD);
      writeFileSync(path.join(dir, 'etc/group'), GROUP);
      expect(await resolveUserInRootfs(dir, 'app')).toMatchObject({ uid: 1000, additionalGids: [50, 29] });
      rmSync(path.join(dir, 'etc/group'));
      expect(await resolveUserInRootfs(dir, 'app')).toMatchObject({ uid: 1000, gid: 1000, additionalGids: [] });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
