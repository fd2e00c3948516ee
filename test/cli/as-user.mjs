// Runs the CLI bundle as another user: `node as-user.mjs UID GID ARGS…`. Loaded as root, then the
// process drops to UID:GID (no supplementary groups) before main() runs. Loading first means the
// repository need not be readable by that user (a CI clone may sit under /root); what the command
// itself opens — the compose file, the engine's socket — is opened as the user, with the user's
// permissions, as when that user runs berth.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundledMain } from '../../bin/bundle-loader.js';

const [uid, gid, ...args] = process.argv.slice(2);
const main = bundledMain(path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist', 'cli'), { debug: false });
if (!main) {
  console.error('as-user: dist/cli/berth.cjs is missing or stale (npm run build)');
  process.exit(99);
}
process.setgroups([]);
process.setgid(Number(gid));
process.setuid(Number(uid));
process.exitCode = await main(['node', 'berth', ...args]);
