// Extended attributes of a whole directory tree in one helper process: Node has no xattr calls,
// and a layer's diff needs two kinds — overlayfs's markers in an upper dir (an opaque directory
// becomes `.wh..wh..opq`; a redirect or metacopy marker means the upper dir alone is not the
// diff) and file capabilities (`security.capability`), which the layer must carry. One walk per
// layer: berth-xattrs (native/berth-xattrs.c, ~5 ms), or Debian's python3 where it is missing.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { BerthError } from '../../../errors.js';
import { nativeBinaryPath } from '../../runtime/native-binaries.js';

const WALK = String.raw`
import os, sys
root = sys.argv[1]
for dirpath, dirnames, filenames in os.walk(root):
    for name in [None] + dirnames + filenames:
        p = dirpath if name is None else os.path.join(dirpath, name)
        try:
            names = os.listxattr(p, follow_symlinks=False)
        except OSError:
            continue
        rel = os.path.relpath(p, root)
        for n in names:
            try:
                v = os.getxattr(p, n, follow_symlinks=False)
            except OSError:
                continue
            sys.stdout.write(rel.encode().hex() + "\t" + n.encode().hex() + "\t" + v.hex() + "\n")
`;

export class XattrError extends BerthError {}

function helper(): [string, string[]] {
  const native = nativeBinaryPath('berth-xattrs', 'BERTH_XATTRS_BINARY');
  if (existsSync(native)) return [native, []];
  // /usr/bin/python3 in isolated mode: a version manager's shim on PATH can cost seconds a start.
  return [existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3', ['-S', '-I', '-c', WALK]];
}

/** Every entry's xattrs, by path relative to `root` (`.` for the root); entries without any are left out. */
export function treeXattrs(root: string): Promise<Map<string, Record<string, Buffer>>> {
  const [file, args] = helper();
  return new Promise((resolve, reject) => {
    execFile(file, [...args, root], { maxBuffer: 256 * 1024 * 1024, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err) {
        const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
        reject(new XattrError(missing ? 'reading build layers\' extended attributes needs berth-xattrs (npm ci builds it) or python3' : `reading extended attributes under ${root} failed: ${stderr.trim() || err.message}`));
        return;
      }
      const out = new Map<string, Record<string, Buffer>>();
      for (const line of stdout.split('\n')) {
        if (!line) continue;
        const [rel, name, value] = line.split('\t');
        const key = Buffer.from(rel, 'hex').toString('utf8');
        const attrs = out.get(key) ?? {};
        attrs[Buffer.from(name, 'hex').toString('utf8')] = Buffer.from(value ?? '', 'hex');
        out.set(key, attrs);
      }
      resolve(out);
    });
  });
}
