// Which engine a command talks to. A short list of strategies tried in order, each saying what it
// tried, so the failure message lists every attempt:
//   1. `--engine builtin|docker`, else `BERTH_ENGINE`: only that kind;
//   2. `DOCKER_HOST` set: that endpoint (it may be berth's own engine socket — that is fine), over
//      TLS when DOCKER_TLS_VERIFY says so, as the docker CLI (docker-port.ts, dockerTls);
//   3. the built-in engine where it can run (Linux, root, runc installed), started in the
//      background when it is not running yet (`berth engine start`);
//   4. a Docker Engine on /var/run/docker.sock.

import { existsSync } from 'node:fs';
import { BerthError, UsageError } from '../errors.js';
import { DockerPort, dockerHostOptions, type DockerPortOptions } from './docker-port.js';
import type { EnginePort } from './engine-port.js';
import { dockerConfigCredentials, type CredentialSource } from '../engine/distribution/credentials.js';

export type EngineKind = 'builtin' | 'docker';

export interface SelectedEngine {
  kind: EngineKind;
  port: EnginePort;
  /** `built-in engine at /run/berth/engine.sock`, `Docker Engine at unix:///var/run/docker.sock`. */
  description: string;
  /**
   * false: the built-in engine is the one to use but does not run, and `autoStart` was false;
   * `port` is then not-running-port.ts's (empty lists, every other call refused).
   */
  running: boolean;
}

export interface SelectOptions {
  /** `--engine`. */
  engine?: string;
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  /**
   * Start the built-in engine when it is not running (default true). false (read-only commands):
   * a built-in engine that can run here but does not is selected as not running, rather than
   * started or passed over for another engine the next `up` would not use.
   */
  autoStart?: boolean;
  /** Where "starting the built-in engine" notices go. */
  notice?: (text: string) => void;
  /** Injected for tests: can the built-in engine run here? */
  builtinRunnable?: () => string | undefined;
}

export class NoEngineError extends BerthError {
  constructor(readonly attempts: string[]) {
    // One attempt (DOCKER_HOST, --engine) fits on one line; the hint is the second.
    const tried = attempts.length === 1 ? `: ${attempts[0]}` : `; tried:\n${attempts.map((a) => `  - ${a}`).join('\n')}`;
    super(`no container engine available${tried}\n(start one with \`berth engine start\` as root, or point DOCKER_HOST at a Docker Engine)`);
  }
}

const RUNC_PATHS = ['/usr/sbin/runc', '/usr/bin/runc', '/usr/local/sbin/runc', '/usr/local/bin/runc'];
const DEFAULT_DOCKER_SOCKET = '/var/run/docker.sock';

/** Why the built-in engine cannot run on this machine, or undefined when it can. */
export function builtinUnavailableReason(): string | undefined {
  if (process.platform !== 'linux') return 'it needs Linux';
  if (process.getuid?.() !== 0) return 'it needs root';
  if (!RUNC_PATHS.some((p) => existsSync(p))) return 'runc is not installed';
  return undefined;
}

type Attempt = { selected: SelectedEngine } | { failed: string };

/**
 * Why an engine endpoint did not answer, in words that say what to do: the socket's errno
 * (found on the error's cause chain) rather than the HTTP client's "connect EACCES /path".
 */
export function unreachableReason(e: unknown, where: string): string {
  let code: string | undefined;
  for (let c: unknown = e; c && typeof c === 'object' && !code; c = (c as { cause?: unknown }).cause) code = (c as NodeJS.ErrnoException).code;
  switch (code) {
    case 'EACCES':
    case 'EPERM':
      return `permission denied on ${where}: run as root, or as a member of the socket's group (uid ${process.getuid?.() ?? '?'} here)`;
    case 'ENOENT':
      return `nothing at ${where} (no socket: the engine is not running there)`;
    case 'ECONNREFUSED':
      return `nothing answers at ${where} (connection refused: the engine is not running, or crashed and left its socket)`;
    default:
      return e instanceof Error ? e.message : String(e);
  }
}

async function reachable(port: EnginePort, where: string): Promise<string | undefined> {
  try {
    await port.ping();
    return undefined;
  } catch (e) {
    return unreachableReason(e, where);
  }
}

/** Whether an API version string (`1.43`) is at least major.minor. */
function apiAtLeast(version: string, major: number, minor: number): boolean {
  const [a, b] = version.split('.').map(Number);
  return a > major || (a === major && b >= minor);
}

/** The user's registry credentials (Docker's config.json, found through this command's environment). */
function credentialsFor(opts: SelectOptions): CredentialSource {
  return dockerConfigCredentials({ env: { ...opts.env } });
}

/**
 * What a TCP engine that hangs up on the first request most likely means: it speaks TLS and was
 * spoken to in plain HTTP, or it did not accept the client certificate (a TLS engine that rejects
 * one closes the connection without saying why).
 */
function hangUpHint(options: DockerPortOptions, e: unknown): string {
  const cause = (e as { cause?: { code?: string } }).cause;
  if (!options.host || (cause?.code !== 'ECONNRESET' && !/socket hang up/.test(String((e as Error).message)))) return '';
  return options.tls
    ? ' (a TLS engine closes the connection on a client certificate it does not accept: check cert.pem and key.pem in DOCKER_CERT_PATH)'
    : ' (if the engine serves TLS, set DOCKER_TLS_VERIFY=1 and DOCKER_CERT_PATH to the directory with ca.pem, cert.pem and key.pem)';
}

async function tryDockerHost(dockerHost: string, origin: string, opts: SelectOptions): Promise<Attempt> {
  let port: DockerPort;
  let options: DockerPortOptions;
  try {
    options = dockerHostOptions(dockerHost, opts.env);
    port = new DockerPort({ ...options, description: `engine at ${dockerHost}` });
  } catch (e) {
    return { failed: `${origin} ${dockerHost}: ${(e as Error).message}` };
  }
  // One round trip both proves the endpoint answers and says whether it is berth's own engine
  // (DOCKER_HOST may point at it): every command pays it before its first real call.
  let version;
  try {
    version = await port.version();
  } catch (e) {
    return { failed: `${origin} ${dockerHost}: ${unreachableReason(e, dockerHost)}${hangUpHint(options, e)}` };
  }
  const kind: EngineKind = version.flavour === 'berth' ? 'builtin' : 'docker';
  const description = `${kind === 'builtin' ? 'built-in engine' : 'Docker Engine'} at ${dockerHost}`;
  const createsWithAllNetworks = kind === 'builtin' || apiAtLeast(version.apiVersion, 1, 44);
  return { selected: { kind, port: new DockerPort({ ...options, description, createsWithAllNetworks, credentials: credentialsFor(opts) }), description, running: true } };
}

async function tryBuiltin(opts: SelectOptions): Promise<Attempt> {
  const reason = (opts.builtinRunnable ?? builtinUnavailableReason)();
  if (reason) return { failed: `built-in engine: ${reason}` };
  const { builtinSocketPath, startEngineBackground } = await import('./engine-launcher.js');
  const socketPath = builtinSocketPath(opts.env, opts.cwd);
  const description = `built-in engine at ${socketPath}`;
  const port = new DockerPort({ socketPath, description, createsWithAllNetworks: true, credentials: credentialsFor(opts) });
  if ((await reachable(port, socketPath)) === undefined) return { selected: { kind: 'builtin', port, description, running: true } };
  if (opts.autoStart === false) {
    const { notRunningPort } = await import('./not-running-port.js');
    return { selected: { kind: 'builtin', port: notRunningPort(description), description, running: false } };
  }
  try {
    opts.notice?.(`starting the built-in engine (${socketPath})\n`);
    const quiet = (): void => undefined;
    await startEngineBackground({}, { stdout: quiet, env: opts.env, cwd: opts.cwd });
  } catch (e) {
    return { failed: `${description}: could not start it: ${(e as Error).message}` };
  }
  const why = await reachable(port, socketPath);
  return why ? { failed: `${description}: ${why}` } : { selected: { kind: 'builtin', port, description, running: true } };
}

export async function selectEngine(opts: SelectOptions): Promise<SelectedEngine> {
  const wanted = opts.engine ?? opts.env.BERTH_ENGINE;
  if (wanted !== undefined && wanted !== 'builtin' && wanted !== 'docker') {
    throw new UsageError(`${opts.engine !== undefined ? '--engine' : 'BERTH_ENGINE'}: unknown engine "${wanted}" (use builtin or docker)`);
  }
  const dockerHost = opts.env.DOCKER_HOST;
  const strategies: (() => Promise<Attempt>)[] = [];
  if (wanted === 'builtin') {
    strategies.push(() => tryBuiltin(opts));
  } else if (wanted === 'docker') {
    strategies.push(() => tryDockerHost(dockerHost || `unix://${DEFAULT_DOCKER_SOCKET}`, dockerHost ? 'DOCKER_HOST' : 'Docker Engine at', opts));
  } else {
    if (dockerHost) strategies.push(() => tryDockerHost(dockerHost, 'DOCKER_HOST', opts));
    else {
      strategies.push(() => tryBuiltin(opts));
      strategies.push(() => tryDockerHost(`unix://${DEFAULT_DOCKER_SOCKET}`, 'Docker Engine at', opts));
    }
  }
  const attempts: string[] = [];
  for (const strategy of strategies) {
    const result = await strategy();
    if ('selected' in result) return result.selected;
    attempts.push(result.failed);
  }
  throw new NoEngineError(attempts);
}
