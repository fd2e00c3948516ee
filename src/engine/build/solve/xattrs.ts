// Extended attributes of a whole directory tree in one helper process: Node has no xattr calls,
// and a layer's diff needs two kinds — overlayfs's markers in an upper dir (an opaque directory
// becomes `.wh..wh..opq`; a redirect or metacopy marker means the upper dir alone is not the
// diff) and file capabilities (`security.capability`), which the layer must carry. One python3
// walk per layer costs one process start, not one per file.
import { execFile } from 'node:child_process';
import { BerthError } from '../../../errors.js';

const WALK = String.raw`
import base64, json, os, sys
root = sys.argv[1]
out = {}
for dirpath, dirnames, filenames in os.walk(root):
    for name in [None] + dirnames + filenames:
        p = dirpath if name is None else os.path.join(dirpath, name)
        try:
            names = os.listxattr(p, follow_symlinks=False)
        except OSError:
            continue
        if not names:
            continue
        rel = os.path.relpath(p, root)
        d = out.setdefault(rel, {})
        for n in names:
            try:
                d[n] = base64.b64encode(os.getxattr(p, n, follow_symlinks=False)).decode()
            except OSError:
                pass
json.dump(out, sys.stdout)
`;

export class XattrError extends BerthError {}

/** Every entry's xattrs, by path relative to `root` (`.` for the root); entries without any are left out. */
export function treeXattrs(root: string): Promise<Map<string, Record<string, Buffer>>> {
  return new Promise((resolve, reject) => {
    execFile('python3', ['-c', WALK, root], { maxBuffer: 256 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) {
        const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
        reject(new XattrError(missing ? 'python3 is needed to read extended attributes of build layers (apt-get install python3)' : `reading extended attributes under ${root} failed: ${stderr.trim() || err.message}`));
        return;
      }
      const raw = JSON.parse(stdout) as Record<string, Record<string, string>>;
      const out = new Map<string, Record<string, Buffer>>();
      for (const [rel, attrs] of Object.entries(raw)) {
        out.set(rel, Object.fromEntries(Object.entries(attrs).map(([k, v]) => [k, Buffer.from(v, 'base64')])));
      }
      resolve(out);
    });
  });
}
