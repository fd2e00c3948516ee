// The lifecycle verbs end to end, written once and run on each engine (berth's built-in engine and
// a private dockerd, where users meet it too), the CLI run in-process: run --rm (output, exit code, stdin, one-off labels), exec exit codes and flags,
// logs (prefixes, --tail, -f following until the containers stop), stop/start, kill -s, rm -fsv,
// ls, events --json, pause/unpause, top, wait, scale, create.
import { Readable } from 'node:stream';
import Docker from 'dockerode';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { requirePrereq } from '../support/gates.js';
import { expectCode, makeStack, type Stack } from './scenario.js';
import { ENGINE_KINDS, enginePrereqs, useEngine, type ScenarioEngine } from '../support/engines.js';

const STACK = `
services:
  db:
    image: busybox
    command: ["sh", "-c", "echo db ready; trap 'echo db got TERM; exit 0' TERM; while :; do sleep 0.1; done"]
  web:
    image: busybox
    depends_on: [db]
    stop_grace_period: 2s
    environment: { GREETING: hello }
    command: ["sh", "-c", "trap 'exit 0' TERM; i=0; while :; do i=$$((i+1)); echo tick $$i; sleep 0.2; done"]
`;

describe.each(ENGINE_KINDS)('compose lifecycle verbs on %s', (kind) => {
  if (requirePrereq(`compose lifecycle verbs on ${kind}`, enginePrereqs(kind))) return;
  let engine: ScenarioEngine;
  let docker: Docker;
  useEngine(kind, 'lifecycle', (e) => {
    engine = e;
    docker = e.docker;
  });

  /** `berth events --json` running in-process until stop() interrupts it (as Ctrl-C would). */
  function eventsOf(stack: Stack): { stop(): Promise<string[]> } {
    let out = '';
    let interrupt: (() => void) | undefined;
    const done = main(['node', 'berth', '-p', stack.project, 'events', '--json'], {
      stdout: (t) => (out += t),
      stderr: () => undefined,
      env: { DOCKER_HOST: engine.dockerHost, PATH: process.env.PATH ?? '' },
      cwd: stack.dir,
      readStdin: () => '',
      isTTY: false,
      onInterrupt: (h) => {
        interrupt = h;
        return () => (interrupt = undefined);
      },
    });
    return {
      async stop() {
        await new Promise((r) => setTimeout(r, 300));
        interrupt?.();
        expect(await done).toBe(0);
        return out.split('\n').filter((l) => l !== '');
      },
    };
  }

  async function up(stack: Stack): Promise<void> {
    stack.write(STACK);
    expectCode(await stack.berth(['up', '-d', '--progress', 'quiet']), 0);
  }

  it('run --rm: output, exit code, stdin, one-off labels, dependencies started, nothing left', async () => {
    const stack = makeStack(engine.dockerHost, 'lr');
    try {
      stack.write(STACK);
      const r = await stack.berth(['run', '--rm', 'web', 'sh', '-c', 'echo out $GREETING; echo err >&2; exit 7']);
      expect(r.code).toBe(7);
      expect(r.stdout).toBe('out hello\n');
      expect(r.stderr).toContain('err\n');
      // The dependency was started like up would; the one-off container is gone.
      const after = await stack.containers();
      expect([...after.keys()]).toEqual([`${stack.project}-db-1`]);
      expect(after.get(`${stack.project}-db-1`)?.state).toBe('running');

      const piped = await stack.berth(['run', '--rm', '-T', '--no-deps', 'web', 'sh', '-c', 'read x; echo got $x'], {}, 'a line\n');
      expect(piped).toMatchObject({ code: 0, stdout: 'got a line\n' });

      // -d keeps it: labelled as a one-off, named <project>-<service>-run-<slug>, no restart policy.
      const d = await stack.berth(['run', '-d', '-e', 'EXTRA=1', '-w', '/tmp', 'web', 'sleep', '30']);
      expectCode(d, 0);
      const name = d.stdout.trim();
      expect(name).toMatch(new RegExp(`^${stack.project}-web-run-[0-9a-f]{12}$`));
      const inspect = await docker.getContainer(name).inspect();
      expect(inspect.Config.Labels['com.docker.compose.oneoff']).toBe('True');
      expect(inspect.Config.Labels['com.docker.compose.service']).toBe('web');
      expect(inspect.Config.Env).toContain('EXTRA=1');
      expect(inspect.Config.WorkingDir).toBe('/tmp');
      expect(inspect.HostConfig.RestartPolicy?.Name).toBe('no');
      // One-off containers are not service containers: ps leaves them out, rm -f takes them.
      expect((await stack.berth(['ps', '-q'])).stdout.trim().split('\n')).toHaveLength(1);
      const rmOneOff = await stack.berth(['rm', '-fs']);
      expectCode(rmOneOff, 0);
      expect((await stack.containers()).size).toBe(0);
    } finally {
      await stack.berth(['down', '--progress', 'quiet']);
      stack.cleanup();
    }
  }, 90_000);

  it('exec: exit codes, -e/-u/-w, --index, not running, command flags reach the container', async () => {
    const stack = makeStack(engine.dockerHost, 'le');
    try {
      await up(stack);
      expect(await stack.berth(['exec', 'web', 'sh', '-c', 'exit 4'])).toMatchObject({ code: 4 });
      const env = await stack.berth(['exec', '-T', '-e', 'X=1', '-u', '1000', '-w', '/tmp', 'web', 'sh', '-c', 'echo $X $(id -u) $(pwd) $GREETING']);
      expect(env).toMatchObject({ code: 0, stdout: '1 1000 /tmp hello\n' });
      // `-la` belongs to ls, not to exec.
      expect((await stack.berth(['exec', 'web', 'ls', '-la', '/'])).stdout).toMatch(/bin/);
      expect(await stack.berth(['exec', 'web', 'cat'], {}, 'from stdin\n')).toMatchObject({ code: 0, stdout: 'from stdin\n' });
      // On a terminal (stdin and stdout TTYs), exec allocates one; -T turns it off.
      const onTerminal = async (args: string[]): Promise<{ code: number; stdout: string }> => {
        let stdout = '';
        const code = await main(['node', 'berth', '-p', stack.project, ...args], {
          stdout: (t) => (stdout += t),
          stderr: () => undefined,
          env: { DOCKER_HOST: engine.dockerHost, PATH: process.env.PATH ?? '' },
          cwd: stack.dir,
          readStdin: () => '',
          isTTY: true,
          stdinIsTTY: true,
          stdinStream: () => Readable.from([]),
        });
        return { code, stdout };
      };
      const tty = await onTerminal(['exec', 'web', 'sh', '-c', 'tty; exit 2']);
      expect(tty).toMatchObject({ code: 2 });
      expect(tty.stdout).toMatch(/^\/dev\/pts\/\d+\r\n$/);
      expect(await onTerminal(['exec', '-T', 'web', 'sh', '-c', 'tty || true'])).toMatchObject({ code: 0, stdout: 'not a tty\n' });
      const missing = await stack.berth(['exec', '--index', '2', 'web', 'true']);
      expect(missing.code).toBe(1);
      expect(missing.stderr).toMatch(/no container number 2/);
      expectCode(await stack.berth(['stop', 'web']), 0);
      const stopped = await stack.berth(['exec', 'web', 'true']);
      expect(stopped).toMatchObject({ code: 1 });
      expect(stopped.stderr).toMatch(/service "web" is not running/);
    } finally {
      await stack.berth(['down', '--progress', 'quiet']);
      stack.cleanup();
    }
  }, 90_000);

  it('logs: prefixes, --tail, --no-log-prefix, -f follows until the containers stop', async () => {
    const stack = makeStack(engine.dockerHost, 'll');
    try {
      await up(stack);
      await new Promise((r) => setTimeout(r, 700));
      const all = await stack.berth(['logs', 'db', 'web']);
      expect(all.stdout).toContain(`${stack.project}-db-1   | db ready\n`);
      expect(all.stdout).toMatch(new RegExp(`${stack.project}-web-1  \\| tick 1\\n`));
      const tail = await stack.berth(['logs', '--tail', '1', '--no-log-prefix', 'db']);
      expect(tail.stdout).toBe('db ready\n');
      const stamped = await stack.berth(['logs', '-t', '--no-log-prefix', 'db']);
      expect(stamped.stdout).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z db ready\n$/);

      // -f: still printing new lines a second later, and returns once both containers stop.
      const following = stack.berth(['logs', '-f', '--no-log-prefix', 'web', 'db']);
      await new Promise((r) => setTimeout(r, 1000));
      const before = Number(/tick (\d+)\n(?![\s\S]*tick)/.exec((await stack.berth(['logs', '--no-log-prefix', 'web'])).stdout)?.[1]);
      expectCode(await stack.berth(['stop']), 0);
      const followed = await following;
      expect(followed.code).toBe(0);
      expect(followed.stdout).toContain(`tick ${before}\n`);
      expect(followed.stdout).toContain('db got TERM\n');
    } finally {
      await stack.berth(['down', '--progress', 'quiet']);
      stack.cleanup();
    }
  }, 90_000);

  it('logs -f also follows a container that starts after it (scale-up), until all stop', async () => {
    const stack = makeStack(engine.dockerHost, 'lf');
    try {
      await up(stack);
      const following = stack.berth(['logs', '-f', 'web']);
      await new Promise((r) => setTimeout(r, 700));
      expectCode(await stack.berth(['up', '-d', '--scale', 'web=2', '--progress', 'quiet']), 0);
      await new Promise((r) => setTimeout(r, 1000));
      expectCode(await stack.berth(['stop']), 0);
      const followed = await following;
      expect(followed.code).toBe(0);
      expect(followed.stdout).toMatch(new RegExp(`${stack.project}-web-1 +\\| tick \\d+\\n`));
      expect(followed.stdout).toMatch(new RegExp(`${stack.project}-web-2 +\\| tick 1\\n`));
    } finally {
      await stack.berth(['down', '--progress', 'quiet']);
      stack.cleanup();
    }
  }, 90_000);

  it('stop/start in dependency order, kill -s, pause/unpause, top, wait, ls, events --json, rm -fsv', async () => {
    const stack = makeStack(engine.dockerHost, 'lk');
    try {
      await up(stack);
      const events = eventsOf(stack);
      const stop = await stack.berth(['stop']);
      expectCode(stop, 0);
      // Dependents first: web stops before db.
      expect(stop.stderr.indexOf(`Container ${stack.project}-web-1  Stopped`)).toBeLessThan(stop.stderr.indexOf(`Container ${stack.project}-db-1  Stopping`));
      const ls = await stack.berth(['ls', '-a', '--format', 'json']);
      expect((JSON.parse(ls.stdout) as { Name: string; Status: string }[]).find((p) => p.Name === stack.project)?.Status).toBe('exited(2)');
      expect((await stack.berth(['ls', '-q'])).stdout.split('\n')).not.toContain(stack.project);

      const start = await stack.berth(['start']);
      expectCode(start, 0);
      expect(start.stderr.indexOf(`${stack.project}-db-1  Started`)).toBeLessThan(start.stderr.indexOf(`${stack.project}-web-1  Starting`));
      expect((await stack.berth(['ls'])).stdout).toMatch(new RegExp(`${stack.project}\\s+running\\(2\\)`));

      expectCode(await stack.berth(['pause', 'web']), 0);
      expect((await stack.containers()).get(`${stack.project}-web-1`)?.state).toBe('paused');
      expectCode(await stack.berth(['unpause', 'web']), 0);
      expect((await stack.containers()).get(`${stack.project}-web-1`)?.state).toBe('running');

      const top = await stack.berth(['top', 'db']);
      expect(top.stdout).toMatch(new RegExp(`^${stack.project}-db-1\\nUID\\s+PID`));

      // kill -s TERM: db traps it and exits 0; wait reports that exit code.
      const waiting = stack.berth(['wait', 'db']);
      expectCode(await stack.berth(['kill', '-s', 'TERM', 'db']), 0);
      expect((await waiting).code).toBe(0);
      expect((await stack.berth(['logs', '--no-log-prefix', 'db'])).stdout).toContain('db got TERM\n');
      const killWeb = stack.berth(['wait', 'web']);
      expectCode(await stack.berth(['kill', 'web']), 0);
      expect((await killWeb).code).toBe(137);

      const rm = await stack.berth(['rm', '-fsv']);
      expectCode(rm, 0);
      expect((await stack.containers()).size).toBe(0);
      expect((await stack.berth(['rm', '-f'])).stderr).toContain('No stopped containers');

      const seen = (await events.stop()).map((l) => JSON.parse(l) as { action: string; service: string; type: string; id: string });
      expect(seen.every((e) => e.type === 'container' && e.id.length === 64)).toBe(true);
      const actions = seen.map((e) => `${e.service} ${e.action}`);
      for (const a of ['web stop', 'db stop', 'db start', 'web start', 'web pause', 'web unpause', 'db die', 'web kill', 'web destroy']) expect(actions).toContain(a);
    } finally {
      await stack.berth(['down', '--progress', 'quiet']);
      stack.cleanup();
    }
  }, 90_000);

  it('create makes containers without starting them; scale adds and removes replicas', async () => {
    const stack = makeStack(engine.dockerHost, 'lc');
    try {
      stack.write(STACK);
      expectCode(await stack.berth(['create']), 0);
      const created = await stack.containers();
      expect([...created.values()].map((c) => c.state)).toEqual(['created', 'created']);
      expectCode(await stack.berth(['start']), 0);
      expectCode(await stack.berth(['scale', 'web=3']), 0);
      expect([...(await stack.containers()).keys()].sort()).toEqual([`${stack.project}-db-1`, `${stack.project}-web-1`, `${stack.project}-web-2`, `${stack.project}-web-3`]);
      expect((await stack.berth(['exec', '--index', '3', 'web', 'hostname'])).code).toBe(0);
      expectCode(await stack.berth(['scale', 'web=1']), 0);
      expect([...(await stack.containers()).keys()].sort()).toEqual([`${stack.project}-db-1`, `${stack.project}-web-1`]);
    } finally {
      await stack.berth(['down', '--progress', 'quiet']);
      stack.cleanup();
    }
  }, 90_000);
});
