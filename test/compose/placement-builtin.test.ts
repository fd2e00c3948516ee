// Placement modes on the built-in engine: a pod's members reach each other on localhost through
// the sandbox's namespaces; a single group runs its second member as a supervised process inside
// the first one's container, restarted when it exits. `ps` names group and mode.
import { execFileSync } from 'node:child_process';
import Docker from 'dockerode';
import { describe, expect, it } from 'vitest';
import { demux } from '../../src/client/docker-port.js';
import { type TestEngine } from '../engine/helpers/daemon-harness.js';
import { engineHost, requirePrereq } from '../support/gates.js';
import { expectCode, makeStack } from './scenario.js';
import { useTestEngine } from '../support/engines.js';

const skip = requirePrereq('placement on the built-in engine', engineHost());
const LOOP = `["sh", "-c", "trap 'exit 0' TERM; sleep 2147483647 & wait"]`;

async function execOut(docker: Docker, container: string, cmd: string[], user?: string): Promise<string> {
  const exec = await docker.getContainer(container).exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true, ...(user ? { User: user } : {}) });
  const stream = await exec.start({ hijack: true, stdin: false });
  const chunks: Buffer[] = [];
  await new Promise<void>((resolve) => {
    stream.on('data', (d: Buffer) => chunks.push(d));
    stream.on('end', () => resolve());
  });
  let out = '';
  for await (const chunk of demux(chunks, false)) out += chunk.data.toString();
  return out;
}

describe.skipIf(skip)('placement on the built-in engine', () => {
  let engine: TestEngine;
  let docker: Docker;
  useTestEngine('place', (e) => {
    engine = e;
    docker = new Docker({ socketPath: engine.socketPath });
  });

  it('pod: members share the sandbox\'s network namespace (localhost) and ps shows group and mode', async () => {
    const stack = makeStack(`unix://${engine.socketPath}`, 'pp');
    const p = stack.project;
    try {
      stack.write(`
services:
  db:
    image: busybox
    command: ["sh", "-c", "trap 'exit 0' TERM; while :; do nc -l -p 5432 -e echo pong & wait; done"]
  api:
    image: busybox
    command: ${LOOP}
    depends_on: [db]
x-placement:
  groups:
    backend: { mode: pod, services: [api, db] }
`);
      expectCode(await stack.berth(['up', '-d', '--wait', '--progress', 'quiet']), 0);
      const names = [...(await stack.containers()).keys()].sort();
      expect(names).toEqual([`${p}-api-1`, `${p}-backend-sandbox`, `${p}-db-1`]);
      const api = await docker.getContainer(`${p}-api-1`).inspect();
      expect(api.HostConfig.NetworkMode).toBe(`container:${p}-backend-sandbox`);
      let answer = '';
      for (let i = 0; i < 50 && !answer.includes('pong'); i++) {
        answer = await execOut(docker, `${p}-api-1`, ['sh', '-c', 'echo | nc 127.0.0.1 5432']);
        if (!answer.includes('pong')) await new Promise((r) => setTimeout(r, 100));
      }
      expect(answer).toContain('pong');
      const ps = await stack.berth(['ps', '--format', 'json']);
      const rows = ps.stdout.trim().split('\n').map((l) => JSON.parse(l));
      expect(rows.map((r) => `${r.Service} ${r.Group} ${r.Mode} ${r.Role}`)).toEqual(['api backend pod member', 'backend-sandbox backend pod sandbox', 'db backend pod member']);

      // --placement split overrides: the sandbox goes, members get their own namespaces.
      expectCode(await stack.berth(['up', '-d', '--placement', 'split', '--progress', 'quiet']), 0);
      const after = await docker.getContainer(`${p}-api-1`).inspect();
      expect(after.HostConfig.NetworkMode).not.toMatch(/^container:/);
      expect([...(await stack.containers()).keys()].sort()).toEqual([`${p}-api-1`, `${p}-db-1`]);
      expectCode(await stack.berth(['down', '--progress', 'quiet']), 0);
      expect((await stack.containers()).size).toBe(0);
    } finally {
      stack.cleanup();
    }
  }, 120_000);

  it('single: one container; the second member runs inside as a supervised process and comes back when it exits', async () => {
    const stack = makeStack(`unix://${engine.socketPath}`, 'ps');
    const p = stack.project;
    try {
      stack.write(`
services:
  app:
    image: busybox
    command: ${LOOP}
  helper:
    image: busybox
    command: ["sh", "-c", "echo started >> /tmp/helper.log; exec tail -f /dev/null"]
x-placement:
  groups:
    duo: { mode: single, services: [app, helper] }
`);
      expectCode(await stack.berth(['up', '-d', '--progress', 'quiet']), 0);
      expect([...(await stack.containers()).keys()]).toEqual([`${p}-duo-1`]);
      const log = async () => execOut(docker, `${p}-duo-1`, ['sh', '-c', 'cat /tmp/helper.log 2>/dev/null']);
      let text = '';
      for (let i = 0; i < 50 && !text.includes('started'); i++) {
        text = await log();
        if (!text.includes('started')) await new Promise((r) => setTimeout(r, 100));
      }
      expect(text.trim().split('\n')).toEqual(['started']);
      // The helper's process exits: the supervisor loop starts it again.
      await execOut(docker, `${p}-duo-1`, ['sh', '-c', 'for p in /proc/[0-9]*; do [ "$(cat $p/comm 2>/dev/null)" = tail ] && kill ${p#/proc/}; done; true']);
      for (let i = 0; i < 60 && text.trim().split('\n').length < 2; i++) {
        await new Promise((r) => setTimeout(r, 100));
        text = await log();
      }
      expect(text.trim().split('\n').length).toBeGreaterThanOrEqual(2);
      const ps = await stack.berth(['ps', '--format', 'json']);
      const row = JSON.parse(ps.stdout.trim());
      expect(`${row.Service} ${row.Group} ${row.Mode}`).toBe('app duo single');
      expectCode(await stack.berth(['down', '--progress', 'quiet']), 0);
    } finally {
      stack.cleanup();
    }
  }, 120_000);
  it('single: every start of the group container runs its members again — restart policy after the main process dies, docker restart, berth restart, engine restart', async () => {
    const stack = makeStack(`unix://${engine.socketPath}`, 'pr');
    const p = stack.project;
    const group = `${p}-duo-1`;
    try {
      // Two members beside the main one, each recognisable by its command line; each start of the
      // first one is written down (the log is in the container's own layer, which restarts keep).
      stack.write(`
services:
  app:
    image: busybox
    command: ["sleep", "1000001"]
    restart: always
  helper:
    image: busybox
    command: ["sh", "-c", "echo started >> /tmp/helper.log; exec sleep 1000002"]
  sidecar:
    image: busybox
    command: ["sleep", "1000003"]
    environment: { SIDE: "two words" }
x-placement:
  groups:
    duo: { mode: single, services: [app, helper, sidecar] }
`);
      expectCode(await stack.berth(['up', '-d', '--progress', 'quiet']), 0);
      /** The container's processes (command lines), read through /proc inside it. */
      const processes = async (): Promise<string[]> =>
        (await execOut(docker, group, ['sh', '-c', 'for p in /proc/[0-9]*; do tr "\\0" " " < $p/cmdline 2>/dev/null; echo; done'])).split('\n').map((l) => l.trim()).filter(Boolean);
      const membersRunning = async (starts: number): Promise<void> => {
        let seen: string[] = [];
        for (let i = 0; i < 100; i++) {
          const state = (await docker.getContainer(group).inspect()).State;
          if (state.Running) {
            seen = await processes().catch(() => []);
            const log = await execOut(docker, group, ['sh', '-c', 'cat /tmp/helper.log 2>/dev/null']).catch(() => '');
            if (seen.includes('sleep 1000001') && seen.includes('sleep 1000002') && seen.includes('sleep 1000003') && log.trim().split('\n').length === starts) return;
          }
          await new Promise((r) => setTimeout(r, 100));
        }
        throw new Error(`after start ${starts}: the members did not all run again; processes: ${JSON.stringify(seen)}`);
      };
      await membersRunning(1);
      // The sidecar sees its own environment beside the container's.
      const env = await execOut(docker, group, ['sh', '-c', 'for p in /proc/[0-9]*; do if [ "$(tr "\\0" " " < $p/cmdline)" = "sleep 1000003 " ]; then tr "\\0" "\\n" < $p/environ; fi; done']);
      expect(env.split('\n')).toEqual(expect.arrayContaining(['SIDE=two words', 'BERTH_SERVICE=sidecar']));

      // The main process dies: the restart policy starts the container again, members and all.
      const before = await docker.getContainer(group).inspect();
      expect(before.State.Pid).toBeGreaterThan(0);
      process.kill(before.State.Pid, 'SIGKILL');
      for (let i = 0; i < 100 && (await docker.getContainer(group).inspect()).RestartCount < 1; i++) await new Promise((r) => setTimeout(r, 100));
      expect((await docker.getContainer(group).inspect()).RestartCount).toBe(1);
      await membersRunning(2);

      // Restarted by a client of the engine, by berth, and by the engine coming back on its root.
      await docker.getContainer(group).restart({ t: 0 });
      await membersRunning(3);
      expectCode(await stack.berth(['restart', '-t', '0']), 0);
      await membersRunning(4);
      expectCode(await stack.berth(['stop', '-t', '0']), 0);
      expectCode(await stack.berth(['start']), 0);
      await membersRunning(5);
      // The engine restarts with the container running (live restore), then while the main process
      // dies with the engine down: the engine finds it exited and its restart policy applies.
      await engine.restartDaemon();
      await membersRunning(5);
      const pid = (await docker.getContainer(group).inspect()).State.Pid;
      await engine.restartDaemon({ whileDown: async () => void process.kill(pid, 'SIGKILL') });
      await membersRunning(6);
      expectCode(await stack.berth(['down', '-t', '0', '--progress', 'quiet']), 0);
    } finally {
      stack.cleanup();
    }
  }, 120_000);
  it('single: members run as their own users (setpriv), the main one as its own, after a restart too; an image without setpriv says so', async () => {
    const stack = makeStack(`unix://${engine.socketPath}`, 'pu');
    const p = stack.project;
    const group = `${p}-duo-1`;
    const hostId = (flag: string, user: string): string => execFileSync('id', [flag, user], { encoding: 'utf8' }).trim();
    /** `uid gid HOME=…` of the process running `cmdline` in the group's container (read as `user`: another user's environ is not readable). */
    const owner = async (cmdline: string, user: string): Promise<string> => {
      for (let i = 0; i < 50; i++) {
        const out = await execOut(docker, group, ['sh', '-c', `for p in /proc/[0-9]*; do if [ "$(tr '\\0' ' ' < $p/cmdline 2>/dev/null)" = "${cmdline} " ]; then awk '/^Uid:/ {u=$2} /^Gid:/ {g=$2} END {printf "%s %s ", u, g}' $p/status; tr '\\0' '\\n' < $p/environ | grep '^HOME='; fi; done`], user).catch(() => '');
        if (out.trim()) return out.trim();
        await new Promise((r) => setTimeout(r, 100));
      }
      return 'not running';
    };
    try {
      // The host image has util-linux's setpriv and the users daemon and nobody.
      stack.write(`
services:
  app:
    image: berth/host:latest
    user: daemon
    command: ["sleep", "1000021"]
  helper:
    image: berth/host:latest
    user: nobody
    command: ["sleep", "1000022"]
  plain:
    image: berth/host:latest
    command: ["sleep", "1000023"]
x-placement:
  groups:
    duo: { mode: single, services: [app, helper, plain] }
`);
      expectCode(await stack.berth(['up', '-d', '--progress', 'quiet']), 0);
      const home = (user: string): string => execFileSync('getent', ['passwd', user], { encoding: 'utf8' }).trim().split(':')[5];
      const daemon = `${hostId('-u', 'daemon')} ${hostId('-g', 'daemon')} HOME=${home('daemon')}`;
      const nobody = `${hostId('-u', 'nobody')} ${hostId('-g', 'nobody')} HOME=${home('nobody')}`;
      for (let round = 0; round < 2; round++) {
        expect(await owner('sleep 1000021', 'daemon')).toBe(daemon);
        expect(await owner('sleep 1000022', 'nobody')).toBe(nobody);
        // No user of its own: the main member's, as an exec session into the container would have.
        expect(await owner('sleep 1000023', 'daemon')).toBe(daemon);
        if (round === 0) await docker.getContainer(group).restart({ t: 0 });
      }

      // busybox has no util-linux setpriv: the container stops at once and its log says why.
      stack.write(`
services:
  app:
    image: busybox
    command: ["sleep", "1000031"]
  helper:
    image: busybox
    user: nobody
    command: ["sleep", "1000032"]
x-placement:
  groups:
    duo: { mode: single, services: [app, helper] }
`);
      expectCode(await stack.berth(['up', '-d', '--progress', 'quiet']), 0);
      let state = (await docker.getContainer(group).inspect()).State;
      for (let i = 0; i < 100 && state.Running; i++) {
        await new Promise((r) => setTimeout(r, 100));
        state = (await docker.getContainer(group).inspect()).State;
      }
      expect(state.ExitCode).toBe(126);
      const logs = await stack.berth(['logs', '--no-log-prefix']);
      expect(logs.stdout + logs.stderr).toContain('berth: placement group duo (single) starts members as other users through setpriv (util-linux), which this image lacks');
      expectCode(await stack.berth(['down', '-t', '0', '--progress', 'quiet']), 0);
    } finally {
      stack.cleanup();
    }
  }, 120_000);
});
