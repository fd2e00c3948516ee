// Layer decompression as streams. The format is read from the first bytes, not trusted from the
// media type (Docker does the same: some registries label plain tars as gzip): gzip through
// zlib, zstd through Node's zlib where it has it (Node ≥ 22.15) and otherwise Debian's `zstd
// -dc` as a child process — native speed, nothing to bundle, and the engine host has it from
// the same package list as runc. Anything else passes through as an uncompressed tar.
//
// `verifyDiff` hashes the uncompressed bytes and, like the blob stream, ends only when the diff
// id matches the one the image config lists.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { Duplex, PassThrough, Readable, Transform, pipeline } from 'node:stream';
import zlib from 'node:zlib';
import { RegistryError } from './errors.js';

export type Compression = 'gzip' | 'zstd' | 'none';

export function detectCompression(head: Uint8Array): Compression {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.length >= 4 && head[0] === 0x28 && head[1] === 0xb5 && head[2] === 0x2f && head[3] === 0xfd) return 'zstd';
  return 'none';
}

/** A decompressor for the format; `none` is a pass-through. */
export function createDecompressor(kind: Compression): Duplex {
  if (kind === 'gzip') return zlib.createGunzip();
  if (kind === 'zstd') {
    const native = (zlib as unknown as { createZstdDecompress?: () => Duplex }).createZstdDecompress;
    return native ? native() : zstdProcess();
  }
  return new PassThrough();
}

/** `zstd -dcq` as a duplex stream whose readable side ends only after the process exited 0. */
function zstdProcess(): Duplex {
  const child = spawn('zstd', ['-dcq'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString('utf8')).slice(-2000)));
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  const gate = new Transform({
    transform: (chunk: Buffer, _enc, cb) => cb(null, chunk),
    flush: (cb) => {
      void exited.then((code) => (code === 0 ? cb() : cb(new Error(`zstd -dc failed (exit ${code}): ${stderr.trim() || 'no message'}`))));
    },
  });
  child.stdout.pipe(gate);
  child.stdout.on('error', (e) => gate.destroy(e));
  child.stdin.on('error', () => undefined); // EPIPE when zstd rejects the input; its exit status says why
  const duplex = Duplex.from({ writable: child.stdin, readable: gate });
  child.once('error', (e) => {
    const msg = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'zstd is not installed (Debian package zstd); it is needed for zstd-compressed layers' : `zstd could not be started: ${e.message}`;
    duplex.destroy(new RegistryError('unsupported', msg, { cause: e }));
  });
  duplex.once('close', () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return duplex;
}

/** Reads the first bytes of `source`, then decompresses it by what they say. */
export function decompress(source: Readable): Readable {
  return Readable.from(decompressChunks(source));
}

async function* decompressChunks(source: Readable): AsyncGenerator<Buffer> {
  const it = source[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  let head = Buffer.alloc(0);
  let ended = false;
  while (head.length < 4) {
    const n = await it.next();
    if (n.done) {
      ended = true;
      break;
    }
    head = Buffer.concat([head, n.value]);
  }
  async function* rest(): AsyncGenerator<Buffer> {
    if (head.length > 0) yield head;
    if (ended) return;
    for (;;) {
      const n = await it.next();
      if (n.done) return;
      yield n.value;
    }
  }
  const kind = detectCompression(head);
  if (kind === 'none') {
    yield* rest();
    return;
  }
  const decoder = createDecompressor(kind);
  const input = Readable.from(rest());
  pipeline(input, decoder, () => undefined);
  try {
    for await (const chunk of decoder) yield chunk as Buffer;
  } catch (e) {
    // A blob that failed its own digest check says so; anything else is the decoder's complaint.
    if (e instanceof RegistryError) throw e;
    throw new RegistryError('invalid-content', `the layer could not be decompressed (${kind}): ${(e as Error).message}`, { cause: e });
  } finally {
    input.destroy();
    decoder.destroy();
    source.destroy();
  }
}

export interface DiffResult {
  diffId: string;
  /** Uncompressed size in bytes. */
  size: number;
}

/**
 * A pass-through that hashes what goes by and fails at the end unless it hashes to `expected`
 * (when given). `result` settles with the diff id once the stream has been fully verified.
 */
export function verifyDiff(expected: string | undefined, ctx: { reference?: string; host?: string; layer: string }): { stream: Transform; result: Promise<DiffResult> } {
  const hash = createHash('sha256');
  let size = 0;
  let settle!: (r: DiffResult) => void;
  let fail!: (e: unknown) => void;
  const result = new Promise<DiffResult>((resolve, reject) => {
    settle = resolve;
    fail = reject;
  });
  result.catch(() => undefined);
  const stream = new Transform({
    transform: (chunk: Buffer, _enc, cb) => {
      hash.update(chunk);
      size += chunk.length;
      cb(null, chunk);
    },
    flush: (cb) => {
      const diffId = `sha256:${hash.digest('hex')}`;
      if (expected !== undefined && diffId !== expected) {
        const e = new RegistryError('digest-mismatch', `layer ${ctx.layer} failed verification: its uncompressed content hashes to ${diffId}, the image config says ${expected}`, ctx);
        fail(e);
        return cb(e);
      }
      settle({ diffId, size });
      cb();
    },
  });
  stream.once('error', (e) => fail(e));
  stream.once('close', () => fail(new Error('the layer stream was closed before it was verified')));
  return { stream, result };
}
