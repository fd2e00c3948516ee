// Runs the engine's short commands (berth-netns, ip, runc, mount, the shim …) through berth-spawner
// (native/berth-spawner.c): one small helper process that forks for us. Node's own spawn forks
// the whole engine synchronously on its main thread (3.5–4 ms each in a cold `up`, ~40 of them);
// the helper's fork costs a fraction of that and leaves the engine's thread serving.
//
// `runCommand` has child_process semantics: the command's PATH lookup, env and cwd as Node would
// pass them (process.env and process.cwd() at call time), stdin fed from `input` (else /dev/null),
// stdout and stderr collected, a timeout that sends SIGTERM. Without the helper binary, or with
// BERTH_SPAWNER=0, the same call goes through child_process.spawn: behaviour is the same, only
// the cost differs. If the helper dies, pending commands fail and the next call starts a new one.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { constants } from 'node:os';
import { nativeBinaryPath } from './native-binaries.js';

export interface CommandOptions {
  /** Written to the command's stdin, which is then closed; without it stdin is /dev/null. */
  input?: string | Buffer;
  /** SIGTERM after this long; the result then says `timedOut`. */
  timeoutMs?: number;
  /** Send stdout to /dev/null instead of collecting it. */
  discardStdout?: boolean;
}

export interface CommandResult {
  /** Exit status, or null when a signal ended it. */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: Buffer;
  stderr: Buffer;
  timedOut: boolean;
}

/** The command could not be run at all (not found, not executable …); `code` is the errno name. */
export class CommandSpawnError extends Error {
  constructor(
    readonly file: string,
    readonly code: string,
  ) {
    super(`spawn ${file} ${code}`);
    this.name = 'CommandSpawnError';
  }
}

/** A finished command that did not exit 0, shaped like child_process.execFile's error. */
export class CommandFailedError extends Error {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly killed: boolean;
  constructor(file: string, args: readonly string[], r: CommandResult) {
    const how = r.timedOut ? 'timed out' : r.code !== null ? `exit status ${r.code}` : `signal ${r.signal}`;
    super(`Command failed: ${[file, ...args].join(' ')} (${how})\n${r.stderr.toString('utf8')}`);
    this.name = 'CommandFailedError';
    this.code = r.code;
    this.signal = r.signal;
    this.stdout = r.stdout.toString('utf8');
    this.stderr = r.stderr.toString('utf8');
    this.killed = r.timedOut;
  }
}

/** $BERTH_SPAWNER_BINARY, else dist/native/berth-spawner of this package (as for the shim). */
export function defaultSpawnerPath(): string {
  return nativeBinaryPath('berth-spawner', 'BERTH_SPAWNER_BINARY');
}

const FLAG_STDIN = 1;
const FLAG_DISCARD_STDOUT = 2;
const KIND_SIGNALED = 1;
const KIND_FAILED = 2;
const KIND_TIMED_OUT = 3;

// errno numbers the helper reports → Node's names (Linux values; the rest are reported by number).
const ERRNO_NAMES: Record<number, string> = { 1: 'EPERM', 2: 'ENOENT', 7: 'E2BIG', 8: 'ENOEXEC', 12: 'ENOMEM', 13: 'EACCES', 20: 'ENOTDIR', 22: 'EINVAL', 24: 'EMFILE', 26: 'ETXTBSY' };

function signalName(n: number): NodeJS.Signals | null {
  const entry = Object.entries(constants.signals).find(([, v]) => v === n);
  return (entry?.[0] as NodeJS.Signals | undefined) ?? null;
}

function encodeRequest(id: number, file: string, args: readonly string[], opts: CommandOptions): Buffer {
  const strings = (list: readonly string[]): Buffer[] => {
    const count = Buffer.alloc(4);
    count.writeUInt32LE(list.length);
    return [count, ...list.map((s) => Buffer.from(`${s}\0`))];
  };
  const env = Object.entries(process.env)
    .filter((e): e is [string, string] => e[1] !== undefined)
    .map(([k, v]) => `${k}=${v}`);
  const input = opts.input === undefined ? Buffer.alloc(0) : Buffer.isBuffer(opts.input) ? opts.input : Buffer.from(opts.input);
  const head = Buffer.alloc(16);
  head.writeUInt32LE(id, 4);
  head.writeUInt32LE((opts.input !== undefined ? FLAG_STDIN : 0) | (opts.discardStdout ? FLAG_DISCARD_STDOUT : 0), 8);
  head.writeUInt32LE(Math.max(0, Math.min(opts.timeoutMs ?? 0, 0xffffffff)), 12);
  const inputLen = Buffer.alloc(4);
  inputLen.writeUInt32LE(input.length);
  const frame = Buffer.concat([head, ...strings([file, ...args]), ...strings(env), Buffer.from(`${process.cwd()}\0`), inputLen, input]);
  frame.writeUInt32LE(frame.length - 4, 0);
  return frame;
}

interface Pending {
  file: string;
  resolve: (r: CommandResult) => void;
  reject: (e: Error) => void;
}

/** One berth-spawner process and the commands waiting on it. */
class SpawnerProcess {
  private readonly child: ChildProcess;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private inbox: Buffer = Buffer.alloc(0);
  dead = false;

  constructor(binary: string) {
    this.child = spawn(binary, [], { stdio: ['pipe', 'pipe', 'inherit'] });
    this.child.on('error', (e) => this.fail(e));
    this.child.on('exit', (code, signal) => this.fail(new Error(`berth-spawner ended (${signal ?? `exit status ${code}`})`)));
    this.child.stdin!.on('error', (e) => this.fail(e));
    this.child.stdout!.on('data', (chunk: Buffer) => this.take(chunk));
    this.idle();
  }

  run(file: string, args: readonly string[], opts: CommandOptions): Promise<CommandResult> {
    const id = this.nextId++;
    if (this.nextId > 0xfffffff0) this.nextId = 1;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { file, resolve, reject });
      this.busy();
      this.child.stdin!.write(encodeRequest(id, file, args, opts));
    });
  }

  /** Keeps the engine's event loop alive only while a command is running. */
  private busy(): void {
    this.child.ref();
    (this.child.stdout as unknown as { ref(): void }).ref();
  }

  private idle(): void {
    this.child.unref();
    (this.child.stdout as unknown as { unref(): void }).unref();
    (this.child.stdin as unknown as { unref?(): void }).unref?.();
  }

  private take(chunk: Buffer): void {
    this.inbox = this.inbox.length === 0 ? chunk : Buffer.concat([this.inbox, chunk]);
    while (this.inbox.length >= 4) {
      const len = this.inbox.readUInt32LE(0);
      if (this.inbox.length < 4 + len) return;
      const frame = this.inbox.subarray(4, 4 + len);
      this.inbox = this.inbox.subarray(4 + len);
      const id = frame.readUInt32LE(0);
      const kind = frame.readUInt32LE(4);
      const value = frame.readUInt32LE(8);
      const outLen = frame.readUInt32LE(12);
      const stdout = Buffer.from(frame.subarray(16, 16 + outLen));
      const stderr = Buffer.from(frame.subarray(20 + outLen, 20 + outLen + frame.readUInt32LE(16 + outLen)));
      const p = this.pending.get(id);
      if (!p) continue;
      this.pending.delete(id);
      if (this.pending.size === 0) this.idle();
      if (kind === KIND_FAILED) p.reject(new CommandSpawnError(p.file, ERRNO_NAMES[value] ?? `errno ${value}`));
      else {
        // A timed-out command's value is how it ended after the SIGTERM: a signal, or 0x100 | its status.
        const signaled = kind === KIND_SIGNALED || (kind === KIND_TIMED_OUT && value < 0x100);
        p.resolve({ code: signaled ? null : value & 0xff, signal: signaled ? signalName(value) : null, stdout, stderr, timedOut: kind === KIND_TIMED_OUT });
      }
    }
  }

  private fail(e: Error): void {
    if (this.dead) return;
    this.dead = true;
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
    this.child.kill();
  }

  close(): void {
    this.fail(new Error('berth-spawner closed'));
  }
}

let current: SpawnerProcess | undefined;

function spawner(): SpawnerProcess | undefined {
  if (/^(0|false|no)$/i.test(process.env.BERTH_SPAWNER ?? '')) return undefined;
  if (current && !current.dead) return current;
  const binary = defaultSpawnerPath();
  if (!existsSync(binary)) return undefined;
  current = new SpawnerProcess(binary);
  return current;
}

/** The same contract through child_process (no helper binary, or BERTH_SPAWNER=0). */
function runDirect(file: string, args: readonly string[], opts: CommandOptions): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, [...args], { stdio: [opts.input === undefined ? 'ignore' : 'pipe', opts.discardStdout ? 'ignore' : 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    const timer = opts.timeoutMs
      ? setTimeout(() => {
          timedOut = true;
          child.kill('SIGTERM');
        }, opts.timeoutMs)
      : undefined;
    child.stdout?.on('data', (b: Buffer) => out.push(b));
    child.stderr?.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(e.syscall?.startsWith('spawn') ? new CommandSpawnError(file, e.code ?? 'EINVAL') : e);
    });
    child.on('exit', () => clearTimeout(timer));
    child.on('close', (code, signal) => resolve({ code, signal, stdout: Buffer.concat(out), stderr: Buffer.concat(err), timedOut }));
    if (child.stdin) {
      // The command may exit (with its own error) before reading all of its input.
      child.stdin.on('error', () => undefined);
      child.stdin.end(opts.input);
    }
  });
}

/** Runs a command to its end: how it ended and what it wrote. Rejects only when it cannot run. */
export function runCommand(file: string, args: readonly string[], opts: CommandOptions = {}): Promise<CommandResult> {
  const s = spawner();
  return s ? s.run(file, args, opts) : runDirect(file, args, opts);
}

/** execFile's promise form: stdout and stderr as text, or a CommandFailedError when it did not exit 0. */
export async function execCommand(file: string, args: readonly string[], opts: CommandOptions = {}): Promise<{ stdout: string; stderr: string }> {
  const r = await runCommand(file, args, opts);
  if (r.code !== 0) throw new CommandFailedError(file, args, r);
  return { stdout: r.stdout.toString('utf8'), stderr: r.stderr.toString('utf8') };
}

/** Ends the helper (tests; the engine's close). The next command starts a new one. */
export function closeSpawner(): void {
  current?.close();
  current = undefined;
}
