// A RUN step's container: its mounts made real (cache directories that persist across builds,
// read-only binds of the context or another stage, tmpfs, secrets as files or variables), heredoc
// scripts with a shebang bound at their /dev/pipes path, and the network it may use. Everything
// made for the step is undone after it, whatever happened.
import fs from 'node:fs/promises';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { StepOp, SourceRef } from '../plan/types.js';
import type { BuildCache } from './cache.js';
import { BerthError } from '../../../errors.js';
import { resolveInRoot } from './in-root.js';
import type { BuildExecutor, BuildMount, RunOutcome } from './ports.js';

type RunOp = Extract<StepOp, { op: 'run' }>;

export class RunSetupError extends BerthError {
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(hint ? `${message} (${hint})` : message);
  }
}

/** A secret the build was given: a file to read, or its value. */
export interface BuildSecret {
  file?: string;
  value?: Buffer;
}

export interface RunStepEnv {
  executor: BuildExecutor;
  cache: BuildCache;
  lowerDirs: readonly string[];
  context?: { dir: string };
  viewOf(ref: SourceRef): string;
  secrets: ReadonlyMap<string, BuildSecret>;
  proxyEnv: readonly string[];
  extraHosts?: readonly string[];
  shmSize?: number;
  /** The build's --network: `none` turns every RUN's network off. */
  network?: 'default' | 'none';
  upperTarget: string;
  onOutput(stream: 'stdout' | 'stderr', data: Buffer): void;
  now: () => Date;
  signal?: AbortSignal;
}

const cp = promisify(execFile);

export async function executeRun(op: RunOp, env: RunStepEnv): Promise<RunOutcome> {
  if (op.network === 'host') {
    throw new RunSetupError('RUN --network=host needs the network.host entitlement, which the berth engine does not grant', 'use the default network or --network=none');
  }
  const mounts: BuildMount[] = [];
  const undo: (() => Promise<void>)[] = [];
  const extraEnv: string[] = [];
  const work = await env.cache.tmpDir('run');
  undo.push(() => fs.rm(work, { recursive: true, force: true }));
  try {
    for (const f of op.files) {
      const file = path.join(work, `pipe-${path.posix.basename(f.path)}`);
      await fs.writeFile(file, f.data, { mode: f.mode });
      mounts.push({ type: 'bind', source: file, target: f.path, readonly: true });
    }
    let n = 0;
    for (const m of op.mounts) {
      n++;
      switch (m.type) {
        case 'cache': {
          const c = await env.cache.cacheMount(m.id ?? m.target, m.sharing ?? 'shared', { uid: m.uid ?? 0, gid: m.gid ?? 0, mode: m.mode ?? 0o755 }, env.now());
          undo.push(() => c.release());
          mounts.push({ type: 'bind', source: c.dir, target: m.target, readonly: m.readonly });
          break;
        }
        case 'bind': {
          const base = m.from.kind === 'context' ? env.context?.dir : m.from.kind === 'scratch' ? undefined : env.viewOf(m.from);
          if (!base) throw new RunSetupError(`RUN --mount=type=bind,target=${m.target}: there is nothing to bind from (no build context)`);
          const source = await resolveInRoot(base, m.source ?? '.', { followLast: true });
          if (!source || !(await fs.lstat(source).catch(() => undefined))) throw new RunSetupError(`RUN --mount=type=bind: source ${JSON.stringify(m.source ?? '.')} not found`);
          if (m.readonly) {
            mounts.push({ type: 'bind', source, target: m.target, readonly: true });
          } else {
            // A writable bind's writes are the step's alone (BuildKit discards them): a private copy.
            const copy = path.join(work, `bind-${n}`);
            await cp('cp', ['-a', source, copy]);
            mounts.push({ type: 'bind', source: copy, target: m.target, readonly: false });
          }
          break;
        }
        case 'tmpfs':
          mounts.push({ type: 'tmpfs', target: m.target, ...(m.size ? { sizeBytes: m.size } : {}) });
          break;
        case 'secret': {
          const id = m.id ?? path.posix.basename(m.target);
          const secret = env.secrets.get(id);
          if (!secret) {
            if (m.required) throw new RunSetupError(`RUN --mount=type=secret,id=${id}: the build was given no secret ${JSON.stringify(id)}`);
            break;
          }
          const value = secret.value ?? (await fs.readFile(secret.file!));
          if (m.env) extraEnv.push(`${m.env}=${value.toString('utf8')}`);
          if (!m.env || m.target) {
            const file = path.join(work, `secret-${n}`);
            await fs.writeFile(file, value, { mode: m.mode ?? 0o400 });
            await fs.chown(file, m.uid ?? 0, m.gid ?? 0);
            mounts.push({ type: 'bind', source: file, target: m.target || `/run/secrets/${id}`, readonly: true });
          }
          break;
        }
        case 'ssh':
          if (m.required) throw new RunSetupError('RUN --mount=type=ssh: the berth engine does not forward SSH agents', 'fetch what the step needs into the build context instead');
          break;
      }
    }
    return await env.executor.run({
      lowerDirs: env.lowerDirs,
      argv: op.argv,
      env: [...op.env, ...env.proxyEnv, ...extraEnv],
      cwd: op.cwd,
      user: op.user,
      network: env.network === 'none' || op.network === 'none' ? 'none' : 'default',
      mounts,
      ...(env.extraHosts ? { extraHosts: env.extraHosts } : {}),
      ...(env.shmSize ? { shmSize: env.shmSize } : {}),
      upperTarget: env.upperTarget,
      onOutput: env.onOutput,
      ...(env.signal ? { signal: env.signal } : {}),
    });
  } finally {
    for (const u of undo.reverse()) await u().catch(() => undefined);
  }
}
