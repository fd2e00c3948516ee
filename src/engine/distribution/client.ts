// The registry client's core: finds out how to talk to an endpoint (ping `/v2/` over HTTPS,
// then plain HTTP for insecure hosts, remembering the auth challenge), sends requests with the
// right Authorization for their scope, answers a 401 once by fetching a new token, retries
// what is transient, and turns everything else into a RegistryError that says who answered
// what. Pull, push and login are built on `request`; nothing above this file sees HTTP
// statuses except to pick the next step of a protocol.
import { authorizationFor, parseChallenges, pickChallenge, TokenCache, type Challenge } from './auth.js';
import { registryEndpoint, type Endpoint, type RegistryConfig } from './config.js';
import { dockerConfigCredentials, type CredentialSource, type Credentials } from './credentials.js';
import { describeCause, parseErrorBody, RegistryError, type RegistryErrorKind } from './errors.js';
import { DEFAULT_RETRY, parseRetryAfter, systemClock, TransientError, withRetry, type Clock, type RetryPolicy } from './retry.js';
import { header, isTlsError, send, type HttpRequest, type HttpResponse, type TransportErrorInfo } from './transport.js';

export interface RegistryClientOptions {
  config?: RegistryConfig;
  /** Where credentials come from; default Docker's config.json (`$DOCKER_CONFIG`). */
  credentials?: CredentialSource;
  clock?: Clock;
  /** Jitter source for back-off (default Math.random). */
  random?: () => number;
  retry?: RetryPolicy;
  /** Idle timeout of one exchange in ms (default 60 s). */
  timeoutMs?: number;
}

/** What a ping found out about an endpoint. */
export interface EndpointState {
  endpoint: Endpoint;
  /** `<scheme>://<host><prefix>/v2/` */
  base: URL;
  challenge?: Challenge;
}

export interface RegistryRequest {
  method: HttpRequest['method'];
  /** Path below `/v2/` (`library/busybox/manifests/latest`), or an absolute URL (upload locations). */
  path: string | URL;
  headers?: Record<string, string>;
  body?: HttpRequest['body'];
  /** Token scopes the request needs, e.g. `repository:library/busybox:pull`. */
  scopes: string[];
  /** For messages. */
  reference?: string;
  /** Retry 5xx, 429 and dropped connections (default: for GET, HEAD, and buffered-body requests). */
  retry?: boolean;
  signal?: AbortSignal;
}

export class RegistryClient {
  readonly config: RegistryConfig;
  readonly clock: Clock;
  readonly random: () => number;
  readonly retryPolicy: RetryPolicy;
  readonly tokens: TokenCache;
  private readonly credentialSource: CredentialSource;
  private readonly timeoutMs: number;
  private readonly pings = new Map<string, Promise<EndpointState>>();
  private readonly creds = new Map<string, Promise<Credentials | undefined>>();

  constructor(opts: RegistryClientOptions = {}) {
    this.config = opts.config ?? {};
    this.clock = opts.clock ?? systemClock;
    this.random = opts.random ?? Math.random;
    this.retryPolicy = opts.retry ?? DEFAULT_RETRY;
    this.credentialSource = opts.credentials ?? dockerConfigCredentials();
    this.timeoutMs = opts.timeoutMs ?? 60_000;
    this.tokens = new TokenCache(this.config, this.clock);
  }

  /** The registry endpoint itself (no mirrors), for pushes and logins. */
  registryEndpoint(host: string): Endpoint {
    return registryEndpoint(this.config, host);
  }

  credentials(host: string): Promise<Credentials | undefined> {
    let p = this.creds.get(host);
    if (!p) {
      p = this.credentialSource(host);
      this.creds.set(host, p);
      p.catch(() => this.creds.delete(host));
    }
    return p;
  }

  /** Pings the endpoint once (cached): which scheme works, and which challenge it gives. */
  ping(endpoint: Endpoint, reference?: string): Promise<EndpointState> {
    const key = `${endpoint.schemes.join('+')}://${endpoint.host}${endpoint.pathPrefix}`;
    let p = this.pings.get(key);
    if (!p) {
      p = this.pingUncached(endpoint, reference);
      this.pings.set(key, p);
      p.catch(() => this.pings.delete(key));
    }
    return p;
  }

  private async pingUncached(endpoint: Endpoint, reference?: string): Promise<EndpointState> {
    const causes: string[] = [];
    let lastError: unknown;
    for (const scheme of endpoint.schemes) {
      const base = new URL(`${scheme}://${endpoint.host}${endpoint.pathPrefix}/v2/`);
      try {
        const res = await withRetry(
          async () => {
            const r = await send(this.config, { method: 'GET', url: base, insecureTls: endpoint.insecure, timeoutMs: this.timeoutMs });
            if (r.status >= 500 || r.status === 429) {
              r.discard();
              throw new TransientError(`${base.href} answered ${r.status}`, parseRetryAfter(header(r, 'retry-after'), this.clock.now()), new RegistryError('registry', `${base.href} answered ${r.status}`, { host: endpoint.host, reference, status: r.status }));
            }
            return r;
          },
          { policy: this.retryPolicy, clock: this.clock, random: this.random },
        );
        const body = await res.text(64 * 1024).catch(() => '');
        if (res.status === 200) return { endpoint, base };
        if (res.status === 401) return { endpoint, base, challenge: pickChallenge(parseChallenges(res.headers['www-authenticate'])) };
        throw new RegistryError('registry', `${base.href} does not look like a registry API (it answered ${res.status})`, { host: endpoint.host, reference, status: res.status, errors: parseErrorBody(body) });
      } catch (e) {
        if (e instanceof RegistryError) throw e;
        lastError = e;
        causes.push(`${scheme}: ${describeCause(e)}`);
        if (isTlsError(e) && !endpoint.insecure) {
          throw new RegistryError('tls', `TLS with ${endpoint.host} failed: ${describeCause(e)}`, {
            host: endpoint.host,
            reference,
            cause: e,
            hint: `if this registry serves plain HTTP or a self-signed certificate, add "${endpoint.host}" to insecure-registries, or trust its CA`,
          });
        }
      }
    }
    const proxy = (lastError as TransportErrorInfo | undefined)?.proxy;
    throw new RegistryError('unreachable', `cannot reach ${endpoint.host}${proxy ? ` through the proxy ${proxy}` : ''}: ${causes.join('; ')}`, { host: endpoint.host, reference, cause: lastError });
  }

  /** Sends one request to an endpoint, authorised for its scopes; 401 gets one fresh try, transient failures a few. */
  async request(endpoint: Endpoint, req: RegistryRequest): Promise<HttpResponse> {
    const state = await this.ping(endpoint, req.reference);
    const url = typeof req.path === 'string' ? new URL(req.path, state.base) : req.path;
    const bufferedBody = req.body === undefined || Buffer.isBuffer(req.body);
    const retry = req.retry ?? (bufferedBody && (req.method === 'GET' || req.method === 'HEAD' || req.method === 'PUT'));
    const ctx = { host: endpoint.host, reference: req.reference };
    return withRetry(
      async () => {
        let res = await this.sendAuthorised(state, url, req);
        if (res.status === 401 && bufferedBody) {
          // A token for another scope, an expired one, or a first challenge on this path: ask again once.
          const challenge = pickChallenge(parseChallenges(res.headers['www-authenticate']));
          res.discard();
          if (challenge) state.challenge = challenge;
          this.tokens.clear();
          res = await this.sendAuthorised(state, url, req);
        }
        if (retry && (res.status >= 500 || res.status === 429)) {
          const final = await this.errorFor(res, ctx);
          throw new TransientError(final.message, parseRetryAfter(header(res, 'retry-after'), this.clock.now()), final);
        }
        return res;
      },
      { policy: retry ? this.retryPolicy : { ...this.retryPolicy, attempts: 1 }, clock: this.clock, random: this.random, signal: req.signal },
    ).catch((e: unknown) => {
      if (e instanceof RegistryError) throw e;
      throw this.networkError(e, endpoint, req.reference);
    });
  }

  private async sendAuthorised(state: EndpointState, url: URL, req: RegistryRequest): Promise<HttpResponse> {
    const creds = await this.credentials(state.endpoint.host);
    const auth = await authorizationFor(this.tokens, state.challenge, req.scopes, creds, { host: state.endpoint.host, reference: req.reference });
    const headers = { ...(req.headers ?? {}) };
    // Only our own endpoint gets the Authorization; a redirect elsewhere drops it in send().
    if (auth && url.host === state.base.host) headers.Authorization = auth;
    return send(this.config, { method: req.method, url, headers, body: req.body, insecureTls: state.endpoint.insecure, timeoutMs: this.timeoutMs, signal: req.signal });
  }

  /** A network failure in the middle of an exchange, as a RegistryError naming host and proxy. */
  networkError(e: unknown, endpoint: Endpoint, reference?: string): RegistryError {
    const proxy = (e as TransportErrorInfo | undefined)?.proxy;
    return new RegistryError('unreachable', `the connection to ${endpoint.host}${proxy ? ` (through the proxy ${proxy})` : ''} failed: ${describeCause(e)}`, { host: endpoint.host, reference, cause: e });
  }

  /** Reads an unsuccessful response into the matching RegistryError. */
  async errorFor(res: HttpResponse, ctx: { host: string; reference?: string; what?: string }): Promise<RegistryError> {
    const body = await res.text(256 * 1024).catch(() => '');
    const errors = parseErrorBody(body);
    const codes = new Set(errors.map((e) => e.code));
    const what = ctx.what ? `${ctx.what}: ` : '';
    const base = { host: ctx.host, reference: ctx.reference, status: res.status, errors };
    let kind: RegistryErrorKind = 'registry';
    let detail = `${what}the registry answered ${res.status}`;
    let hint: string | undefined;
    if (res.status === 404 || codes.has('NAME_UNKNOWN') || codes.has('MANIFEST_UNKNOWN') || codes.has('BLOB_UNKNOWN')) {
      kind = 'not-found';
      detail = codes.has('NAME_UNKNOWN')
        ? `${what}repository not found`
        : codes.has('MANIFEST_UNKNOWN')
          ? `${what}manifest unknown (no such tag or digest)`
          : codes.has('BLOB_UNKNOWN')
            ? `${what}blob unknown`
            : `${what}not found`;
    } else if (res.status === 401 || codes.has('UNAUTHORIZED')) {
      kind = 'unauthorized';
      detail = `${what}authentication required or insufficient (the repository may not exist, or may need a login)`;
      hint = `docker login ${ctx.host}`;
    } else if (res.status === 403 || codes.has('DENIED')) {
      kind = 'denied';
      detail = `${what}access denied`;
    } else if (res.status === 429 || codes.has('TOOMANYREQUESTS')) {
      detail = `${what}too many requests (rate limited)`;
    } else if (codes.has('DIGEST_INVALID')) {
      kind = 'digest-mismatch';
      detail = `${what}the registry found the digest does not match the content`;
    } else if (codes.has('UNSUPPORTED') || codes.has('MANIFEST_INVALID') || codes.has('MANIFEST_BLOB_UNKNOWN')) {
      detail = `${what}the registry refused the content`;
    }
    return new RegistryError(kind, detail, { ...base, ...(hint ? { hint } : {}) });
  }
}
