// The example application, Redis variant: an HTTP service that answers each request with one
// Redis GET of a random key, so its latency is the app↔Redis round trip plus a little HTTP.
//
// It speaks RESP over node:net itself (a pool of pipelined connections, replies matched in order),
// so the example needs no client package. It does not know the layout it runs in: REDIS_HOSTS
// lists where Redis may be, in order of preference: a unix socket (reachable when app and Redis
// share a filesystem: `single`), localhost (a shared network namespace: `pod`), then the service
// name (separate containers on a bridge: `split`). The first that answers is used and reported by
// /health. Redis runs without persistence, so after a restart it is empty: every new pool loads
// the keys again.
import http from 'node:http';
import net from 'node:net';
import { existsSync } from 'node:fs';

const port = Number(process.env.PORT ?? 8080);
const candidates = (process.env.REDIS_HOSTS ?? '/tmp/redis.sock,localhost,redis').split(',').map((s) => s.trim()).filter(Boolean);
const poolSize = Number(process.env.POOL_SIZE ?? 8);
const redisPort = Number(process.env.REDIS_PORT ?? 6379);
const KEYS = 10_000;

function encode(args) {
  let out = `*${args.length}\r\n`;
  for (const a of args) out += `$${Buffer.byteLength(String(a))}\r\n${a}\r\n`;
  return out;
}

// One RESP value from buf at offset i: [value, next offset], or undefined when incomplete.
// Error replies come back as Error objects, so a reply never throws inside the parser.
function parse(buf, i) {
  const eol = buf.indexOf('\r\n', i);
  if (eol < 0) return undefined;
  const type = String.fromCharCode(buf[i]);
  const line = buf.toString('utf8', i + 1, eol);
  const next = eol + 2;
  if (type === '+') return [line, next];
  if (type === '-') return [new Error(line), next];
  if (type === ':') return [Number(line), next];
  if (type === '$') {
    const n = Number(line);
    if (n < 0) return [null, next];
    if (buf.length < next + n + 2) return undefined;
    return [buf.toString('utf8', next, next + n), next + n + 2];
  }
  if (type === '*') {
    const n = Number(line);
    if (n < 0) return [null, next];
    const items = [];
    let at = next;
    for (let k = 0; k < n; k++) {
      const r = parse(buf, at);
      if (!r) return undefined;
      items.push(r[0]);
      at = r[1];
    }
    return [items, at];
  }
  throw new Error(`unexpected RESP type byte ${buf[i]}`);
}

// One connection; commands are pipelined and their replies resolve in the order they were sent.
function connectOne(host) {
  return new Promise((resolve, reject) => {
    const sock = host.startsWith('/') ? net.createConnection(host) : net.createConnection({ host, port: redisPort });
    const pending = [];
    let buf = Buffer.alloc(0);
    const conn = {
      closed: false,
      send(...args) {
        if (conn.closed) return Promise.reject(new Error('connection to redis closed'));
        return new Promise((res, rej) => {
          pending.push({ res, rej });
          sock.write(encode(args));
        });
      },
      close: () => sock.end(),
    };
    const timer = setTimeout(() => sock.destroy(new Error(`connect to ${host} timed out`)), 1000);
    sock.setNoDelay(true);
    sock.once('connect', () => {
      clearTimeout(timer);
      resolve(conn);
    });
    sock.on('data', (chunk) => {
      buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
      let at = 0;
      for (let r; at < buf.length && (r = parse(buf, at)); at = r[1]) {
        const p = pending.shift();
        if (r[0] instanceof Error) p?.rej(r[0]);
        else p?.res(r[0]);
      }
      buf = buf.subarray(at);
    });
    const fail = (e) => {
      clearTimeout(timer);
      conn.closed = true;
      for (const p of pending.splice(0)) p.rej(e);
      reject(e);
    };
    sock.on('error', fail);
    sock.on('close', () => fail(new Error('connection to redis closed')));
  });
}

async function tryHost(host) {
  const unix = host.startsWith('/');
  if (unix && !existsSync(host)) throw new Error(`no socket ${host}`);
  const conns = [];
  try {
    for (let k = 0; k < poolSize; k++) conns.push(await connectOne(host));
    if ((await conns[0].send('PING')) !== 'PONG') throw new Error('PING not answered with PONG');
  } catch (e) {
    for (const c of conns) c.close();
    throw e;
  }
  return { conns, transport: unix ? `unix ${host}` : `tcp ${host}:${redisPort}` };
}

async function connect() {
  const errors = [];
  for (const host of candidates) {
    try {
      return await tryHost(host);
    } catch (e) {
      errors.push(`${host}: ${e.message}`);
    }
  }
  throw new Error(`redis not reachable: ${errors.join('; ')}`);
}

// The data set: KEYS small JSON values, written in one MSET (idempotent, a few milliseconds).
async function prepare(conn) {
  const args = ['MSET'];
  for (let id = 1; id <= KEYS; id++) args.push(`item:${id}`, JSON.stringify({ id, name: `item ${id}`, price: (id % 1000) / 10 }));
  await conn.send(...args);
}

let pool;
let connecting;
let transport = 'none';
let next = 0;

// Connect (again) when there is no pool or one of its connections dropped: Redis may still be
// starting, or restarting after a crash; one attempt at a time however many requests wait.
async function ensurePool() {
  if (pool && !pool.conns.some((c) => c.closed)) return pool;
  if (!connecting) {
    for (const c of pool?.conns ?? []) c.close();
    pool = undefined;
    connecting = (async () => {
      const found = await connect();
      await prepare(found.conns[0]);
      pool = found;
      transport = found.transport;
      console.log(`connected over ${transport}`);
      return found;
    })().finally(() => {
      connecting = undefined;
    });
  }
  return connecting;
}

function send(res, status, body) {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

const server = http.createServer(async (req, res) => {
  try {
    const p = await ensurePool();
    const conn = p.conns[next++ % p.conns.length];
    if (req.url === '/health') {
      await conn.send('PING');
      send(res, 200, { ok: true, db: transport });
    } else if (req.url?.startsWith('/query')) {
      const id = 1 + Math.floor(Math.random() * KEYS);
      const value = await conn.send('GET', `item:${id}`);
      send(res, 200, value === null ? null : JSON.parse(value));
    } else {
      send(res, 404, { error: 'not found' });
    }
  } catch (e) {
    send(res, 503, { error: e.message, db: transport });
  }
});
server.keepAliveTimeout = 60_000;
server.listen(port, '0.0.0.0', () => console.log(`api listening on :${port}, redis candidates ${candidates.join(', ')}`));
for (const sig of ['SIGTERM', 'SIGINT']) {
  process.on(sig, () => {
    server.close();
    for (const c of pool?.conns ?? []) c.close();
    process.exit(0);
  });
}
