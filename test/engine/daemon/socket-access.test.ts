// Who may reach the built-in engine (issue #19, "Socket and privilege"): its unix socket is 0660,
// owned by root and by the configured group, so a user outside the group cannot connect and a
// member can; an unknown group named explicitly is refused; TCP is off unless configured, and then
// served only with mutual TLS — the real docker CLI gets in with a client certificate of the
// engine's CA and is turned away without one or with another CA's; berth's own client follows
// DOCKER_HOST, DOCKER_TLS_VERIFY and DOCKER_CERT_PATH as the docker CLI does.
//
// The engine runs as a process through bin/berth.js (dist/, so `npm run build` first), so the flags
// are the CLI's and `ss` can tell its listeners apart. Certificates are made here with openssl;
// the users are `nobody` and the test's own temporary group (setpriv switches to them).

import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dockerHostOptions, type DockerPort } from '../../../src/client/docker-port.js';
import { selectEngine } from '../../../src/client/select.js';
import { daemonSettings } from '../../../src/engine/daemon/daemon-config.js';
import { pingSocket } from '../../../src/engine/daemon/daemon.js';
import { listenAddresses, lookupGroup, parseHost } from '../../../src/engine/daemon/listen-config.js';
import { listLinks } from '../../../src/engine/networks/sysnet.js';
import { DOCKER_CLI, engineHost, file, requirePrereq, tools } from '../../support/gates.js';
import { runCli } from '../../cli/run-cli.js';
import { busyboxTar } from '../helpers/daemon-harness.js';
import { closeOnRoot } from '../helpers/daemon-process.js';
import { runDockerCli } from '../helpers/docker-cli.js';
import { freeLoopbackPort } from '../../support/ports.js';

const repoRoot = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../..');
const BERTH = path.join(repoRoot, 'bin', 'berth.js');
const TCP_NEEDS = 'TCP needs --tlsverify with --tlscacert, --tlscert and --tlskey';

const scratch = mkdtempSync(path.join(tmpdir(), 'berth-access-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('access settings', () => {
  const noWarn = (m: string): never => {
    throw new Error(`unexpected warning: ${m}`);
  };
  const groupFile = path.join(scratch, 'group');
  writeFileSync(groupFile, 'root:x:0:\nengineers:x:1234:alice\n');

  it('serves the socket alone by default, and only the hosts named when there are any', async () => {
    expect(await listenAddresses({ group: '' }, '/run/x/engine.sock', noWarn)).toEqual([{ kind: 'unix', path: '/run/x/engine.sock' }]);
    expect(await listenAddresses({ hosts: ['unix:///a.sock', 'unix://'], group: '' }, '/run/x/engine.sock', noWarn)).toEqual([
      { kind: 'unix', path: '/a.sock' },
      { kind: 'unix', path: '/run/x/engine.sock' },
    ]);
    expect(parseHost('tcp://127.0.0.1', '/s')).toEqual({ kind: 'tcp', host: '127.0.0.1', port: 2376 });
    expect(parseHost('tcp://[::1]:1234', '/s')).toEqual({ kind: 'tcp', host: '::1', port: 1234 });
    expect(() => parseHost('fd://', '/s')).toThrow(/fd:\/\/\) is not supported/);
    expect(() => parseHost('unix://engine.sock', '/s')).toThrow(/must be absolute/);
    expect(() => parseHost('tcp://:2376', '/s')).toThrow(/name the address to listen on/);
    await expect(listenAddresses({ hosts: ['unix:///a', 'unix:///a'] }, '/s', noWarn)).rejects.toThrow(/names unix:\/\/\/a twice/);
  });

  it('gives the socket the group named (by name or gid), refuses an unknown one, and warns when the default one is missing', async () => {
    expect(await listenAddresses({ group: 'engineers' }, '/s', noWarn, groupFile)).toEqual([{ kind: 'unix', path: '/s', gid: 1234 }]);
    expect(await listenAddresses({ group: '1234' }, '/s', noWarn, groupFile)).toEqual([{ kind: 'unix', path: '/s', gid: 1234 }]);
    // A number the file does not list is taken as a gid, as dockerd does.
    expect(await lookupGroup('4321', groupFile)).toBe(4321);
    await expect(listenAddresses({ group: 'nosuchgroup' }, '/s', noWarn, groupFile)).rejects.toThrow('socket group "nosuchgroup" does not exist: create it (groupadd nosuchgroup) or name another with --group');
    const warnings: string[] = [];
    expect(await listenAddresses({}, '/s', (m) => warnings.push(m), groupFile)).toEqual([{ kind: 'unix', path: '/s' }]);
    expect(warnings).toEqual(['the socket group "docker" does not exist: the socket stays root:root 0660 (create the group, or name another with --group)']);
    writeFileSync(path.join(scratch, 'group-docker'), 'docker:x:999:\n');
    expect(await listenAddresses({}, '/s', noWarn, path.join(scratch, 'group-docker'))).toEqual([{ kind: 'unix', path: '/s', gid: 999 }]);
  });

  it('refuses TCP without mutual TLS, server-only TLS, and TLS settings with no TCP host', async () => {
    await expect(listenAddresses({ hosts: ['tcp://127.0.0.1:2376'] }, '/s', noWarn)).rejects.toThrow(`${TCP_NEEDS} (missing: --tlsverify, --tlscacert, --tlscert, --tlskey): the berth engine serves TCP only over mutual TLS, never plain`);
    await expect(listenAddresses({ hosts: ['tcp://127.0.0.1:2376'], tls: true, tlsCert: '/c', tlsKey: '/k' }, '/s', noWarn)).rejects.toThrow(/--tls without --tlsverify would admit clients without a certificate/);
    await expect(listenAddresses({ hosts: ['tcp://127.0.0.1:2376'], tlsVerify: true, tlsCert: '/c', tlsKey: '/k' }, '/s', noWarn)).rejects.toThrow('(missing: --tlscacert)');
    await expect(listenAddresses({ hosts: ['tcp://127.0.0.1:2376'], tlsVerify: true, tlsCaCert: path.join(scratch, 'none.pem'), tlsCert: '/c', tlsKey: '/k' }, '/s', noWarn)).rejects.toThrow(`cannot read --tlscacert ${path.join(scratch, 'none.pem')}: ENOENT`);
    await expect(listenAddresses({ tlsVerify: true, tlsCaCert: '/ca' }, '/s', noWarn)).rejects.toThrow('--tlsverify, --tlscacert apply to tcp:// hosts, and none is given (add -H tcp://host:port)');
    await expect(listenAddresses({ hosts: ['tcp://127.0.0.1:1'], group: 'engineers' }, '/s', noWarn)).rejects.toThrow(TCP_NEEDS);
  });

  it("reads dockerd's daemon.json keys, and refuses a setting given both there and as a flag", async () => {
    const root = mkdtempSync(path.join(scratch, 'root-'));
    writeFileSync(path.join(root, 'daemon.json'), JSON.stringify({ hosts: ['tcp://127.0.0.1:2376'], group: 'engineers', tlsverify: true, tlscacert: '/ca.pem', tlscert: '/cert.pem', tlskey: '/key.pem' }));
    expect((await daemonSettings(root, {})).access).toEqual({ hosts: ['tcp://127.0.0.1:2376'], group: 'engineers', tlsVerify: true, tlsCaCert: '/ca.pem', tlsCert: '/cert.pem', tlsKey: '/key.pem' });
    await expect(daemonSettings(root, { host: ['unix:///x.sock'] })).rejects.toThrow(`-H and "hosts" in ${path.join(root, 'daemon.json')} both set hosts: keep one`);
    await expect(daemonSettings(root, { group: 'other' })).rejects.toThrow(/--group and "group" in .* both set group/);
    writeFileSync(path.join(root, 'daemon.json'), '{"tlsverify": "yes"}');
    await expect(daemonSettings(root, {})).rejects.toThrow(/tlsverify must be a boolean/);
  });

  it("sets up the client's TLS from DOCKER_TLS_VERIFY and DOCKER_CERT_PATH, as the docker CLI", () => {
    const certs = mkdtempSync(path.join(scratch, 'certs-'));
    expect(dockerHostOptions('tcp://127.0.0.1', {})).toEqual({ host: '127.0.0.1', port: 2375 });
    expect(() => dockerHostOptions('tcp://127.0.0.1', { DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: certs })).toThrow(`cannot read ${path.join(certs, 'ca.pem')}: ENOENT`);
    writeFileSync(path.join(certs, 'ca.pem'), 'CA');
    expect(dockerHostOptions('tcp://127.0.0.1', { DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: certs })).toEqual({ host: '127.0.0.1', port: 2376, tls: { verify: true, ca: Buffer.from('CA') } });
    writeFileSync(path.join(certs, 'cert.pem'), 'CERT');
    expect(() => dockerHostOptions('tcp://127.0.0.1:1', { DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: certs })).toThrow(/key\.pem is missing/);
    writeFileSync(path.join(certs, 'key.pem'), 'KEY');
    expect(dockerHostOptions('tcp://127.0.0.1:1', { DOCKER_TLS: '1', DOCKER_CERT_PATH: certs })).toEqual({ host: '127.0.0.1', port: 1, tls: { verify: false, cert: Buffer.from('CERT'), key: Buffer.from('KEY') } });
    // A socket is never TLS.
    expect(dockerHostOptions('unix:///x.sock', { DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: certs })).toEqual({ socketPath: '/x.sock' });
  });
});

// ---- the engine as a process ----

const built = existsSync(path.join(repoRoot, 'dist', 'cli', 'main.js'));
const skipEngine = requirePrereq('engine socket and TLS access', [
  ...engineHost(),
  ...tools(['openssl', 'setpriv', 'groupadd', 'groupdel', 'ss', DOCKER_CLI]),
  file('dist/ (the engine runs through bin/berth.js)', built, 'npm run build'),
]);

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = { PATH: process.env.PATH ?? '/usr/bin:/bin' }): Run {
  const r = spawnSync(cmd, args, { env, encoding: 'utf8', timeout: 30_000, cwd: '/' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A CA, and certificates it signs (EC keys: quick to make). */
function makeCa(dir: string, name: string): { ca: string; issue(file: string, cn: string, ext: string): { cert: string; key: string } } {
  mkdirSync(dir, { recursive: true });
  const ca = path.join(dir, 'ca.pem');
  const caKey = path.join(dir, 'ca-key.pem');
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  execFileSync('openssl', ['req', '-x509', ...ec, '-keyout', caKey, '-out', ca, '-days', '1', '-subj', `/CN=${name}`], { stdio: 'ignore' });
  return {
    ca,
    issue(base, cn, ext) {
      const [cert, key, csr, extFile] = [`${base}-cert.pem`, `${base}-key.pem`, `${base}.csr`, `${base}.ext`].map((f) => path.join(dir, f));
      writeFileSync(extFile, `${ext}\n`);
      execFileSync('openssl', ['req', ...ec, '-keyout', key, '-out', csr, '-subj', `/CN=${cn}`], { stdio: 'ignore' });
      execFileSync('openssl', ['x509', '-req', '-in', csr, '-CA', ca, '-CAkey', caKey, '-CAcreateserial', '-out', cert, '-days', '1', '-extfile', extFile], { stdio: 'ignore' });
      return { cert, key };
    },
  };
}

/**
 * The TCP addresses `pid` listens on (`ss -ltnp`), but for the name server the engine runs for its
 * containers on each of its bridges' gateway (port 53 there): that one is no way to its API.
 */
async function tcpListenersOf(pid: number, root: string): Promise<string[]> {
  const bridges = (await listLinks()).filter((l) => l.ifalias === `berth ${root}`);
  const dns = new Set(bridges.flatMap((b) => [...run('ip', ['-4', '-o', 'addr', 'show', 'dev', b.ifname]).stdout.matchAll(/inet (\S+)\//g)].map((m) => `${m[1]}:53`)));
  return run('ss', ['-Hltnp'])
    .stdout.split('\n')
    .filter((l) => l.includes(`pid=${pid},`))
    .map((l) => l.trim().split(/\s+/)[3])
    .filter((a) => !dns.has(a));
}

/** `GET /_ping` on the socket as uid/gid 65534 (nobody), with `groups` as its supplementary groups. */
function pingAsNobody(socket: string, groups: number[] | undefined): string {
  const script = `require('http').get({ socketPath: ${JSON.stringify(socket)}, path: '/_ping' }, (r) => { r.resume(); console.log('HTTP ' + r.statusCode); }).on('error', (e) => console.log(e.code))`;
  const who = ['--reuid=65534', '--regid=65534', ...(groups ? [`--groups=${groups.join(',')}`] : ['--clear-groups'])];
  const r = run('setpriv', [...who, '--', process.execPath, '-e', script]);
  return (r.stdout + r.stderr).trim();
}

describe.skipIf(skipEngine)('the engine process: socket owner and mode, TCP only with mutual TLS', () => {
  let dir: string;
  let root: string;
  let runRoot: string;
  let socket: string;
  let certs: string;
  let group: string;
  let gid: number;
  let server: { cert: string; key: string };
  let client: { cert: string; key: string };
  let stranger: { cert: string; key: string; ca: string };
  let engine: ChildProcess | undefined;
  let engineErr = '';
  const cgroupParent = `/berth-test-access-${process.pid}`;

  function engineArgs(extra: string[]): string[] {
    return ['--', BERTH, 'engine', 'run', '--root', root, '--run-root', runRoot, '--cgroup-parent', cgroupParent, ...extra];
  }

  /** `berth engine run …` that is expected to refuse to start. */
  function refusedRun(extra: string[]): Run {
    return run(process.execPath, engineArgs(extra));
  }

  /** Starts `berth engine run …` and waits until the socket answers. */
  async function startEngine(extra: string[], socketPath = socket): Promise<ChildProcess> {
    engineErr = '';
    const child = spawn(process.execPath, engineArgs(extra), { stdio: ['ignore', 'ignore', 'pipe'], cwd: '/' });
    child.stderr!.on('data', (d: Buffer) => (engineErr += d.toString()));
    engine = child;
    for (let i = 0; i < 300; i++) {
      if (child.exitCode !== null) throw new Error(`the engine exited with ${child.exitCode}: ${engineErr}`);
      if (await pingSocket(socketPath, 500)) return child;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`the engine did not answer on ${socketPath}: ${engineErr}`);
  }

  async function stopEngine(): Promise<void> {
    const child = engine;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill('SIGTERM');
    await exited;
    engine = undefined;
    expect(child.exitCode, engineErr).toBe(0);
  }

  beforeAll(() => {
    // nobody must be able to walk to the socket, so that only the socket's own mode keeps it out.
    dir = mkdtempSync('/tmp/bd-access-');
    chmodSync(dir, 0o711);
    root = path.join(dir, 'root');
    runRoot = path.join(dir, 'run');
    socket = path.join(runRoot, 'engine.sock');
    certs = path.join(dir, 'certs');
    const ours = makeCa(certs, 'berth test CA');
    server = ours.issue('server', '127.0.0.1', 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth');
    client = ours.issue('client', 'client', 'extendedKeyUsage=clientAuth');
    // Another CA under the same name: the docker CLI (Go) offers only a certificate whose issuer is
    // named in the server's request, so a differently named CA's would never reach the check.
    const other = makeCa(path.join(certs, 'other'), 'berth test CA');
    stranger = { ...other.issue('client', 'client', 'extendedKeyUsage=clientAuth'), ca: other.ca };
    group = `berthsock${process.pid}`;
    execFileSync('groupadd', [group]);
    gid = Number(execFileSync('getent', ['group', group], { encoding: 'utf8' }).split(':')[2]);
  }, 60_000);

  afterAll(async () => {
    if (engine && engine.exitCode === null) {
      const child = engine;
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGKILL');
      await exited;
    }
    if (group) spawnSync('groupdel', [group]);
    // What the engine made goes with the test, through the check every engine test ends with.
    if (root) await closeOnRoot({ root, runRoot, socketPath: socket, cgroupParent }, [dir]);
  }, 60_000);

  it('makes the socket root:<group> 0660: nobody is refused, a member of the group gets in, and there is no TCP listener', async () => {
    const child = await startEngine(['--group', group]);
    try {
      const st = statSync(socket);
      expect(st.isSocket()).toBe(true);
      expect(st.mode & 0o7777).toBe(0o660);
      expect(st.uid).toBe(0);
      expect(st.gid).toBe(gid);
      // No other file was left in the socket's directory on the way (the private bind directory).
      expect(readdirSync(runRoot).filter((n) => n.startsWith('.s'))).toEqual([]);
      expect(pingAsNobody(socket, undefined)).toBe('EACCES');
      expect(pingAsNobody(socket, [gid])).toBe('HTTP 200');
      expect(await tcpListenersOf(child.pid!, root)).toEqual([]);
    } finally {
      await stopEngine();
    }
    expect(existsSync(socket)).toBe(false);
  }, 60_000);

  it('refuses an unknown group named explicitly, TCP without mutual TLS, and server-only TLS', async () => {
    const unknown = refusedRun(['--group', 'no-such-group-berth']);
    expect(unknown.code, unknown.stderr).toBe(1);
    expect(unknown.stderr).toContain('socket group "no-such-group-berth" does not exist: create it (groupadd no-such-group-berth) or name another with --group');
    const port = await freeLoopbackPort();
    const plain = refusedRun(['-H', `tcp://127.0.0.1:${port}`]);
    expect(plain.code, plain.stderr).toBe(1);
    expect(plain.stderr).toContain(TCP_NEEDS);
    expect(plain.stderr).toContain('never plain (dockerd would allow it with a warning)');
    const serverOnly = refusedRun(['-H', `tcp://127.0.0.1:${port}`, '--tls', '--tlscert', server.cert, '--tlskey', server.key]);
    expect(serverOnly.code, serverOnly.stderr).toBe(1);
    expect(serverOnly.stderr).toContain('--tls without --tlsverify would admit clients without a certificate');
    const both = refusedRun(['--socket', socket, '-H', `unix://${socket}`]);
    expect(both.code, both.stderr).toBe(2);
    expect(both.stderr).toContain('--socket and -H (or "hosts" in daemon.json) both say where to serve');
    // None of them left anything listening or a socket behind.
    expect(existsSync(socket)).toBe(false);
    expect(run('ss', ['-Hltn', `sport = :${port}`]).stdout.trim()).toBe('');
  }, 60_000);

  it('serves TCP with mutual TLS: the docker CLI and berth get in with a certificate of its CA, never without one or with another CA', async () => {
    let port = await freeLoopbackPort();
    let child: ChildProcess;
    const tlsFlags = ['--tlsverify', '--tlscacert', path.join(certs, 'ca.pem'), '--tlscert', server.cert, '--tlskey', server.key];
    try {
      child = await startEngine(['-H', `unix://${socket}`, '-H', `tcp://127.0.0.1:${port}`, ...tlsFlags]);
    } catch {
      // The free port was taken in between: once more with another.
      port = await freeLoopbackPort();
      child = await startEngine(['-H', `unix://${socket}`, '-H', `tcp://127.0.0.1:${port}`, ...tlsFlags]);
    }
    try {
      const host = `tcp://127.0.0.1:${port}`;
      expect(await tcpListenersOf(child.pid!, root)).toEqual([`127.0.0.1:${port}`]);
      // No --group: the default, docker when that group exists (else root's).
      expect(statSync(socket).gid).toBe((await lookupGroup('docker')) ?? 0);
      const cli = { dir, socketPath: socket };
      const clientTls = ['--tlsverify', '--tlscacert', path.join(certs, 'ca.pem'), '--tlscert', client.cert, '--tlskey', client.key];

      const ok = await runDockerCli(cli, ['-H', host, ...clientTls, 'version', '--format', '{{.Server.Platform.Name}}|{{.Server.APIVersion}}']);
      expect(ok.code, ok.stderr).toBe(0);
      expect(ok.stdout).toMatch(/^berth.*\|1\.\d+\n$/);
      const ps = await runDockerCli(cli, ['-H', host, ...clientTls, 'ps', '-a']);
      expect(ps.code, ps.stderr).toBe(0);
      expect(ps.stdout).toMatch(/^CONTAINER ID/);
      // An upload and a hijacked connection (attach) over TLS too.
      const imported = await runDockerCli(cli, ['-H', host, ...clientTls, 'import', '-', 'busybox:tls'], { input: await busyboxTar(dir) });
      expect(imported.code, imported.stderr).toBe(0);
      const ran = await runDockerCli(cli, ['-H', host, ...clientTls, 'run', '--rm', '--network', 'none', 'busybox:tls', 'echo', 'over mutual TLS']);
      expect(ran, ran.stderr).toMatchObject({ code: 0, stdout: 'over mutual TLS\n' });

      // No client certificate: the handshake is refused.
      const anonymous = await runDockerCli(cli, ['-H', host, '--tlsverify', '--tlscacert', path.join(certs, 'ca.pem'), 'version', '--format', '{{.Server.Version}}']);
      expect(anonymous.code).not.toBe(0);
      expect(anonymous.stderr).toMatch(/remote error: tls: (bad certificate|certificate required)/);
      // A certificate of another CA (under the same name): refused too. Node checks it after the
      // handshake and ends the connection without an alert, so the CLI sees it closed; the engine
      // logs why.
      const foreign = await runDockerCli(cli, ['-H', host, '--tlsverify', '--tlscacert', path.join(certs, 'ca.pem'), '--tlscert', stranger.cert, '--tlskey', stranger.key, 'version', '--format', '{{.Server.Version}}']);
      expect(foreign.code).not.toBe(0);
      expect(foreign.stderr).toMatch(/error during connect: .*(EOF|connection reset by peer)/);
      expect(readFileSync(path.join(runRoot, 'engine.log'), 'utf8')).toContain('refused: its certificate does not verify (UNABLE_TO_VERIFY_LEAF_SIGNATURE)');
      // Plain HTTP on the TLS port: nothing.
      const plain = await runDockerCli(cli, ['-H', host, 'version', '--format', '{{.Server.Version}}']);
      expect(plain.code).not.toBe(0);

      // berth's own client, from the docker CLI's environment variables.
      const certPath = path.join(dir, 'client-certs');
      mkdirSync(certPath);
      execFileSync('cp', [path.join(certs, 'ca.pem'), path.join(certPath, 'ca.pem')]);
      execFileSync('cp', [client.cert, path.join(certPath, 'cert.pem')]);
      execFileSync('cp', [client.key, path.join(certPath, 'key.pem')]);
      const env = { DOCKER_HOST: host, DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: certPath };
      const selected = await selectEngine({ env, cwd: dir });
      expect(selected).toMatchObject({ kind: 'builtin', description: `built-in engine at ${host}`, running: true });
      expect(await selected.port.containers.list({ all: true })).toEqual([]);
      // dockerode (streams, attach) connects with the same certificate.
      const pong = (await (selected.port as DockerPort).docker.ping()) as unknown as Buffer | string;
      expect(String(pong)).toBe('OK');
      const project = path.join(dir, 'project');
      mkdirSync(project);
      writeFileSync(path.join(project, 'compose.yaml'), 'name: access\nservices:\n  web:\n    image: busybox\n');
      const berthPs = await runCli(['ps', '--format', 'json'], { cwd: project, env });
      // It reached the engine (a failed selection exits 1, as below) and the stack has no containers.
      expect(berthPs, berthPs.stderr).toMatchObject({ code: 0, stderr: '', stdout: '' });
      // Without the variables that say TLS, or with another CA's certificate, berth is refused as well.
      const plainBerth = await runCli(['ps'], { cwd: project, env: { DOCKER_HOST: host } });
      expect(plainBerth.code).toBe(1);
      expect(plainBerth.stderr).toContain('if the engine serves TLS, set DOCKER_TLS_VERIFY=1 and DOCKER_CERT_PATH');
      const strangerPath = path.join(dir, 'stranger-certs');
      mkdirSync(strangerPath);
      execFileSync('cp', [path.join(certs, 'ca.pem'), path.join(strangerPath, 'ca.pem')]);
      execFileSync('cp', [stranger.cert, path.join(strangerPath, 'cert.pem')]);
      execFileSync('cp', [stranger.key, path.join(strangerPath, 'key.pem')]);
      const strangerBerth = await runCli(['ps'], { cwd: project, env: { ...env, DOCKER_CERT_PATH: strangerPath } });
      expect(strangerBerth.code).toBe(1);
      expect(strangerBerth.stderr).toContain('a TLS engine closes the connection on a client certificate it does not accept: check cert.pem and key.pem in DOCKER_CERT_PATH');
    } finally {
      await stopEngine();
    }
    expect(existsSync(socket)).toBe(false);
  }, 90_000);

  it('starts in the background on TCP alone, and status and stop find it there', async () => {
    const port = await freeLoopbackPort();
    const host = `tcp://127.0.0.1:${port}`;
    const where = ['--root', root, '--run-root', runRoot];
    const tlsFlags = ['--tlsverify', '--tlscacert', path.join(certs, 'ca.pem'), '--tlscert', server.cert, '--tlskey', server.key];
    const berth = (args: string[]): Run => run(process.execPath, ['--', BERTH, 'engine', ...args, ...where]);
    const started = berth(['start', '--cgroup-parent', cgroupParent, '-H', host, ...tlsFlags]);
    expect(started, started.stderr).toMatchObject({ code: 0 });
    expect(started.stdout).toMatch(new RegExp(`^berth engine started \\(pid \\d+\\) on ${host}\n$`));
    try {
      // Only the host named: no socket.
      expect(existsSync(socket)).toBe(false);
      expect(berth(['status', '-H', host])).toMatchObject({ code: 0, stdout: `running (pid ${/\(pid (\d+)\)/.exec(started.stdout)![1]})\nhost: ${host}\nroot: ${root}\n` });
      const ok = await runDockerCli({ dir, socketPath: socket }, ['-H', host, '--tlsverify', '--tlscacert', path.join(certs, 'ca.pem'), '--tlscert', client.cert, '--tlskey', client.key, 'version', '--format', '{{.Server.Platform.Name}}']);
      expect(ok.code, ok.stderr).toBe(0);
    } finally {
      expect(berth(['stop'])).toMatchObject({ code: 0 });
    }
    expect(run('ss', ['-Hltn', `sport = :${port}`]).stdout.trim()).toBe('');
  }, 60_000);
});
