// A multi-layer image made by tools berth did not write, with everything a layer can hold that a
// careless store loses: deletions (whiteout files), an opaque directory, hard links (within a
// layer), symlinks (relative, absolute, dangling), extended attributes (`user.*`, and a file
// capability set by setcap), setuid/setgid/sticky bits, foreign owners, a fifo, an empty
// directory, a mode change in a later layer. Each layer is a real directory archived by GNU tar
// (`--xattrs`), the image assembled by umoci (`raw add-layer`, verbatim) over a busybox base, and
// pushed by skopeo. `treeOf` lists a root filesystem for comparison: find's mode/owner/size/link
// target per path, content hashes, hard-link groups, getcap's capabilities, user xattrs.
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, linkSync, lstatSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { withSysOps } from '../../src/engine/images/sysops.js';
import { buildBusyboxImage } from '../engine/helpers/images.js';

/** Builds the image as an OCI layout at `<dir>/oci` (tag `fid`); returns the layout path. */
export async function buildFidelityImage(dir: string): Promise<string> {
  const layer = (n: string): string => {
    const d = path.join(dir, `layer-${n}`);
    mkdirSync(d, { recursive: true });
    return d;
  };
  const base = buildBusyboxImage(layer('base'));
  void base;

  const l1 = layer('1');
  const f = (p: string): string => path.join(l1, 'fid', p);
  mkdirSync(f('keep'), { recursive: true });
  mkdirSync(f('olddir/sub'), { recursive: true });
  mkdirSync(f('empty'));
  mkdirSync(f('sticky'));
  mkdirSync(f('setgid-dir'));
  writeFileSync(f('keep/file'), 'version 1\n');
  writeFileSync(f('gone'), 'deleted in layer 2\n');
  writeFileSync(f('olddir/a'), 'hidden by the opaque dir\n');
  writeFileSync(f('olddir/sub/b'), 'hidden too\n');
  writeFileSync(f('suid'), '#!/bin/sh\necho suid\n');
  writeFileSync(f('mod'), 'mode changes in layer 2\n');
  writeFileSync(f('hard1'), 'one inode, two names\n');
  linkSync(f('hard1'), f('hard2'));
  writeFileSync(f('cap'), 'capable\n');
  writeFileSync(f('xattr'), 'attributes\n');
  writeFileSync(f('owned'), 'not root\n');
  writeFileSync(f('big'), Buffer.alloc(300_000, 7));
  symlinkSync('keep/file', f('rel-link'));
  symlinkSync('/etc/passwd', f('abs-link'));
  symlinkSync('nowhere', f('dangling'));
  execFileSync('mkfifo', [f('fifo')]);
  chmodSync(f('suid'), 0o4755);
  chmodSync(f('setgid-dir'), 0o2775);
  chmodSync(f('sticky'), 0o1777);
  chmodSync(f('mod'), 0o644);
  chownSync(f('owned'), 1234, 5678);
  execFileSync('setcap', ['cap_net_bind_service,cap_net_raw+ep', f('cap')]);
  await withSysOps(async (ops) => {
    await ops.setxattr(f('xattr'), 'user.berth.text', 'hello');
    await ops.setxattr(f('xattr'), 'user.berth.bytes', Buffer.from([0, 1, 2, 0xfe, 0xff]));
    // On a directory no later layer lists again (a later entry for it would replace its attributes).
    await ops.setxattr(f('empty'), 'user.berth.dir', 'on a directory');
  });

  const l2 = layer('2');
  const g = (p: string): string => path.join(l2, 'fid', p);
  mkdirSync(g('keep'), { recursive: true });
  mkdirSync(g('olddir'));
  writeFileSync(g('.wh.gone'), '');
  writeFileSync(g('olddir/.wh..wh..opq'), '');
  writeFileSync(g('olddir/c'), 'the only child after layer 2\n');
  writeFileSync(g('keep/file'), 'version 2\n');
  writeFileSync(g('mod'), 'mode changes in layer 2\n');
  chmodSync(g('mod'), 0o600);

  const l3 = layer('3');
  const h = (p: string): string => path.join(l3, 'fid', p);
  mkdirSync(h('new/deeper'), { recursive: true });
  writeFileSync(h('new/deeper/x'), 'added in layer 3\n');
  linkSync(h('new/deeper/x'), h('new/x-again'));

  const oci = path.join(dir, 'oci');
  execFileSync('umoci', ['init', '--layout', oci]);
  execFileSync('umoci', ['new', '--image', `${oci}:fid`]);
  for (const name of ['base', '1', '2', '3']) {
    const tar = path.join(dir, `layer-${name}.tar`);
    execFileSync('tar', ['--xattrs', '--xattrs-include=*', '--numeric-owner', '-C', path.join(dir, `layer-${name}`), '-cf', tar, '.']);
    execFileSync('umoci', ['raw', 'add-layer', '--image', `${oci}:fid`, '--history.created_by', `layer ${name}`, tar]);
  }
  execFileSync('umoci', ['config', '--image', `${oci}:fid`, '--config.cmd', 'sh', '--config.env', 'PATH=/bin']);
  return oci;
}

/** skopeo copy of the layout to the (loopback, plain HTTP) registry. */
export function pushLayout(oci: string, ref: string): void {
  execFileSync('skopeo', ['copy', '--quiet', '--dest-tls-verify=false', `oci:${oci}:fid`, `docker://${ref}`]);
}

/**
 * What a root filesystem holds under `sub`, as stable text: one line per path with type and
 * mode, owner, size, link target, content hash and user xattrs; hard-link groups; capabilities.
 */
export async function treeOf(root: string, sub = 'fid'): Promise<string> {
  const top = path.join(root, sub);
  const listing = execFileSync('find', [top, '-printf', '%P\\t%M\\t%U:%G\\t%s\\t%l\\n'], { encoding: 'utf8' })
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [rel, mode, owner, size, link] = line.split('\t');
      // Directory sizes are the file system's business, not the image's.
      return [rel, mode, owner, mode.startsWith('d') ? '-' : size, link].join('\t');
    });
  const hashes = execFileSync('sh', ['-c', `cd ${JSON.stringify(top)} && find . -type f -exec sha256sum {} + | sort`], { encoding: 'utf8' });
  const inodes = new Map<number, string[]>();
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      const st = lstatSync(p);
      if (st.isFile() && st.nlink > 1) inodes.set(st.ino, [...(inodes.get(st.ino) ?? []), path.relative(top, p)]);
      if (e.isDirectory()) walk(p);
    }
  };
  walk(top);
  const links = [...inodes.values()].map((names) => names.sort().join(' = ')).sort();
  const caps = execFileSync('getcap', ['-r', top], { encoding: 'utf8' })
    .split('\n')
    .filter(Boolean)
    .map((l) => l.replace(top, ''))
    .sort();
  const xattrs: string[] = [];
  await withSysOps(async (ops) => {
    for (const line of listing) {
      const [rel, mode] = line.split('\t');
      if (mode.startsWith('l') || mode.startsWith('p')) continue;
      const attrs = await ops.listxattr(path.join(top, rel));
      for (const [k, v] of Object.entries(attrs).sort(([a], [b]) => (a < b ? -1 : 1))) if (k.startsWith('user.')) xattrs.push(`${rel} ${k}=${v.toString('hex')}`);
    }
  });
  return [...listing.sort(), '--', hashes.trim(), '--', ...links, '--', ...caps, '--', ...xattrs].join('\n');
}
