// `berth swarm-lab up | status | down`: flags → the lab API (src/swarm/lab/), then print.
import path from 'node:path';
import { UsageError } from '../../errors.js';
import { formatLabStatus } from '../../swarm/lab/format.js';
import { DEFAULT_LAB_DIR, labStatus, upLab } from '../../swarm/lab/lab.js';
import { downLab } from '../../swarm/lab/teardown.js';
import type { CliIO } from '../io.js';

export interface SwarmLabFlags {
  dir?: string;
  nodes?: string;
  managers?: string;
  format?: string;
  grace?: string;
}

function labDir(flags: SwarmLabFlags, io: CliIO): string {
  return path.resolve(io.cwd, flags.dir ?? io.env.BERTH_SWARM_LAB_DIR ?? DEFAULT_LAB_DIR);
}

function count(flag: string, value: string | undefined): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--${flag} ${value}: expected a whole number of at least 1`);
  return n;
}

export async function runSwarmLabUp(flags: SwarmLabFlags, io: CliIO): Promise<void> {
  const { nodes, managers } = flags;
  const dir = labDir(flags, io);
  const state = await upLab({
    dir,
    nodes: count('nodes', nodes),
    managers: count('managers', managers),
    log: (line) => io.stderr(`${line}\n`),
  });
  io.stdout(`DOCKER_HOST=${state.nodes[0].dockerHost}\n`);
}

export async function runSwarmLabStatus(flags: SwarmLabFlags, io: CliIO): Promise<void> {
  if (flags.format !== 'table' && flags.format !== 'json') throw new UsageError(`--format ${flags.format}: expected table or json`);
  const status = await labStatus(labDir(flags, io));
  io.stdout(flags.format === 'json' ? `${JSON.stringify(status, null, 2)}\n` : formatLabStatus(status));
}

export async function runSwarmLabDown(flags: SwarmLabFlags, io: CliIO): Promise<void> {
  const grace = Number(flags.grace);
  if (!Number.isFinite(grace) || grace < 0) throw new UsageError(`--grace ${flags.grace}: expected a number of seconds`);
  const dir = labDir(flags, io);
  const report = await downLab(dir, { graceMs: grace * 1000 });
  io.stderr(report.removed.length ? `removed the lab in ${dir} (${report.removed.length} pieces)\n` : `no lab in ${dir}; nothing to remove\n`);
}
