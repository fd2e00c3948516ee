// Streaming tar reader and writer: ustar, pax extended headers (local and global) and GNU long
// names, which together cover what `docker save`, `docker export`, GNU tar, bsdtar and Go's
// archive/tar produce. Layers can be many gigabytes, so entry bodies are streamed, never buffered;
// the only things held in memory are headers and pax/long-name records.
import { Readable, pipeline } from 'node:stream';
import { createGunzip } from 'node:zlib';
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
const ZERO_BLOCK = Buffer.alloc(BLOCK);

export function isGzip(head: Uint8Array): boolean {
  return head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b;
}

/** A Buffer view of the same memory (no copy). */
export function asBuffer(chunk: Uint8Array): Buffer {
  return Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

/**
 * Pulls bytes from a chunked source in exactly the sizes asked for. Keeps at most one chunk
 * buffered, so memory stays flat however large the stream.
 */
export class ByteReader {
  private buf: Buffer = Buffer.alloc(0);
  private readonly it: AsyncIterator<Uint8Array> | Iterator<Uint8Array>;
  private ended = false;

  constructor(source: ByteSource) {
    this.it = Symbol.asyncIterator in source ? source[Symbol.asyncIterator]() : source[Symbol.iterator]();
  }

  /** Buffers until `n` bytes are available or the source ends; returns how many are available. */
  async peek(n: number): Promise<Buffer> {
    while (this.buf.length < n && !this.ended) {
      const next = await this.it.next();
      if (next.done) this.ended = true;
      else if (next.value.length > 0) this.buf = this.buf.length === 0 ? asBuffer(next.value) : Buffer.concat([this.buf, next.value]);
    }
    return this.buf.subarray(0, Math.min(n, this.buf.length));
  }

  /** Exactly `n` bytes, or `undefined` at a clean end of stream; a partial read throws. */
  async readExact(n: number, what: string): Promise<Buffer | undefined> {
    const got = await this.peek(n);
    if (got.length === 0 && n > 0) return undefined;
    if (got.length < n) throw new TarError(`unexpected end of archive in ${what}`);
    this.buf = this.buf.subarray(n);
    return got;
  }

  /** Yields `n` bytes as they arrive, without gathering them. */
  async *take(n: number, what: string): AsyncGenerator<Buffer> {
    let left = n;
    while (left > 0) {
      if (this.buf.length === 0) {
        if (this.ended) throw new TarError(`unexpected end of archive in ${what}`);
        const next = await this.it.next();
        if (next.done) {
          this.ended = true;
          continue;
        }
        this.buf = asBuffer(next.value);
        continue;
      }
      const piece = this.buf.subarray(0, Math.min(left, this.buf.length));
      this.buf = this.buf.subarray(piece.length);
      left -= piece.length;
      yield piece;
    }
  }

  /** Everything not yet read, chunk by chunk. */
  async *rest(): AsyncGenerator<Buffer> {
    if (this.buf.length > 0) {
      const head = this.buf;
      this.buf = Buffer.alloc(0);
      yield head;
    }
    while (!this.ended) {
      const next = await this.it.next();
      if (next.done) this.ended = true;
      else if (next.value.length > 0) yield asBuffer(next.value);
    }
  }

  async skip(n: number, what: string): Promise<void> {
    for await (const _ of this.take(n, what)) {
      // draining
    }
  }

  /** Releases the source (closes a file or socket) when the reader stops early. */
  async close(): Promise<void> {
    if (!this.ended) {
      this.ended = true;
      await this.it.return?.();
    }
  }
}

/** The source as it is, or decompressed when it starts with the gzip magic. */
export async function* maybeGunzip(source: ByteSource): AsyncGenerator<Buffer> {
  const reader = new ByteReader(source);
  const head = await reader.peek(2);
  const rest = reader.rest();
  if (!isGzip(head)) {
    yield* rest;
    return;
  }
  const gunzip = createGunzip();
  // pipeline (not pipe) so a failing source or corrupt data surfaces as an error in the loop below.
  pipeline(Readable.from(rest), gunzip, () => {});
  try {
    for await (const chunk of gunzip) yield chunk as Buffer;
  } catch (e) {
    throw new TarError(`cannot decompress gzip stream: ${(e as Error).message}`, { cause: e });
  }
}

// ---------------------------------------------------------------------------------------------
// Reading

function cString(block: Buffer, start: number, len: number): string {
  const field = block.subarray(start, start + len);
  const nul = field.indexOf(0);
  return field.subarray(0, nul === -1 ? len : nul).toString('utf8');
}

/** Octal with optional NUL/space padding, or GNU base-256 when the high bit of the first byte is set. */
function parseNumeric(block: Buffer, start: number, len: number, what: string): number {
  const field = block.subarray(start, start + len);
  if (field[0] & 0x80) {
    // Base-256: big-endian two's complement with the flag bit masked off.
    const negative = (field[0] & 0x40) !== 0;
    let value = 0n;
    for (let i = 0; i < field.length; i++) {
      const byte = i === 0 ? field[0] & 0x7f : field[i];
      value = (value << 8n) | BigInt(negative ? ~byte & 0xff : byte);
    }
    if (negative) value = -(value + 1n);
    if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < -BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new TarError(`${what} field is out of range`);
    }
    return Number(value);
  }
  const text = field.toString('latin1').replace(/\0.*$/s, '').trim();
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) throw new TarError(`${what} field is not an octal number: ${JSON.stringify(text)}`);
  return parseInt(text, 8);
}

function checksumOf(block: Buffer): { unsigned: number; signed: number } {
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const b = i >= 148 && i < 156 ? 0x20 : block[i];
    unsigned += b;
    signed += b > 127 ? b - 256 : b;
  }
  return { unsigned, signed };
}

interface RawHeader {
  name: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  typeflag: string;
  linkname: string;
  uname: string;
  gname: string;
  devmajor: number;
  devminor: number;
}

function parseHeaderBlock(block: Buffer): RawHeader {
  const stored = parseNumeric(block, 148, 8, 'checksum');
  const sum = checksumOf(block);
  if (stored !== sum.unsigned && stored !== sum.signed) {
    throw new TarError(`invalid tar header checksum (stored ${stored}, computed ${sum.unsigned}): not a tar archive or corrupt`);
  }
  const magic = block.subarray(257, 263).toString('latin1');
  const version = block.subarray(263, 265).toString('latin1');
  let name = cString(block, 0, 100);
  // POSIX ustar splits long names into prefix/name; GNU tar uses those bytes for atime/ctime.
  const isUstar = magic === 'ustar\0' && version === '00';
  if (isUstar) {
    const prefix = cString(block, 345, 155);
    if (prefix !== '') name = `${prefix}/${name}`;
  }
  const typeflag = block[156] === 0 ? '0' : String.fromCharCode(block[156]);
  return {
    name,
    mode: parseNumeric(block, 100, 8, 'mode'),
    uid: parseNumeric(block, 108, 8, 'uid'),
    gid: parseNumeric(block, 116, 8, 'gid'),
    size: parseNumeric(block, 124, 12, 'size'),
    mtime: parseNumeric(block, 136, 12, 'mtime'),
    typeflag,
    linkname: cString(block, 157, 100),
    uname: cString(block, 265, 32),
    gname: cString(block, 297, 32),
    devmajor: parseNumeric(block, 329, 8, 'devmajor'),
    devminor: parseNumeric(block, 337, 8, 'devminor'),
  };
}

const TYPES: Record<string, TarEntryType> = {
  '0': 'file',
  '7': 'file', // contiguous file: a regular file everywhere that matters
  '1': 'hardlink',
  '2': 'symlink',
  '3': 'char',
  '4': 'block',
  '5': 'directory',
  '6': 'fifo',
};

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

/** Limit for pax and GNU long-name records, which are held in memory. */
const MAX_META_SIZE = 1 << 20;

/**
 * Reads a tar stream entry by entry. Pax and GNU long-name records are folded into the header
 * of the entry they describe. A gzip stream is decompressed transparently.
 */
export async function* readTar(source: ByteSource): AsyncGenerator<TarEntry> {
  const reader = new ByteReader(maybeGunzip(source));
  const globalPax = new Map<string, Buffer>();
  let localPax = new Map<string, Buffer>();
  let longName: string | undefined;
  let longLink: string | undefined;
  let index = 0;
  try {
    for (;;) {
      const block = await reader.readExact(BLOCK, 'header');
      // A missing end-of-archive marker is common (truncated writers); a clean stop at a header boundary is accepted.
      if (!block) return;
      if (block.equals(ZERO_BLOCK)) return;
      const raw = parseHeaderBlock(block);
      const what = `entry ${JSON.stringify(longName ?? raw.name)}`;
      const padded = Math.ceil(raw.size / BLOCK) * BLOCK;

      if (raw.typeflag === 'x' || raw.typeflag === 'g' || raw.typeflag === 'L' || raw.typeflag === 'K') {
        if (raw.size > MAX_META_SIZE) throw new TarError(`${what}: extended header of ${raw.size} bytes is too large`);
        const data = (await reader.readExact(padded, what)) ?? Buffer.alloc(0);
        const content = data.subarray(0, raw.size);
        if (raw.typeflag === 'x') localPax = parsePaxRecords(content);
        else if (raw.typeflag === 'g') for (const [k, v] of parsePaxRecords(content)) globalPax.set(k, v);
        else {
          const text = cString(content, 0, content.length);
          if (raw.typeflag === 'L') longName = text;
          else longLink = text;
        }
        continue;
      }

      const type = TYPES[raw.typeflag];
      if (!type) throw new TarError(`${what}: unsupported tar entry type ${JSON.stringify(raw.typeflag)}`);

      const pax = new Map([...globalPax, ...localPax]);
      for (const key of pax.keys()) {
        if (key.startsWith('GNU.sparse.')) throw new TarError(`${what}: sparse files are not supported`);
      }
      const header: TarHeader = {
        path: longName ?? raw.name,
        type,
        mode: raw.mode & 0o7777,
        uid: raw.uid,
        gid: raw.gid,
        uname: raw.uname,
        gname: raw.gname,
        size: raw.size,
        mtime: raw.mtime,
        linkpath: longLink ?? raw.linkname,
        devmajor: raw.devmajor,
        devminor: raw.devminor,
        xattrs: {},
      };
      for (const [key, value] of pax) {
        // An empty value deletes a global record for this entry (POSIX).
        if (value.length === 0 && !key.startsWith('SCHILY.xattr.')) continue;
        switch (key) {
          case 'path':
            header.path = value.toString('utf8');
            break;
          case 'linkpath':
            header.linkpath = value.toString('utf8');
            break;
          case 'size':
            header.size = paxNumber(value, key);
            break;
          case 'mtime':
            header.mtime = paxNumber(value, key);
            break;
          case 'uid':
            header.uid = paxNumber(value, key);
            break;
          case 'gid':
            header.gid = paxNumber(value, key);
            break;
          case 'uname':
            header.uname = value.toString('utf8');
            break;
          case 'gname':
            header.gname = value.toString('utf8');
            break;
          default:
            if (key.startsWith('SCHILY.xattr.')) header.xattrs[key.slice('SCHILY.xattr.'.length)] = value;
        }
      }
      // V7 archives mark directories only by a trailing slash.
      if (header.type === 'file' && raw.typeflag === '0' && header.path.endsWith('/')) header.type = 'directory';
      // Only regular files carry a body; the size field of other types is ignored (as Go's archive/tar does).
      const bodySize = header.type === 'file' ? header.size : 0;
      if (header.type !== 'file') header.size = 0;
      localPax = new Map();
      longName = undefined;
      longLink = undefined;

      const myIndex = ++index;
      let consumed = 0;
      const bodyWhat = `body of ${JSON.stringify(header.path)}`;
      const body: AsyncIterable<Buffer> = {
        [Symbol.asyncIterator]: async function* () {
          if (myIndex !== index) throw new TarError(`${bodyWhat} read after the reader moved on`);
          for await (const piece of reader.take(bodySize - consumed, bodyWhat)) {
            consumed += piece.length;
            yield piece;
          }
        },
      };
      yield { header, body };
      index++;
      const left = bodySize - consumed + (Math.ceil(bodySize / BLOCK) * BLOCK - bodySize);
      await reader.skip(left, bodyWhat);
    }
  } finally {
    await reader.close();
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

export interface TarWriteOptions {
  /** How names and numbers that do not fit ustar are written: pax (default, like Go) or GNU `L`/`K` records. */
  format?: 'pax' | 'gnu';
}

const TYPEFLAG: Record<TarEntryType, string> = {
  file: '0',
  hardlink: '1',
  symlink: '2',
  char: '3',
  block: '4',
  directory: '5',
  fifo: '6',
};

function writeString(block: Buffer, start: number, len: number, value: string): void {
  Buffer.from(value, 'utf8').copy(block, start, 0, len);
}

function fitsOctal(value: number, len: number): boolean {
  return Number.isInteger(value) && value >= 0 && value < 8 ** (len - 1);
}

function writeOctal(block: Buffer, start: number, len: number, value: number): void {
  block.write(value.toString(8).padStart(len - 1, '0') + '\0', start, len, 'latin1');
}

/** GNU base-256: the way GNU tar stores numbers too large for octal. */
function writeBase256(block: Buffer, start: number, len: number, value: number): void {
  let v = BigInt(Math.trunc(value));
  const negative = v < 0n;
  for (let i = len - 1; i >= 0; i--) {
    block[start + i] = Number(BigInt.asUintN(8, v));
    v >>= 8n;
  }
  block[start] = negative ? block[start] | 0xc0 : (block[start] & 0x7f) | 0x80;
}

function paxRecord(key: string, value: Buffer): Buffer {
  const rest = Buffer.byteLength(key) + value.length + 3; // space, '=', newline
  let len = rest + String(rest).length;
  if (String(len).length !== String(rest).length) len = rest + String(len).length;
  return Buffer.concat([Buffer.from(`${len} ${key}=`, 'utf8'), value, Buffer.from('\n')]);
}

/** Splits a path into ustar prefix (≤155 bytes) and name (≤100 bytes), if it can be. */
function splitUstar(path: string): { prefix: string; name: string } | undefined {
  if (Buffer.byteLength(path) <= 100) return { prefix: '', name: path };
  if (Buffer.byteLength(path) > 256) return undefined;
  for (let i = path.indexOf('/'); i !== -1; i = path.indexOf('/', i + 1)) {
    const prefix = path.slice(0, i);
    const name = path.slice(i + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(name) <= 100 && name !== '') return { prefix, name };
  }
  return undefined;
}

function headerBlock(fields: {
  name: string;
  prefix: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  typeflag: string;
  linkname: string;
  uname: string;
  gname: string;
  devmajor: number;
  devminor: number;
  gnu: boolean;
}): Buffer {
  const block = Buffer.alloc(BLOCK);
  writeString(block, 0, 100, fields.name);
  const num = (start: number, len: number, value: number): void => {
    if (fitsOctal(value, len)) writeOctal(block, start, len, value);
    else if (fields.gnu) writeBase256(block, start, len, value);
    else writeOctal(block, start, len, 0); // the pax header carries the real value
  };
  num(100, 8, fields.mode);
  num(108, 8, fields.uid);
  num(116, 8, fields.gid);
  num(124, 12, fields.size);
  num(136, 12, Math.max(0, Math.trunc(fields.mtime)));
  block.write(fields.typeflag, 156, 1, 'latin1');
  writeString(block, 157, 100, fields.linkname);
  if (fields.gnu) block.write('ustar  \0', 257, 8, 'latin1');
  else block.write('ustar\x0000', 257, 8, 'latin1');
  writeString(block, 265, 32, fields.uname);
  writeString(block, 297, 32, fields.gname);
  num(329, 8, fields.devmajor);
  num(337, 8, fields.devminor);
  writeString(block, 345, 155, fields.prefix);
  const { unsigned } = checksumOf(block);
  block.write(unsigned.toString(8).padStart(6, '0') + '\0 ', 148, 8, 'latin1');
  return block;
}

function metaEntry(name: string, typeflag: string, data: Buffer, gnu: boolean): Buffer[] {
  const header = headerBlock({
    name,
    prefix: '',
    mode: 0o644,
    uid: 0,
    gid: 0,
    size: data.length,
    mtime: 0,
    typeflag,
    linkname: '',
    uname: '',
    gname: '',
    devmajor: 0,
    devminor: 0,
    gnu,
  });
  return [header, data, Buffer.alloc((BLOCK - (data.length % BLOCK)) % BLOCK)];
}

const NON_ASCII = /[^\x00-\x7f]/;

/** Encodes entries as a tar stream, ending with the two zero blocks of the end-of-archive marker. */
export async function* writeTar(
  entries: Iterable<TarWriteEntry> | AsyncIterable<TarWriteEntry>,
  options: TarWriteOptions = {},
): AsyncGenerator<Buffer> {
  const gnu = options.format === 'gnu';
  for await (const entry of entries) {
    const type = entry.type ?? 'file';
    const rawBody = typeof entry.body === 'function' ? entry.body() : entry.body;
    const bodyBuf = typeof rawBody === 'string' ? Buffer.from(rawBody) : Buffer.isBuffer(rawBody) ? rawBody : undefined;
    const size = type === 'file' ? (bodyBuf ? bodyBuf.length : (entry.size ?? 0)) : 0;
    if (bodyBuf && entry.size !== undefined && entry.size !== bodyBuf.length) {
      throw new TarError(`entry ${JSON.stringify(entry.path)}: size ${entry.size} does not match its ${bodyBuf.length}-byte body`);
    }
    const mtime = entry.mtime instanceof Date ? entry.mtime.getTime() / 1000 : (entry.mtime ?? 0);
    const uid = entry.uid ?? 0;
    const gid = entry.gid ?? 0;
    const linkpath = entry.linkpath ?? '';
    const uname = entry.uname ?? '';
    const gname = entry.gname ?? '';

    const pax: Buffer[] = [];
    let split = splitUstar(entry.path);
    let linkname = linkpath;
    const longPath = !split || NON_ASCII.test(entry.path);
    const longLink = Buffer.byteLength(linkpath) > 100 || NON_ASCII.test(linkpath);
    if (gnu) {
      if (!split) {
        yield* metaEntry('././@LongLink', 'L', Buffer.from(`${entry.path}\0`), true);
        split = { prefix: '', name: entry.path.slice(0, 100) };
      }
      if (Buffer.byteLength(linkpath) > 100) {
        yield* metaEntry('././@LongLink', 'K', Buffer.from(`${linkpath}\0`), true);
        linkname = linkpath.slice(0, 100);
      }
      if (entry.xattrs && Object.keys(entry.xattrs).length > 0) {
        // GNU tar itself stores xattrs in pax records, even in its own format.
        const records = Object.entries(entry.xattrs).map(([k, v]) => paxRecord(`SCHILY.xattr.${k}`, Buffer.from(v)));
        yield* metaEntry('././@PaxHeader', 'x', Buffer.concat(records), true);
      }
    } else {
      if (longPath) {
        pax.push(paxRecord('path', Buffer.from(entry.path)));
        if (!split) split = { prefix: '', name: entry.path.slice(-100) };
      }
      if (longLink) {
        pax.push(paxRecord('linkpath', Buffer.from(linkpath)));
        linkname = linkpath.slice(0, 100);
      }
      if (!fitsOctal(size, 12)) pax.push(paxRecord('size', Buffer.from(String(size))));
      if (!fitsOctal(uid, 8)) pax.push(paxRecord('uid', Buffer.from(String(uid))));
      if (!fitsOctal(gid, 8)) pax.push(paxRecord('gid', Buffer.from(String(gid))));
      if (!fitsOctal(mtime, 12)) pax.push(paxRecord('mtime', Buffer.from(String(mtime))));
      if (Buffer.byteLength(uname) > 32 || NON_ASCII.test(uname)) pax.push(paxRecord('uname', Buffer.from(uname)));
      if (Buffer.byteLength(gname) > 32 || NON_ASCII.test(gname)) pax.push(paxRecord('gname', Buffer.from(gname)));
      for (const [k, v] of Object.entries(entry.xattrs ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
        pax.push(paxRecord(`SCHILY.xattr.${k}`, Buffer.from(v)));
      }
      if (pax.length > 0) {
        const base = entry.path.replace(/\/+$/, '').split('/').pop() ?? '';
        yield* metaEntry(`PaxHeaders.0/${base}`.slice(0, 100), 'x', Buffer.concat(pax), false);
      }
    }

    yield headerBlock({
      name: split!.name,
      prefix: split!.prefix,
      mode: (entry.mode ?? (type === 'directory' ? 0o755 : 0o644)) & 0o7777,
      uid,
      gid,
      size,
      mtime,
      typeflag: TYPEFLAG[type],
      linkname,
      uname: Buffer.byteLength(uname) <= 32 ? uname : '',
      gname: Buffer.byteLength(gname) <= 32 ? gname : '',
      devmajor: entry.devmajor ?? 0,
      devminor: entry.devminor ?? 0,
      gnu,
    });

    if (type !== 'file') continue;
    if (bodyBuf) {
      if (bodyBuf.length > 0) yield bodyBuf;
    } else if (rawBody) {
      let written = 0;
      for await (const chunk of rawBody as ByteSource) {
        written += chunk.length;
        if (written > size) throw new TarError(`entry ${JSON.stringify(entry.path)}: body is longer than its declared size ${size}`);
        yield asBuffer(chunk);
      }
      if (written !== size) throw new TarError(`entry ${JSON.stringify(entry.path)}: body has ${written} bytes, declared ${size}`);
    } else if (size > 0) {
      throw new TarError(`entry ${JSON.stringify(entry.path)}: declares ${size} bytes but has no body`);
    }
    const pad = (BLOCK - (size % BLOCK)) % BLOCK;
    if (pad > 0) yield Buffer.alloc(pad);
  }
  yield Buffer.alloc(BLOCK * 2);
}

/** The writer's output as a Node stream (for HTTP responses and `pipeline`). */
export function tarStream(entries: Iterable<TarWriteEntry> | AsyncIterable<TarWriteEntry>, options?: TarWriteOptions): Readable {
  return Readable.from(writeTar(entries, options), { objectMode: false });
}
