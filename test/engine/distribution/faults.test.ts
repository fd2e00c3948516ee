// What goes wrong between a client and a registry, staged with real registries and small
// proxies in front of them: corrupted bytes, dropped connections, 503s, redirects to storage,
// schema 1 manifests, mirrors that are down or incomplete, unreachable hosts, TLS failures and
// an HTTP proxy. Back-off runs on an injected clock, so nothing here sleeps.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  fetchLayer,
  pushImage,
  RegistryClient,
  RegistryError,
  resolveImage,
  staticCredentials,
  type Clock,
  type RegistryClientOptions,
} from '../../../src/engine/distribution/index.js';
import { startFaultProxy, type FaultProxy } from '../../support/fault-proxy.js';
import { makeImage, noise, pushSources, readAll, type TestImage } from '../../support/images.js';
import { haveTools } from '../../support/gates.js';
import { startRegistry, type TestRegistry } from '../../support/registry.js';

const ready = haveTools('registry fault tests', ['docker-registry', 'openssl', 'htpasswd']);

function fakeClock(): Clock & { sleeps: number[] } {
  const sleeps: number[] = [];
  return { sleeps, now: () => Date.now(), sleep: async (ms) => void sleeps.push(ms) };
}

const client = (opts: RegistryClientOptions = {}): RegistryClient => new RegistryClient({ credentials: staticCredentials({}), clock: fakeClock(), ...opts });

const errorOf = async (p: Promise<unknown>): Promise<RegistryError> => {
  const e = await p.then(() => undefined, (x: unknown) => x);
  expect(e).toBeInstanceOf(RegistryError);
  return e as RegistryError;
};

/** A port nobody listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

describe.skipIf(!ready)('registry faults', () => {
  let registry: TestRegistry;
  let proxy: FaultProxy;
  let image: TestImage;
  const repo = 'faults/app';
  const blobPath = (digest: string): string => `/v2/${repo}/blobs/${digest}`;

  beforeAll(async () => {
    registry = await startRegistry();
    proxy = await startFaultProxy(registry.host);
    image = await makeImage([
      { files: { big: noise(300_000, 9) }, compression: 'none' },
      { files: { small: 'small\n' }, compression: 'gzip' },
    ]);
    await pushImage(client(), `${registry.host}/${repo}:1`, { config: { data: image.config }, layers: pushSources(image) });
  });
  afterAll(async () => {
    await proxy?.stop();
    await registry?.stop();
  });

  it('fails a corrupted blob with digest-mismatch, and the stream never ends cleanly', async () => {
    const c = client();
    const resolved = await resolveImage(c, `${proxy.host}/${repo}:1`);
    const layer = resolved.layers[0];
    proxy.hooks.body = (req, status) => (req.method === 'GET' && req.url === blobPath(layer.digest) && status === 200 ? { corruptAt: 150_000 } : undefined);
    try {
      const fetched = fetchLayer(c, resolved, layer);
      let ended = false;
      fetched.stream.on('end', () => (ended = true));
      const e = await errorOf(readAll(fetched.stream));
      expect(e.kind).toBe('digest-mismatch');
      expect(e.message).toContain(`blob ${layer.digest} failed verification: the content hashes to sha256:`);
      expect(e.message).toContain(proxy.host);
      expect(ended).toBe(false);
      await expect(fetched.done).rejects.toThrow(/failed verification/);

      // A corrupted gzip layer: whichever check trips first, the pull fails with a typed error.
      const gz = resolved.layers[1];
      proxy.hooks.body = (req, status) => (req.method === 'GET' && req.url === blobPath(gz.digest) && status === 200 ? { corruptAt: 12 } : undefined);
      const e2 = await errorOf(readAll(fetchLayer(c, resolved, gz).stream));
      expect(['digest-mismatch', 'invalid-content']).toContain(e2.kind);
    } finally {
      proxy.hooks.body = undefined;
    }
  });

  it('fails a layer whose uncompressed content does not match the diff id the config lists', async () => {
    const lying = await makeImage([{ files: { l: 'lies' }, compression: 'gzip' }]);
    const config = JSON.parse(lying.config.toString()) as { rootfs: { diff_ids: string[] } };
    config.rootfs.diff_ids[0] = `sha256:${'e'.repeat(64)}`;
    await pushImage(client(), `${registry.host}/faults/lying:1`, { config: { data: Buffer.from(JSON.stringify(config)) }, layers: pushSources(lying) });
    const c = client();
    const resolved = await resolveImage(c, `${registry.host}/faults/lying:1`);
    const fetched = fetchLayer(c, resolved, resolved.layers[0]);
    const e = await errorOf(readAll(fetched.stream));
    expect(e.kind).toBe('digest-mismatch');
    expect(e.message).toContain(`its uncompressed content hashes to ${lying.layers[0].diffId}, the image config says sha256:eee`);
    await expect(fetched.done).rejects.toBe(e);
  });

  it('maps 403 to denied, naming what the registry said', async () => {
    proxy.hooks.respond = (req) => (req.url.includes('/manifests/') ? { status: 403, headers: { 'Content-Type': 'application/json' }, body: '{"errors":[{"code":"DENIED","message":"requested access to the resource is denied"}]}' } : undefined);
    try {
      const e = await errorOf(resolveImage(client(), `${proxy.host}/${repo}:1`));
      expect(e.kind).toBe('denied');
      expect(e.message).toBe(`${proxy.host}/${repo}:1 (${proxy.host}): manifest: access denied; the registry said: DENIED: requested access to the resource is denied`);
    } finally {
      proxy.hooks.respond = undefined;
    }
  });

  it('fails a manifest fetched by digest whose bytes do not match', async () => {
    const resolved = await resolveImage(client(), `${registry.host}/${repo}:1`);
    proxy.hooks.body = (req, status) => (req.url.includes('/manifests/sha256:') && status === 200 ? { corruptAt: 20 } : undefined);
    try {
      const e = await errorOf(resolveImage(client(), `${proxy.host}/${repo}@${resolved.manifestDigest}`));
      expect(e.kind).toBe('digest-mismatch');
      expect(e.message).toContain(`not ${resolved.manifestDigest}`);
    } finally {
      proxy.hooks.body = undefined;
    }
  });

  it('resumes a dropped download with Range, continuing the hash', async () => {
    const c = client();
    const resolved = await resolveImage(c, `${proxy.host}/${repo}:1`);
    const layer = resolved.layers[0];
    let cuts = 0;
    proxy.hooks.body = (req, status) => (req.url === blobPath(layer.digest) && status === 200 && cuts++ === 0 ? { cutAfter: 100_000 } : undefined);
    proxy.requests.length = 0;
    try {
      const fetched = fetchLayer(c, resolved, layer);
      const tar = await readAll(fetched.stream);
      expect(tar.equals(image.layers[0].tar)).toBe(true);
      await expect(fetched.done).resolves.toMatchObject({ diffId: image.layers[0].diffId });
      const gets = proxy.requests.filter((r) => r.url === blobPath(layer.digest));
      expect(gets.map((r) => r.status)).toEqual([200, 206]);
      expect(gets[0].headers.range).toBeUndefined();
      // The resume starts where the received bytes end: at most the 100000 the proxy let through.
      const from = Number(/^bytes=(\d+)-$/.exec(String(gets[1].headers.range))?.[1]);
      expect(from).toBeGreaterThan(0);
      expect(from).toBeLessThanOrEqual(100_000);
    } finally {
      proxy.hooks.body = undefined;
    }
  });

  it('resumes from a server that ignores Range by skipping the bytes it already has', async () => {
    const c = client();
    const resolved = await resolveImage(c, `${proxy.host}/${repo}:1`);
    const layer = resolved.layers[0];
    let cuts = 0;
    proxy.hooks.body = (req, status) => (req.url === blobPath(layer.digest) && status === 200 && cuts++ === 0 ? { cutAfter: 50_000 } : undefined);
    proxy.hooks.forwardHeaders = (req) => Object.fromEntries(Object.entries(req.headers).filter(([k]) => k !== 'range'));
    proxy.requests.length = 0;
    try {
      const tar = await readAll(fetchLayer(c, resolved, layer).stream);
      expect(tar.equals(image.layers[0].tar)).toBe(true);
      const gets = proxy.requests.filter((r) => r.url === blobPath(layer.digest));
      expect(gets.map((r) => [r.status, r.headers.range === undefined])).toEqual([[200, true], [200, false]]);
    } finally {
      proxy.hooks.body = undefined;
      proxy.hooks.forwardHeaders = undefined;
    }
  });

  it('retries 503 and 429 with exponential back-off and jitter on the injected clock', async () => {
    const clock = fakeClock();
    const c = client({ clock, random: () => 0.5, retry: { attempts: 4, baseDelayMs: 1000, maxDelayMs: 60_000 } });
    let refusals = 0;
    proxy.hooks.respond = (req) => (req.url.includes('/manifests/') && refusals++ < 2 ? { status: 503, headers: { 'Content-Type': 'application/json' }, body: '{"errors":[{"code":"UNAVAILABLE","message":"try later"}]}' } : undefined);
    try {
      const resolved = await resolveImage(c, `${proxy.host}/${repo}:1`);
      expect(resolved.layers).toHaveLength(2);
      // ceiling 1000 then 2000 ms, the wait a random point in its upper half (random = 0.5 → 3/4 of it).
      expect(clock.sleeps).toEqual([750, 1500]);

      // 429 with Retry-After: the server's wait, when longer than our back-off.
      const slow = fakeClock();
      let limited = 0;
      proxy.hooks.respond = (req) => (req.url.includes('/manifests/') && limited++ < 1 ? { status: 429, headers: { 'Retry-After': '7' } } : undefined);
      await resolveImage(client({ clock: slow, random: () => 0, retry: { attempts: 3, baseDelayMs: 100, maxDelayMs: 60_000 } }), `${proxy.host}/${repo}:1`);
      expect(slow.sleeps).toEqual([7000]);

      proxy.hooks.respond = (req) => (req.url.includes('/manifests/') ? { status: 503, headers: { 'Content-Type': 'application/json' }, body: '{"errors":[{"code":"UNAVAILABLE","message":"try later"}]}' } : undefined);
      const e = await errorOf(resolveImage(client({ clock: fakeClock(), retry: { attempts: 3, baseDelayMs: 10, maxDelayMs: 100 } }), `${proxy.host}/${repo}:1`));
      expect(e.kind).toBe('registry');
      expect(e.status).toBe(503);
      expect(e.message).toContain('UNAVAILABLE: try later');
    } finally {
      proxy.hooks.respond = undefined;
    }
  });

  it('follows a blob redirect to another host without passing the Authorization on', async () => {
    const basic = await startRegistry({ auth: { htpasswd: { u: 'p' } } });
    const seen: { auth?: string; url?: string }[] = [];
    const storage = http.createServer((req, res) => {
      seen.push({ auth: req.headers.authorization, url: req.url });
      const layer = image.layers[1];
      res.writeHead(200, { 'Content-Length': String(layer.blob.length) });
      res.end(layer.blob);
    });
    await new Promise<void>((r) => storage.listen(0, '127.0.0.1', r));
    const storageHost = `127.0.0.1:${(storage.address() as AddressInfo).port}`;
    const front = await startFaultProxy(basic.host, {
      respond: (req) => (req.method === 'GET' && req.url.includes('/blobs/') ? { status: 307, headers: { Location: `http://${storageHost}/bucket/blob?sig=abc` } } : undefined),
    });
    try {
      const c = new RegistryClient({ credentials: staticCredentials({ [basic.host]: { username: 'u', password: 'p' }, [front.host]: { username: 'u', password: 'p' } }) });
      await pushImage(c, `${basic.host}/redir/app:1`, { config: { data: image.config }, layers: pushSources(image) });
      const resolvedDirect = await resolveImage(c, `${basic.host}/redir/app:1`);
      const viaFront = { reference: { ...resolvedDirect.reference, host: front.host }, endpoints: [c.registryEndpoint(front.host)] };
      const tar = await readAll(fetchLayer(c, viaFront, resolvedDirect.layers[1]).stream);
      expect(tar.equals(image.layers[1].tar)).toBe(true);
      expect(seen).toEqual([{ auth: undefined, url: '/bucket/blob?sig=abc' }]);
      expect(front.requests.find((r) => r.url.includes('/blobs/'))?.headers.authorization).toMatch(/^Basic /);
    } finally {
      await front.stop();
      storage.closeAllConnections();
      await new Promise((r) => storage.close(r));
      await basic.stop();
    }
  });

  it('refuses schema 1 manifests with a clear message', async () => {
    const fake = http.createServer((req, res) => {
      if (req.url === '/v2/') {
        res.writeHead(200, { 'Docker-Distribution-API-Version': 'registry/2.0' });
        return res.end('{}');
      }
      res.writeHead(200, { 'Content-Type': 'application/vnd.docker.distribution.manifest.v1+prettyjws' });
      res.end(JSON.stringify({ schemaVersion: 1, name: 'old/app', tag: 'latest', architecture: 'amd64', fsLayers: [], history: [], signatures: [] }));
    });
    await new Promise<void>((r) => fake.listen(0, '127.0.0.1', r));
    const host = `127.0.0.1:${(fake.address() as AddressInfo).port}`;
    try {
      const e = await errorOf(resolveImage(client(), `${host}/old/app`));
      expect(e.kind).toBe('unsupported');
      expect(e.message).toBe(`${host}/old/app:latest (${host}): schema 1 images are not supported; re-push with a current docker/skopeo`);
    } finally {
      await new Promise((r) => fake.close(r));
    }
  });

  it('uses a mirror first and falls back to the registry when the mirror lacks the image', async () => {
    const mirror = await startRegistry();
    const mirrorProxy = await startFaultProxy(mirror.host);
    try {
      const onlyUpstream = await makeImage([{ files: { up: 'stream' }, compression: 'gzip' }]);
      await pushImage(client(), `${registry.host}/mirrored/app:2`, { config: { data: onlyUpstream.config }, layers: pushSources(onlyUpstream) });
      await pushImage(client(), `${mirror.host}/${repo}:1`, { config: { data: image.config }, layers: pushSources(image) });
      proxy.requests.length = 0;
      const c = client({ config: { mirrors: { [proxy.host]: [`http://${mirrorProxy.host}`] } } });

      const fromMirror = await resolveImage(c, `${proxy.host}/${repo}:1`);
      expect(fromMirror.endpoint).toMatchObject({ host: mirrorProxy.host, mirror: true });
      await readAll(fetchLayer(c, fromMirror, fromMirror.layers[0]).stream);
      expect(proxy.requests).toEqual([]);
      expect(mirrorProxy.requests.some((r) => r.url.includes('/blobs/'))).toBe(true);

      const fallback = await resolveImage(c, `${proxy.host}/mirrored/app:2`);
      expect(fallback.endpoint).toMatchObject({ host: proxy.host, mirror: false });
      expect(mirrorProxy.requests.filter((r) => r.url === '/v2/mirrored/app/manifests/2').map((r) => r.status)).toEqual([404]);
      expect(proxy.requests.filter((r) => r.url === '/v2/mirrored/app/manifests/2').map((r) => r.status)).toEqual([200]);
    } finally {
      await mirrorProxy.stop();
      await mirror.stop();
    }
  });

  it('names the host, every mirror tried and the proxy when nothing can be reached', async () => {
    const [r, m1, m2, p] = await Promise.all([closedPort(), closedPort(), closedPort(), closedPort()]);
    const host = `127.0.0.1:${r}`;
    const c = client({ config: { mirrors: { [host]: [`127.0.0.1:${m1}`, `http://127.0.0.1:${m2}`] } } });
    const e = await errorOf(resolveImage(c, `${host}/gone/app:1`));
    expect(e.kind).toBe('unreachable');
    expect(e.message).toContain(`tried 127.0.0.1:${m1}, 127.0.0.1:${m2}, ${host}`);
    expect(e.message).toContain('ECONNREFUSED');
    expect(e.message).toContain(`mirror 127.0.0.1:${m1}: cannot reach 127.0.0.1:${m1}: https:`);

    const viaProxy = client({ config: { proxy: { http: `http://127.0.0.1:${p}`, https: `http://127.0.0.1:${p}` } } });
    const e2 = await errorOf(resolveImage(viaProxy, `${host}/gone/app:1`));
    expect(e2.kind).toBe('unreachable');
    expect(e2.message).toContain(`cannot reach ${host} through the proxy http://127.0.0.1:${p}/`);
  });

  it('goes through an HTTP proxy when configured, with absolute request URLs', async () => {
    const forward = await startFaultProxy(registry.host);
    try {
      const c = client({ config: { proxy: { http: `http://${forward.host}` } } });
      const resolved = await resolveImage(c, `${registry.host}/${repo}:1`);
      expect(resolved.configDigest).toBe(image.configDigest);
      expect(forward.requests.map((r) => r.url)).toContain(`http://${registry.host}/v2/${repo}/manifests/1`);
      const bypass = client({ config: { proxy: { http: `http://${forward.host}`, noProxy: ['127.0.0.1'] } } });
      forward.requests.length = 0;
      await resolveImage(bypass, `${registry.host}/${repo}:1`);
      expect(forward.requests).toEqual([]);
    } finally {
      await forward.stop();
    }
  });

  it('reports a TLS failure on a host that is not insecure, with a hint; trusting its CA or marking it insecure works', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'berth-tls-'));
    const cert = path.join(dir, 'cert.pem');
    const key = path.join(dir, 'key.pem');
    const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const tlsRegistry = await startRegistry({ tls: { cert, key } });
    try {
      await pushImage(client(), `${tlsRegistry.host}/tls/app:1`, { config: { data: image.config }, layers: pushSources(image) });
      const strict = client({ config: { loopbackInsecure: false } });
      const e = await errorOf(resolveImage(strict, `${tlsRegistry.host}/tls/app:1`));
      expect(e.kind).toBe('tls');
      expect(e.message).toContain(`add "${tlsRegistry.host}" to insecure-registries`);
      const trusted = client({ config: { loopbackInsecure: false, certificateAuthorities: { [tlsRegistry.host]: readFileSync(cert, 'utf8') } } });
      expect((await resolveImage(trusted, `${tlsRegistry.host}/tls/app:1`)).configDigest).toBe(image.configDigest);
      const listed = client({ config: { loopbackInsecure: false, insecureRegistries: [tlsRegistry.host] } });
      expect((await resolveImage(listed, `${tlsRegistry.host}/tls/app:1`)).configDigest).toBe(image.configDigest);

      // HTTPS through a proxy: a CONNECT tunnel, TLS verified end to end inside it.
      const forward = await startFaultProxy(registry.host);
      try {
        const tunnelled = client({ config: { loopbackInsecure: false, certificateAuthorities: { [tlsRegistry.host]: readFileSync(cert, 'utf8') }, proxy: { https: `http://${forward.host}` } } });
        const viaTunnel = await resolveImage(tunnelled, `${tlsRegistry.host}/tls/app:1`);
        await readAll(fetchLayer(tunnelled, viaTunnel, viaTunnel.layers[1]).stream);
        expect(forward.requests.length).toBeGreaterThan(0);
        expect(new Set(forward.requests.map((r) => `${r.method} ${r.url}`))).toEqual(new Set([`CONNECT ${tlsRegistry.host}`]));
      } finally {
        await forward.stop();
      }
    } finally {
      await tlsRegistry.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
