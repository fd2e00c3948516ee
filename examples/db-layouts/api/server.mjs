// The example application: an HTTP service that answers each request with one PostgreSQL query
// (a primary-key lookup), so its latency is the app↔database round trip plus a little HTTP.
//
// It does not know the layout it runs in. DB_HOSTS lists where the database may be, in order of
// preference: a unix socket directory (reachable when app and database share a filesystem:
// `single`), localhost (a shared network namespace: `pod`), then the service name (separate
// containers on a bridge: `split`). The first that answers is used and reported by /health.
import http from 'node:http';
import { existsSync } from 'node:fs';
import pg from 'pg';

const port = Number(process.env.PORT ?? 8080);
const candidates = (process.env.DB_HOSTS ?? '/var/run/postgresql,localhost,db').split(',').map((s) => s.trim()).filter(Boolean);
const poolSize = Number(process.env.POOL_SIZE ?? 8);
const dbPort = Number(process.env.PGPORT ?? 5432);
const ROWS = 10_000;

let pool;
let transport = 'none';

async function tryHost(host) {
  const unix = host.startsWith('/');
  if (unix && !existsSync(`${host}/.s.PGSQL.${dbPort}`)) throw new Error(`no socket in ${host}`);
  const p = new pg.Pool({ host, port: dbPort, max: poolSize, connectionTimeoutMillis: 1000, idleTimeoutMillis: 0 });
  p.on('error', () => {}); // a dropped idle connection (database restarted) is replaced on next use
  try {
    await p.query('SELECT 1');
  } catch (e) {
    await p.end().catch(() => {});
    throw e;
  }
  return { pool: p, transport: unix ? `unix ${host}` : `tcp ${host}:${dbPort}` };
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
  throw new Error(`database not reachable: ${errors.join('; ')}`);
}

async function prepare(p) {
  await p.query('CREATE TABLE IF NOT EXISTS items (id integer PRIMARY KEY, name text NOT NULL, price numeric NOT NULL)');
  await p.query(
    `INSERT INTO items SELECT g, 'item ' || g, (g % 1000) / 10.0 FROM generate_series(1, ${ROWS}) g ON CONFLICT (id) DO NOTHING`,
  );
}

// Connect with retries: the database may still be starting (or restarting after a crash).
async function ensurePool() {
  if (pool) return pool;
  const found = await connect();
  await prepare(found.pool);
  pool = found.pool;
  transport = found.transport;
  console.log(`connected over ${transport}`);
  return pool;
}

function send(res, status, body) {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

const server = http.createServer(async (req, res) => {
  try {
    const p = await ensurePool();
    if (req.url === '/health') {
      await p.query('SELECT 1');
      send(res, 200, { ok: true, db: transport });
    } else if (req.url?.startsWith('/query')) {
      const id = 1 + Math.floor(Math.random() * ROWS);
      const r = await p.query('SELECT id, name, price FROM items WHERE id = $1', [id]);
      send(res, 200, r.rows[0] ?? null);
    } else {
      send(res, 404, { error: 'not found' });
    }
  } catch (e) {
    send(res, 503, { error: e.message, db: transport });
  }
});
server.keepAliveTimeout = 60_000;
server.listen(port, '0.0.0.0', () => console.log(`api listening on :${port}, database candidates ${candidates.join(', ')}`));
for (const sig of ['SIGTERM', 'SIGINT']) {
  process.on(sig, () => {
    server.close();
    Promise.resolve(pool?.end()).finally(() => process.exit(0));
  });
}
