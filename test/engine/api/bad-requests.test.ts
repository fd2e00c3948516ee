// Bad input over the raw Engine API: malformed JSON, wrong field types, unknown ids, invalid
// names and invalid options. The same requests go to the built-in engine and to a private dockerd
// 20.10; each must get dockerd's status and message, and never a 500 or a stack trace. dockerd
// 20.10 itself answers 500 to a few client mistakes (a body or filter that is not JSON, a wrong
// field type, a network without a name or with a bad subnet; later moby answers 400): there berth
// answers 400, and its message must name what is wrong (the field, or dockerd's own words).
import { request } from 'node:http';
import { describe, expect, it } from 'vitest';
import type { PrivateDockerd } from '../../compose/dockerd.js';
import { usePrivateDockerd, useTestEngine } from '../../support/engines.js';
import { dockerd, engineHost, requirePrereq } from '../../support/gates.js';

interface Answer {
  status: number;
  message: string;
}

function call(socketPath: string, method: string, path: string, body?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = body === undefined ? {} : { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) };
    const req = request({ socketPath, method, path: `/v1.41${path}`, headers }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => {
        let message = text.trim();
        try {
          message = (JSON.parse(text) as { message?: string }).message ?? message;
        } catch {
          // not JSON: compared as text
        }
        resolve({ status: res.statusCode ?? 0, message });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

interface BadRequest {
  name: string;
  method: string;
  path: string;
  body?: unknown;
  /**
   * dockerd 20.10 answers 500 here: berth must answer 400 with a message containing this (for a
   * JSON decoder's error, the field; Go's and JavaScript's decoders word the rest differently).
   */
  dockerd500?: string;
}

const create = (body: unknown, name?: string): Pick<BadRequest, 'method' | 'path' | 'body'> => ({ method: 'POST', path: `/containers/create${name ? `?name=${encodeURIComponent(name)}` : ''}`, body });

const REQUESTS: BadRequest[] = [
  { name: 'malformed JSON in a create body', ...create('{"Image": "busybox",'), dockerd500: 'invalid JSON' },
  { name: 'a string where Cmd is an array', ...create({ Image: 'busybox', Cmd: 5 }), dockerd500: 'Cmd' },
  { name: 'a string where Memory is a number', ...create({ Image: 'busybox', HostConfig: { Memory: 'x' } }), dockerd500: 'Memory' },
  { name: 'a create with no image', ...create({}) },
  { name: 'a create of an image that is not there', ...create({ Image: 'berth-absent/image:1' }) },
  { name: 'an invalid container name', ...create({ Image: 'busybox' }, 'bad/name') },
  { name: 'memory under the 6 MB floor', ...create({ Image: 'busybox', HostConfig: { Memory: 1024 } }) },
  { name: 'an unknown restart policy', ...create({ Image: 'busybox', HostConfig: { RestartPolicy: { Name: 'sometimes' } } }) },
  { name: 'a restart count with always', ...create({ Image: 'busybox', HostConfig: { RestartPolicy: { Name: 'always', MaximumRetryCount: 3 } } }) },
  { name: 'a bad port binding', ...create({ Image: 'busybox', ExposedPorts: { '80/tcp': {} }, HostConfig: { PortBindings: { '80/tcp': [{ HostPort: 'eighty' }] } } }) },
  { name: 'a bind mount with a relative source', ...create({ Image: 'busybox', HostConfig: { Binds: ['rel/path:/data'] } }) },
  { name: 'an unknown container', method: 'GET', path: '/containers/berth-nosuch/json' },
  { name: 'start of an unknown container', method: 'POST', path: '/containers/berth-nosuch/start' },
  { name: 'remove of an unknown container', method: 'DELETE', path: '/containers/berth-nosuch' },
  { name: 'logs of an unknown container', method: 'GET', path: '/containers/berth-nosuch/logs?stdout=1' },
  { name: 'an unknown image', method: 'GET', path: '/images/berth-nosuch:1/json' },
  { name: 'remove of an unknown image', method: 'DELETE', path: '/images/berth-nosuch:1' },
  { name: 'an unknown network', method: 'GET', path: '/networks/berth-nosuch' },
  { name: 'an unknown volume', method: 'GET', path: '/volumes/berth-nosuch' },
  { name: 'an unknown exec instance', method: 'GET', path: '/exec/berth-nosuch/json' },
  { name: 'an unknown list filter', method: 'GET', path: `/containers/json?filters=${encodeURIComponent('{"colour":["red"]}')}` },
  { name: 'a filter value out of its set', method: 'GET', path: `/containers/json?all=1&filters=${encodeURIComponent('{"status":["bogus"]}')}` },
  { name: 'filters that are not JSON', method: 'GET', path: '/containers/json?filters=notjson', dockerd500: 'invalid filter' },
  { name: 'an invalid volume name', method: 'POST', path: '/volumes/create', body: { Name: 'bad/name' } },
  { name: 'a network with no name', method: 'POST', path: '/networks/create', body: { Name: '' }, dockerd500: 'name' },
  { name: 'a network with an invalid subnet', method: 'POST', path: '/networks/create', body: { Name: 'berth-badnet', IPAM: { Config: [{ Subnet: '10.300.0.0/16' }] } }, dockerd500: 'Invalid subnet 10.300.0.0/16 : invalid CIDR address: 10.300.0.0/16' },
  { name: 'connect of an unknown container to an unknown network', method: 'POST', path: '/networks/berth-nosuch/connect', body: { Container: 'berth-nosuch' } },
];

describe('bad requests over the raw API: the built-in engine answers as dockerd does', () => {
  if (requirePrereq('bad requests', [...engineHost(), dockerd()])) return;
  let builtinSocket = '';
  let docker: PrivateDockerd;
  useTestEngine('badreq', (e) => {
    builtinSocket = e.socketPath;
  });
  usePrivateDockerd('badreq', (d) => {
    docker = d;
  });

  for (const r of REQUESTS) {
    it(r.name, async () => {
      const body = r.body === undefined ? undefined : typeof r.body === 'string' ? r.body : JSON.stringify(r.body);
      const [ours, theirs] = await Promise.all([call(builtinSocket, r.method, r.path, body), call(docker.socket, r.method, r.path, body)]);
      expect(ours.status, `${ours.message}\ndockerd: ${theirs.status} ${theirs.message}`).not.toBe(500);
      expect(ours.message).not.toMatch(/\n\s+at /);
      if (r.dockerd500 === undefined) {
        expect(JSON.stringify(ours)).toBe(JSON.stringify(theirs));
      } else {
        expect(theirs.status, `dockerd now answers ${theirs.status} ${theirs.message}: compare as usual`).toBe(500);
        expect(ours.status, ours.message).toBe(400);
        expect(ours.message).toContain(r.dockerd500);
      }
    });
  }
});
