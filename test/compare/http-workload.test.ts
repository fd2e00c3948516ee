import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertLoopback, runHttpWorkload, waitServed, WorkloadError } from '../../src/compare/http-workload.js';

// A real HTTP server on loopback that answers after a fixed delay, and fails every 10th request.
let server: http.Server;
let base: string;
let served = 0;
beforeAll(async () => {
  server = http.createServer((req, res) => {
    served++;
    if (req.url === '/fail' && served % 10 === 0) {
      res.writeHead(500).end('boom');
      return;
    }
    setTimeout(() => res.writeHead(200, { 'content-type': 'text/plain' }).end('ok'), 2);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('built-in HTTP workload', () => {
  it('runs N concurrent clients for the duration and times every request', async () => {
    const r = await runHttpWorkload({ url: `${base}/q`, clients: 4, durationMs: 400 });
    expect(r.errors).toBe(0);
    expect(r.requests).toBeGreaterThan(20);
    expect(r.histogram.count).toBe(r.requests);
    expect(r.elapsedMs).toBeGreaterThanOrEqual(400);
    expect(r.elapsedMs).toBeLessThan(2000);
    expect(r.throughput).toBeGreaterThan(0);
    const s = r.histogram.summary();
    // The server waits 2 ms (node timers may fire up to a millisecond early): the delay shows.
    expect(s.min!).toBeGreaterThanOrEqual(1_000_000);
    expect(s.p50! <= s.p95! && s.p95! <= s.p99! && s.p99! <= s.max!).toBe(true);
  });

  it('stops at the request bound before the time is up', async () => {
    const r = await runHttpWorkload({ url: `${base}/q`, clients: 2, durationMs: 10_000, maxRequests: 10 });
    expect(r.requests + r.errors).toBe(10);
    expect(r.elapsedMs).toBeLessThan(5000);
  });

  it('counts non-2xx answers as errors with a sample message, not as latencies', async () => {
    served = 0;
    const r = await runHttpWorkload({ url: `${base}/fail`, clients: 1, durationMs: 60_000, maxRequests: 30 });
    expect(r.errors).toBe(3);
    expect(r.requests).toBe(27);
    expect(r.errorSamples[0]).toMatch(/HTTP 500: boom/);
  });

  it('records connection failures against a closed port as errors and still ends', async () => {
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const r = await runHttpWorkload({ url: `http://127.0.0.1:${port}/`, clients: 2, durationMs: 200 });
    expect(r.requests).toBe(0);
    expect(r.errors).toBeGreaterThan(0);
    expect(r.errorSamples.join()).toMatch(/ECONNREFUSED/);
    expect(await waitServed(`http://127.0.0.1:${port}/`, 150)).toBeUndefined();
  });

  it('waitServed returns how long until the first 2xx', async () => {
    const ms = await waitServed(`${base}/q`, 2000);
    expect(ms).toBeGreaterThan(0);
    expect(ms).toBeLessThan(2000);
  });

  it('refuses targets off loopback and bad bounds', async () => {
    expect(() => assertLoopback('http://10.0.0.1/')).toThrow(/not on loopback/);
    expect(() => assertLoopback('http://example.org/')).toThrow(WorkloadError);
    expect(() => assertLoopback('https://127.0.0.1/')).toThrow(/only http/);
    expect(assertLoopback('http://127.0.0.5:80/').hostname).toBe('127.0.0.5');
    expect(assertLoopback('http://[::1]:8080/').port).toBe('8080');
    await expect(runHttpWorkload({ url: `${base}/`, clients: 0, durationMs: 10 })).rejects.toThrow(/--clients/);
    await expect(runHttpWorkload({ url: `${base}/`, clients: 1, durationMs: 0 })).rejects.toThrow(/--duration/);
  });
});
