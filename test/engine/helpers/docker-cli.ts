// The real `docker` CLI (client only) pointed at an engine socket, with a private HOME and config so
// a developer's own docker settings never leak into a test. One runner for every CLI test file.

import { spawn } from 'node:child_process';
import path from 'node:path';
import { DOCKER_CLI } from '../../support/gates.js';

// Debian docker.io's /usr/bin/docker (what CI installs), or BERTH_TEST_DOCKER_CLI; gate on dockerCli().
export { DOCKER_CLI };

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface DockerCliOptions {
  /** Written to the CLI's stdin, which is then closed (closed at once without it). */
  input?: string | Buffer;
  cwd?: string;
  /** `latin1` keeps binary output (a tar from `docker cp … -`) byte for byte. */
  stdoutEncoding?: BufferEncoding;
  /** More environment (DOCKER_BUILDKIT=0 …). */
  env?: Record<string, string>;
}

/** The environment every test's docker CLI runs with: the engine's socket, a private HOME and config. */
export function dockerCliEnv(engine: { dir: string; socketPath: string }, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: engine.dir,
    DOCKER_CONFIG: path.join(engine.dir, '.docker'),
    DOCKER_HOST: `unix://${engine.socketPath}`,
    DOCKER_CLI_HINTS: 'false',
    TZ: 'UTC',
    ...extra,
  };
}

/** Runs `docker ARGS` against the engine whose socket and scratch dir are given. */
export function runDockerCli(engine: { dir: string; socketPath: string }, args: string[], opts: DockerCliOptions = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(DOCKER_CLI, args, {
      ...(opts.cwd ? { cwd: opts.cwd } : {}),
      env: dockerCliEnv(engine, opts.env),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout: Buffer.concat(out).toString(opts.stdoutEncoding ?? 'utf8'), stderr: Buffer.concat(err).toString() }));
    // The CLI may exit (with its own error) before reading all of its input.
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.input);
  });
}
