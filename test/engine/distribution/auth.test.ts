// Authentication against real registries: distribution 2.8 with token auth (our token server,
// the flow Docker Hub uses) and with htpasswd (Basic), credentials from a config.json and from a
// credential helper, and login as `POST /auth` will use it.
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  dockerConfigCredentials,
  login,
  pushImage,
  RegistryClient,
  RegistryError,
  resolveImage,
  staticCredentials,
} from '../../../src/engine/distribution/index.js';
import { TokenCache } from '../../../src/engine/distribution/auth.js';
import { makeImage, pushSources } from '../../support/images.js';
import { haveTools } from '../../support/gates.js';
import { startRegistry, type TestRegistry } from '../../support/registry.js';
import { startTokenServer, type TokenServer } from '../../support/token-server.js';

const ready = haveTools('registry auth tests', ['docker-registry', 'htpasswd', 'openssl']);

const errorOf = async (p: Promise<unknown>): Promise<RegistryError> => {
  const e = await p.then(() => undefined, (x: unknown) => x);
  expect(e).toBeInstanceOf(RegistryError);
  return e as RegistryError;
};

describe.skipIf(!ready)('bearer token auth (distribution 2.8 + token server)', () => {
  let tokens: TokenServer;
  let registry: TestRegistry;
  beforeAll(async () => {
    tokens = await startTokenServer({ users: { alice: 'wonderland' } });
    registry = await startRegistry({ auth: { token: { realm: tokens.realm, service: tokens.service, issuer: tokens.issuer, rootCertBundle: tokens.certFile } } });
  });
  afterAll(async () => {
    await registry?.stop();
    await tokens?.stop();
  });

  it('pushes with credentials, pulls anonymously, and caches tokens per scope', async () => {
    const image = await makeImage([{ files: { t: 'token' }, compression: 'gzip' }]);
    const alice = new RegistryClient({ credentials: staticCredentials({ [registry.host]: { username: 'alice', password: 'wonderland' } }) });
    await pushImage(alice, `${registry.host}/team/app:1`, { config: { data: image.config }, layers: pushSources(image) });
    const pushTokens = tokens.requests.filter((r) => r.user === 'alice');
    expect(pushTokens.length).toBeGreaterThan(0);
    expect(pushTokens[0].granted).toEqual(['repository:team/app:pull,push']);
    // One token for the whole push: the cache answers every later request of the same scope.
    expect(new Set(pushTokens.map((r) => r.scopes.join(' '))).size).toBe(pushTokens.length);

    tokens.requests.length = 0;
    const anon = new RegistryClient({ credentials: staticCredentials({}) });
    const resolved = await resolveImage(anon, `${registry.host}/team/app:1`);
    expect(resolved.configDigest).toBe(image.configDigest);
    expect(tokens.requests.map((r) => [r.user, r.granted])).toEqual([['', ['repository:team/app:pull']]]);
  });

  it('mounts across repositories with one token for both scopes', async () => {
    const image = await makeImage([{ files: { m: 'mount me' }, compression: 'gzip' }]);
    const alice = new RegistryClient({ credentials: staticCredentials({ [registry.host]: { username: 'alice', password: 'wonderland' } }) });
    await pushImage(alice, `${registry.host}/team/base:1`, { config: { data: image.config }, layers: pushSources(image) });
    tokens.requests.length = 0;
    const pushed = await pushImage(alice, `${registry.host}/team/derived:1`, { config: { data: image.config }, layers: pushSources(image, { mountFrom: ['team/base'] }) });
    expect(pushed.blobs.map((b) => b.outcome)).toEqual(['mounted', 'uploaded-monolithic']);
    expect(tokens.requests.map((r) => r.granted)).toContainEqual(['repository:team/derived:pull,push', 'repository:team/base:pull']);
  });

  it('keeps a token until expires_in runs out on the injected clock, then fetches a new one', async () => {
    let now = Date.now();
    const clock = { now: () => now, sleep: async () => undefined };
    const c = new RegistryClient({ clock, credentials: staticCredentials({ [registry.host]: { username: 'alice', password: 'wonderland' } }) });
    tokens.requests.length = 0;
    await resolveImage(c, `${registry.host}/team/app:1`);
    now += 200_000; // tokens live 300 s
    await resolveImage(c, `${registry.host}/team/app:1`);
    expect(tokens.requests.length).toBe(1);
    now += 200_000;
    await resolveImage(c, `${registry.host}/team/app:1`);
    expect(tokens.requests.length).toBe(2);
  });

  it('refuses an anonymous push as unauthorized, with a docker login hint', async () => {
    const image = await makeImage([{ files: { x: 'x' }, compression: 'gzip' }]);
    const e = await errorOf(pushImage(new RegistryClient({ credentials: staticCredentials({}) }), `${registry.host}/team/anon:1`, { config: { data: image.config }, layers: pushSources(image) }));
    expect(e.kind).toBe('unauthorized');
    expect(e.message).toContain(`docker login ${registry.host}`);
    expect(e.errors.map((x) => x.code)).toContain('UNAUTHORIZED');
  });

  it('reports wrong credentials as unauthorized, naming the user and the host', async () => {
    const wrong = new RegistryClient({ credentials: staticCredentials({ [registry.host]: { username: 'alice', password: 'nope' } }) });
    const e = await errorOf(resolveImage(wrong, `${registry.host}/team/app:1`));
    expect(e.kind).toBe('unauthorized');
    expect(e.message).toMatch(/refused as "alice": incorrect username or password/);
    expect(e.host).toBe(registry.host);
  });

  it('logs in (Login Succeeded, with the refresh token as IdentityToken) and uses that identity token for a pull', async () => {
    const c = new RegistryClient({ credentials: staticCredentials({}) });
    const ok = await login(c, registry.host, 'alice', 'wonderland');
    expect(ok.Status).toBe('Login Succeeded');
    expect(ok.IdentityToken).toMatch(/^[0-9a-f]{32}$/);
    const bad = await errorOf(login(c, `http://${registry.host}/v2/`, 'alice', 'wrong'));
    expect(bad.kind).toBe('unauthorized');
    expect(bad.message).toContain('incorrect username or password');

    tokens.requests.length = 0;
    const viaIdentity = new RegistryClient({ credentials: staticCredentials({ [registry.host]: { identityToken: ok.IdentityToken } }) });
    await resolveImage(viaIdentity, `${registry.host}/team/app:1`);
    expect(tokens.requests.map((r) => [r.method, r.user])).toEqual([['POST', 'alice']]);
  });
});

describe('token responses', () => {
  it.each([
    [{ token: 'T1' }, 'T1', 60],
    [{ access_token: 'A1', expires_in: 120 }, 'A1', 120],
    [{ token: 'T2', access_token: 'A2', expires_in: 30 }, 'A2', 30],
  ])('%j gives %s for %i s', async (answer, token, seconds) => {
    const seen: string[] = [];
    const server = http.createServer((req, res) => {
      seen.push(req.url ?? '');
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(answer));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const realm = `http://127.0.0.1:${(server.address() as AddressInfo).port}/token`;
      const cache = new TokenCache({}, { now: () => 1_000_000, sleep: async () => undefined });
      const got = await cache.fetch({ challenge: { scheme: 'bearer', params: { realm, service: 'svc' } }, scopes: ['repository:a:pull', 'repository:b:pull'], host: 'h' });
      expect(got).toEqual({ token, expiresAt: 1_000_000 + seconds * 1000 });
      expect(seen).toEqual(['/token?service=svc&scope=repository%3Aa%3Apull&scope=repository%3Ab%3Apull']);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});

describe.skipIf(!ready)('basic auth (distribution 2.8 + htpasswd) and Docker client config', () => {
  let registry: TestRegistry;
  let dir: string;
  beforeAll(async () => {
    registry = await startRegistry({ auth: { htpasswd: { bob: 'builder' } } });
    dir = mkdtempSync(path.join(tmpdir(), 'berth-docker-config-'));
  });
  afterAll(async () => {
    await registry?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const writeConfig = (name: string, config: unknown): string => {
    const d = path.join(dir, name);
    rmSync(d, { recursive: true, force: true });
    mkdirSync(d, { recursive: true });
    writeFileSync(path.join(d, 'config.json'), JSON.stringify(config));
    return d;
  };

  it('pushes and pulls with credentials from config.json auths (base64 auth), refuses without', async () => {
    const image = await makeImage([{ files: { b: 'basic' }, compression: 'gzip' }]);
    const configDir = writeConfig('auths', { auths: { [registry.host]: { auth: Buffer.from('bob:builder').toString('base64') } } });
    const c = new RegistryClient({ credentials: dockerConfigCredentials({ dir: configDir }) });
    await pushImage(c, `${registry.host}/basic/app:1`, { config: { data: image.config }, layers: pushSources(image) });
    expect((await resolveImage(c, `${registry.host}/basic/app:1`)).configDigest).toBe(image.configDigest);

    const e = await errorOf(resolveImage(new RegistryClient({ credentials: staticCredentials({}) }), `${registry.host}/basic/app:1`));
    expect(e.kind).toBe('unauthorized');
    expect(e.hint).toBe(`docker login ${registry.host}`);
  });

  it('reads username/password entries and DOCKER_CONFIG, and keys with a scheme', async () => {
    const configDir = writeConfig('userpass', { auths: { [`http://${registry.host}/v2/`]: { username: 'bob', password: 'builder' } } });
    const creds = dockerConfigCredentials({ env: { ...process.env, DOCKER_CONFIG: configDir } });
    expect(await creds(registry.host)).toEqual({ username: 'bob', password: 'builder' });
    expect(await creds('other.example:5000')).toBeUndefined();
    const hub = dockerConfigCredentials({ dir: writeConfig('hub', { auths: { 'https://index.docker.io/v1/': { auth: Buffer.from('hubuser:pw').toString('base64') } } }) });
    expect(await hub('registry-1.docker.io')).toEqual({ username: 'hubuser', password: 'pw' });
  });

  it('asks a credential helper (credHelpers, then credsStore), with the server URL on stdin', async () => {
    const bin = path.join(dir, 'bin');
    mkdirSync(bin, { recursive: true });
    const helper = path.join(bin, 'docker-credential-test');
    writeFileSync(helper, `#!/bin/sh
[ "$1" = get ] || exit 2
read -r server
echo "$server" >> "${path.join(dir, 'helper.log')}"
case "$server" in
  ${registry.host}) echo '{"ServerURL":"'"$server"'","Username":"bob","Secret":"builder"}' ;;
  *) echo "credentials not found in native keychain"; exit 1 ;;
esac
`);
    chmodSync(helper, 0o755);
    const env = { ...process.env, PATH: `${bin}:${process.env.PATH ?? ''}` };
    const perHost = dockerConfigCredentials({ dir: writeConfig('helpers', { credHelpers: { [registry.host]: 'test' } }), env });
    const c = new RegistryClient({ credentials: perHost });
    const image = await makeImage([{ files: { h: 'helper' }, compression: 'gzip' }]);
    await pushImage(c, `${registry.host}/helper/app:1`, { config: { data: image.config }, layers: pushSources(image) });

    const store = dockerConfigCredentials({ dir: writeConfig('store', { credsStore: 'test', auths: { 'elsewhere:1': { auth: Buffer.from('x:y').toString('base64') } } }), env });
    expect(await store(registry.host)).toEqual({ username: 'bob', password: 'builder' });
    // "not found" from the helper falls back to the auths entry.
    expect(await store('elsewhere:1')).toEqual({ username: 'x', password: 'y' });

    const missing = dockerConfigCredentials({ dir: writeConfig('missing', { credsStore: 'absent-helper' }), env });
    const e = await errorOf(missing(registry.host));
    expect(e.message).toContain('docker-credential-absent-helper could not be run');
  });

  it('logs in with Basic: good credentials succeed, wrong ones are unauthorized', async () => {
    const c = new RegistryClient({ credentials: staticCredentials({}) });
    expect(await login(c, registry.host, 'bob', 'builder')).toEqual({ Status: 'Login Succeeded' });
    const e = await errorOf(login(c, registry.host, 'bob', 'wrong'));
    expect(e.kind).toBe('unauthorized');
  });
});
