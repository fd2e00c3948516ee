// Tar streams for layers, `docker save`/`load` archives, `docker cp` and develop sync, on top of
// `tar-stream` (block framing, ustar/GNU headers, base-256 numbers, GNU long names, body
// streaming with back-pressure). What we keep on top of it:
//
//   - pax records as bytes: `SCHILY.xattr.*` values are binary (`security.capability`), and
//     tar-stream decodes and encodes pax records as UTF-8 text, which mangles them. The reader
//     hands tar-stream's pax decoding a binary-safe replacement (see `keepPaxBytes`); the writer
//     writes the pax header block itself before handing the entry to tar-stream;
//   - the pax fields tar-stream does not apply (mtime with sub-second precision, uid/gid beyond
//     octal, uname/gname) and the refusal of sparse files;
//   - gzip sniffing, so callers need not know whether a layer is compressed;
//   - archives that stop at an entry boundary without the closing zero blocks (umoci writes
//     them) are accepted, as tar-stream does;
//   - entry bodies are streamed, never buffered; a body left unread is skipped, and one read
//     after the reader moved on is an error (its bytes are gone).
// Path confinement and whiteouts are the extractor's business (engine/images/extract.ts).
import { Readable, pipeline } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { extract as tarExtract, pack as tarPack, type Header, type Pack } from 'tar-stream';
import { BerthError } from '../errors.js';

/** A malformed or hostile archive: a bad header, a truncated body, an entry that escapes its root. */
export class TarError extends BerthError {}

export type TarEntryType = 'file' | 'hardlink' | 'symlink' | 'char' | 'block' | 'directory' | 'fifo';

export interface TarHeader {
  /** The entry's path as written in the archive (a directory usually ends in `/`). */
  path: string;
  type: TarEntryType;
  /** Permission bits including setuid, setgid and sticky (`0o7777` at most). */
  mode: number;
  uid: number;
  gid: number;
  uname: string;
  gname: string;
  /** Body length in bytes; 0 for every type but `file`. */
  size: number;
  /** Seconds since the epoch; fractional when a pax header gave sub-second precision. */
  mtime: number;
  /** Target of a symlink or hardlink, `''` otherwise. */
  linkpath: string;
  devmajor: number;
  devminor: number;
  /** Extended attributes from `SCHILY.xattr.*` pax records, values as raw bytes. */
  xattrs: Record<string, Buffer>;
}

export interface TarEntry {
  header: TarHeader;
  /**
   * The entry's bytes. Must be consumed (or ignored) before asking for the next entry: the
   * reader skips whatever is left, and reading a body after moving on throws.
   */
  body: AsyncIterable<Buffer>;
}

/** A byte stream: a Node Readable, an async generator, or (for small inputs) an array of buffers. */
export type ByteSource = AsyncIterable<Uint8Array> | Iterable<Uint8Array>;

const BLOCK = 512;

export function isGzip(head: Uint8Array): boolean {
  return head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b;
}

/** A Buffer view of the same memory (no copy). */
export function asBuffer(chunk: Uint8Array): Buffer {
  return Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

async function* chunksOf(source: ByteSource): AsyncGenerator<Buffer> {
  for await (const c of source) if (c.length > 0) yield asBuffer(c);
}

/** The source as it is, or decompressed when it starts with the gzip magic. */
export async function* maybeGunzip(source: ByteSource): AsyncGenerator<Buffer> {
  const it = chunksOf(source);
  let head: Buffer = Buffer.alloc(0);
  let ended = false;
  while (head.length < 2) {
    const n = await it.next();
    if (n.done) {
      ended = true;
      break;
    }
    head = head.length === 0 ? n.value : Buffer.concat([head, n.value]);
  }
  async function* rest(): AsyncGenerator<Buffer> {
    if (head.length > 0) yield head;
    if (!ended) yield* it;
  }
  if (!isGzip(head)) {
    yield* rest();
    return;
  }
  const gunzip = createGunzip();
  // pipeline (not pipe) so a failing source or corrupt data surfaces as an error in the loop below.
  pipeline(Readable.from(rest()), gunzip, () => {});
  try {
    for await (const chunk of gunzip) yield chunk as Buffer;
  } catch (e) {
    if (e instanceof BerthError) throw e;
    throw new TarError(`cannot decompress gzip stream: ${(e as Error).message}`, { cause: e });
  } finally {
    gunzip.destroy();
  }
}

interface Emitter {
  on(event: string, fn: () => void): unknown;
  off(event: string, fn: () => void): unknown;
}

/** Resolves when a stream wants more ('drain') or is gone ('close'), leaving no listener behind. */
function drained(s: Emitter): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      s.off('drain', done);
      s.off('close', done);
      resolve();
    };
    s.on('drain', done);
    s.on('close', done);
  });
}

// ---------------------------------------------------------------------------------------------
// Reading

/** Pax records `"<len> <key>=<value>\n"`; values stay bytes because xattr values are binary. */
export function parsePaxRecords(data: Buffer): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  let pos = 0;
  while (pos < data.length) {
    if (data[pos] === 0) break; // some writers pad the record block with NULs
    const space = data.indexOf(0x20, pos);
    if (space === -1) throw new TarError('malformed pax record: no length');
    const lenText = data.subarray(pos, space).toString('latin1');
    const len = Number(lenText);
    if (!/^[0-9]+$/.test(lenText) || len <= space - pos || pos + len > data.length) {
      throw new TarError(`malformed pax record length ${JSON.stringify(lenText)}`);
    }
    const record = data.subarray(space + 1, pos + len);
    if (record[record.length - 1] !== 0x0a) throw new TarError('malformed pax record: missing newline');
    const eq = record.indexOf(0x3d);
    if (eq <= 0) throw new TarError('malformed pax record: no key');
    out.set(record.subarray(0, eq).toString('utf8'), Buffer.from(record.subarray(eq + 1, record.length - 1)));
    pos += len;
  }
  return out;
}

function paxNumber(value: Buffer, key: string): number {
  const text = value.toString('latin1');
  if (!/^-?[0-9]+(\.[0-9]+)?$/.test(text)) throw new TarError(`pax record ${key} is not a number: ${JSON.stringify(text)}`);
  return Number(text);
}

/** The part of tar-stream's extractor the pax hook replaces (stable across tar-stream 3.x). */
interface PaxDecoding {
  _header: { type: string | null } | null;
  _pax: Record<string, string> | null;
  _paxGlobal: Record<string, string> | null;
  _decodeLongHeader(buf: Buffer): void;
}

function hasPaxDecoding(x: object): x is PaxDecoding {
  return typeof (x as { _decodeLongHeader?: unknown })._decodeLongHeader === 'function';
}

/**
 * Makes the extractor decode pax headers with our byte-preserving parser: tar-stream still gets
 * the text fields it applies itself (path, linkpath, size), and we keep every record as bytes.
 * `take()` returns the records (global merged with local) for the entry just emitted.
 */
function keepPaxBytes(ex: object): { take(): Map<string, Buffer> } {
  if (!hasPaxDecoding(ex)) throw new TarError('tar-stream no longer exposes its pax decoding; src/lib/tar.ts needs updating for this version');
  const original = ex._decodeLongHeader.bind(ex);
  const global = new Map<string, Buffer>();
  let local = new Map<string, Buffer>();
  const textFields = (records: Map<string, Buffer>): Record<string, string> => {
    const out: Record<string, string> = {};
    for (const key of ['path', 'linkpath', 'size']) {
      const v = records.get(key);
      if (v === undefined || v.length === 0) continue;
      if (v.includes(0)) throw new TarError(`pax record ${key} contains a NUL byte`);
      out[key] = v.toString('utf8');
    }
    return out;
  };
  ex._decodeLongHeader = (buf: Buffer): void => {
    const type = ex._header?.type;
    if (type === 'pax-global-header') {
      for (const [k, v] of parsePaxRecords(buf)) global.set(k, v);
      ex._paxGlobal = textFields(global);
    } else if (type === 'pax-header') {
      local = parsePaxRecords(buf);
      ex._pax = { ...(ex._paxGlobal ?? {}), ...textFields(local) };
    } else {
      original(buf);
    }
  };
  return {
    take() {
      const merged = new Map([...global, ...local]);
      local = new Map();
      return merged;
    },
  };
}

const TYPES: Record<string, TarEntryType> = {
  file: 'file',
  'contiguous-file': 'file', // a regular file everywhere that matters
  link: 'hardlink',
  symlink: 'symlink',
  'character-device': 'char',
  'block-device': 'block',
  directory: 'directory',
  fifo: 'fifo',
};

function headerOf(h: Header, pax: Map<string, Buffer>): TarHeader {
  const what = `entry ${JSON.stringify(h.name)}`;
  // tar-stream gives null for type flags it does not know (GNU sparse `S`, volume labels…).
  const raw: string | null = h.type;
  const type = raw ? TYPES[raw] : undefined;
  if (!type) throw new TarError(`${what}: unsupported tar entry type ${JSON.stringify(raw ?? 'unknown')} (sparse files and other GNU extensions are not supported)`);
  const header: TarHeader = {
    path: h.name,
    type,
    mode: (h.mode ?? 0) & 0o7777,
    uid: h.uid ?? 0,
    gid: h.gid ?? 0,
    uname: h.uname ?? '',
    gname: h.gname ?? '',
    size: type === 'file' ? (h.size ?? 0) : 0,
    mtime: h.mtime ? h.mtime.getTime() / 1000 : 0,
    linkpath: h.linkname ?? '',
    devmajor: h.devmajor ?? 0,
    devminor: h.devminor ?? 0,
    xattrs: {},
  };
  for (const [key, value] of pax) {
    if (key.startsWith('GNU.sparse.')) throw new TarError(`${what}: sparse files are not supported`);
    if (key.startsWith('SCHILY.xattr.')) {
      header.xattrs[key.slice('SCHILY.xattr.'.length)] = value;
      continue;
    }
    // An empty value deletes a global record for this entry (POSIX).
    if (value.length === 0) continue;
    if (key === 'mtime') header.mtime = paxNumber(value, key);
    else if (key === 'uid') header.uid = paxNumber(value, key);
    else if (key === 'gid') header.gid = paxNumber(value, key);
    else if (key === 'uname') header.uname = value.toString('utf8');
    else if (key === 'gname') header.gname = value.toString('utf8');
  }
  return header;
}

/** tar-stream's complaints in our words (its messages name neither the entry nor the cause). */
function tarErrorFrom(e: unknown): Error {
  if (e instanceof BerthError) return e;
  const msg = e instanceof Error ? e.message : String(e);
  if (/Invalid tar header\. Maybe/.test(msg)) return new TarError('invalid tar header checksum: not a tar archive, or corrupt', { cause: e });
  if (/Unexpected end of data/.test(msg)) return new TarError('unexpected end of archive: it stops inside an entry', { cause: e });
  if (/unknown format/.test(msg)) return new TarError('not a tar archive (unknown header format)', { cause: e });
  return new TarError(`invalid tar archive: ${msg}`, { cause: e });
}

/**
 * Reads a tar stream entry by entry. Pax and GNU long-name records are folded into the header
 * of the entry they describe. A gzip stream is decompressed transparently.
 */
export async function* readTar(source: ByteSource): AsyncGenerator<TarEntry> {
  // V7 archives have no ustar magic; tar-stream reads them when asked (its typings omit the option).
  const options = { allowUnknownFormat: true, highWaterMark: 64 * 1024 };
  const ex = tarExtract(options);
  const pax = keepPaxBytes(ex);
  ex.on('error', () => undefined); // reported through the iteration
  // An error of the source itself (a dropped download, bad gzip) is reported as it is.
  let sourceError: unknown;
  let stopped = false;
  const feeding = (async () => {
    try {
      for await (const chunk of maybeGunzip(source)) {
        if (stopped) return;
        if (!ex.write(chunk)) await drained(ex);
        if (ex.destroyed) return;
      }
      ex.end(null);
    } catch (e) {
      sourceError = e;
      ex.destroy(e instanceof Error ? e : new Error(String(e)));
    }
  })();
  const failure = (e: unknown): unknown => sourceError ?? tarErrorFrom(e);
  const entries = ex[Symbol.asyncIterator]();
  let index = 0;
  try {
    for (;;) {
      let next: IteratorResult<{ header: Header } & AsyncIterable<unknown>>;
      try {
        next = await entries.next();
      } catch (e) {
        throw failure(e);
      }
      if (next.done) break;
      const stream = next.value;
      const header = headerOf(stream.header, pax.take());
      const myIndex = ++index;
      // One iterator per entry, never returned early: ending a tar-stream entry stream early
      // destroys the whole extractor, so unread bytes are drained through the same iterator.
      let it: AsyncIterator<Buffer> | undefined;
      const iter = (): AsyncIterator<Buffer> => (it ??= stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>);
      const bodyWhat = `body of ${JSON.stringify(header.path)}`;
      const body: AsyncIterable<Buffer> = {
        [Symbol.asyncIterator]: async function* () {
          if (myIndex !== index) throw new TarError(`${bodyWhat} read after the reader moved on`);
          for (;;) {
            let n: IteratorResult<Buffer>;
            try {
              n = await iter().next();
            } catch (e) {
              throw failure(e);
            }
            if (n.done) return;
            yield n.value;
          }
        },
      };
      yield { header, body };
      index++;
      try {
        while (!(await iter().next()).done) {
          // skipping what the consumer left unread
        }
      } catch (e) {
        throw failure(e);
      }
    }
    await feeding;
    if (sourceError) throw sourceError;
  } finally {
    stopped = true;
    if (!ex.destroyed) ex.destroy();
    await feeding;
  }
}

/** Convenience for tests and small archives: every entry with its body gathered. */
export async function readTarToArray(source: ByteSource): Promise<{ header: TarHeader; data: Buffer }[]> {
  const out: { header: TarHeader; data: Buffer }[] = [];
  for await (const entry of readTar(source)) {
    const parts: Buffer[] = [];
    for await (const piece of entry.body) parts.push(piece);
    out.push({ header: entry.header, data: Buffer.concat(parts) });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Writing

export interface TarWriteEntry {
  path: string;
  type?: TarEntryType;
  mode?: number;
  uid?: number;
  gid?: number;
  uname?: string;
  gname?: string;
  /** Seconds since the epoch, or a Date. Defaults to 0 so archives are reproducible. */
  mtime?: number | Date;
  linkpath?: string;
  devmajor?: number;
  devminor?: number;
  xattrs?: Record<string, Buffer | string>;
  /** Required when `body` is a stream; taken from the buffer otherwise. */
  size?: number;
  /** A buffer/string, a stream, or a function opening one (so files are opened only when their turn comes). */
  body?: Buffer | string | ByteSource | (() => ByteSource);
}

const STREAM_TYPE: Record<TarEntryType, Header['type']> = {
  file: 'file',
  hardlink: 'link',
  symlink: 'symlink',
  char: 'character-device',
  block: 'block-device',
  directory: 'directory',
  fifo: 'fifo',
};

// st_mode type bits, or'ed into the mode handed to tar-stream: it masks them off when encoding,
// and a mode of exactly 0 (a file nobody may read) would otherwise be replaced by its default.
const S_IFREG = 0o100000;

function paxRecord(key: string, value: Buffer): Buffer {
  const rest = Buffer.byteLength(key) + value.length + 3; // space, '=', newline
  let len = rest + String(rest).length;
  if (String(len).length !== String(rest).length) len = rest + String(len).length;
  return Buffer.concat([Buffer.from(`${len} ${key}=`, 'utf8'), value, Buffer.from('\n')]);
}

const NON_ASCII = /[^\x00-\x7f]/;
const fitsOctal = (value: number, len: number): boolean => Number.isInteger(value) && value >= 0 && value < 8 ** (len - 1);

/** Whether tar-stream's ustar encoder takes the path as it is (≤100 bytes, or split at a `/` into ≤155 + ≤100). */
function fitsUstar(p: string): boolean {
  if (NON_ASCII.test(p)) return false;
  if (p.length <= 100) return true;
  if (p.length > 256) return false;
  let name = p;
  let prefix = '';
  while (name.length > 100) {
    const i = name.indexOf('/');
    if (i === -1) return false;
    prefix += prefix ? `/${name.slice(0, i)}` : name.slice(0, i);
    name = name.slice(i + 1);
  }
  return prefix.length <= 155;
}

/** An ASCII stand-in of at most 100 bytes, for header fields whose real value a pax record carries. */
const standIn = (s: string): string => s.replace(/[^\x20-\x7e]/g, '_').slice(-100);

/**
 * The pax extended header (`x`) an entry needs, encoded here rather than by tar-stream because
 * record values are bytes. Only fields the ustar header cannot hold get a record.
 */
function paxHeaderFor(e: TarWriteEntry, size: number, mtime: number): Buffer | undefined {
  const records: Buffer[] = [];
  const linkpath = e.linkpath ?? '';
  const uname = e.uname ?? '';
  const gname = e.gname ?? '';
  if (!fitsUstar(e.path)) records.push(paxRecord('path', Buffer.from(e.path)));
  if (linkpath.length > 100 || NON_ASCII.test(linkpath)) records.push(paxRecord('linkpath', Buffer.from(linkpath)));
  if (!fitsOctal(size, 12)) records.push(paxRecord('size', Buffer.from(String(size))));
  if (!fitsOctal(e.uid ?? 0, 8)) records.push(paxRecord('uid', Buffer.from(String(e.uid))));
  if (!fitsOctal(e.gid ?? 0, 8)) records.push(paxRecord('gid', Buffer.from(String(e.gid))));
  if (!fitsOctal(mtime, 12)) records.push(paxRecord('mtime', Buffer.from(String(mtime))));
  if (Buffer.byteLength(uname) > 32 || NON_ASCII.test(uname)) records.push(paxRecord('uname', Buffer.from(uname)));
  if (Buffer.byteLength(gname) > 32 || NON_ASCII.test(gname)) records.push(paxRecord('gname', Buffer.from(gname)));
  for (const [k, v] of Object.entries(e.xattrs ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    records.push(paxRecord(`SCHILY.xattr.${k}`, Buffer.from(v)));
  }
  if (records.length === 0) return undefined;
  const data = Buffer.concat(records);
  const block = Buffer.alloc(BLOCK);
  const base = e.path.replace(/\/+$/, '').split('/').pop() ?? '';
  block.write(standIn(`PaxHeaders.0/${base}`).slice(0, 100), 0, 'latin1');
  const octal = (start: number, len: number, v: number): void => void block.write(`${v.toString(8).padStart(len - 1, '0')}\0`, start, len, 'latin1');
  octal(100, 8, 0o644);
  octal(108, 8, 0);
  octal(116, 8, 0);
  octal(124, 12, data.length);
  octal(136, 12, 0);
  block.write('x', 156, 1, 'latin1');
  block.write('ustar\x0000', 257, 8, 'latin1');
  block.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of block) sum += b;
  block.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8, 'latin1');
  return Buffer.concat([block, data, Buffer.alloc((BLOCK - (data.length % BLOCK)) % BLOCK)]);
}

async function writeEntry(p: Pack, e: TarWriteEntry, isStopped: () => boolean): Promise<void> {
  const type = e.type ?? 'file';
  const rawBody = typeof e.body === 'function' ? e.body() : e.body;
  const bodyBuf = typeof rawBody === 'string' ? Buffer.from(rawBody) : Buffer.isBuffer(rawBody) ? rawBody : undefined;
  const size = type === 'file' ? (bodyBuf ? bodyBuf.length : (e.size ?? 0)) : 0;
  const what = `entry ${JSON.stringify(e.path)}`;
  if (bodyBuf && e.size !== undefined && e.size !== bodyBuf.length) throw new TarError(`${what}: size ${e.size} does not match its ${bodyBuf.length}-byte body`);
  if (type === 'file' && !rawBody && size > 0) throw new TarError(`${what}: declares ${size} bytes but has no body`);
  if (type === 'symlink' && !e.linkpath) throw new TarError(`${what}: a symlink needs a target`);
  const mtime = e.mtime instanceof Date ? e.mtime.getTime() / 1000 : (e.mtime ?? 0);
  const pax = paxHeaderFor(e, size, mtime);
  // Our pax header goes straight into the output between entries; the entry itself then gets
  // header fields tar-stream can encode without a pax header of its own (a second one would
  // replace ours in every reader).
  if (pax) p.push(pax);
  const uname = e.uname ?? '';
  const gname = e.gname ?? '';
  const linkpath = e.linkpath ?? '';
  const header: Parameters<Pack['entry']>[0] = {
    name: fitsUstar(e.path) ? e.path : standIn(e.path),
    type: STREAM_TYPE[type],
    mode: ((e.mode ?? (type === 'directory' ? 0o755 : 0o644)) & 0o7777) | S_IFREG,
    uid: fitsOctal(e.uid ?? 0, 8) ? (e.uid ?? 0) : 0,
    gid: fitsOctal(e.gid ?? 0, 8) ? (e.gid ?? 0) : 0,
    size,
    mtime: new Date(Math.max(0, Math.trunc(mtime)) * 1000),
    linkname: linkpath.length > 100 || NON_ASCII.test(linkpath) ? standIn(linkpath) : linkpath,
    uname: Buffer.byteLength(uname) <= 32 && !NON_ASCII.test(uname) ? uname : '',
    gname: Buffer.byteLength(gname) <= 32 && !NON_ASCII.test(gname) ? gname : '',
    devmajor: e.devmajor ?? 0,
    devminor: e.devminor ?? 0,
  };
  let settle!: (err?: Error | null) => void;
  const written = new Promise<void>((resolve, reject) => (settle = (err) => (err ? reject(err) : resolve())));
  written.catch(() => undefined);
  const sink = p.entry(header, (err) => settle(err));
  sink.on('error', () => undefined); // reported through `written`
  if (type === 'file' && size > 0) {
    if (bodyBuf) sink.write(bodyBuf);
    else {
      let count = 0;
      for await (const chunk of rawBody as ByteSource) {
        if (isStopped()) return;
        count += chunk.length;
        if (count > size) throw new TarError(`${what}: body is longer than its declared size ${size}`);
        if (!sink.write(asBuffer(chunk))) await drained(sink);
      }
      if (count !== size) throw new TarError(`${what}: body has ${count} bytes, declared ${size}`);
    }
  }
  if (type === 'file') sink.end(null);
  await written;
}

/** Encodes entries as a tar stream, ending with the two zero blocks of the end-of-archive marker. */
export async function* writeTar(entries: Iterable<TarWriteEntry> | AsyncIterable<TarWriteEntry>): AsyncGenerator<Buffer> {
  const p = tarPack();
  // Failures reach the consumer through the iteration below; the event must not go unhandled.
  p.on('error', () => undefined);
  let stopped = false;
  let producerError: unknown;
  const producing = (async () => {
    try {
      for await (const e of entries) {
        if (stopped) return;
        await writeEntry(p, e, () => stopped);
      }
      p.finalize();
    } catch (e) {
      producerError = e;
      p.destroy(e instanceof Error ? e : new Error(String(e)));
    }
  })();
  try {
    try {
      for await (const chunk of p) yield asBuffer(chunk as Uint8Array);
    } catch (e) {
      await producing;
      throw producerError ?? new TarError(`writing the archive failed: ${(e as Error).message}`, { cause: e });
    }
    await producing;
    if (producerError) throw producerError;
  } finally {
    stopped = true;
    if (!p.destroyed) p.destroy();
    await producing;
  }
}

/** The writer's output as a Node stream (for HTTP responses and `pipeline`). */
export function tarStream(entries: Iterable<TarWriteEntry> | AsyncIterable<TarWriteEntry>): Readable {
  return Readable.from(writeTar(entries), { objectMode: false });
}
