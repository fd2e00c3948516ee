// A real registry for tests: Debian's docker-registry (distribution 2.8) on 127.0.0.1, a port
// the kernel picks (read back from its "listening on" log line), a temporary filesystem store
// and a generated config; open, with htpasswd (basic) auth, or with token auth against a token
// server. stop() kills it and removes everything it made.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface TestRegistry {
  /** host:port, e.g. 127.0.0.1:40123 */
  host: string;
  port: number;
  root: string;
  /** Everything the registry logged so far (access log included). */
  log(): string;
  stop(): Promise<void>;
}

export type RegistryAuth =
  | { htpasswd: Record<string, string> }
  | { token: { realm: string; service: string; issuer: string; rootCertBundle: string } };

export async function startRegistry(opts: { auth?: RegistryAuth; tls?: { cert: string; key: string } } = {}): Promise<TestRegistry> {
  const root = mkdtempSync(path.join(tmpdir(), 'berth-registry-'));
  let auth = '';
  if (opts.auth && 'htpasswd' in opts.auth) {
    const lines = Object.entries(opts.auth.htpasswd).map(([u, p]) => {
      const r = spawnSync('htpasswd', ['-Bbn', u, p], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`htpasswd failed: ${r.stderr}`);
      return r.stdout.trim();
    });
    writeFileSync(path.join(root, 'htpasswd'), `${lines.join('\n')}\n`);
    auth = `auth:\n  htpasswd:\n    realm: berth-test\n    path: ${path.join(root, 'htpasswd')}\n`;
  } else if (opts.auth && 'token' in opts.auth) {
    const t = opts.auth.token;
    auth = `auth:\n  token:\n    realm: ${t.realm}\n    service: ${t.service}\n    issuer: ${t.issuer}\n    rootcertbundle: ${t.rootCertBundle}\n`;
  }
  const tls = opts.tls ? `  tls:\n    certificate: ${opts.tls.cert}\n    key: ${opts.tls.key}\n` : '';
  const config = `version: 0.1
log:
  level: info
  accesslog:
    disabled: false
storage:
  filesystem:
    rootdirectory: ${path.join(root, 'data')}
  delete:
    enabled: true
http:
  addr: 127.0.0.1:0
  secret: berth-test-secret
${tls}${auth}`;
  writeFileSync(path.join(root, 'config.yml'), config);
  const child = spawn('docker-registry', ['serve', path.join(root, 'config.yml')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  const onData = (d: Buffer): void => {
    log += d.toString('utf8');
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
    rmSync(root, { recursive: true, force: true });
  };
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`docker-registry did not start:\n${log}`)), 15_000);
    const check = (): void => {
      const m = /listening on 127\.0\.0\.1:(\d+)/.exec(log);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    };
    child.stdout.on('data', check);
    child.stderr.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`docker-registry exited (${code}):\n${log}`));
    });
  }).catch(async (e: unknown) => {
    await stop();
    throw e;
  });
  return { host: `127.0.0.1:${port}`, port, root, log: () => log, stop };
}
