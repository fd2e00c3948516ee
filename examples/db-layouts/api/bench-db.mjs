// Round trips from here to the database, one at a time, per transport given on the command line:
//   node bench-db.mjs /var/run/postgresql localhost db
// Prints the mean and p50 of N primary-key lookups through each; a check of where app↔db time goes.
import pg from 'pg';
const n = Number(process.env.N ?? 2000);
for (const host of process.argv.slice(2)) {
  const c = new pg.Client({ host, port: Number(process.env.PGPORT ?? 5432) });
  try {
    await c.connect();
  } catch (e) {
    console.log(`${host}: ${e.message}`);
    continue;
  }
  const t = [];
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint();
    await c.query('SELECT id, name, price FROM items WHERE id = $1', [1 + (i % 1000)]);
    t.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  await c.end();
  t.sort((a, b) => a - b);
  console.log(`${host}: mean ${(t.reduce((a, b) => a + b, 0) / n).toFixed(3)} ms, p50 ${t[n >> 1].toFixed(3)} ms, p99 ${t[Math.floor(n * 0.99)].toFixed(3)} ms`);
}
