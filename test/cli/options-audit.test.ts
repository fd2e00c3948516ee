// Every option of every command reaches the command's code. `kill --remove-orphans` was accepted
// and ignored: nothing read it. Here each leaf command runs once per option, in-process, with
// that option set, and the options object its action receives is watched: the option's key must
// be read by name (passing the whole object on, by spreading or copying, is refused: then nothing
// tells which keys are used). The engine is unreachable (DOCKER_HOST points nowhere), so this also
// holds every command to reading its flags before it chooses an engine; a crash (exit 3) fails.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import type { Command, Option } from 'commander';
import { afterAll, describe, expect, it } from 'vitest';
import { buildProgram, main } from '../../src/cli/main.js';
import type { CliIO } from '../../src/cli/io.js';

const dir = mkdtempSync(path.join(tmpdir(), 'berth-options-'));
writeFileSync(path.join(dir, 'compose.yaml'), 'name: audit\nservices:\n  web:\n    image: busybox\n    ports: ["8080:80"]\n  db:\n    image: busybox\n');
writeFileSync(path.join(dir, 'web.env'), 'A=1\n');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Where nothing can be harmed: a path under /dev/null cannot be created. */
const NOWHERE = '/dev/null/berth-options-audit';

/** A value for each option that takes one, by long flag (a command-specific one first). */
const SAMPLES: Record<string, string> = {
  'config --format': 'json',
  'config --hash': '*',
  'config --output': path.join(dir, 'out.yaml'),
  'graph --format': 'dot',
  'ps --filter': 'status=running',
  'ls --filter': 'name=audit',
  'compare --output': path.join(dir, 'compare.out'),
  'compare --format': 'json',
  'swarm-lab status --format': 'json',
  'stats --format': 'json',
  'version --format': 'json',
  '--format': 'json',
  '--tail': '5',
  '--since': '10m',
  '--until': '1m',
  '--index': '1',
  '--signal': 'SIGTERM',
  '--timeout': '1',
  '--wait-timeout': '1',
  '--progress': 'quiet',
  '--pull': 'never',
  '--placement': 'split',
  '--scale': 'web=1',
  '--parallel': '2',
  '--debounce': '10',
  '--rmi': 'local',
  '--protocol': 'udp',
  '--status': 'running',
  '--attach': 'web',
  '--no-attach': 'web',
  '--exit-code-from': 'web',
  '--env': 'A=1',
  '--user': 'root',
  '--workdir': '/',
  '--entrypoint': 'sh',
  '--publish': '8081:80',
  '--name': 'audit-one',
  '--volume': '/tmp:/x',
  '--label': 'a=b',
  '--modes': 'split',
  '--group': 'none',
  '--workload': 'builtin',
  '--duration': '1s',
  '--warmup': '0',
  '--clients': '1',
  '--repeat': '1',
  '--report-dir': path.join(dir, 'compare'),
  '--healthy-timeout': '1s',
  '--recovery-timeout': '1s',
  '--root': NOWHERE,
  '--run-root': NOWHERE,
  '--socket': `${NOWHERE}/engine.sock`,
  '--runc': '/bin/false',
  '--shim': '/bin/false',
  '--cgroup-parent': '/berth-audit',
  '--log': `${NOWHERE}/engine.log`,
  '--config-file': `${NOWHERE}/daemon.json`,
  '--build-arg': 'A=1',
  '--registry-mirror': 'http://127.0.0.1:1',
  '--insecure-registry': '127.0.0.1:1',
  '--max-concurrent-downloads': '2',
  '--max-concurrent-uploads': '2',
  '--host': 'tcp://127.0.0.1:1',
  '--tlscacert': `${NOWHERE}/ca.pem`,
  '--tlscert': `${NOWHERE}/cert.pem`,
  '--tlskey': `${NOWHERE}/key.pem`,
  '--dir': NOWHERE,
  '--nodes': '0',
  '--managers': '1',
  '--grace': '0',
  '--detach-keys': 'ctrl-p,ctrl-q',
  '--sig-proxy': 'false',
  '--orphans': 'false',
};

/** Positional arguments a command needs to get as far as its options. */
const ARGUMENTS: Record<string, string[]> = {
  exec: ['web', 'true'],
  run: ['web', 'true'],
  port: ['web', '80'],
  wait: ['web'],
  scale: ['web=1'],
  attach: ['web'],
  cp: ['web:/etc/hostname', path.join(dir, 'copied')],
};

/**
 * Arguments that keep a command from doing anything real, added to every run of it: engine
 * commands get state and runtime directories that cannot exist, the lab asks for zero nodes.
 */
const SAFETY: Record<string, string[]> = {
  'engine run': ['--root', NOWHERE, '--run-root', NOWHERE, '--socket', `${NOWHERE}/engine.sock`],
  'engine start': ['--root', NOWHERE, '--run-root', NOWHERE, '--socket', `${NOWHERE}/engine.sock`],
  'engine stop': ['--root', NOWHERE, '--run-root', NOWHERE],
  'engine status': ['--root', NOWHERE, '--run-root', NOWHERE, '--socket', `${NOWHERE}/engine.sock`],
  'engine cleanup': ['--root', NOWHERE, '--run-root', NOWHERE, '--socket', `${NOWHERE}/engine.sock`],
  'swarm-lab up': ['--nodes', '0', '--dir', NOWHERE],
  'swarm-lab status': ['--dir', NOWHERE],
  'swarm-lab down': ['--dir', NOWHERE],
};

function leaves(command: Command, prefix: string[] = []): { path: string[]; command: Command }[] {
  if (command.commands.length === 0) return [{ path: prefix, command }];
  return command.commands.flatMap((c) => leaves(c, [...prefix, c.name()]));
}

const sink = (): void => undefined;
const program = buildProgram({ stdout: sink, stderr: sink, env: {}, cwd: dir, readStdin: () => '', isTTY: false });
const commands = leaves(program).filter((l) => !['help'].includes(l.path[0]));

function flagArgs(name: string, option: Option): string[] {
  const flag = option.long ?? option.short!;
  if (!option.required && !option.optional) return [flag];
  const value = SAMPLES[`${name} ${option.long}`] ?? SAMPLES[option.long ?? ''];
  if (value === undefined) throw new Error(`no sample value for ${name} ${flag}: add one to SAMPLES`);
  return [flag, value];
}

/** Runs `berth <path> <flag> [value] <args>` and returns the keys its action read, and whether it copied the object. */
async function run(pathArgs: string[], option: Option): Promise<{ code: number; read: Set<string>; copied: boolean; stderr: string }> {
  const name = pathArgs.join(' ');
  const read = new Set<string>();
  let copied = false;
  let stderr = '';
  const leaf = pathArgs[pathArgs.length - 1];
  const io: CliIO = {
    stdout: sink,
    stderr: (t) => (stderr += t),
    env: { DOCKER_HOST: `unix://${NOWHERE}/docker.sock`, PATH: process.env.PATH ?? '' },
    cwd: dir,
    readStdin: () => '',
    stdinStream: () => Readable.from([]),
    isTTY: false,
    onInterrupt: (handler) => {
      const t = setTimeout(handler, 200);
      return () => clearTimeout(t);
    },
    observeOptions: (command, options) => {
      if (command.name() !== leaf) return options;
      return new Proxy(options, {
        get(target, key, receiver) {
          if (typeof key === 'string') read.add(key);
          return Reflect.get(target, key, receiver);
        },
        ownKeys(target) {
          copied = true;
          return Reflect.ownKeys(target);
        },
      });
    },
  };
  const args = [...pathArgs, ...flagArgs(name, option), ...(SAFETY[name] ?? []), ...(ARGUMENTS[name] ?? [])];
  const code = await main(['node', 'berth', ...args], io);
  return { code, read, copied, stderr };
}

describe('every option of every command is read by its code', () => {
  it('finds the commands', () => {
    expect(commands.map((c) => c.path.join(' '))).toEqual(expect.arrayContaining(['up', 'kill', 'logs', 'engine start', 'swarm-lab up']));
  });

  for (const { path: pathArgs, command } of commands) {
    const options = command.options.filter((o) => o.long !== '--help');
    if (options.length === 0) continue;
    it(`${pathArgs.join(' ')}: ${options.map((o) => o.long).join(' ')}`, async () => {
      for (const option of options) {
        const r = await run(pathArgs, option);
        const label = `${pathArgs.join(' ')} ${option.long} (exit ${r.code}: ${r.stderr.trim().split('\n')[0]})`;
        expect(r.code, label).not.toBe(3);
        expect(r.copied, `${label}: the options object was copied or spread`).toBe(false);
        expect([...r.read], label).toContain(option.attributeName());
      }
    }, 60_000);
  }
});
