// `berth compare`: one stack under several placement modes, measured side by side.
import type { Command } from 'commander';
import type { CliIO } from './io.js';
import type { CompareFlags } from './commands/compare.js';
import type { GlobalFlags } from './project-options.js';


export function registerCompareCommands(program: Command, io: CliIO, globals: () => GlobalFlags): void {
  program
    .command('compare')
    .description('run the stack under several placement modes and measure start time, resources, latency, blast radius and scaling')
    .option('--modes <list>', 'placement modes to compare, comma-separated', 'split,pod,single')
    .option('--group <name>', 'the x-placement group to place (default: the only group, or x-compare.group)')
    .option('--workload <what>', '"builtin" (HTTP clients on the app\'s published port) or a command run in the app\'s container (e.g. pgbench)', 'builtin')
    .option('--duration <time>', 'how long the workload runs per mode', '10s')
    .option('--warmup <time>', 'workload run before measuring, discarded', '2s')
    .option('--clients <n>', 'concurrent clients of the built-in workload', '4')
    .option('--repeat <n>', 'runs per mode; the report shows min, median and max', '1')
    .option('--format <format>', 'what to print: table, markdown, json, html or svg', 'table')
    .option('-o, --output <file>', 'write the --format output to a file instead of stdout')
    .option('--report-dir <dir>', 'where compare.json, compare.svg and compare.html are written', 'berth-compare')
    .option('--no-blast', 'skip the blast-radius experiments (kill, memory limit)')
    .option('--no-scaling', 'skip asking for three app replicas')
    .option('--healthy-timeout <time>', 'how long a mode may take to become healthy', '120s')
    .option('--recovery-timeout <time>', 'how long to wait for the app after the database is hurt', '60s')
    .action(async (opts: CompareFlags) => {
      const { runCompareCommand } = await import('./commands/compare.js');
      await runCompareCommand(globals(), opts, io);
    });
}
