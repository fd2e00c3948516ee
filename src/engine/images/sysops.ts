// The few system calls extraction needs that Node does not expose: mknod (device nodes, fifos,
// overlay whiteouts) and extended attributes (overlay opaque markers, file capabilities). They
// run in one native helper process per extraction (native/berth-fsops.c, built at install time
// with the other helpers), spoken to over a line protocol, so a layer with a thousand whiteouts
// costs one process start, not a thousand. The helper starts on the first call, so extracting
// a layer that needs none of these calls starts no process at all.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface, type Interface } from 'node:readline';
import { BerthError } from '../../errors.js';
import { nativeBinaryPath } from '../runtime/native-binaries.js';

export class SysOpError extends BerthError {
  constructor(
    message: string,
    readonly errno: number,
  ) {
    super(message);
  }
}

/** Where berth-fsops is: $BERTH_FSOPS, else dist/native/ of this package. */
export function fsopsBinaryPath(): string {
  return nativeBinaryPath('berth-fsops', 'BERTH_FSOPS');
}

type Reply = { ok: true; fields: string[] } | { ok: false; errno: number; message: string };

const hex = (v: Buffer | string): string => Buffer.from(v).toString('hex');

export class SysOps {
  private child?: ChildProcessWithoutNullStreams;
  private lines?: Interface;
  private waiting: { resolve: (r: Reply) => void; reject: (e: Error) => void }[] = [];
  private failure?: Error;

  constructor(private readonly binary: string = fsopsBinaryPath()) {}

  private start(): void {
    const child = spawn(this.binary, [], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child = child;
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const failAll = (e: Error): void => {
      this.failure = e;
      for (const w of this.waiting.splice(0)) w.reject(e);
    };
    child.on('error', (e) =>
      failAll(
        new BerthError(
          `cannot start ${this.binary} for mknod/xattr calls: ${e.message}${(e as NodeJS.ErrnoException).code === 'ENOENT' ? ' (build the native helpers: npm run build, or sh native/build.sh)' : ''}`,
          { cause: e },
        ),
      ),
    );
    child.on('exit', (code, signal) => failAll(new BerthError(`the mknod/xattr helper exited (${signal ?? code})${stderr.trim() ? `: ${stderr.trim()}` : ''}`)));
    child.stdin.on('error', () => {});
    this.lines = createInterface({ input: child.stdout });
    this.lines.on('line', (line) => {
      const [status, ...fields] = line.split('\t');
      const reply: Reply = status === 'ok' ? { ok: true, fields } : { ok: false, errno: Number(fields[0]) || 0, message: fields.slice(1).join('\t') };
      this.waiting.shift()?.resolve(reply);
    });
  }

  private async call(what: string, fields: string[]): Promise<string[]> {
    if (this.failure) throw this.failure;
    if (!this.child) this.start();
    const reply = await new Promise<Reply>((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      this.child!.stdin.write(`${fields.join('\t')}\n`);
    });
    if (!reply.ok) throw new SysOpError(`${what}: ${reply.message}`, reply.errno);
    return reply.fields;
  }

  async mknod(path: string, kind: 'char' | 'block' | 'fifo', mode: number, major = 0, minor = 0): Promise<void> {
    const k = kind === 'char' ? 'c' : kind === 'block' ? 'b' : 'p';
    await this.call(`mknod ${path}`, ['mknod', hex(path), k, (mode & 0o7777).toString(8), String(major), String(minor)]);
  }

  /** Sets an attribute on the path itself, never on what a symlink points to. */
  async setxattr(path: string, name: string, value: Buffer | string): Promise<void> {
    await this.call(`setxattr ${path} ${name}`, ['setxattr', hex(path), hex(name), hex(value)]);
  }

  /** Every attribute of the path itself (a symlink's own, not its target's). */
  async listxattr(path: string): Promise<Record<string, Buffer>> {
    const fields = await this.call(`listxattr ${path}`, ['listxattr', hex(path)]);
    const out: Record<string, Buffer> = {};
    for (const f of fields) {
      const [name, value] = f.split('=');
      out[Buffer.from(name, 'hex').toString('utf8')] = Buffer.from(value ?? '', 'hex');
    }
    return out;
  }

  async close(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.stdin.end();
    await exited;
    this.lines?.close();
  }
}

/** One-off use: open, run, close. */
export async function withSysOps<T>(fn: (ops: SysOps) => Promise<T>): Promise<T> {
  const ops = new SysOps();
  try {
    return await fn(ops);
  } finally {
    await ops.close();
  }
}
