// Declarations of the remaining lifecycle verbs (flags as in `docker compose`): logs, start, stop,
// restart, kill, rm, pause, unpause, exec, run, create, top, port, images, pull, push, events, wait, ls, scale.
// Each command's code is imported when it runs (src/cli/commands/<verb>.ts), its logic lives in
// src/compose/. A non-zero result (exec's and run's passed-through exit codes) is thrown as ExitCode.
import type { Command } from 'commander';
import type { CliIO } from './io.js';
import type { GlobalFlags } from './project-options.js';
import { ExitCode } from './register-compose.js';

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

function exitWith(code: number): void {
  if (code !== 0) throw new ExitCode(code);
}

/**
 * `exec` and `run` take a command whose own flags must reach the container untouched
 * (`berth exec web ls -f`), and `rm -f`, `logs -f`, `run -p` reuse letters of global flags, as in compose.
 * Commander can tell them apart only with positional options (global flags before the
 * subcommand), which would forbid global flags after other subcommands (`berth config --profile
 * x` works today). So options are positional only for these subcommands.
 */
function positionalFor(program: Command, subcommands: readonly string[]): void {
  const takesValue = new Set(program.options.filter((o) => o.required || o.optional).flatMap((o) => [o.short, o.long].filter((f): f is string => Boolean(f))));
  const original = program.parseOptions.bind(program);
  program.parseOptions = (args: string[]) => {
    let sub: string | undefined;
    for (let i = 0; i < args.length; i++) {
      const a = args[i];
      if (a === '--') break;
      if (a.startsWith('-')) {
        if (takesValue.has(a)) i++;
        continue;
      }
      sub = a;
      break;
    }
    program.enablePositionalOptions(sub !== undefined && subcommands.includes(sub));
    return original(args);
  };
}

export function registerLifecycleCommands(program: Command, io: CliIO, globals: () => GlobalFlags): void {
  positionalFor(program, ['exec', 'run', 'rm', 'logs']);
  // passThroughOptions checks the parent at declaration time.
  program.enablePositionalOptions(true);
  program
    .command('logs')
    .description('show the output of the services\' containers')
    .argument('[services...]', 'only these services')
    .option('-f, --follow', 'follow the output')
    .option('-n, --tail <lines>', 'lines from the end of each container\'s log, or "all"', 'all')
    .option('--since <time>', 'only since this time (2024-01-02T15:04:05Z, a Unix timestamp, or a duration ago: 10m)')
    .option('--until <time>', 'only before this time (same forms as --since)')
    .option('-t, --timestamps', 'show timestamps')
    .option('--no-log-prefix', 'do not prefix lines with the container name')
    .option('--no-color', 'monochrome output')
    .option('--index <n>', 'only the container with this number')
    .action(async (services: string[], opts) => {
      const { runLogs } = await import('./commands/logs.js');
      exitWith(await runLogs(globals(), opts, services, io));
    });

  program
    .command('start')
    .description('start the services\' existing containers')
    .argument('[services...]', 'only these services')
    .action(async (services: string[]) => {
      const { runStart } = await import('./commands/start.js');
      exitWith(await runStart(globals(), services, io));
    });

  program
    .command('stop')
    .description('stop the services\' running containers, dependents first')
    .argument('[services...]', 'only these services')
    .option('-t, --timeout <seconds>', 'seconds to wait before SIGKILL (default: stop_grace_period, else 10)')
    .action(async (services: string[], opts) => {
      const { runStop } = await import('./commands/stop.js');
      exitWith(await runStop(globals(), opts, services, io));
    });

  program
    .command('restart')
    .description('restart the services\' containers')
    .argument('[services...]', 'only these services')
    .option('-t, --timeout <seconds>', 'seconds to wait before SIGKILL')
    .option('--no-deps', 'do not restart dependent services')
    .action(async (services: string[], opts) => {
      const { runRestart } = await import('./commands/restart.js');
      exitWith(await runRestart(globals(), opts, services, io));
    });

  program
    .command('kill')
    .description('send a signal to the services\' running containers')
    .argument('[services...]', 'only these services')
    .option('-s, --signal <signal>', 'signal to send', 'SIGKILL')
    .option('--remove-orphans', 'also signal containers of services no longer in the files')
    .action(async (services: string[], opts) => {
      const { runKill } = await import('./commands/kill.js');
      exitWith(await runKill(globals(), opts, services, io));
    });

  program
    .command('rm')
    .description('remove the services\' stopped containers')
    .argument('[services...]', 'only these services')
    .option('-f, --force', 'do not ask for confirmation')
    .option('-s, --stop', 'stop the containers first')
    .option('-v, --volumes', 'also remove their anonymous volumes')
    .action(async (services: string[], opts) => {
      const { runRm } = await import('./commands/rm.js');
      exitWith(await runRm(globals(), opts, services, io));
    });

  program
    .command('pause')
    .description('pause the services\' running containers')
    .argument('[services...]', 'only these services')
    .action(async (services: string[]) => {
      const { runPause } = await import('./commands/pause.js');
      exitWith(await runPause(globals(), services, io));
    });

  program
    .command('unpause')
    .description('unpause the services\' paused containers')
    .argument('[services...]', 'only these services')
    .action(async (services: string[]) => {
      const { runUnpause } = await import('./commands/unpause.js');
      exitWith(await runUnpause(globals(), services, io));
    });

  program
    .command('exec')
    .description('run a command in a service\'s running container; exits with its exit code')
    .argument('<service>')
    .argument('<command...>')
    .passThroughOptions()
    .option('-d, --detach', 'run in the background')
    .option('-T, --no-TTY', 'no pseudo-terminal (default: one when on a terminal)')
    .option('-i, --interactive', 'keep stdin attached (default)', true)
    .option('-e, --env <KEY=VALUE>', 'set an environment variable (repeatable)', collect)
    .option('-u, --user <user>', 'run as this user')
    .option('-w, --workdir <dir>', 'working directory')
    .option('--index <n>', 'the container with this number (default 1)')
    .option('--privileged', 'extended privileges')
    .action(async (service: string, command: string[], opts) => {
      const { runExec } = await import('./commands/exec.js');
      exitWith(await runExec(globals(), opts, service, command, io));
    });

  program
    .command('run')
    .description('run a one-off command in a new container of a service; exits with its exit code')
    .argument('<service>')
    .argument('[command...]')
    .passThroughOptions()
    .option('--build', 'build the service\'s image first (otherwise only when it is missing)')
    .option('--rm', 'remove the container when it exits')
    .option('-d, --detach', 'run in the background and print the container name')
    .option('-e, --env <KEY=VALUE>', 'set an environment variable (repeatable)', collect)
    .option('--entrypoint <command>', 'override the entrypoint')
    .option('-p, --publish <port>', 'publish a port ([ip:]host:container[/proto], repeatable)', collect)
    .option('-P, --service-ports', 'publish the service\'s ports')
    .option('--no-deps', 'do not start the services it depends on')
    .option('--name <name>', 'container name')
    .option('-v, --volume <volume>', 'bind mount a volume (repeatable)', collect)
    .option('-w, --workdir <dir>', 'working directory')
    .option('-u, --user <user>', 'run as this user')
    .option('-l, --label <KEY=VALUE>', 'add a label (repeatable)', collect)
    .option('-T, --no-TTY', 'no pseudo-terminal (default: one when on a terminal)')
    .option('-i, --interactive', 'keep stdin attached (default)', true)
    .action(async (service: string, command: string[], opts) => {
      const { runRun } = await import('./commands/run.js');
      exitWith(await runRun(globals(), opts, service, command, io));
    });

  program.enablePositionalOptions(false);

  program
    .command('create')
    .description('create the services\' containers without starting them')
    .argument('[services...]', 'only these services (and what they depend on)')
    .option('--force-recreate', 'recreate containers even when nothing changed')
    .option('--no-recreate', 'never recreate existing containers')
    .option('--remove-orphans', 'remove containers of services not in the files')
    .option('--scale <service=num>', 'NUM containers of SERVICE (repeatable)', collect)
    .action(async (services: string[], opts) => {
      const { runCreate } = await import('./commands/create.js');
      exitWith(await runCreate(globals(), opts, services, io));
    });

  program
    .command('top')
    .description('show the processes of the services\' running containers')
    .argument('[services...]', 'only these services')
    .action(async (services: string[]) => {
      const { runTop } = await import('./commands/top.js');
      exitWith(await runTop(globals(), services, io));
    });

  program
    .command('port')
    .description('print the host address a container port is published on')
    .argument('<service>')
    .argument('<private_port>')
    .option('--protocol <proto>', 'tcp, udp or sctp', 'tcp')
    .option('--index <n>', 'the container with this number (default 1)')
    .action(async (service: string, privatePort: string, opts) => {
      const { runPort } = await import('./commands/port.js');
      exitWith(await runPort(globals(), opts, service, privatePort, io));
    });

  program
    .command('images')
    .description('list the images the services\' containers use')
    .argument('[services...]', 'only these services')
    .option('-q, --quiet', 'only image ids')
    .option('--format <format>', 'table or json', 'table')
    .action(async (services: string[], opts) => {
      const { runImages } = await import('./commands/images.js');
      exitWith(await runImages(globals(), opts, services, io));
    });

  program
    .command('pull')
    .description('pull the services\' images (each once; pull_policy never and built services are skipped)')
    .argument('[services...]', 'only these services')
    .option('-q, --quiet', 'no progress')
    .option('--ignore-pull-failures', 'go on when an image cannot be pulled (and say so)')
    .option('--parallel <n>', 'pulls at once (default $COMPOSE_PARALLEL_LIMIT, else all)')
    .option('--progress <mode>', 'tty, plain, json or quiet')
    .action(async (services: string[], opts) => {
      const { runTransfer } = await import('./commands/pull.js');
      exitWith(await runTransfer('pull', globals(), opts, services, io));
    });

  program
    .command('push')
    .description('push the services\' images to their registries')
    .argument('[services...]', 'only these services')
    .option('--ignore-push-failures', 'go on when an image cannot be pushed (and say so)')
    .option('--parallel <n>', 'pushes at once')
    .option('--progress <mode>', 'tty, plain, json or quiet')
    .action(async (services: string[], opts) => {
      const { runTransfer } = await import('./commands/pull.js');
      exitWith(await runTransfer('push', globals(), opts, services, io));
    });

  program
    .command('events')
    .description('stream the project\'s container events')
    .argument('[services...]', 'only these services')
    .option('--json', 'one JSON object per line')
    .action(async (services: string[], opts) => {
      const { runEvents } = await import('./commands/events.js');
      exitWith(await runEvents(globals(), opts, services, io));
    });

  program
    .command('wait')
    .description('wait until the services\' containers stop; exit with the first one\'s exit code')
    .argument('<services...>')
    .action(async (services: string[]) => {
      const { runWait } = await import('./commands/wait.js');
      exitWith(await runWait(globals(), services, io));
    });

  program
    .command('ls')
    .description('list the compose projects on the engine')
    .option('-a, --all', 'also projects with no running container')
    .option('-q, --quiet', 'only names')
    .option('--format <format>', 'table or json', 'table')
    .option('--filter <filter>', 'name=<text>', collect)
    .action(async (opts) => {
      const { runLs } = await import('./commands/ls.js');
      exitWith(await runLs(globals(), opts, io));
    });

  program
    .command('scale')
    .description('set the number of containers of services')
    .argument('<service=replicas...>')
    .option('--no-deps', 'do not start the services they depend on')
    .action(async (pairs: string[], opts) => {
      const { runScale } = await import('./commands/scale.js');
      exitWith(await runScale(globals(), opts, pairs, io));
    });
}
