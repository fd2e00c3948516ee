// Declarations of the verbs that reach into running containers: cp, attach, stats (flags as in
// `docker compose`). Each command's code is imported when it runs (src/cli/commands/<verb>.ts).
import type { Command } from 'commander';
import type { CliIO } from './io.js';
import type { GlobalFlags } from './project-options.js';
import { ExitCode } from './register-compose.js';

function exitWith(code: number): void {
  if (code !== 0) throw new ExitCode(code);
}

export function registerToolCommands(program: Command, io: CliIO, globals: () => GlobalFlags): void {
  program
    .command('cp')
    .description('copy files between a service container and the host (SERVICE:SRC DEST, or SRC SERVICE:DEST; - is a tar stream)')
    .argument('<source>', 'SERVICE:PATH, a host path, or - (a tar stream on standard input)')
    .argument('<destination>', 'SERVICE:PATH, a host path, or - (a tar stream on standard output)')
    .option('--index <n>', 'the container with this number (default: into all of the service\'s, out of number 1)')
    .option('-a, --archive', 'keep uid/gid of the copied files')
    .option('-L, --follow-link', 'follow a symbolic link given as the source')
    .action(async (source: string, destination: string, opts) => {
      const { runCp } = await import('./commands/cp.js');
      exitWith(await runCp(globals(), opts, source, destination, io));
    });

  program
    .command('attach')
    .description('attach your terminal to a service\'s running container (its output, and its input unless --no-stdin)')
    .argument('<service>')
    .option('--index <n>', 'the container with this number (default 1)')
    .option('--no-stdin', 'do not attach standard input')
    .option('--sig-proxy [bool]', 'pass SIGINT/SIGTERM on to the container (default true; --sig-proxy=false detaches on Ctrl-C instead)')
    .option('--detach-keys <keys>', 'keys that detach, leaving the container running (default ctrl-p,ctrl-q)')
    .action(async (service: string, opts) => {
      const { runAttach } = await import('./commands/attach.js');
      exitWith(await runAttach(globals(), opts, service, io));
    });

  program
    .command('stats')
    .description('a live table of the containers\' CPU, memory, network and block I/O, and processes')
    .argument('[services...]', 'only these services')
    .option('-a, --all', 'also containers that are not running')
    .option('--no-stream', 'print one table and exit')
    .option('--format <format>', 'table or json', 'table')
    .option('--no-trunc', 'full container ids')
    .action(async (services: string[], opts) => {
      const { runStats } = await import('./commands/stats.js');
      exitWith(await runStats(globals(), opts, services, io));
    });
}
