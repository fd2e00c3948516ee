// Registry credentials from Docker's client config, `$DOCKER_CONFIG/config.json` (default
// `~/.docker/config.json`), read the way the docker CLI reads it:
//
//   credHelpers[host]  → `docker-credential-<helper> get`, server URL on stdin, JSON on stdout
//   credsStore         → the same with the default helper, for every host
//   auths[host]        → `auth` (base64 "user:password"), or `username`/`password`, or `identitytoken`
//
// in that order, a helper's "not found" falling through to `auths`. Docker Hub's key is
// `https://index.docker.io/v1/`; other keys match with or without a scheme or path, so entries
// written by older clients (`https://host/v1/`) still count.
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { RegistryError } from './errors.js';

export interface Credentials {
  username?: string;
  password?: string;
  /** An OAuth2 refresh token (what `docker login` stores as `identitytoken`). */
  identityToken?: string;
  /** A bearer token to send as is (the Docker API's `registrytoken`). */
  registryToken?: string;
}

/** Looks up credentials for a registry host[:port] (`registry-1.docker.io` for Docker Hub). */
export type CredentialSource = (host: string) => Promise<Credentials | undefined>;

export const DOCKER_HUB_AUTH_KEY = 'https://index.docker.io/v1/';
const HUB_HOSTS = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io']);

interface DockerConfigFile {
  auths?: Record<string, { auth?: string; username?: string; password?: string; identitytoken?: string; registrytoken?: string }>;
  credsStore?: string;
  credHelpers?: Record<string, string>;
}

export interface DockerConfigOptions {
  /** The directory holding config.json; default `$DOCKER_CONFIG`, else `~/.docker`. */
  dir?: string;
  /** Environment for helper processes (PATH decides which helper runs); default process.env. */
  env?: NodeJS.ProcessEnv;
}

export function dockerConfigDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.DOCKER_CONFIG || path.join(env.HOME || os.homedir(), '.docker');
}

/** A CredentialSource over Docker's config.json; the file is re-read on each look-up (it is small and may change). */
export function dockerConfigCredentials(opts: DockerConfigOptions = {}): CredentialSource {
  const env = opts.env ?? process.env;
  const file = path.join(opts.dir ?? dockerConfigDir(env), 'config.json');
  return async (host) => {
    let config: DockerConfigFile;
    try {
      config = JSON.parse(await readFile(file, 'utf8')) as DockerConfigFile;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new RegistryError('invalid-content', `cannot read the Docker client config ${file}: ${(e as Error).message}`, { host, cause: e });
    }
    const serverKey = HUB_HOSTS.has(host) ? DOCKER_HUB_AUTH_KEY : host;
    const helperKey = findKey(config.credHelpers ?? {}, host);
    const helper = helperKey !== undefined ? config.credHelpers![helperKey] : config.credsStore;
    if (helper) {
      const found = await runCredentialHelper(helper, serverKey, env);
      if (found) return found;
    }
    const authKey = findKey(config.auths ?? {}, host);
    return authKey !== undefined ? fromAuthEntry(config.auths![authKey], file, host) : undefined;
  };
}

/** The config key that names `host` (keys may carry a scheme and a path). */
function findKey(map: Record<string, unknown>, host: string): string | undefined {
  return Object.keys(map).find((k) => keyMatches(k, host));
}

function keyMatches(key: string, host: string): boolean {
  const bare = key.replace(/^[a-z]+:\/\//i, '').replace(/\/.*$/, '').toLowerCase();
  if (HUB_HOSTS.has(host)) return HUB_HOSTS.has(bare);
  return bare === host.toLowerCase();
}

function fromAuthEntry(entry: NonNullable<DockerConfigFile['auths']>[string], file: string, host: string): Credentials | undefined {
  const out: Credentials = {};
  if (entry.auth) {
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon === -1) throw new RegistryError('invalid-content', `the "auth" entry for ${host} in ${file} is not base64 of "user:password"`, { host });
    out.username = decoded.slice(0, colon);
    out.password = decoded.slice(colon + 1);
  }
  if (entry.username) out.username = entry.username;
  if (entry.password) out.password = entry.password;
  if (entry.identitytoken) out.identityToken = entry.identitytoken;
  if (entry.registrytoken) out.registryToken = entry.registrytoken;
  return Object.keys(out).length > 0 ? out : undefined;
}

/**
 * Runs `docker-credential-<name> get`. "credentials not found" (the helpers' own wording,
 * non-zero exit) is not an error: it means anonymous. A missing helper program is.
 */
export function runCredentialHelper(name: string, serverUrl: string, env: NodeJS.ProcessEnv = process.env): Promise<Credentials | undefined> {
  const program = `docker-credential-${name}`;
  return new Promise((resolve, reject) => {
    const child = spawn(program, ['get'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (err += d.toString('utf8')));
    child.on('error', (e) =>
      reject(new RegistryError('unauthorized', `the credential helper ${program} could not be run: ${e.message}`, { host: serverUrl, cause: e, hint: `install ${program} or change credsStore/credHelpers in config.json` })),
    );
    child.on('close', (code) => {
      const text = `${out}\n${err}`;
      if (code !== 0) {
        if (/credentials not found/i.test(text)) return resolve(undefined);
        return reject(new RegistryError('unauthorized', `the credential helper ${program} failed (exit ${code}): ${text.trim()}`, { host: serverUrl }));
      }
      try {
        const parsed = JSON.parse(out) as { Username?: string; Secret?: string };
        if (!parsed.Secret) return resolve(undefined);
        // Docker's convention: the user name "<token>" marks the secret as an identity token.
        resolve(parsed.Username === '<token>' ? { identityToken: parsed.Secret } : { username: parsed.Username ?? '', password: parsed.Secret });
      } catch {
        reject(new RegistryError('unauthorized', `the credential helper ${program} printed something that is not JSON`, { host: serverUrl }));
      }
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(serverUrl);
  });
}

/** A fixed map host → credentials (what the engine builds from an API request's X-Registry-Auth). */
export function staticCredentials(map: Record<string, Credentials>): CredentialSource {
  return async (host) => map[host] ?? (HUB_HOSTS.has(host) ? map[DOCKER_HUB_AUTH_KEY] ?? map['docker.io'] : undefined);
}
