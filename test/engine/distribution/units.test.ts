// The registry client's pure parts, table-driven: names, challenges, platforms, endpoints,
// insecure hosts, proxies, back-off and manifest validation. No processes, no network.
import { describe, expect, it } from 'vitest';
import { parseChallenges } from '../../../src/engine/distribution/auth.js';
import { isInsecure, proxyFor, pullEndpoints } from '../../../src/engine/distribution/config.js';
import { RegistryError } from '../../../src/engine/distribution/errors.js';
import { MediaType, parseImageConfig, parseManifest, parsePlatform, selectPlatform, type ImageIndex } from '../../../src/engine/distribution/manifest.js';
import { parseRegistryHost, parseRegistryReference } from '../../../src/engine/distribution/names.js';
import { backoffDelay, parseRetryAfter } from '../../../src/engine/distribution/retry.js';
import { familiarName, normalizeTagged, parseReference } from '../../../src/engine/reference/reference.js';

const D = `sha256:${'a'.repeat(64)}`;
const E = `sha256:${'b'.repeat(64)}`;

describe('reference normalisation', () => {
  const table: [string, string, string, string][] = [
    // input, canonical, API host, manifest ref
    ['busybox', 'docker.io/library/busybox:latest', 'registry-1.docker.io', 'latest'],
    ['busybox:1.36', 'docker.io/library/busybox:1.36', 'registry-1.docker.io', '1.36'],
    ['user/x', 'docker.io/user/x:latest', 'registry-1.docker.io', 'latest'],
    ['docker.io/library/busybox', 'docker.io/library/busybox:latest', 'registry-1.docker.io', 'latest'],
    ['index.docker.io/user/x:2', 'docker.io/user/x:2', 'registry-1.docker.io', '2'],
    ['localhost/app', 'localhost/app:latest', 'localhost', 'latest'],
    ['localhost:5000/team/app:v1', 'localhost:5000/team/app:v1', 'localhost:5000', 'v1'],
    ['127.0.0.1:5000/app', '127.0.0.1:5000/app:latest', '127.0.0.1:5000', 'latest'],
    ['[::1]:5000/app:t', '[::1]:5000/app:t', '[::1]:5000', 't'],
    ['ghcr.io/org/sub/app:edge', 'ghcr.io/org/sub/app:edge', 'ghcr.io', 'edge'],
    [`busybox@${D}`, `docker.io/library/busybox@${D}`, 'registry-1.docker.io', D],
    [`quay.io/a/b:tag@${D}`, `quay.io/a/b:tag@${D}`, 'quay.io', D],
  ];
  it.each(table)('%s → %s on %s, asks for %s', (input, canonical, host, manifestRef) => {
    const r = parseRegistryReference(input);
    expect([r.canonical, r.host, r.manifestRef]).toEqual([canonical, host, manifestRef]);
  });

  it.each([
    ['', 'the name is empty'],
    ['Busybox', 'repository names must be lowercase'],
    ['busybox:bad tag', 'the tag has characters a tag cannot have'],
    ['busybox@sha256:abc', 'the digest must be sha256:<64 hex digits>'],
    ['a//b', 'is not a valid name component'],
    ['-x/y', 'is not a valid name component'],
  ])('refuses %j: %s', (input, why) => {
    const e = (() => {
      try {
        parseRegistryReference(input);
      } catch (x) {
        return x;
      }
      return undefined;
    })() as RegistryError;
    expect(e).toBeInstanceOf(RegistryError);
    expect(e.kind).toBe('invalid-reference');
    expect(e.message).toContain(why);
  });

  it('keeps the image store exports working', () => {
    expect(normalizeTagged('busybox')).toBe('docker.io/library/busybox:latest');
    expect(familiarName('docker.io/library/busybox:latest')).toBe('busybox:latest');
    expect(parseReference(`x:1@${D}`)).toEqual({ domain: 'docker.io', path: 'library/x', tag: '1', digest: D });
  });

  it.each([
    [undefined, 'registry-1.docker.io'],
    ['docker.io', 'registry-1.docker.io'],
    ['https://index.docker.io/v1/', 'registry-1.docker.io'],
    ['http://127.0.0.1:5000/v2/', '127.0.0.1:5000'],
    ['Registry.Example.com:443', 'registry.example.com:443'],
  ])('login server %j is host %s', (server, host) => {
    expect(parseRegistryHost(server).host).toBe(host);
  });
});

describe('WWW-Authenticate challenges', () => {
  it.each([
    [
      'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull"',
      [{ scheme: 'bearer', params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/busybox:pull' } }],
    ],
    ['Basic realm="Registry Realm"', [{ scheme: 'basic', params: { realm: 'Registry Realm' } }]],
    [
      'Bearer realm="https://r/t",error="insufficient_scope", Basic realm="x"',
      [{ scheme: 'bearer', params: { realm: 'https://r/t', error: 'insufficient_scope' } }, { scheme: 'basic', params: { realm: 'x' } }],
    ],
    ['bearer  Realm = "a\\"b" , SCOPE=repository:x:pull', [{ scheme: 'bearer', params: { realm: 'a"b', scope: 'repository:x:pull' } }]],
    ['', []],
  ])('%s', (header, expected) => {
    expect(parseChallenges(header)).toEqual(expected);
  });

  it('joins several header lines', () => {
    expect(parseChallenges(['Basic realm="a"', 'Bearer realm="b"']).map((c) => c.scheme)).toEqual(['basic', 'bearer']);
  });
});

describe('platforms', () => {
  const index: ImageIndex = {
    schemaVersion: 2,
    mediaType: MediaType.ociIndex,
    manifests: [
      { mediaType: MediaType.ociManifest, digest: D, size: 1, platform: { os: 'linux', architecture: 'arm', variant: 'v6' } },
      { mediaType: MediaType.ociManifest, digest: E, size: 1, platform: { os: 'linux', architecture: 'arm', variant: 'v7' } },
      { mediaType: MediaType.ociManifest, digest: `sha256:${'c'.repeat(64)}`, size: 1, platform: { os: 'linux', architecture: 'amd64' } },
      { mediaType: MediaType.ociManifest, digest: `sha256:${'d'.repeat(64)}`, size: 1, platform: { os: 'unknown', architecture: 'unknown' } },
    ],
  };
  it.each([
    ['linux/amd64', 'c'],
    ['linux/x86_64', 'c'],
    ['linux/arm', 'b'],
    ['linux/arm/v6', 'a'],
    ['linux/armhf', 'b'],
  ])('%s picks %s', (p, letter) => {
    expect(selectPlatform(index, parsePlatform(p), {}).digest).toBe(`sha256:${letter.repeat(64)}`);
  });
  it('lists what is available when nothing matches (attestations left out)', () => {
    expect(() => selectPlatform(index, parsePlatform('linux/arm64'), { reference: 'x' })).toThrow('x: no manifest for linux/arm64 in the image index; available: linux/amd64, linux/arm/v6, linux/arm/v7');
  });
  it('refuses a malformed platform', () => {
    expect(() => parsePlatform('linux')).toThrow('expected os/arch[/variant]');
  });
});

describe('manifests and configs', () => {
  const manifest = { schemaVersion: 2, mediaType: MediaType.dockerManifest, config: { mediaType: MediaType.dockerConfig, digest: D, size: 2 }, layers: [{ mediaType: MediaType.dockerLayerGzip, digest: E, size: 3 }] };
  it('refuses schema 1 by body or by content type', () => {
    expect(() => parseManifest(Buffer.from('{"schemaVersion":1}'), undefined, {})).toThrow('schema 1 images are not supported; re-push with a current docker/skopeo');
    expect(() => parseManifest(Buffer.from('{}'), MediaType.dockerSchema1Signed, {})).toThrow('schema 1');
  });
  it('takes the media type from the body, else the Content-Type, else the shape', () => {
    const { mediaType: _m, ...bare } = manifest;
    const p = parseManifest(Buffer.from(JSON.stringify(bare)), undefined, {});
    expect(p.kind === 'manifest' && p.manifest.mediaType).toBe(MediaType.ociManifest);
    const q = parseManifest(Buffer.from(JSON.stringify({ schemaVersion: 2, manifests: [] })), `${MediaType.dockerList}; charset=utf-8`, {});
    expect(q.kind === 'index' && q.index.mediaType).toBe(MediaType.dockerList);
  });
  it('refuses bad descriptors and unknown layer types', () => {
    expect(() => parseManifest(Buffer.from(JSON.stringify({ ...manifest, layers: [{ mediaType: 'x', digest: 'md5:1', size: 1 }] })), undefined, {})).toThrow('layers[0] is not a valid descriptor');
    expect(() => parseManifest(Buffer.from(JSON.stringify({ ...manifest, layers: [{ mediaType: 'application/x-helm', digest: E, size: 1 }] })), undefined, {})).toThrow('not an image layer');
  });
  it('checks the config: rootfs of layers, one diff id per layer', () => {
    const m = parseManifest(Buffer.from(JSON.stringify(manifest)), undefined, {});
    if (m.kind !== 'manifest') throw new Error('expected a manifest');
    const good = { os: 'linux', architecture: 'amd64', rootfs: { type: 'layers', diff_ids: [D] } };
    expect(parseImageConfig(Buffer.from(JSON.stringify(good)), m.manifest, {}).rootfs.diff_ids).toEqual([D]);
    expect(() => parseImageConfig(Buffer.from(JSON.stringify({ ...good, rootfs: { type: 'layers', diff_ids: [] } })), m.manifest, {})).toThrow('0 diff ids for the manifest\'s 1 layers');
    expect(() => parseImageConfig(Buffer.from(JSON.stringify({ ...good, os: undefined })), m.manifest, {})).toThrow('"os" is missing');
  });
});

describe('endpoints, insecure registries, proxies', () => {
  it.each([
    ['127.0.0.1:5000', {}, true],
    ['127.9.9.9', {}, true],
    ['[::1]:5000', {}, true],
    ['localhost:5000', {}, true],
    ['registry.example.com', {}, false],
    ['127.0.0.1:5000', { loopbackInsecure: false }, false],
    ['10.1.2.3:5000', { insecureRegistries: ['10.0.0.0/8'] }, true],
    ['registry.lan:5000', { insecureRegistries: ['registry.lan:5000'] }, true],
    ['registry.lan:5001', { insecureRegistries: ['registry.lan'] }, true],
    ['other.lan', { insecureRegistries: ['registry.lan'] }, false],
  ])('%s with %j is insecure: %s', (host, config, insecure) => {
    expect(isInsecure(config, host)).toBe(insecure);
  });

  it('orders mirrors before the registry, HTTPS before HTTP only where insecure', () => {
    const eps = pullEndpoints({ mirrors: { 'docker.io': ['https://mirror.example/prefix/', '127.0.0.1:5001'] } }, 'docker.io', 'registry-1.docker.io');
    expect(eps.map((e) => [e.host, e.pathPrefix, e.schemes.join('+'), e.mirror])).toEqual([
      ['mirror.example', '/prefix', 'https', true],
      ['127.0.0.1:5001', '', 'https+http', true],
      ['registry-1.docker.io', '', 'https', false],
    ]);
  });

  it('picks the proxy by scheme and honours no-proxy entries', () => {
    const config = { proxy: { http: 'http://p:3128', https: 'http://s:3128', noProxy: ['.internal', 'exact.host', '10.0.0.0/8'] } };
    expect(proxyFor(config, new URL('http://r.example/v2/'))?.host).toBe('p:3128');
    expect(proxyFor(config, new URL('https://r.example/v2/'))?.host).toBe('s:3128');
    expect(proxyFor(config, new URL('https://a.internal/v2/'))).toBeUndefined();
    expect(proxyFor(config, new URL('https://exact.host:5000/v2/'))).toBeUndefined();
    expect(proxyFor(config, new URL('http://10.2.3.4:5000/v2/'))).toBeUndefined();
    expect(proxyFor({}, new URL('http://r.example/'))).toBeUndefined();
  });
});

describe('back-off', () => {
  it('doubles the ceiling per attempt up to the maximum, with the wait in its upper half', () => {
    const policy = { attempts: 6, baseDelayMs: 100, maxDelayMs: 1000 };
    expect([1, 2, 3, 4, 5].map((n) => backoffDelay(policy, n, () => 0))).toEqual([50, 100, 200, 400, 500]);
    expect([1, 2, 3, 4, 5].map((n) => backoffDelay(policy, n, () => 1))).toEqual([100, 200, 400, 800, 1000]);
  });
  it('reads Retry-After as seconds or a date', () => {
    expect(parseRetryAfter('3', 0)).toBe(3000);
    expect(parseRetryAfter('Thu, 01 Jan 1970 00:00:10 GMT', 4000)).toBe(6000);
    expect(parseRetryAfter('soon', 0)).toBeUndefined();
  });
});
