// `berth --engine swarm config`: the Swarm objects `up` would create for the stack — overlay
// networks, volumes, content-named configs and secrets (secret data never printed), one
// ServiceSpec per service — with the translation's notices on stderr and every refused key as
// an error. Reads no engine: VIP support comes from BERTH_SWARM_VIP or the local kernel
// (src/client/select-swarm.ts); images are shown as written (up pins their digests).
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { swarmDockerHost, vipSupport } from '../../client/select-swarm.js';
import { UsageError } from '../../errors.js';
import { translateProject } from '../../swarm/translate.js';
import { formatSwarmStack } from '../format-swarm.js';
import type { CliIO } from '../io.js';
import { loadForCommand } from '../project-load.js';
import type { GlobalFlags } from '../project-options.js';
import type { ConfigFlags } from './verb-flags.js';

export async function runSwarmConfig(globals: GlobalFlags, flags: ConfigFlags, only: string[], io: CliIO): Promise<void> {
  if (flags.format !== 'yaml' && flags.format !== 'json') throw new UsageError(`--format ${flags.format}: expected yaml or json`);
  const modelOnly = (['services', 'volumes', 'networks', 'profiles', 'images', 'variables', 'hash'] as const).filter((k) => flags[k] !== undefined && flags[k] !== false);
  if (modelOnly.length) throw new UsageError(`config --${modelOnly[0]} lists the Compose model; it does not change on Swarm: drop --engine swarm`);
  if (only.length) throw new UsageError('config SERVICE… on Swarm: the stack is translated whole (objects are shared); drop the service names');
  if (flags.interpolate === false) throw new UsageError('config --no-interpolate on Swarm: the translation needs the values; drop --engine swarm to see them as written');
  const loaded = loadForCommand(globals, io);
  const { vip, vipSource } = vipSupport(io.env, swarmDockerHost(io.env));
  const stack = translateProject(loaded.project, { vip, environment: io.env });
  if (!vip) io.stderr(`notice: no VIP load balancing (from ${vipSource})\n`);
  for (const n of stack.notices) io.stderr(`notice: ${n}\n`);
  if (flags.quiet) return;
  const text = formatSwarmStack(stack, flags.format);
  if (flags.output) writeFileSync(path.resolve(io.cwd, flags.output), text);
  else io.stdout(text);
}
