// Registry authentication (Docker's token-auth spec, RFC 7235 challenges):
//
// - A registry answers 401 with `WWW-Authenticate: Bearer realm=…,service=…,scope=…` or
//   `Basic realm=…`. We remember the challenge per endpoint, so later requests go authorised
//   up front instead of taking a 401 each.
// - Bearer: GET <realm>?service=…&scope=… (basic credentials if we have them), or with an
//   identity token the OAuth2 POST (grant_type=refresh_token). The answer's `token` or
//   `access_token` is cached per realm, service, scope set and user until `expires_in`
//   (60 s when absent, as the spec says) runs out, less a margin, counted on our own clock.
// - Basic: the credentials on every request.
import { RegistryError, describeCause, parseErrorBody } from './errors.js';
import type { Credentials } from './credentials.js';
import type { RegistryConfig } from './config.js';
import { systemClock, type Clock } from './retry.js';
import { basicHeader, send } from './transport.js';

export interface Challenge {
  /** Lower-case scheme: `bearer`, `basic`, … */
  scheme: string;
  params: Record<string, string>;
}

/**
 * Parses a WWW-Authenticate value, which may hold several challenges
 * (`Bearer realm="a",scope="b", Basic realm="c"`); parameter names are lower-cased,
 * quoted values unescaped.
 */
export function parseChallenges(value: string | string[] | undefined): Challenge[] {
  if (value === undefined) return [];
  const text = Array.isArray(value) ? value.join(', ') : value;
  const out: Challenge[] = [];
  let i = 0;
  const skip = (re: RegExp): void => {
    while (i < text.length && re.test(text[i])) i++;
  };
  const token = (): string => {
    const start = i;
    while (i < text.length && /[!#$%&'*+\-.^_`|~0-9A-Za-z]/.test(text[i])) i++;
    return text.slice(start, i);
  };
  while (i < text.length) {
    skip(/[\s,]/);
    const scheme = token();
    if (!scheme) break;
    const challenge: Challenge = { scheme: scheme.toLowerCase(), params: {} };
    out.push(challenge);
    for (;;) {
      skip(/[\s,]/);
      const save = i;
      const name = token();
      skip(/\s/);
      if (!name || text[i] !== '=') {
        // Not a parameter: the start of the next challenge (or a token68 we do not use).
        i = save;
        break;
      }
      i++;
      skip(/\s/);
      let val = '';
      if (text[i] === '"') {
        i++;
        while (i < text.length && text[i] !== '"') {
          if (text[i] === '\\' && i + 1 < text.length) i++;
          val += text[i++];
        }
        i++;
      } else {
        // Unquoted: RFC 7235 allows only token characters, but registries send `scope=repo:x:pull` bare.
        const start = i;
        while (i < text.length && !/[\s,]/.test(text[i])) i++;
        val = text.slice(start, i);
      }
      challenge.params[name.toLowerCase()] = val;
    }
  }
  return out;
}

/** `repository:<name>:<actions>`, the scope a request for `name` needs. */
export function repositoryScope(repo: string, actions: ('pull' | 'push')[]): string {
  return `repository:${repo}:${actions.join(',')}`;
}

export interface TokenResponse {
  token: string;
  /** When the token stops being used, ms since the epoch. */
  expiresAt: number;
  /** An OAuth2 refresh token, when the server gave one (offline_token=true). */
  refreshToken?: string;
}

interface CachedToken {
  token: string;
  expiresAt: number;
}

export interface TokenRequest {
  challenge: Challenge;
  scopes: string[];
  credentials?: Credentials;
  /** Ask for a refresh token too (what `docker login` does to get an IdentityToken). */
  offline?: boolean;
  /** For messages: the registry host the token is for. */
  host: string;
  reference?: string;
}

const CLIENT_ID = 'berth';
/** Tokens are dropped this long before they expire, so none goes out stale. */
const EXPIRY_MARGIN_MS = 5_000;

export class TokenCache {
  private readonly tokens = new Map<string, CachedToken>();

  constructor(
    private readonly config: RegistryConfig,
    private readonly clock: Clock = systemClock,
  ) {}

  /** A bearer token for the challenge and scopes, from the cache or the token server. */
  async token(req: TokenRequest): Promise<string> {
    const key = [req.challenge.params.realm, req.challenge.params.service ?? '', [...req.scopes].sort().join(' '), req.credentials?.username ?? req.credentials?.identityToken?.slice(0, 16) ?? ''].join('|');
    const cached = this.tokens.get(key);
    if (cached && cached.expiresAt - EXPIRY_MARGIN_MS > this.clock.now()) return cached.token;
    const fresh = await this.fetch(req);
    this.tokens.set(key, { token: fresh.token, expiresAt: fresh.expiresAt });
    return fresh.token;
  }

  /** Forgets every token (after a 401 that says a cached one was refused). */
  clear(): void {
    this.tokens.clear();
  }

  /** Talks to the token server; wrong credentials come back as an `unauthorized` RegistryError. */
  async fetch(req: TokenRequest): Promise<TokenResponse> {
    const realm = req.challenge.params.realm;
    if (!realm) throw new RegistryError('registry', 'the registry asked for a bearer token but named no realm', { host: req.host, reference: req.reference });
    let url: URL;
    try {
      url = new URL(realm);
    } catch {
      throw new RegistryError('registry', `the registry named a token realm that is not a URL: ${JSON.stringify(realm)}`, { host: req.host, reference: req.reference });
    }
    const service = req.challenge.params.service;
    const creds = req.credentials;
    const asked = this.clock.now();
    let res;
    try {
      if (creds?.identityToken) {
        const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: creds.identityToken, client_id: CLIENT_ID });
        if (service) form.set('service', service);
        if (req.scopes.length > 0) form.set('scope', req.scopes.join(' '));
        res = await send(this.config, { method: 'POST', url, headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: Buffer.from(form.toString()) });
      } else {
        if (service) url.searchParams.set('service', service);
        for (const s of req.scopes) url.searchParams.append('scope', s);
        if (req.offline) {
          url.searchParams.set('offline_token', 'true');
          url.searchParams.set('client_id', CLIENT_ID);
        }
        const headers: Record<string, string> = {};
        if (creds?.username !== undefined && creds.password !== undefined) headers.Authorization = basicHeader(creds.username, creds.password);
        res = await send(this.config, { method: 'GET', url, headers });
      }
    } catch (e) {
      throw new RegistryError('unreachable', `the token server ${url.host} is unreachable: ${describeCause(e)}`, { host: req.host, reference: req.reference, cause: e });
    }
    const body = await res.text(1024 * 1024).catch(() => '');
    if (res.status === 401 || res.status === 403) {
      const who = creds?.username ? `as ${JSON.stringify(creds.username)}` : 'anonymously';
      throw new RegistryError('unauthorized', `the token server ${url.host} refused ${who}: ${res.status === 401 ? 'incorrect username or password' : 'access denied'}`, {
        host: req.host,
        reference: req.reference,
        status: res.status,
        errors: parseErrorBody(body),
        hint: `check the credentials with: docker login ${req.host}`,
      });
    }
    if (res.status !== 200) {
      throw new RegistryError('registry', `the token server ${url.host} answered ${res.status}`, { host: req.host, reference: req.reference, status: res.status, errors: parseErrorBody(body) });
    }
    let parsed: { token?: unknown; access_token?: unknown; expires_in?: unknown; refresh_token?: unknown };
    try {
      parsed = JSON.parse(body) as typeof parsed;
    } catch {
      throw new RegistryError('registry', `the token server ${url.host} answered something that is not JSON`, { host: req.host, reference: req.reference });
    }
    const token = typeof parsed.access_token === 'string' && parsed.access_token ? parsed.access_token : typeof parsed.token === 'string' ? parsed.token : '';
    if (!token) throw new RegistryError('registry', `the token server ${url.host} answered without a token`, { host: req.host, reference: req.reference });
    const expiresIn = typeof parsed.expires_in === 'number' && parsed.expires_in > 0 ? parsed.expires_in : 60;
    // Counted from when we asked, on our clock. Docker counts from issued_at, the server's clock:
    // with skew larger than expires_in every token would look expired at birth.
    return { token, expiresAt: asked + expiresIn * 1000, ...(typeof parsed.refresh_token === 'string' ? { refreshToken: parsed.refresh_token } : {}) };
  }
}

/** The Authorization header for a request under `challenge`, or undefined when we have nothing to offer. */
export async function authorizationFor(
  tokens: TokenCache,
  challenge: Challenge | undefined,
  scopes: string[],
  credentials: Credentials | undefined,
  ctx: { host: string; reference?: string },
): Promise<string | undefined> {
  if (!challenge) return undefined;
  if (challenge.scheme === 'bearer') {
    if (credentials?.registryToken) return `Bearer ${credentials.registryToken}`;
    return `Bearer ${await tokens.token({ challenge, scopes, credentials, host: ctx.host, reference: ctx.reference })}`;
  }
  if (challenge.scheme === 'basic') {
    if (credentials?.username === undefined || credentials.password === undefined) return undefined;
    return basicHeader(credentials.username, credentials.password);
  }
  throw new RegistryError('unsupported', `the registry asks for ${challenge.scheme} authentication, which berth does not speak (only Bearer and Basic)`, ctx);
}

/** The challenge we can answer, Bearer preferred. */
export function pickChallenge(challenges: Challenge[]): Challenge | undefined {
  return challenges.find((c) => c.scheme === 'bearer') ?? challenges.find((c) => c.scheme === 'basic') ?? challenges[0];
}
