// Pure pieces of the engine's image API: daemon.json and registry flags, how fromImage and tag
// combine, X-Registry-Auth into credentials, the reference filter's globs, prune's `until`, and
// the progress text.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DaemonConfigError, parseDaemonConfig, daemonSettings } from '../../../src/engine/daemon/daemon-config.js';
import { credentialsOf, progressBar, pullReference } from '../../../src/engine/daemon/image-transfer.js';
import { parseUntil, referenceMatches } from '../../../src/engine/daemon/images.js';

const dir = mkdtempSync(path.join(tmpdir(), 'berth-img-units-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('engine registry settings', () => {
  it("reads dockerd's keys, mirrors per registry too, and refuses what it does not know", () => {
    expect(parseDaemonConfig('{"registry-mirrors":["https://m.example"],"insecure-registries":["10.0.0.0/8","r:5000"],"max-concurrent-downloads":6,"proxies":{"https-proxy":"http://p:3128","no-proxy":"a, .b"}}', 'f')).toEqual({
      registry: { mirrors: { 'docker.io': ['https://m.example'] }, insecureRegistries: ['10.0.0.0/8', 'r:5000'], proxy: { https: 'http://p:3128', noProxy: ['a', '.b'] } },
      maxConcurrentDownloads: 6,
      access: {},
    });
    expect(parseDaemonConfig('{"registry-mirrors":{"r:5000":["http://127.0.0.1:5001"]}}', 'f').registry.mirrors).toEqual({ 'r:5000': ['http://127.0.0.1:5001'] });
    expect(() => parseDaemonConfig('{"storage-driver":"overlay2"}', '/etc/x.json')).toThrow(/\/etc\/x.json: "storage-driver" is not supported by the berth engine/);
    expect(() => parseDaemonConfig('{"max-concurrent-downloads":0}', 'f')).toThrow(DaemonConfigError);
    expect(() => parseDaemonConfig('[', 'f')).toThrow(/not valid JSON/);
  });

  it('takes <root>/daemon.json when it is there, a named file that must be, and flags on top', async () => {
    expect(await daemonSettings(path.join(dir, 'none'), {})).toEqual({ registry: {}, access: {} });
    await expect(daemonSettings(dir, { configFile: path.join(dir, 'missing.json') })).rejects.toThrow(/cannot read the engine config/);
    writeFileSync(path.join(dir, 'daemon.json'), '{"insecure-registries":["a:1"]}');
    expect(await daemonSettings(dir, { registryMirror: ['https://hub-mirror', 'r:5000=http://127.0.0.1:5001'], insecureRegistry: ['b:2'], maxConcurrentUploads: '3' })).toEqual({
      registry: { insecureRegistries: ['a:1', 'b:2'], mirrors: { 'docker.io': ['https://hub-mirror'], 'r:5000': ['http://127.0.0.1:5001'] } },
      maxConcurrentUploads: 3,
      access: {},
    });
  });
});

describe('pull and push requests', () => {
  it('combines fromImage and tag as Docker does', () => {
    expect(pullReference('busybox', 'latest')).toBe('docker.io/library/busybox:latest');
    expect(pullReference('busybox', undefined)).toBe('docker.io/library/busybox:latest');
    expect(pullReference('r:5000/a/b', '1')).toBe('r:5000/a/b:1');
    expect(pullReference('r:5000/a/b:2', undefined)).toBe('r:5000/a/b:2');
    const d = `sha256:${'a'.repeat(64)}`;
    expect(pullReference('r:5000/a/b', d)).toBe(`r:5000/a/b@${d}`);
    expect(pullReference(`r:5000/a/b@${d}`, undefined)).toBe(`r:5000/a/b@${d}`);
  });

  it('turns X-Registry-Auth into credentials (auth, identity and registry tokens)', () => {
    expect(credentialsOf(undefined)).toBeUndefined();
    expect(credentialsOf({ serveraddress: 'r' })).toBeUndefined();
    expect(credentialsOf({ auth: Buffer.from('u:p:q').toString('base64') })).toEqual({ username: 'u', password: 'p:q' });
    expect(credentialsOf({ username: 'u', password: 'p', identitytoken: 't' })).toEqual({ username: 'u', password: 'p', identityToken: 't' });
    expect(credentialsOf({ registrytoken: 'r' })).toEqual({ registryToken: 'r' });
  });

  it('draws the progress text older clients print', () => {
    expect(progressBar(0, 1000)).toMatch(/^\[ {50}\] +0B\/1kB$/);
    expect(progressBar(500_000, 1_000_000)).toMatch(/^\[={24}> {25}\]\s+500kB\/1MB$/);
  });
});

describe('image list and prune filters', () => {
  it('matches references the way `docker images REPO[:TAG]` does', () => {
    expect(referenceMatches('busybox', 'docker.io/library/busybox:latest')).toBe(true);
    expect(referenceMatches('busybox:latest', 'docker.io/library/busybox:latest')).toBe(true);
    expect(referenceMatches('busybox:1', 'docker.io/library/busybox:latest')).toBe(false);
    expect(referenceMatches('bus*', 'docker.io/library/busybox:latest')).toBe(true);
    expect(referenceMatches('*', 'docker.io/me/app:1')).toBe(false); // * stops at /
    expect(referenceMatches('*/*', 'docker.io/me/app:1')).toBe(true);
    expect(referenceMatches('127.0.0.1:5000/x/y', '127.0.0.1:5000/x/y:1')).toBe(true);
  });

  it("reads prune's until as a Unix time, an RFC 3339 time or a duration", () => {
    const now = Date.UTC(2026, 0, 2);
    expect(parseUntil('1700000000', now).getTime()).toBe(1_700_000_000_000);
    expect(parseUntil('2026-01-01T00:00:00Z', now).getTime()).toBe(Date.UTC(2026, 0, 1));
    expect(parseUntil('24h', now).getTime()).toBe(Date.UTC(2026, 0, 1));
    expect(() => parseUntil('yesterday', now)).toThrow(/invalid filter 'until=yesterday'/);
  });
});
