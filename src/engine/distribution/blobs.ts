// Blob downloads: bytes are handed on as they arrive, hashed on the way, and the stream ends
// only once the byte count and the sha256 match the descriptor. A mismatch destroys the stream
// with a `digest-mismatch` error instead of ending it, so a consumer that sees a clean end has
// verified content and one that sees an error has nothing it may keep.
//
// A connection that drops mid-blob is resumed with `Range: bytes=<received>-`, the hash simply
// continuing; a server that ignores the Range (200 instead of 206) has the bytes we already have
// skipped. Resumes are bounded by the retry policy and spaced by its back-off. Redirects to
// object storage are followed by the transport.
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { repositoryScope } from './auth.js';
import type { RegistryClient } from './client.js';
import type { Endpoint } from './config.js';
import { describeCause, RegistryError } from './errors.js';
import type { Descriptor } from './manifest.js';
import { backoffDelay, isTransientNetworkError } from './retry.js';
import { header, type HttpResponse } from './transport.js';

export interface BlobProgress {
  digest: string;
  /** Bytes received so far (compressed, as on the wire). */
  current: number;
  total: number;
}

export interface BlobFetchOptions {
  /** Endpoints to try in order (mirrors, then the registry) until one has the blob. */
  endpoints: Endpoint[];
  /** Repository path, e.g. `library/busybox`. */
  repository: string;
  reference?: string;
  onProgress?: (p: BlobProgress) => void;
  signal?: AbortSignal;
}

/** The verified bytes of a blob as a stream (see the file comment for when it ends). */
export function fetchBlob(client: RegistryClient, desc: Descriptor, opts: BlobFetchOptions): Readable {
  return Readable.from(blobChunks(client, desc, opts), { objectMode: false });
}

/** A whole small blob (a config), verified. */
export async function fetchBlobBuffer(client: RegistryClient, desc: Descriptor, opts: BlobFetchOptions, limit = 64 * 1024 * 1024): Promise<Buffer> {
  if (desc.size > limit) throw new RegistryError('invalid-content', `blob ${desc.digest} is ${desc.size} bytes, more than the ${limit} allowed here`, { reference: opts.reference });
  const chunks: Buffer[] = [];
  for await (const c of blobChunks(client, desc, opts)) chunks.push(c);
  return Buffer.concat(chunks);
}

async function* blobChunks(client: RegistryClient, desc: Descriptor, opts: BlobFetchOptions): AsyncGenerator<Buffer> {
  const ref = opts.reference ?? opts.repository;
  const hash = createHash('sha256');
  let received = 0;
  let drops = 0;
  let lastDrop: unknown;
  let { res, endpoint } = await openBlob(client, desc, opts, 0);
  try {
    for (;;) {
      let skip = 0;
      if (received > 0) {
        if (res.status === 206) {
          const start = /^bytes (\d+)-/.exec(header(res, 'content-range') ?? '');
          if (!start || Number(start[1]) !== received) {
            res.discard();
            throw new RegistryError('registry', `asked to resume blob ${desc.digest} at byte ${received}, the registry answered range ${header(res, 'content-range') ?? '(none)'}`, { host: endpoint.host, reference: ref });
          }
        } else {
          skip = received; // Range ignored: the whole blob again, of which we have a prefix.
        }
      }
      try {
        for await (const raw of res.body) {
          let chunk = raw as Buffer;
          if (skip > 0) {
            const n = Math.min(skip, chunk.length);
            skip -= n;
            chunk = chunk.subarray(n);
            if (chunk.length === 0) continue;
          }
          received += chunk.length;
          if (received > desc.size) {
            res.body.destroy();
            throw mismatch(desc, `more than the ${desc.size} bytes announced`, endpoint, ref);
          }
          hash.update(chunk);
          yield chunk;
          opts.onProgress?.({ digest: desc.digest, current: received, total: desc.size });
        }
      } catch (e) {
        if (e instanceof RegistryError) throw e;
        if (!isTransientNetworkError(e)) throw client.networkError(e, endpoint, ref);
        lastDrop = e;
      }
      if (received === desc.size) break;
      // The body ended early (a dropped connection, or a server that closed without error).
      drops++;
      if (drops >= client.retryPolicy.attempts) {
        throw new RegistryError('unreachable', `the download of blob ${desc.digest} broke off ${drops} times (at ${received} of ${desc.size} bytes): ${lastDrop ? describeCause(lastDrop) : 'the body ended early'}`, {
          host: endpoint.host,
          reference: ref,
          cause: lastDrop,
        });
      }
      await client.clock.sleep(backoffDelay(client.retryPolicy, drops, client.random), opts.signal);
      ({ res, endpoint } = await openBlob(client, desc, { ...opts, endpoints: [endpoint] }, received));
    }
  } finally {
    // Also reached when the consumer stops early: the connection must not linger.
    res.body.destroy();
  }
  const got = `sha256:${hash.digest('hex')}`;
  if (got !== desc.digest) throw mismatch(desc, `the content hashes to ${got}`, endpoint, ref);
}

function mismatch(desc: Descriptor, why: string, endpoint: Endpoint, reference: string): RegistryError {
  return new RegistryError('digest-mismatch', `blob ${desc.digest} failed verification: ${why}`, { host: endpoint.host, reference });
}

/** The first endpoint that answers the blob GET with content; not-found and unreachable move to the next. */
async function openBlob(client: RegistryClient, desc: Descriptor, opts: BlobFetchOptions, from: number): Promise<{ res: HttpResponse; endpoint: Endpoint }> {
  let firstError: RegistryError | undefined;
  for (const endpoint of opts.endpoints) {
    try {
      const res = await client.request(endpoint, {
        method: 'GET',
        path: `${opts.repository}/blobs/${desc.digest}`,
        headers: from > 0 ? { Range: `bytes=${from}-` } : {},
        scopes: [repositoryScope(opts.repository, ['pull'])],
        reference: opts.reference ?? opts.repository,
        signal: opts.signal,
      });
      if (res.status === 200 || res.status === 206) return { res, endpoint };
      throw await client.errorFor(res, { host: endpoint.host, reference: opts.reference ?? opts.repository, what: `blob ${desc.digest}` });
    } catch (e) {
      if (!(e instanceof RegistryError)) throw e;
      firstError ??= e;
      // A mirror that lacks the blob or is down is skipped; the registry's own answer is final.
      if (!endpoint.mirror) throw e;
    }
  }
  throw firstError ?? new RegistryError('unreachable', 'no endpoint to fetch from', { reference: opts.reference });
}
