// A container's root filesystem: an overlay of read-only image layers (lowest last, as overlayfs
// lists them) under a private upper/work pair. A single lower layer `/` is the "host image": the
// machine's own root as the image. overlayfs does not cross mounts, so /proc, /sys, /dev and /run
// show up as empty mount points (the bundle mounts its own there) — but anything else on the root
// filesystem is visible, including the engine's own state; hostImageMaskedPaths lists what to hide.

import { mkdir, readFile, rm } from 'node:fs/promises';
import { execCommand as run } from './spawner.js';

export interface RootfsLayout {
  /** Read-only layers, top first (overlayfs `lowerdir` order). */
  lowerDirs: readonly string[];
  upperDir: string;
  workDir: string;
  /** Mount point, the bundle's root.path. */
  target: string;
}

export class RootfsError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RootfsError';
  }
}

// The kernel parses overlay options by ',' and lowerdir by ':'; it accepts backslash escapes, but
// refusing such paths keeps every layer path unambiguous. One page is the limit of the options.
const MAX_OPTIONS = 4095;

/** The `-o` string for mount(8) (pure). */
export function overlayOptions(layout: RootfsLayout): string {
  const problems: string[] = [];
  if (layout.lowerDirs.length === 0) problems.push('an overlay needs at least one lower layer');
  for (const p of [...layout.lowerDirs, layout.upperDir, layout.workDir, layout.target]) {
    if (!p.startsWith('/')) problems.push(`layer path must be absolute: "${p}"`);
    if (/[,:\\\n]/.test(p)) problems.push(`layer path must not contain ',', ':', '\\' or a newline: "${p}"`);
  }
  const options = `lowerdir=${layout.lowerDirs.join(':')},upperdir=${layout.upperDir},workdir=${layout.workDir}`;
  if (options.length > MAX_OPTIONS) problems.push(`overlay options exceed one page (${options.length} bytes): use shorter layer paths`);
  if (problems.length > 0) throw new RootfsError(problems.join('; '));
  return options;
}

/** The root stacks on the host's own `/` (the host image, or an image built FROM it): the engine's dirs must be masked. */
export function isHostImage(lowerDirs: readonly string[]): boolean {
  return lowerDirs.length > 0 && lowerDirs[lowerDirs.length - 1] === '/';
}

/**
 * Paths to mask inside a host-image container: the engine's state and runtime roots (other
 * containers' layers, logs and runc state live there). Mount points such as /proc or /run need
 * nothing: overlayfs shows them empty.
 */
export function hostImageMaskedPaths(engineDirs: readonly string[]): string[] {
  return [...new Set(engineDirs.filter((d) => d !== '/' && d.startsWith('/')))].sort();
}

/** Mount points currently under (or at) `prefix`, deepest first, from /proc/self/mountinfo. */
export async function mountsUnder(prefix: string): Promise<string[]> {
  const info = await readFile('/proc/self/mountinfo', 'utf8');
  const base = prefix.replace(/\/+$/, '');
  const points: string[] = [];
  for (const line of info.split('\n')) {
    const mp = line.split(' ')[4];
    if (!mp) continue;
    const decoded = mp.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
    if (decoded === base || decoded.startsWith(`${base}/`)) points.push(decoded);
  }
  return points.sort((a, b) => b.length - a.length);
}

/** Makes the overlay's directories and returns its mount options, for a mount done elsewhere (the monitor). */
export async function prepareRootfsDirs(layout: RootfsLayout): Promise<string> {
  const options = overlayOptions(layout);
  await Promise.all([layout.upperDir, layout.workDir, layout.target].map((d) => mkdir(d, { recursive: true })));
  return options;
}

export async function mountRootfs(layout: RootfsLayout): Promise<void> {
  const options = await prepareRootfsDirs(layout);
  try {
    await run('mount', ['-t', 'overlay', 'overlay', '-o', options, layout.target]);
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr?.trim();
    throw new RootfsError(`mounting the overlay at ${layout.target} failed: ${stderr || String(err)}`, { cause: err });
  }
}

/**
 * Unmounts everything at or under `target` (deepest first) and removes the given directories.
 * Idempotent: a target that is not mounted, or directories already gone, are fine.
 */
export async function unmountRootfs(target: string, removeDirs: readonly string[] = []): Promise<void> {
  for (const mp of await mountsUnder(target)) {
    try {
      await run('umount', [mp]);
    } catch (e) {
      // Gone meanwhile (another cleanup got there first): nothing left to do.
      if (!(await mountsUnder(mp)).includes(mp)) continue;
      // Busy (a process outside still has it open): detach now, the kernel frees it when released.
      await run('umount', ['-l', mp]).catch(async (e2: unknown) => {
        if ((await mountsUnder(mp)).includes(mp)) throw e2 ?? e;
      });
    }
  }
  for (const d of removeDirs) await rm(d, { recursive: true, force: true });
}

// An image built FROM the host image stacks its layers on `/`. overlayfs refuses a lower dir that
// sits inside another lower dir (ELOOP, "overlapping lowerdir path"), and every layer dir on the
// root filesystem sits inside `/`. So `/` joins such a stack as a read-only overlay of its own — a
// superblock apart, whose root has no ancestors — mounted once under the run root (with an empty
// tmpfs as the second lower dir an overlay without upper needs) and unmounted when the engine closes.
const hostViews = new Map<string, Promise<string>>();

function hostViewDirs(runRoot: string): { base: string; empty: string; root: string } {
  const base = `${runRoot.replace(/\/+$/, '')}/hostroot`;
  return { base, empty: `${base}/empty`, root: `${base}/root` };
}

async function mountHostView(runRoot: string): Promise<string> {
  const d = hostViewDirs(runRoot);
  const mounted = await mountsUnder(d.base);
  if (mounted.includes(d.root)) return d.root;
  await mkdir(d.empty, { recursive: true });
  await mkdir(d.root, { recursive: true });
  if (!mounted.includes(d.empty)) await run('mount', ['-t', 'tmpfs', '-o', 'ro,size=4k,mode=0755', 'tmpfs', d.empty]);
  await run('mount', ['-t', 'overlay', 'overlay', '-o', `ro,lowerdir=/:${d.empty}`, d.root]);
  return d.root;
}

/** The lower dirs as overlayfs takes them: `/` under other layers becomes the host root view. */
export async function stackableLowerDirs(lowerDirs: readonly string[], runRoot: string): Promise<string[]> {
  if (lowerDirs.length < 2 || lowerDirs[lowerDirs.length - 1] !== '/') return [...lowerDirs];
  let view = hostViews.get(runRoot);
  if (!view) {
    view = mountHostView(runRoot);
    hostViews.set(runRoot, view);
    view.catch(() => hostViews.delete(runRoot));
  }
  return [...lowerDirs.slice(0, -1), await view];
}

/** Unmounts the host root view of this run root (engine close); busy (a live container) → detached lazily. */
export async function releaseHostRootView(runRoot: string): Promise<void> {
  hostViews.delete(runRoot);
  const d = hostViewDirs(runRoot);
  for (const mp of [d.root, d.empty]) {
    if (!(await mountsUnder(mp)).includes(mp)) continue;
    await run('umount', [mp]).catch(() => run('umount', ['-l', mp]).catch(() => undefined));
  }
  await rm(d.base, { recursive: true, force: true }).catch(() => undefined);
}
