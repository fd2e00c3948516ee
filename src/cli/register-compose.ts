// Declarations of the compose lifecycle core: up, down, ps. Each command's code is imported when it
// runs (src/cli/commands/<verb>.ts). A command's exit code other than 0 is thrown as ExitCode so
// main's single error policy sets it.
import { Option, type Command } from 'commander';
import { BerthError } from '../errors.js';
import type { CliIO } from './io.js';
import type { GlobalFlags } from './project-options.js';

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** A command finished with a non-zero exit code it already explained (or that is its result). */
export class ExitCode extends BerthError {
  constructor(override readonly exitCode: number) {
    super('');
  }
}

/**
 * `--no-attach <service>` is compose's name, but commander reads a `--no-` prefix as the negation
 * of `--attach`; this option keeps its own attribute instead.
 */
function noAttachOption(): Option {
  const option = new Option('--no-attach <service>', 'do not follow these services\' logs (repeatable)').argParser(collect);
  option.negate = false;
  option.attributeName = () => 'noAttach';
  return option;
}

function exitWith(code: number): void {
  if (code !== 0) throw new ExitCode(code);
}

export function registerComposeCommands(program: Command, io: CliIO, globals: () => GlobalFlags): void {
  program
    .command('up')
    .description('create and start the stack (only what is missing or changed)')
    .argument('[services...]', 'only these services (and what they depend on)')
    .option('-d, --detach', 'run in the background')
    .option('--abort-on-container-exit', 'stop every container when one exits')
    .option('--abort-on-container-failure', 'stop every container when one exits non-zero')
    .option('--exit-code-from <service>', 'exit with that service\'s exit code (implies --abort-on-container-exit)')
    .option('--attach <service>', 'follow only these services\' logs (repeatable)', collect)
    .addOption(noAttachOption())
    .option('--no-start', 'create containers without starting them')
    .option('--scale <service=num>', 'run NUM containers of SERVICE (repeatable)', collect)
    .option('--wait', 'wait until services are running/healthy (one-shots: exited 0); implies -d')
    .option('--wait-timeout <seconds>', 'give up waiting after this long')
    .option('--timestamps', 'show timestamps in the logs')
    .option('--dry-run', 'print the plan, change nothing')
    .option('--remove-orphans', 'remove containers of services not in the files')
    .option('--force-recreate', 'recreate containers even when nothing changed')
    .option('--no-recreate', 'never recreate existing containers')
    .option('--always-recreate-deps', 'recreate dependents of recreated services')
    .option('--no-deps', 'do not start linked or depended-on services')
    .option('-V, --renew-anon-volumes', 'new anonymous volumes instead of keeping the old ones')
    .option('--pull <policy>', 'always, missing (default per service: its pull_policy), never or build')
    .option('--quiet-pull', 'pull without progress')
    .option('--build', 'build images before starting containers (all services with build:)')
    .option('--no-build', 'do not build images, even those that are missing')
    .option('--placement <mode>', 'place every x-placement group as split, pod or single')
    .option('--progress <mode>', 'tty, plain, json or quiet')
    .option('-t, --timeout <seconds>', 'stop timeout for recreated and stopped containers')
    .option('--parallel <n>', 'engine calls at once (default $COMPOSE_PARALLEL_LIMIT, else unlimited)')
    .option('--watch', 'then apply each saved change of the stack files until Ctrl-C (up runs detached; see `berth watch`)')
    .option('--debounce <ms>', 'with --watch: quiet window after the last save before applying', '50')
    .action(async (services: string[], opts) => {
      const { runUp } = await import('./commands/up.js');
      exitWith(await runUp(globals(), opts, services, io));
    });

  program
    .command('build')
    .description('build the services\' images (all services with build:, or those named)')
    .argument('[services...]', 'only these services')
    .option('--no-cache', 'ignore the build cache for RUN steps (COPY of unchanged files is still reused)')
    .option('--pull', 'refresh base images (there is no registry: the local ones are used)')
    .option('--build-arg <KEY=VALUE>', 'set a build argument (repeatable)', collect)
    .option('-q, --quiet', 'print nothing but errors')
    .option('--push', 'push the images after building')
    .option('--progress <mode>', 'tty, plain, json or quiet')
    .option('--parallel <n>', 'images built at once (default 2)')
    .action(async (services: string[], opts) => {
      const { runBuild } = await import('./commands/build.js');
      exitWith(await runBuild(globals(), opts, services, io));
    });

  program
    .command('down')
    .description('stop and remove the stack\'s containers and networks')
    .option('-v, --volumes', 'also remove named volumes and anonymous volumes')
    .option('--rmi <which>', 'also remove images: all, or local (those without a custom tag)')
    .option('--remove-orphans', 'also remove containers of services not in the files')
    .option('-t, --timeout <seconds>', 'stop timeout (default: each service\'s stop_grace_period)')
    .option('--progress <mode>', 'tty, plain, json or quiet')
    .option('--parallel <n>', 'engine calls at once')
    .action(async (opts) => {
      const { runDown } = await import('./commands/down.js');
      exitWith(await runDown(globals(), opts, io));
    });

  program
    .command('ps')
    .description('list the stack\'s containers, with placement group and mode')
    .argument('[services...]', 'only these services')
    .option('-a, --all', 'also stopped containers')
    .option('-q, --quiet', 'only ids')
    .option('--services', 'only service names')
    .option('--format <format>', 'table or json', 'table')
    .option('--status <status>', 'only containers in this state (repeatable)', collect)
    .option('--filter <filter>', 'status=<state> (repeatable)', collect)
    .option('--no-trunc', 'do not truncate the command')
    .option('--orphans [bool]', 'include containers of services no longer in the files (default true; --orphans=false leaves them out)')
    .action(async (services: string[], opts) => {
      const { runPs } = await import('./commands/ps.js');
      exitWith(await runPs(globals(), opts, services, io));
    });
}
