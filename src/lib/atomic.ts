// Durable small-file writes and a per-key mutex, for every store of the engine (records, images,
// networks, volumes). A file is written to a temporary file beside its final name, fsynced,
// renamed over the old one and the directory fsynced, so a crash or a concurrent reader sees
// either the old or the new content, never a mix.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';

/** Writes `file` durably: the old or the new content, never a mix. Unique temp name per call, so two writes in flight never share one. */
export async function writeFileAtomic(file: string, data: string | Buffer, opts: { mode?: number } = {}): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`;
  const handle = await fs.open(tmp, 'wx', opts.mode ?? 0o644);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } catch (e) {
    await handle.close();
    await fs.rm(tmp, { force: true });
    throw e;
  }
  await handle.close();
  try {
    await fs.rename(tmp, file);
  } catch (e) {
    await fs.rm(tmp, { force: true });
    throw e;
  }
  await fsyncDir(path.dirname(file));
}

/** A record as indented JSON, readable by root only (records hold container configs: environment, secrets' paths). */
export function writeJsonAtomic(file: string, value: unknown): Promise<void> {
  return writeFileAtomic(file, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600 });
}

export async function fsyncDir(dir: string): Promise<void> {
  const handle = await fs.open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

const chains = new Map<string, Promise<unknown>>();

/**
 * Runs `fn` after every earlier call with the same key has finished. Keyed by the store root,
 * so two store objects over one directory in one process (the engine and a CLI command in tests)
 * still take turns. Read-modify-write of shared records happens only inside it.
 */
export function withLock<T>(key: string, fn: () => Promise<T>): Promise<T> {
  const previous = chains.get(key) ?? Promise.resolve();
  const run = previous.then(fn, fn);
  const tail = run.catch(() => undefined);
  chains.set(key, tail);
  void tail.then(() => {
    if (chains.get(key) === tail) chains.delete(key);
  });
  return run;
}
