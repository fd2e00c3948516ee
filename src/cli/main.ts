// The CLI only declares commands; each command's code is imported when it runs, so
// `berth --help` stays fast. One place maps errors to exit codes (exitCodeFor): 0 ok, 1 a problem
// with the stack files or the environment, 2 usage, 3 internal, 130 interrupted; a command that
// passes a container's exit code on throws ExitCode. Errors that escape a command — thrown in a
// callback, an unhandled rejection — go through the same policy (guardProcess), never through
// Node's default printer, which quotes the source line: the whole one-line bundle.
import { readFileSync } from 'node:fs';
import { Command, CommanderError, type OptionValues } from 'commander';
import { BerthError, UsageError } from '../errors.js';
import type { CliIO } from './io.js';
import { registerWatchCommands } from './register-watch.js';
import { addGlobalOptions, type GlobalFlags } from './project-options.js';
import { ExitCode, registerComposeCommands } from './register-compose.js';
import { registerLifecycleCommands } from './register-lifecycle.js';
import { registerToolCommands } from './register-tools.js';
import { registerCompareCommands } from './register-compare.js';
import { registerSwarmLabCommands } from './register-swarm-lab.js';
import { ansiMode } from './output-style.js';

export const VERSION = '0.1.0';

/**
 * A reader that went away (`berth config | head`) is not an error of ours: stop quietly with
 * 141 (128 + SIGPIPE), as a program killed by SIGPIPE reports it to its shell.
 */
function exitQuietlyOnClosedPipe(stream: NodeJS.WriteStream): void {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(141);
    throw e;
  });
}

export function defaultIO(): CliIO {
  exitQuietlyOnClosedPipe(process.stdout);
  return {
    stdout: (t) => process.stdout.write(t),
    stdoutBytes: (b) => process.stdout.write(b),
    stderr: (t) => process.stderr.write(t),
    env: process.env,
    cwd: process.cwd(),
    readStdin: () => readFileSync(0, 'utf8'),
    isTTY: Boolean(process.stdout.isTTY),
    stdinStream: () => process.stdin,
    // A getter: touching process.stdin builds its stream (~3 ms), which only exec and run need.
    get stdinIsTTY() {
      return Boolean(process.stdin.isTTY);
    },
    onInterrupt: (handler) => {
      const int = (): void => handler('SIGINT');
      const term = (): void => handler('SIGTERM');
      process.on('SIGINT', int);
      process.on('SIGTERM', term);
      return () => {
        process.off('SIGINT', int);
        process.off('SIGTERM', term);
      };
    },
  };
}

export function buildProgram(io: CliIO): Command {
  const program = new Command('berth')
    .description('Run multi-container stacks from Compose files, on Docker or on berth\'s built-in engine')
    // No -v short form: `down -v` (volumes) must reach the subcommand, as in docker compose.
    .version(VERSION, '--version', 'print the version')
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .showHelpAfterError('(run with --help for usage)');
  addGlobalOptions(program);
  const globals = (): GlobalFlags => program.opts<GlobalFlags>();

  program
    .command('config')
    .description('parse, resolve and print the canonical Compose model')
    .option('--format <format>', 'yaml or json', 'yaml')
    .option('--services', 'print the service names, one per line')
    .option('--volumes', 'print the volume names, one per line')
    .option('--networks', 'print the network names, one per line')
    .option('--profiles', 'print the profile names, one per line')
    .option('--images', 'print the image names, one per line')
    .option('--variables', 'print the variables used, with their defaults')
    .option('--hash <services>', 'print the config hash of services ("svc1,svc2" or "*")')
    .option('-q, --quiet', 'only validate; print nothing')
    .option('--no-interpolate', 'do not interpolate environment variables')
    .option('-o, --output <file>', 'write to a file instead of stdout')
    .option('--resolve-image-digests', 'pin every image to the digest its registry has now (asks the engine)')
    .option('--lock-image-digests', 'print an override file that pins every image to its digest')
    .argument('[services...]', 'restrict the output to these services (and what they need)')
    .action(async (services: string[], opts) => {
      const { runConfig } = await import('./commands/config.js');
      await runConfig(globals(), opts, services, io);
    });

  program
    .command('graph')
    .description('print the dependency graph of services, networks and volumes')
    .option('--format <format>', 'text, dot or mermaid', 'text')
    .action(async (opts) => {
      const { runGraph } = await import('./commands/graph.js');
      await runGraph(globals(), opts, io);
    });

  registerComposeCommands(program, io, globals);
  registerLifecycleCommands(program, io, globals);
  registerToolCommands(program, io, globals);

  const engine = program.command('engine').description('run and control the built-in container engine');
  const engineOptions = (c: Command): Command =>
    c
      .option('--root <dir>', 'state root (default $BERTH_ROOT or /var/lib/berth)')
      .option('--run-root <dir>', 'runtime files (default $BERTH_RUN_ROOT or /run/berth)')
      .option('--socket <path>', 'API socket (default <run-root>/engine.sock)');
  const collect = (value: string, previous: string[] = []): string[] => [...previous, value];
  const registryOptions = (c: Command): Command =>
    c
      .option('--config-file <file>', 'engine config in dockerd\'s daemon.json keys (default <root>/daemon.json when present)')
      .option('--registry-mirror <url>', 'a mirror of docker.io, or host:port=URL for another registry (repeatable)', collect)
      .option('--insecure-registry <host>', 'a registry (host[:port] or CIDR) reached over plain HTTP or unverified TLS (repeatable; loopback always is)', collect)
      .option('--max-concurrent-downloads <n>', 'layers a pull fetches and unpacks at once (default 4)')
      .option('--max-concurrent-uploads <n>', 'layers a push uploads at once (default 4)');
  // dockerd's access flags (engine/daemon/listen-config.ts): where to serve, the socket's group, mutual TLS for TCP.
  const hostOption = (c: Command): Command => c.option('-H, --host <host>', 'serve on unix:///path or tcp://host:port (repeatable; default the socket; TCP only with --tlsverify)', collect);
  const accessOptions = (c: Command): Command =>
    hostOption(c)
      .option('-G, --group <group>', 'group of the unix socket, name or gid (default docker when it exists; "" keeps root\'s)')
      .option('--tls', 'refused: TLS without client certificates (use --tlsverify)')
      .option('--tlsverify', 'serve TCP over TLS and require client certificates signed by --tlscacert')
      .option('--tlscacert <file>', 'CA (PEM) that signs the clients\' certificates')
      .option('--tlscert <file>', 'the server\'s TLS certificate (PEM)')
      .option('--tlskey <file>', 'the server\'s TLS key (PEM)');
  accessOptions(registryOptions(engineOptions(engine.command('run').description('run the engine in the foreground'))))
    .option('--runc <path>', 'runc binary')
    .option('--shim <path>', 'berth-shim binary')
    .option('--cgroup-parent <path>', 'parent cgroup of the containers (default /berth)')
    .option('--log <file>', 'JSON log file ("-" for stderr; default <run-root>/engine.log)')
    .action(async (opts) => {
      const { runEngineForeground } = await import('./commands/engine.js');
      await runEngineForeground(opts, io);
    });
  accessOptions(registryOptions(engineOptions(engine.command('start').description('start the engine in the background and wait until it answers'))))
    .option('--runc <path>', 'runc binary')
    .option('--shim <path>', 'berth-shim binary')
    .option('--cgroup-parent <path>', 'parent cgroup of the containers (default /berth)')
    .option('--log <file>', 'JSON log file')
    .option('--timeout <seconds>', 'how long to wait for the engine', '15')
    .action(async (opts) => {
      const { startEngineBackground } = await import('../client/engine-launcher.js');
      await startEngineBackground(opts, io);
    });
  engineOptions(engine.command('stop').description('stop the engine (containers keep running)'))
    .option('--timeout <seconds>', 'how long to wait for the engine to exit', '15')
    .action(async (opts) => {
      const { stopEngine } = await import('../client/engine-launcher.js');
      await stopEngine(opts, io);
    });
  hostOption(engineOptions(engine.command('status').description('say whether the engine runs and answers'))).action(async (opts) => {
    const { engineStatus } = await import('../client/engine-launcher.js');
    await engineStatus(opts, io);
  });
  engineOptions(
    engine
      .command('cleanup')
      .description('remove what a dead engine left on the host; stops the containers it left running, keeps their data and volumes')
      .addHelpText(
        'after',
        [
          '',
          'For an engine that was killed or crashed: removes its runtime leftovers — mounts under the',
          'state root and run root, network namespaces, bridges and veths, isolation and outbound-NAT',
          'firewall rules, runc state, cgroups, io sockets, the API socket and the pid file.',
          'Containers still running without their engine are stopped (their processes are killed).',
          'Containers\' records and data, images, volumes and networks are kept: the next engine lists',
          'the containers as exited. Refused while the engine runs: `berth engine stop` it first.',
        ].join('\n'),
      ),
  )
    .option('--runc <path>', 'runc binary the engine used')
    .option('--cgroup-parent <path>', 'parent cgroup the engine ran its containers under (default /berth)')
    .action(async (opts) => {
      const { cleanupEngineLeftovers } = await import('./commands/engine.js');
      await cleanupEngineLeftovers(opts, io);
    });

  registerWatchCommands(program, io, globals);
  registerCompareCommands(program, io, globals);
  registerSwarmLabCommands(program, io);

  program
    .command('version')
    .description('print the version')
    .option('--short', 'only the number')
    .option('--format <format>', 'pretty or json', 'pretty')
    .action((opts: { short?: boolean; format: string }) => {
      const { short, format } = opts;
      if (format !== 'pretty' && format !== 'json') throw new UsageError(`--format ${format}: expected pretty or json`);
      if (short) io.stdout(`${VERSION}\n`);
      else io.stdout(format === 'json' ? `${JSON.stringify({ version: VERSION })}\n` : `berth version ${VERSION}\n`);
    });

  // --ansi (and COMPOSE_ANSI) is a global flag: a bad value is a usage error whatever the command.
  program.hook('preAction', () => {
    ansiMode(globals(), io.env);
  });
  if (io.observeOptions) observeEveryCommand(program, io.observeOptions);
  return program;
}

/** Every command's action receives its options through `opts()`: route it through the observer. */
function observeEveryCommand(command: Command, observe: NonNullable<CliIO['observeOptions']>): void {
  const own = command.opts.bind(command);
  command.opts = <T extends OptionValues>(): T => observe(command, own()) as T;
  for (const sub of command.commands) observeEveryCommand(sub, observe);
}

export async function main(argv: string[], io?: CliIO): Promise<number> {
  const cliIO = io ?? guardProcess(defaultIO());
  const program = buildProgram(cliIO);
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (e) {
    return exitCodeFor(e, cliIO);
  }
}

/**
 * The running process (not a test's in-process run): an error nothing caught — thrown from an
 * event handler or timer, a rejection nobody awaited — is reported by exitCodeFor and ends the
 * process with its exit code.
 */
function guardProcess(io: CliIO): CliIO {
  const fatal = (e: unknown): void => {
    process.exitCode = exitCodeFor(e, io);
    process.exit();
  };
  process.on('uncaughtException', fatal);
  process.on('unhandledRejection', fatal);
  return io;
}

/** The one error → exit-code policy. Prints what the user needs (one or two lines) and returns the code. */
export function exitCodeFor(e: unknown, io: Pick<CliIO, 'stderr' | 'env'>): number {
  if (e instanceof CommanderError) {
    if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return 0;
    return 2; // commander already printed the message
  }
  if (e instanceof ExitCode) return e.exitCode;
  if (e instanceof BerthError) {
    io.stderr(`${e.message}\n`);
    if (io.env.BERTH_DEBUG && e.stack) io.stderr(`${e.stack}\n`);
    return e.exitCode;
  }
  const message = e instanceof Error ? e.message : String(e);
  if (io.env.BERTH_DEBUG) io.stderr(`internal error: ${e instanceof Error && e.stack ? e.stack : message}\n`);
  else io.stderr(`internal error: ${message.split('\n')[0]}\n(a bug in berth: BERTH_DEBUG=1 prints where it happened)\n`);
  return 3;
}
