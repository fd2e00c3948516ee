// `berth engine run|start|stop|status`: the built-in engine's daemon in the foreground, in the
// background (waiting until it answers /_ping), and its control. The state root and runtime dir
// come from flags, then BERTH_ROOT / BERTH_RUN_ROOT, then /var/lib/berth and /run/berth.

import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BerthError } from '../../errors.js';
import type { CliIO } from '../io.js';

export interface EngineFlags {
  root?: string;
  runRoot?: string;
  socket?: string;
  runc?: string;
  shim?: string;
  cgroupParent?: string;
  log?: string;
  timeout?: string;
}

interface Resolved {
  root: string;
  runRoot: string;
  socketPath: string;
}

function resolve(flags: EngineFlags, io: CliIO): Resolved {
  const root = path.resolve(io.cwd, flags.root ?? io.env.BERTH_ROOT ?? '/var/lib/berth');
  const runRoot = path.resolve(io.cwd, flags.runRoot ?? io.env.BERTH_RUN_ROOT ?? '/run/berth');
  const socketPath = path.resolve(io.cwd, flags.socket ?? path.join(runRoot, 'engine.sock'));
  return { root, runRoot, socketPath };
}

/** bin/berth.js, three levels up from src/cli/commands/ and from dist/cli/commands/. */
export const BERTH_LAUNCHER = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../bin/berth.js');

/**
 * How to run this very CLI tree as a new process: bin/berth.js when this module sits in the
 * package's dist/, otherwise (a build elsewhere, as tests and embedders make) an inline entry that
 * imports the main.js beside this module — never another tree's code.
 */
export function selfCommand(args: readonly string[]): string[] {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const packageRoot = path.resolve(here, '../../..');
  if (here === path.join(packageRoot, 'dist', 'cli', 'commands') && existsSync(BERTH_LAUNCHER)) return [BERTH_LAUNCHER, ...args];
  const main = new URL('../main.js', import.meta.url).href;
  return ['--input-type=module', '-e', `import { main } from ${JSON.stringify(main)}; process.exitCode = await main(['node', 'berth', ...process.argv.slice(1)]);`, ...args];
}

/** Where the built-in engine's socket is by default (flags aside): <run-root>/engine.sock. */
export function builtinSocketPath(env: Readonly<Record<string, string | undefined>>, cwd: string): string {
  return resolve({}, { env, cwd } as CliIO).socketPath;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Foreground: serves until SIGTERM/SIGINT, then stops serving (containers keep running). */
export async function runEngineForeground(flags: EngineFlags, io: CliIO): Promise<void> {
  const { startDaemon, DaemonLockError } = await import('../../engine/daemon/daemon.js');
  const { networkSettingsFromEnv, NetworkSettingsError } = await import('../../engine/networks/config.js');
  const r = resolve(flags, io);
  let daemon;
  try {
    daemon = await startDaemon({
      ...r,
      // BERTH_ADDRESS_POOLS, BERTH_DNS_UPSTREAM, BERTH_OUTBOUND_NAT (`engine start` passes its environment on).
      ...networkSettingsFromEnv(io.env),
      ...(flags.runc ? { runcBinary: flags.runc } : {}),
      ...(flags.shim ? { shimBinary: flags.shim } : {}),
      ...(flags.cgroupParent ? { cgroupParent: flags.cgroupParent } : {}),
      ...(flags.log ? { logFile: flags.log } : {}),
      // BERTH_SECCOMP_COMPAT_ARCHES=1: seccomp filters also admit 32-bit/x32 programs, as Docker's do.
      ...(/^(1|true|yes)$/i.test(io.env.BERTH_SECCOMP_COMPAT_ARCHES ?? '') ? { seccompCompatArches: true } : {}),
      // BERTH_PREPARE_AHEAD=0: do a start's work at start, not right after create.
      ...(/^(0|false|no)$/i.test(io.env.BERTH_PREPARE_AHEAD ?? '') ? { prepareAhead: false } : {}),
    });
  } catch (e) {
    if (e instanceof DaemonLockError || e instanceof NetworkSettingsError) throw new BerthError(e.message);
    throw e;
  }
  io.stderr(`berth engine listening on ${daemon.socketPath} (pid ${process.pid})\n`);
  await new Promise<void>((done) => {
    const stop = (): void => {
      process.off('SIGTERM', stop);
      process.off('SIGINT', stop);
      void daemon.close().then(done, done);
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
}

/** Background: starts `berth engine run` detached and waits until the socket answers. */
export async function startEngineBackground(flags: EngineFlags, io: CliIO): Promise<void> {
  const { pingSocket, readLockPid, lockPath, processAlive } = await import('../../engine/daemon/daemon.js');
  const r = resolve(flags, io);
  if (await pingSocket(r.socketPath)) {
    io.stdout(`berth engine already running on ${r.socketPath}\n`);
    return;
  }
  mkdirSync(r.runRoot, { recursive: true });
  const args = ['engine', 'run', '--root', r.root, '--run-root', r.runRoot, '--socket', r.socketPath];
  for (const [flag, value] of [['--runc', flags.runc], ['--shim', flags.shim], ['--cgroup-parent', flags.cgroupParent], ['--log', flags.log]] as const) {
    if (value) args.push(flag, value);
  }
  // The daemon's own stderr (crashes before its logger exists) goes next to its JSON log.
  const errFd = openSync(path.join(r.runRoot, 'engine.stderr'), 'a', 0o600);
  // The launcher next to this module's tree (not process.argv[1]: an embedding program — a test
  // runner, a bench — may start the engine too).
  const child = spawn(process.execPath, selfCommand(args), { detached: true, stdio: ['ignore', 'ignore', errFd] });
  closeSync(errFd);
  child.unref();
  const deadline = Date.now() + Number(flags.timeout ?? 15) * 1000;
  while (Date.now() < deadline) {
    if (await pingSocket(r.socketPath, 500)) {
      io.stdout(`berth engine started (pid ${(await readLockPid(lockPath(r.root))) ?? child.pid}) on ${r.socketPath}\n`);
      return;
    }
    if (child.pid !== undefined && !processAlive(child.pid)) break;
    await sleep(100);
  }
  throw new BerthError(`berth engine did not start; see ${path.join(r.runRoot, 'engine.stderr')} and ${path.join(r.runRoot, 'engine.log')}`);
}

export async function stopEngine(flags: EngineFlags, io: CliIO): Promise<void> {
  const { readLockPid, lockPath, processAlive } = await import('../../engine/daemon/daemon.js');
  const r = resolve(flags, io);
  const pid = await readLockPid(lockPath(r.root));
  if (pid === undefined || !processAlive(pid)) {
    io.stdout('berth engine is not running\n');
    return;
  }
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + Number(flags.timeout ?? 15) * 1000;
  while (Date.now() < deadline) {
    if (!processAlive(pid)) {
      io.stdout(`berth engine stopped (pid ${pid}); containers keep running\n`);
      return;
    }
    await sleep(100);
  }
  throw new BerthError(`berth engine (pid ${pid}) did not stop within ${flags.timeout ?? 15}s`);
}

export async function engineStatus(flags: EngineFlags, io: CliIO): Promise<void> {
  const { readLockPid, lockPath, processAlive, pingSocket } = await import('../../engine/daemon/daemon.js');
  const r = resolve(flags, io);
  const pid = await readLockPid(lockPath(r.root));
  const alive = pid !== undefined && processAlive(pid);
  const answers = await pingSocket(r.socketPath);
  if (alive && answers) {
    io.stdout(`running (pid ${pid})\nsocket: ${r.socketPath}\nroot: ${r.root}\n`);
    return;
  }
  io.stdout(alive ? `starting or unresponsive (pid ${pid})\n` : 'not running\n');
  throw new BerthError(alive ? 'the engine does not answer on its socket' : 'the engine is not running');
}
