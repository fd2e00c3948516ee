// A way in from the host to a port published on a lab node. The host has no address on the lab
// (on purpose: traffic stays inside the lab's namespaces), so this makes one: a small Node.js relay
// started inside the node's network namespace listens on a unix socket (the file system is shared,
// namespaces or not) and connects each stream to 127.0.0.1:<port> there — where the node's dockerd
// publishes host-mode ports; a TCP listener on the host's loopback hands each connection to that
// socket. One relay per node and port, whatever the number of connections. `berth compare` on a
// lab loads the app through it.
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';
import path from 'node:path';
import { LabError } from './host.js';
import type { LabNodeState } from './state.js';

export interface Forward {
  /** `http://127.0.0.1:<port>`: the node's published port, seen from the host. */
  url: string;
  close(): Promise<void>;
}

const RELAY = `
const net = require('node:net');
const [socket, port] = process.argv.slice(1);
net.createServer((c) => {
  const t = net.connect(Number(port), '127.0.0.1');
  c.on('error', () => t.destroy());
  t.on('error', () => c.destroy());
  c.pipe(t).pipe(c);
}).listen(socket, () => process.stdout.write('ready\\n'));
process.on('SIGTERM', () => process.exit(0));
`;

export async function forwardToNode(node: Pick<LabNodeState, 'name' | 'netns' | 'dir'>, port: number): Promise<Forward> {
  const socket = path.join(node.dir, `fwd-${port}-${process.pid}.sock`);
  rmSync(socket, { force: true });
  const relay: ChildProcess = spawn('nsenter', [`--net=${node.netns}`, '--', process.execPath, '-e', RELAY, socket, String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
  await new Promise<void>((resolve, reject) => {
    let err = '';
    relay.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    relay.stdout!.once('data', () => resolve());
    relay.once('exit', (code) => reject(new LabError(`the relay into ${node.name} exited (${code}): ${err.trim()}`)));
    relay.once('error', reject);
  });
  const open = new Set<{ destroy(): void }>();
  const server: Server = createServer((c) => {
    const u = connect(socket);
    open.add(c);
    c.on('close', () => open.delete(c));
    c.on('error', () => u.destroy());
    u.on('error', () => c.destroy());
    c.pipe(u).pipe(c);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new LabError('the host side of the relay has no TCP port');
  return {
    url: `http://127.0.0.1:${address.port}`,
    close: async () => {
      // Keep-alive clients may still hold connections: they end with the relay.
      for (const c of open) c.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      relay.kill('SIGTERM');
      rmSync(socket, { force: true });
    },
  };
}
