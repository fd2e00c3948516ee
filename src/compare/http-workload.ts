// The built-in workload: N concurrent clients, each a keep-alive HTTP connection issuing one
// request after another to the application's published port for D seconds, every response timed
// with process.hrtime.bigint() into one histogram. Closed loop on purpose: each client waits for its
// answer before the next request, so the latency is what one user of the app sees and throughput
// is what N such users get.
//
// Bounded three ways (duration, request count, per-request timeout) and loopback only: the target
// must be 127.0.0.0/8 or ::1, checked before the first packet.

import http from 'node:http';
import { isIP } from 'node:net';
import { BerthError } from '../errors.js';
import { LatencyHistogram } from './histogram.js';

export interface HttpWorkloadOptions {
  /** e.g. http://127.0.0.1:18080/query */
  url: string;
  clients: number;
  durationMs: number;
  /** Stop after this many requests in total even when time remains (a hard bound). */
  maxRequests?: number;
  /** A request taking longer counts as an error and its connection is dropped. */
  requestTimeoutMs?: number;
  signal?: AbortSignal;
}

export interface WorkloadResult {
  kind: 'builtin' | 'command';
  /** What ran, as a person would read it. */
  description: string;
  histogram: LatencyHistogram;
  requests: number;
  errors: number;
  /** First few distinct error messages (for the report; not every failure). */
  errorSamples: string[];
  elapsedMs: number;
  /** Successful requests (or transactions) per second. */
  throughput: number;
  /** Mean latency when the source gives no distribution (command workloads), in ns. */
  meanNs?: number;
}

export class WorkloadError extends BerthError {}

const DEFAULT_MAX_REQUESTS = 5_000_000;

/** Throws unless `url` targets the loopback range: the workload never leaves the machine. */
export function assertLoopback(url: string): URL {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new WorkloadError(`workload target "${url}" is not a URL`);
  }
  if (u.protocol !== 'http:') throw new WorkloadError(`workload target "${url}": only http:// is supported`);
  const host = u.hostname.replace(/^\[|\]$/g, '');
  const loopback = host === 'localhost' || (isIP(host) === 4 && host.startsWith('127.')) || host === '::1';
  if (!loopback) throw new WorkloadError(`workload target "${url}" is not on loopback (127.0.0.0/8, ::1); berth compare only loads the local machine`);
  return u;
}

export async function runHttpWorkload(opts: HttpWorkloadOptions): Promise<WorkloadResult> {
  const target = assertLoopback(opts.url);
  if (!(opts.clients >= 1 && opts.clients <= 1024)) throw new WorkloadError(`--clients must be within 1..1024, got ${opts.clients}`);
  if (!(opts.durationMs > 0 && opts.durationMs <= 3_600_000)) throw new WorkloadError(`--duration must be within 1ms..1h, got ${opts.durationMs}ms`);
  const maxRequests = opts.maxRequests ?? DEFAULT_MAX_REQUESTS;
  const timeoutMs = opts.requestTimeoutMs ?? 5000;
  const agent = new http.Agent({ keepAlive: true, maxSockets: opts.clients, maxFreeSockets: opts.clients });
  const histogram = new LatencyHistogram();
  const errorSamples = new Set<string>();
  let started = 0;
  let ok = 0;
  let errors = 0;

  const t0 = process.hrtime.bigint();
  const deadline = t0 + BigInt(Math.round(opts.durationMs * 1e6));
  const more = (): boolean => !opts.signal?.aborted && started < maxRequests && process.hrtime.bigint() < deadline;

  const client = async (): Promise<void> => {
    while (more()) {
      started++;
      const begin = process.hrtime.bigint();
      try {
        await requestOnce(target, agent, timeoutMs);
        histogram.record(process.hrtime.bigint() - begin);
        ok++;
      } catch (e) {
        errors++;
        if (errorSamples.size < 5) errorSamples.add(e instanceof Error ? e.message : String(e));
        // A refused connection returns at once: back off a little so a dead app is not a busy loop.
        await new Promise((r) => setTimeout(r, 10));
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: opts.clients }, client));
  } finally {
    agent.destroy();
  }
  const elapsedMs = Number(process.hrtime.bigint() - t0) / 1e6;
  return {
    kind: 'builtin',
    description: `${opts.clients} clients × ${Math.round(opts.durationMs / 100) / 10}s GET ${target.pathname}`,
    histogram,
    requests: ok,
    errors,
    errorSamples: [...errorSamples],
    elapsedMs,
    throughput: elapsedMs > 0 ? (ok * 1000) / elapsedMs : 0,
  };
}

/** One GET; resolves when the whole body has arrived with a 2xx status. */
export function requestOnce(target: URL, agent: http.Agent | false, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = http.get(target, { agent, timeout: timeoutMs }, (res) => {
      const status = res.statusCode ?? 0;
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        if (body.length < 200) body += d;
      });
      res.on('end', () => {
        if (status >= 200 && status < 300) resolve();
        else reject(new Error(`HTTP ${status}${body ? `: ${body.trim().slice(0, 120)}` : ''}`));
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs}ms`)));
    req.on('error', reject);
  });
}

/** Polls `url` until it answers 2xx or `timeoutMs` passes; returns the ms it took, or undefined. */
export async function waitServed(url: string, timeoutMs: number, pollMs = 20): Promise<number | undefined> {
  const target = assertLoopback(url);
  const t0 = process.hrtime.bigint();
  const limit = t0 + BigInt(timeoutMs) * 1_000_000n;
  while (process.hrtime.bigint() < limit) {
    try {
      await requestOnce(target, false, Math.min(1000, timeoutMs));
      return Number(process.hrtime.bigint() - t0) / 1e6;
    } catch {
      await new Promise((r) => setTimeout(r, pollMs));
    }
  }
  return undefined;
}
