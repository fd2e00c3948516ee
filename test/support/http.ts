// A plain HTTP GET of `/` on a published port (loopback by default), for tests of port publishing.
import { request } from 'node:http';

export function httpGet(port: number, host = '127.0.0.1'): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host, port, path: '/', timeout: 5000 }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve(body));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

/** GETs until a body comes back (the server in the container may still be starting); '' if none in ~4 s. */
export async function httpGetWhenUp(port: number, host = '127.0.0.1'): Promise<string> {
  let body = '';
  for (let i = 0; i < 40 && body === ''; i++) body = await httpGet(port, host).catch(() => new Promise<string>((r) => setTimeout(() => r(''), 100)));
  return body;
}
