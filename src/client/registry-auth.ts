// The X-Registry-Auth a client sends with a pull or push: the user's credentials for the
// image's registry, from Docker's client config (`$DOCKER_CONFIG/config.json`, its credential
// helpers), read the way the docker CLI reads them. The engine (dockerd or berth's) uses them
// for that registry only and stores nothing.
import { dockerConfigCredentials, type CredentialSource } from '../engine/distribution/credentials.js';
import { parseRegistryReference } from '../engine/distribution/names.js';

export type { CredentialSource };

/** The header value for `ref`'s registry, or undefined when there are no credentials for it. */
export async function registryAuthHeader(ref: string, credentials: CredentialSource = dockerConfigCredentials()): Promise<string | undefined> {
  const { host, domain } = parseRegistryReference(ref);
  const c = await credentials(host);
  if (!c) return undefined;
  const serveraddress = domain === 'docker.io' ? 'https://index.docker.io/v1/' : host;
  const auth = {
    ...(c.username !== undefined ? { username: c.username } : {}),
    ...(c.password !== undefined ? { password: c.password } : {}),
    ...(c.identityToken ? { identitytoken: c.identityToken } : {}),
    ...(c.registryToken ? { registrytoken: c.registryToken } : {}),
    serveraddress,
  };
  return encodeAuthHeader(auth);
}

/**
 * URL-safe base64 *with* padding, as the docker CLI encodes it (Go's base64.URLEncoding):
 * dockerd decodes it with padding required, so Node's unpadded `base64url` would be dropped.
 */
export function encodeAuthHeader(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
}
