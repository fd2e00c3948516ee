// `berth watch`: up, then apply every saved change of the stack files (and run develop.watch
// actions) until Ctrl-C. `berth up --watch` reaches the same code: up.ts calls runWatchCommand.
import type { Command } from 'commander';
import type { CliIO } from './io.js';
import type { GlobalFlags } from './project-options.js';

function addWatchFlags(c: Command): Command {
  return c.option('--debounce <ms>', 'quiet window after the last save before applying', '50');
}

export function registerWatchCommands(program: Command, io: CliIO, globals: () => GlobalFlags): void {
  addWatchFlags(
    program
      .command('watch')
      .description('start the stack, then apply each saved change of its files (and develop.watch rules) until Ctrl-C')
      .option('--no-up', 'do not bring the stack up first; only watch and apply changes from the next save on')
      .option('--dry-run', 'print what each change would do, apply nothing'),
  ).action(async (opts) => {
    const { runWatchCommand } = await import('./commands/watch.js');
    await runWatchCommand(globals(), opts, io);
  });
}
