// The flags of the verbs that also run on Swarm (up, down, ps, logs, config): one definition the
// container verb (up.ts…) and its Swarm twin (swarm-up.ts…) both read, so neither imports the
// other (the verb loads its twin lazily).
import { UsageError } from '../../errors.js';
import type { CliIO } from '../io.js';

export interface ConfigFlags {
  format: string;
  services?: boolean;
  volumes?: boolean;
  networks?: boolean;
  profiles?: boolean;
  images?: boolean;
  variables?: boolean;
  hash?: string;
  quiet?: boolean;
  interpolate: boolean;
  output?: string;
  /** Pin every image to its registry digest (asked through the engine). */
  resolveImageDigests?: boolean;
  /** Print only an override file that pins the images (to commit beside the stack). */
  lockImageDigests?: boolean;
}

export interface DownFlags {
  volumes?: boolean;
  rmi?: string;
  removeOrphans?: boolean;
  timeout?: string;
  progress?: string;
  parallel?: string;
}

export interface LogsFlags {
  follow?: boolean;
  tail?: string;
  since?: string;
  until?: string;
  timestamps?: boolean;
  logPrefix?: boolean;
  index?: string;
  color?: boolean;
}

export interface PsFlags {
  all?: boolean;
  quiet?: boolean;
  services?: boolean;
  format?: string;
  status?: string[];
  filter?: string[];
  /** commander's `--no-trunc`: false when given. */
  trunc?: boolean;
  orphans?: string | boolean;
}

export function parallelLimit(flag: string | undefined, env: CliIO['env']): number | undefined {
  const raw = flag ?? env.COMPOSE_PARALLEL_LIMIT;
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || (n < 1 && n !== -1)) throw new UsageError(`parallel limit ${raw}: a positive integer, or -1 for unlimited`);
  return n === -1 ? undefined : n;
}

export interface UpFlags {
  detach?: boolean;
  abortOnContainerExit?: boolean;
  abortOnContainerFailure?: boolean;
  exitCodeFrom?: string;
  attach?: string[];
  noAttach?: string[];
  start?: boolean;
  scale?: string[];
  wait?: boolean;
  waitTimeout?: string;
  timestamps?: boolean;
  dryRun?: boolean;
  removeOrphans?: boolean;
  forceRecreate?: boolean;
  recreate?: boolean;
  alwaysRecreateDeps?: boolean;
  deps?: boolean;
  renewAnonVolumes?: boolean;
  pull?: string;
  quietPull?: boolean;
  placement?: string;
  progress?: string;
  timeout?: string;
  parallel?: string;
  /** --build (true) / --no-build (false). */
  build?: boolean;
  /** `--watch` (src/watch): after up, apply each saved change of the stack files until Ctrl-C. */
  watch?: boolean;
  debounce?: string;
}

/** `--scale SERVICE=NUM`, repeatable. */
export function parseScale(entries: string[] | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const e of entries ?? []) {
    const m = /^([^=]+)=(\d+)$/.exec(e);
    if (!m) throw new UsageError(`--scale ${e}: expected SERVICE=NUM`);
    out[m[1]] = Number(m[2]);
  }
  return out;
}
