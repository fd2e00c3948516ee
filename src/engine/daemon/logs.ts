// Reading a container's json-file log (written by berth-shim): whole-file reads with Docker's
// filters, and followers that poll the file from a byte offset until the engine says the run they
// follow has ended (the shim writes the exit status only after draining output, so one last read
// after that sees everything).

import { open, readdir, stat, type FileHandle } from 'node:fs/promises';
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

/**
 * The rotated files newer than the one with inode `ino` (all of them when it is no longer there:
 * rotation deletes the oldest first), oldest first.
 */
async function newerRotated(file: string, ino: number | undefined): Promise<{ file: string; ino: number }[]> {
  const rotated = await rotatedFiles(file);
  const withIno = (await Promise.all(rotated.map(async (f) => ({ file: f, ino: await stat(f).then((st) => st.ino, () => -1) })))).filter((f) => f.ino >= 0);
  const at = withIno.findIndex((f) => f.ino === ino);
  return withIno.slice(at + 1);
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
 * The follower keeps the file it reads open, so a rotation (the shim renames the live file and
 * opens a new one; the oldest file is deleted) can never hand its inode to another file under it:
 * it reads its file to the end, then every file rotated after it, then the new live file from its
 * start. A file cut back to empty (max-file 1) is noticed by its size.
 */
export function followLog(o: FollowOptions): void {
  let offset = o.from.offset;
  let current: FileHandle | undefined;
  let ino: number | undefined;
  const emit = (buf: Buffer): number => {
    const { entries, consumed } = parseChunk(buf);
    for (const e of entries) o.onEntry(e);
    return consumed;
  };
  const readHandle = async (fh: FileHandle, from: number): Promise<Buffer> => {
    const { size } = await fh.stat();
    if (size <= from) return Buffer.alloc(0);
    const buf = Buffer.alloc(size - from);
    const { bytesRead } = await fh.read(buf, 0, buf.length, from);
    return buf.subarray(0, bytesRead);
  };
  const openLive = async (): Promise<void> => {
    current = await open(o.file, 'r').catch(() => undefined);
    ino = current ? (await current.stat()).ino : undefined;
  };
  const tick = async (): Promise<void> => {
    await openLive();
    // The position came from a file that has rotated away since: start over in the new one.
    if (o.from.ino !== undefined && ino !== undefined && ino !== o.from.ino) offset = 0;
    while (!o.signal.aborted) {
      const last = o.finished();
      try {
        if (!current) await openLive();
        if (current) {
          const { size } = await current.stat();
          if (size < offset) offset = 0;
          offset += emit(await readHandle(current, offset));
          const now = await stat(o.file).catch(() => undefined);
          if (now && now.ino !== ino) {
            // Rotated: what was written to ours is read; the files rotated after it, then the new one.
            offset += emit(await readHandle(current, offset));
            await current.close();
            current = undefined;
            offset = 0;
            let lastIno = ino;
            // The shim may rotate again while we catch up: until no file newer than the last one read
            // appears beside the live one we opened.
            for (let attempt = 0; attempt < 8 && !current; attempt++) {
              for (const f of await newerRotated(o.file, lastIno)) {
                emit(await readFrom(f.file, 0));
                lastIno = f.ino;
              }
              await openLive();
              if (current && (await newerRotated(o.file, lastIno)).some((f) => f.ino !== ino)) {
                await (current as FileHandle).close();
                current = undefined;
              }
            }
            if (current) offset += emit(await readHandle(current, 0));
          }
        }
      } catch {
        // the file went away meanwhile: the next turn looks again
      }
      if (last) break;
      await new Promise((r) => setTimeout(r, o.pollMs ?? 50));
    }
    await current?.close().catch(() => undefined);
    o.onEnd();
  };
  void tick();
}
