// ADD of a URL: fetched by the engine (not in a container), checked against --checksum, written
// 0600 as Docker does, with the server's Last-Modified as its mtime. The engine's own network is
// the host's; in tests only loopback answers, and a failure says what was tried.
import { createHash } from 'node:crypto';
import { BerthError } from '../../../errors.js';

export class FetchError extends BerthError {}

export interface Fetched {
  data: Buffer;
  /** sha256 of the body. */
  digest: string;
  /** The name the file gets in a destination directory. */
  name: string;
  mtime: number;
}

const MAX_BYTES = 4 * 1024 * 1024 * 1024;

export async function fetchUrl(url: string, checksum: string | undefined, signal?: AbortSignal): Promise<Fetched> {
  let res: Response;
  try {
    res = await fetch(url, { redirect: 'follow', ...(signal ? { signal } : {}) });
  } catch (e) {
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    throw new FetchError(`ADD ${url}: cannot fetch it (${cause?.code ?? cause?.message ?? (e as Error).message}); the engine fetches URLs over the host's network, which may not reach it`);
  }
  if (!res.ok) throw new FetchError(`ADD ${url}: the server answered ${res.status} ${res.statusText}`);
  const length = Number(res.headers.get('content-length') ?? 0);
  if (length > MAX_BYTES) throw new FetchError(`ADD ${url}: ${length} bytes is more than ADD downloads (4 GiB)`);
  const data = Buffer.from(await res.arrayBuffer());
  const digest = `sha256:${createHash('sha256').update(data).digest('hex')}`;
  if (checksum !== undefined) {
    const alg = checksum.slice(0, checksum.indexOf(':'));
    const got = `${alg}:${createHash(alg).update(data).digest('hex')}`;
    if (got !== checksum) throw new FetchError(`ADD ${url}: checksum mismatch: expected ${checksum}, got ${got}`);
  }
  const pathname = new URL(res.url || url).pathname;
  const name = decodeURIComponent(pathname.split('/').filter((p) => p !== '').pop() ?? '') || 'index.html';
  const modified = Date.parse(res.headers.get('last-modified') ?? '');
  return { data, digest, name, mtime: Number.isFinite(modified) ? Math.floor(modified / 1000) : 0 };
}
