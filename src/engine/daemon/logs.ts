// Reading a container's json-file log (written by berth-shim): whole-file reads with Docker's
// filters, and followers that poll the file from a byte offset until the engine says the run they
// follow has ended (the shim writes the exit status only after draining output, so one last read
// after that sees everything).

import { open, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { LogEntry } from '../backend.js';

interface RawEntry {
  log: string;
  stream: 'stdout' | 'stderr';
  time: string;
}

/** Complete lines of `buf` parsed; `rest` is the torn tail still being written. */
export function parseChunk(buf: Buffer): { entries: LogEntry[]; consumed: number } {
  const entries: LogEntry[] = [];
  let start = 0;
  for (;;) {
    const nl = buf.indexOf(0x0a, start);
    if (nl < 0) break;
    const line = buf.subarray(start, nl).toString('utf8');
    start = nl + 1;
    if (line === '') continue;
    try {
      const raw = JSON.parse(line) as RawEntry;
      entries.push({ stream: raw.stream === 'stderr' ? 'stderr' : 'stdout', line: Buffer.from(raw.log, 'utf8'), time: new Date(raw.time), timeText: raw.time });
    } catch {
      // a corrupt line (disk full, crash) is skipped, as dockerd's reader does
    }
  }
  return { entries, consumed: start };
}

export async function fileSize(file: string): Promise<number> {
  try {
    return (await stat(file)).size;
  } catch {
    return 0;
  }
}

/** Where a follower is: its offset in the live file and that file's inode (to notice a rotation). */
export interface LogPosition {
  offset: number;
  ino?: number;
}

/** The position at the live file's end now. */
export async function endOfLog(file: string): Promise<LogPosition> {
  try {
    const st = await stat(file);
    return { offset: st.size, ino: st.ino };
  } catch {
    return { offset: 0 };
  }
}

/** Reads bytes [offset, EOF) of a file that may not exist yet, with the file's inode and size. */
export async function readFrom(file: string, offset: number): Promise<Buffer> {
  return (await readFromWithStat(file, offset)).buf;
}

async function readFromWithStat(file: string, offset: number): Promise<{ buf: Buffer; ino?: number; size: number }> {
  let fh;
  try {
    fh = await open(file, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { buf: Buffer.alloc(0), size: 0 };
    throw e;
  }
  try {
    const st = await fh.stat();
    if (st.size <= offset) return { buf: Buffer.alloc(0), ino: st.ino, size: st.size };
    const buf = Buffer.alloc(st.size - offset);
    const { bytesRead } = await fh.read(buf, 0, buf.length, offset);
    return { buf: buf.subarray(0, bytesRead), ino: st.ino, size: st.size };
  } finally {
    await fh.close();
  }
}

/** The log's rotated files (`<log>.N` … `<log>.1`, oldest first), without the live one. */
async function rotatedFiles(file: string): Promise<string[]> {
  const base = path.basename(file);
  const names = await readdir(path.dirname(file)).catch(() => [] as string[]);
  return names
    .map((n) => ({ n, i: n.startsWith(`${base}.`) && /^\d+$/.test(n.slice(base.length + 1)) ? Number(n.slice(base.length + 1)) : 0 }))
    .filter((x) => x.i > 0)
    .sort((a, b) => b.i - a.i)
    .map((x) => path.join(path.dirname(file), x.n));
}

/** Every entry of the log, rotated files first (oldest first), and where the live file ends. */
export async function readWholeLog(file: string): Promise<{ entries: LogEntry[]; position: LogPosition }> {
  const entries: LogEntry[] = [];
  for (const f of await rotatedFiles(file)) entries.push(...parseChunk(await readFrom(f, 0)).entries);
  const live = await readFromWithStat(file, 0);
  const parsed = parseChunk(live.buf);
  entries.push(...parsed.entries);
  return { entries, position: { offset: parsed.consumed, ...(live.ino !== undefined ? { ino: live.ino } : {}) } };
}

/** The rest of a file that was rotated away (found by its inode among the rotated files). */
async function restOfRotated(file: string, ino: number, offset: number): Promise<Buffer> {
  for (const f of (await rotatedFiles(file)).reverse()) {
    const st = await stat(f).catch(() => undefined);
    if (st?.ino === ino) return readFrom(f, offset);
  }
  return Buffer.alloc(0);
}

export interface FollowOptions {
  file: string;
  from: LogPosition;
  /** True once the followed run is over: the follower reads once more and ends. */
  finished: () => boolean;
  signal: AbortSignal;
  pollMs?: number;
  onEntry: (e: LogEntry) => void;
  onEnd: () => void;
}

/**
 * Polls the log from a position; calls onEnd when `finished()` held before a read, or on abort.
 * Rotation (the shim renamed the live file and opened a new one) is noticed by the inode: the
 * old file is read to its end, then the new one from its start. A file cut back to empty
 * (max-file 1) is noticed by its size.
 */
export function followLog(o: FollowOptions): void {
  let offset = o.from.offset;
  let ino = o.from.ino;
  const tick = async (): Promise<void> => {
    while (!o.signal.aborted) {
      const last = o.finished();
      let { buf, ino: now, size } = await readFromWithStat(o.file, offset).catch(() => ({ buf: Buffer.alloc(0), ino: undefined, size: 0 }));
      if (now !== undefined && ino !== undefined && now !== ino) {
        const rest = parseChunk(await restOfRotated(o.file, ino, offset).catch(() => Buffer.alloc(0)));
        for (const e of rest.entries) o.onEntry(e);
        offset = 0;
        ({ buf, size } = await readFromWithStat(o.file, 0).catch(() => ({ buf: Buffer.alloc(0), size: 0 })));
      } else if (size < offset) {
        offset = 0;
        ({ buf } = await readFromWithStat(o.file, 0).catch(() => ({ buf: Buffer.alloc(0) })));
      }
      if (now !== undefined) ino = now;
      const { entries, consumed } = parseChunk(buf);
      offset += consumed;
      for (const e of entries) o.onEntry(e);
      if (last) break;
      await new Promise((r) => setTimeout(r, o.pollMs ?? 50));
    }
    o.onEnd();
  };
  void tick();
}
