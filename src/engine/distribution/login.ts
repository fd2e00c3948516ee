// `docker login` against a registry, for the engine's `POST /auth`: the credentials are checked,
// never stored (storing is the client's business). Ping `/v2/` for the challenge, then:
// Bearer → a token request with the credentials (and offline_token, so a token server that
// issues refresh tokens hands one back as the IdentityToken); Basic → `/v2/` again with them;
// no challenge → the registry needs no login, which Docker also reports as success.
import { pickChallenge, parseChallenges } from './auth.js';
import type { RegistryClient } from './client.js';
import { RegistryError } from './errors.js';
import { parseRegistryHost } from './names.js';
import { basicHeader, send } from './transport.js';

export interface LoginResult {
  /** What Docker answers: "Login Succeeded". */
  Status: string;
  /** A refresh token the client may store instead of the password (`identitytoken` in config.json). */
  IdentityToken?: string;
}

export async function login(client: RegistryClient, server: string | undefined, username: string, password: string): Promise<LoginResult> {
  const { host } = parseRegistryHost(server);
  const endpoint = client.registryEndpoint(host);
  const state = await client.ping(endpoint);
  // Ping results are cached; a login wants the challenge as the registry gives it now.
  const challenge = state.challenge;
  const refused = (status?: number): RegistryError =>
    new RegistryError('unauthorized', `login to ${host} as ${JSON.stringify(username)} failed: incorrect username or password`, { host, status, hint: `check the credentials, then: docker login ${host}` });
  if (!challenge) return { Status: 'Login Succeeded' };
  if (challenge.scheme === 'bearer') {
    try {
      const t = await client.tokens.fetch({ challenge, scopes: [], credentials: { username, password }, offline: true, host });
      return { Status: 'Login Succeeded', ...(t.refreshToken ? { IdentityToken: t.refreshToken } : {}) };
    } catch (e) {
      if (e instanceof RegistryError && e.kind === 'unauthorized') throw refused(e.status);
      throw e;
    }
  }
  if (challenge.scheme === 'basic') {
    const res = await send(client.config, { method: 'GET', url: state.base, headers: { Authorization: basicHeader(username, password) }, insecureTls: endpoint.insecure }).catch((e: unknown) => {
      throw client.networkError(e, endpoint);
    });
    res.discard();
    if (res.status === 200) return { Status: 'Login Succeeded' };
    if (res.status === 401) {
      const again = pickChallenge(parseChallenges(res.headers['www-authenticate']));
      if (!again || again.scheme === 'basic') throw refused(401);
    }
    throw new RegistryError('registry', `login to ${host}: the registry answered ${res.status}`, { host, status: res.status });
  }
  throw new RegistryError('unsupported', `login to ${host}: the registry asks for ${challenge.scheme} authentication, which berth does not speak`, { host });
}
