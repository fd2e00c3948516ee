-- pgbench script: the same primary-key lookup the app serves, without HTTP in between.
--   berth compare -f examples/db-layouts/compose.yaml \
--     --workload 'pgbench -n -U postgres -f /app/api/lookup.sql -c "$BERTH_COMPARE_CLIENTS" -T "$BERTH_COMPARE_SECONDS" postgres'
\set id random(1, 10000)
SELECT id, name, price FROM items WHERE id = :id;
