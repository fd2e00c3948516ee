// A bearer token server for tests, speaking Docker's token-auth protocol the way Docker Hub's
// does: GET <realm>?service=…&scope=… (basic credentials optional) → {"token", "access_token",
// "expires_in", "issued_at"}, plus the OAuth2 side: offline_token=true hands out a refresh token
// and POST grant_type=refresh_token|password trades it for an access token.
//
// Tokens are RS256 JWTs signed with a key whose self-signed certificate (made by openssl) is the
// registry's rootcertbundle; the certificate rides in the JWT's `x5c` header, which
// distribution 2.8 verifies against the bundle. Granted actions are the requested ones that the
// caller may have: users get pull and push everywhere, anonymous callers `anonymous` actions.
import { spawnSync } from 'node:child_process';
import { createPrivateKey, createSign, randomBytes, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface TokenServer {
  realm: string;
  service: string;
  issuer: string;
  /** PEM certificate to configure as the registry's rootcertbundle. */
  certFile: string;
  /** Every token request: who asked (user or '' for anonymous), for which scopes, and what was granted. */
  requests: { user: string; scopes: string[]; granted: string[]; method: string }[];
  stop(): Promise<void>;
}

export interface TokenServerOptions {
  users: Record<string, string>;
  /** Actions anonymous callers may have (default ['pull']). */
  anonymous?: string[];
  /** expires_in of issued tokens, seconds (default 300). */
  expiresIn?: number;
  /** Answer with `access_token` only (as OAuth2 servers do) instead of both fields. */
  accessTokenOnly?: boolean;
}

const b64url = (b: Buffer | string): string => Buffer.from(b).toString('base64url');

export async function startTokenServer(opts: TokenServerOptions): Promise<TokenServer> {
  const dir = mkdtempSync(path.join(tmpdir(), 'berth-token-'));
  const keyFile = path.join(dir, 'key.pem');
  const certFile = path.join(dir, 'cert.pem');
  const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '1', '-subj', '/CN=berth-test-token-issuer'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl failed: ${r.stderr}`);
  const key = createPrivateKey(readFileSync(keyFile));
  const certDer = new X509Certificate(readFileSync(certFile)).raw;
  const service = 'berth-test-registry';
  const issuer = 'berth-test-issuer';
  const refreshTokens = new Map<string, string>();
  const requests: TokenServer['requests'] = [];

  const sign = (user: string, access: { type: string; name: string; actions: string[] }[]): string => {
    const now = Math.floor(Date.now() / 1000);
    const headerPart = b64url(JSON.stringify({ alg: 'RS256', typ: 'JWT', x5c: [certDer.toString('base64')] }));
    const claims = b64url(JSON.stringify({ iss: issuer, sub: user, aud: service, exp: now + (opts.expiresIn ?? 300), nbf: now - 10, iat: now, jti: randomBytes(8).toString('hex'), access }));
    const signature = createSign('RSA-SHA256').update(`${headerPart}.${claims}`).sign(key);
    return `${headerPart}.${claims}.${b64url(signature)}`;
  };

  const grant = (user: string, scopes: string[]): { access: { type: string; name: string; actions: string[] }[]; granted: string[] } => {
    const allowed = user ? ['pull', 'push'] : (opts.anonymous ?? ['pull']);
    const access: { type: string; name: string; actions: string[] }[] = [];
    for (const scope of scopes.flatMap((s) => s.split(' ')).filter(Boolean)) {
      const first = scope.indexOf(':');
      const last = scope.lastIndexOf(':');
      if (first === -1 || last === first) continue;
      const actions = scope.slice(last + 1).split(',').filter((a) => allowed.includes(a));
      access.push({ type: scope.slice(0, first), name: scope.slice(first + 1, last), actions });
    }
    return { access, granted: access.map((a) => `${a.type}:${a.name}:${a.actions.join(',')}`) };
  };

  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString('utf8')));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      const deny = (): void => {
        res.writeHead(401, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'incorrect username or password' }] }));
      };
      let user = '';
      let scopes: string[];
      if (req.method === 'POST') {
        const form = new URLSearchParams(body);
        scopes = (form.get('scope') ?? '').split(' ').filter(Boolean);
        if (form.get('grant_type') === 'refresh_token') {
          const who = refreshTokens.get(form.get('refresh_token') ?? '');
          if (who === undefined) return deny();
          user = who;
        } else if (form.get('grant_type') === 'password') {
          const u = form.get('username') ?? '';
          if (opts.users[u] === undefined || opts.users[u] !== form.get('password')) return deny();
          user = u;
        } else {
          return deny();
        }
      } else {
        scopes = url.searchParams.getAll('scope');
        const auth = req.headers.authorization;
        if (auth?.startsWith('Basic ')) {
          const decoded = Buffer.from(auth.slice(6), 'base64').toString('utf8');
          const colon = decoded.indexOf(':');
          const u = decoded.slice(0, colon);
          if (opts.users[u] === undefined || opts.users[u] !== decoded.slice(colon + 1)) return deny();
          user = u;
        }
      }
      const { access, granted } = grant(user, scopes);
      requests.push({ user, scopes, granted, method: req.method ?? 'GET' });
      const token = sign(user, access);
      const answer: Record<string, unknown> = { access_token: token, expires_in: opts.expiresIn ?? 300, issued_at: new Date().toISOString() };
      if (!opts.accessTokenOnly) answer.token = token;
      if (user && url.searchParams.get('offline_token') === 'true') {
        const refresh = randomBytes(16).toString('hex');
        refreshTokens.set(refresh, user);
        answer.refresh_token = refresh;
      }
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(answer));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    realm: `http://127.0.0.1:${port}/token`,
    service,
    issuer,
    certFile,
    requests,
    stop: async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
