// Output framing shared by logs, attach and exec: moby's stdcopy header (stream byte, three zero
// bytes, big-endian payload length) when the stream is not a TTY, raw bytes when it is; and
// Go's RFC3339Nano rendering for `timestamps=1`.

import type { Writable } from 'node:stream';

export const MEDIA_RAW_STREAM = 'application/vnd.docker.raw-stream';
export const MEDIA_MULTIPLEXED_STREAM = 'application/vnd.docker.multiplexed-stream';

export const STREAM_STDIN = 0;
export const STREAM_STDOUT = 1;
export const STREAM_STDERR = 2;
/** An error from the engine in the middle of a multiplexed stream; clients stop and report it. */
export const STREAM_SYSTEMERR = 3;

const MAX_FRAME = 0xffffffff;

/** One stdcopy frame; payloads larger than a frame can hold are split. */
export function frame(stream: number, payload: Buffer): Buffer {
  if (payload.length <= MAX_FRAME) {
    const header = Buffer.alloc(8);
    header[0] = stream;
    header.writeUInt32BE(payload.length, 4);
    return Buffer.concat([header, payload]);
  }
  const parts: Buffer[] = [];
  for (let at = 0; at < payload.length; at += MAX_FRAME) parts.push(frame(stream, payload.subarray(at, at + MAX_FRAME)));
  return Buffer.concat(parts);
}

export function streamNumber(stream: 'stdout' | 'stderr'): number {
  return stream === 'stderr' ? STREAM_STDERR : STREAM_STDOUT;
}

/** Go's time.RFC3339Nano in UTC: fraction without trailing zeros, none at all on whole seconds. */
export function formatRfc3339Nano(time: Date): string {
  const iso = time.toISOString(); // 2024-01-02T03:04:05.120Z
  return iso.replace(/\.(\d*?)0*Z$/, (_m, digits: string) => (digits ? `.${digits}Z` : 'Z'));
}

/**
 * A log line's timestamp as `docker logs -t` shows it: dockerd's RFC3339NanoFixed, nine fractional
 * digits always. `text` is the log's own RFC 3339 time (nanoseconds kept), else `time` is used.
 */
export function formatLogTimestamp(time: Date, text?: string): string {
  const m = text ? /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?Z$/.exec(text) : null;
  if (m) return `${m[1]}.${(m[2] ?? '').padEnd(9, '0')}Z`;
  const iso = time.toISOString(); // millisecond precision
  return `${iso.slice(0, 19)}.${iso.slice(20, 23)}000000Z`;
}

/**
 * Writes with backpressure: resolves once the destination can take more. Resolves false when the
 * destination closed first (the client went away), so producers stop instead of buffering.
 */
export function writeWithBackpressure(dest: Writable, data: Buffer | string): Promise<boolean> {
  if (dest.destroyed || dest.writableEnded) return Promise.resolve(false);
  if (dest.write(data)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const done = (ok: boolean) => {
      dest.off('drain', onDrain);
      dest.off('close', onClose);
      dest.off('error', onClose);
      resolve(ok);
    };
    const onDrain = () => done(true);
    const onClose = () => done(false);
    dest.on('drain', onDrain);
    dest.on('close', onClose);
    dest.on('error', onClose);
  });
}
