// Scenario helpers for end-to-end compose tests: a stack folder per test, the CLI run in-process
// against a real engine (DOCKER_HOST), and the engine's view of the project's containers.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Docker from 'dockerode';
import { runCli, type CliResult } from '../cli/run-cli.js';

export interface Stack {
  dir: string;
  project: string;
  write(yaml: string): void;
  berth(args: string[], extraEnv?: Record<string, string>, stdin?: string): Promise<CliResult>;
  /** name → {id, state} of the project's containers. */
  containers(): Promise<Map<string, { id: string; state: string; status: string; labels: Record<string, string> }>>;
  cleanup(): void;
}

let seq = 0;

export function makeStack(dockerHost: string, prefix: string): Stack {
  const project = `${prefix}${process.pid}x${++seq}`;
  const dir = mkdtempSync(`/tmp/berth-${project}-`);
  const docker = new Docker({ socketPath: dockerHost.replace(/^unix:\/\//, '') });
  return {
    dir,
    project,
    write: (yaml) => writeFileSync(path.join(dir, 'compose.yaml'), yaml),
    berth: (args, extraEnv = {}, stdin?: string) =>
      runCli(['-p', project, ...args], { cwd: dir, env: { DOCKER_HOST: dockerHost, PATH: process.env.PATH ?? '', ...extraEnv }, ...(stdin !== undefined ? { stdin } : {}) }),
    async containers() {
      const list = await docker.listContainers({ all: true, filters: JSON.stringify({ label: [`com.docker.compose.project=${project}`] }) });
      return new Map(list.map((c) => [c.Names[0].replace(/^\//, ''), { id: c.Id, state: c.State, status: c.Status, labels: c.Labels }]));
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Fails with the command's output when it did not exit as expected. */
export function expectCode(r: CliResult, code: number): void {
  if (r.code !== code) throw new Error(`exit ${r.code}, wanted ${code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
}
