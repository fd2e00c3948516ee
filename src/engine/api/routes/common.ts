// Pieces several route groups share: JSON bodies, output pumps for attach/exec/logs, and JSON
// progress streams whose errors go in-band once the 200 is out (as moby's streamformatter does).

import type { Readable } from 'node:stream';
import { InvalidArgumentError, type OutputChunk, type ProgressMessage } from '../../backend.js';
import type { Exchange, ResponseStream } from '../exchange.js';
import { frame, MEDIA_MULTIPLEXED_STREAM, MEDIA_RAW_STREAM, streamNumber, STREAM_SYSTEMERR } from '../streams.js';
import { versionAtLeast } from '../versions.js';

/** JSON bodies are small (configs); tarballs are streamed and never read this way. */
const JSON_BODY_LIMIT = 16 * 1024 * 1024;

/**
 * The request body as JSON; undefined when empty. Like moby's CheckForJSON, a body with a
 * Content-Type other than JSON is refused.
 */
export async function readJson<T>(x: Exchange): Promise<T | undefined> {
  const type = x.headers['content-type'];
  const bytes = await x.bodyBytes(JSON_BODY_LIMIT);
  if (bytes.length === 0) return undefined;
  if (type !== undefined && !/^application\/json\b/i.test(type.trim())) {
    throw new InvalidArgumentError(`unsupported Content-Type header (${type}): must be 'application/json'`);
  }
  try {
    return JSON.parse(bytes.toString('utf8')) as T;
  } catch (e) {
    throw new InvalidArgumentError(`invalid JSON: ${(e as Error).message}`);
  }
}

/** A non-TTY stream is multiplexed; API ≥ 1.42 also says so in its Content-Type. */
export function streamMediaType(tty: boolean, version: string): string {
  return !tty && versionAtLeast(version, '1.42') ? MEDIA_MULTIPLEXED_STREAM : MEDIA_RAW_STREAM;
}

/** Copies output chunks to the client, framed unless TTY; an error becomes a last in-band message. */
export async function pumpOutput(out: ResponseStream, chunks: AsyncIterable<OutputChunk>, tty: boolean): Promise<void> {
  try {
    for await (const chunk of chunks) {
      const ok = await out.write(tty ? chunk.data : frame(streamNumber(chunk.stream), chunk.data));
      if (!ok) return;
    }
  } catch (e) {
    await writeStreamError(out, e, tty);
  }
}

export async function writeStreamError(out: ResponseStream, e: unknown, tty: boolean): Promise<void> {
  const message = `${e instanceof Error ? e.message : String(e)}\r\n`;
  await out.write(tty ? message : frame(STREAM_SYSTEMERR, Buffer.from(message)));
}

/**
 * Streams JSON progress lines. Until the first message arrives an error is still a proper HTTP
 * error (thrown to the caller); after it, it is written as `{"errorDetail":…,"error":…}`, which
 * is how `docker` learns of failures half-way through a pull, import or load.
 */
export async function streamProgress(x: Exchange, messages: AsyncIterable<ProgressMessage>): Promise<void> {
  const iterator = messages[Symbol.asyncIterator]();
  let out: ResponseStream | undefined;
  try {
    for (;;) {
      const next = await iterator.next();
      if (next.done) break;
      out ??= x.stream(200, 'application/json');
      if (!(await out.write(`${JSON.stringify(next.value)}\n`))) {
        await iterator.return?.();
        return;
      }
    }
  } catch (e) {
    if (!out) throw e;
    const message = e instanceof Error ? e.message : String(e);
    await out.write(`${JSON.stringify({ errorDetail: { message }, error: message })}\n`);
  }
  (out ?? x.stream(200, 'application/json')).end();
}

/** A tar answered as it is read (save, export, archive); a client that goes away stops the source. */
export async function sendTar(x: Exchange, tar: Readable): Promise<void> {
  const out = x.stream(200, 'application/x-tar');
  try {
    for await (const chunk of tar) {
      if (!(await out.write(chunk as Buffer))) {
        tar.destroy();
        return;
      }
    }
  } finally {
    out.end();
  }
}
