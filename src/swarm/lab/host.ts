// The host operations the lab needs, as small functions over iproute2, util-linux and /proc:
// running a command, listing mounts, finding processes, checking whether a pid lives.
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import path from 'node:path';
import { BerthError } from '../../errors.js';

/** A lab operation that failed: names the step and what the host said. */
export class LabError extends BerthError {}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to its end; never throws for a non-zero exit (the caller decides). */
export function runQuiet(cmd: string, args: readonly string[]): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(cmd, args, { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      // A non-zero exit puts the status in err.code; a missing binary puts 'ENOENT' there.
      const status = (err as { code?: unknown } | null)?.code;
      const code = !err ? 0 : typeof status === 'number' ? status : 127;
      resolve({ code, stdout, stderr: stderr || (err && typeof status !== 'number' ? err.message : '') });
    });
  });
}

/** Runs a command; a non-zero exit is a LabError naming the command and its stderr. */
export async function run(cmd: string, args: readonly string[]): Promise<string> {
  const r = await runQuiet(cmd, args);
  if (r.code !== 0) throw new LabError(`${cmd} ${args.join(' ')}: ${r.stderr.trim() || `exit status ${r.code}`}`);
  return r.stdout;
}

/** `ip link del` and friends on something already gone is not a failure during teardown. */
export function isGone(stderr: string): boolean {
  return /Cannot find device|does not exist|No such (file|device|process)|not mounted|no mount point/i.test(stderr);
}

export function pidAlive(pid: number | undefined): pid is number {
  if (!pid || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // A zombie answers kill(0) but is already dead.
  try {
    return !/^\d+ \(.*\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** Mount points at or under `dir`, deepest first (so each unmount frees its parent). */
export function mountsUnder(dir: string): string[] {
  const prefix = dir.endsWith('/') ? dir : `${dir}/`;
  const points = new Set<string>();
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const fields = line.split(' ');
    if (fields.length < 5) continue;
    // Field 5 is the mount point, with spaces and the like octal-escaped.
    const point = fields[4].replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
    if (point === dir || point.startsWith(prefix)) points.add(point);
  }
  return [...points].sort((a, b) => b.split('/').length - a.split('/').length || b.localeCompare(a));
}

/** The inode of a namespace file (a bind-mounted nsfs file or /proc/<pid>/ns/net): equal inodes, same namespace. */
export function namespaceInode(file: string): number | undefined {
  try {
    return statSync(file).ino;
  } catch {
    return undefined;
  }
}

export interface ProcessInfo {
  pid: number;
  exe: string;
  cmdline: string[];
  netnsInode?: number;
  cgroups: string[];
}

/** Every process of the host, as far as /proc lets us read it (processes may vanish meanwhile). */
export function listProcesses(): ProcessInfo[] {
  const out: ProcessInfo[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    try {
      // A zombie has already let go of its namespaces, cgroups and mounts; only its parent's wait is missing.
      if (/^\d+ \(.*\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'))) continue;
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter((a) => a !== '');
      let exe = '';
      try {
        exe = readlinkSync(`/proc/${pid}/exe`);
      } catch {
        exe = cmdline[0] ?? '';
      }
      const cgroups = readFileSync(`/proc/${pid}/cgroup`, 'utf8')
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => l.slice(l.indexOf(':', l.indexOf(':') + 1) + 1));
      out.push({ pid, exe: path.basename(exe.replace(/ \(deleted\)$/, '')), cmdline, netnsInode: namespaceInode(`/proc/${pid}/ns/net`), cgroups });
    } catch {
      // gone meanwhile, or a kernel thread without a cmdline
    }
  }
  return out;
}

/** Cgroup directories named `parent` under every mounted hierarchy (v1 controllers and the unified one). */
export function cgroupDirs(parent: string): string[] {
  const root = '/sys/fs/cgroup';
  if (!existsSync(root)) return [];
  const rel = parent.replace(/^\/+/, '');
  const dirs: string[] = [];
  if (existsSync(path.join(root, 'cgroup.controllers')) && existsSync(path.join(root, rel))) dirs.push(path.join(root, rel));
  for (const entry of readdirSync(root)) {
    const candidate = path.join(root, entry, rel);
    if (existsSync(candidate)) dirs.push(candidate);
  }
  return dirs;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `probe` until it returns a value (not undefined) or the deadline passes; a probe that throws ends the wait. */
export async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined> | T | undefined, intervalMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new LabError(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}`);
    await sleep(intervalMs);
  }
}
