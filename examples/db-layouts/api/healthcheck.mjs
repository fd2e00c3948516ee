// Container health check of the api: healthy once /health answers 200 (the database answered too).
import http from 'node:http';
const req = http.get({ host: '127.0.0.1', port: Number(process.env.PORT ?? 8080), path: '/health', timeout: 2000 }, (res) => {
  res.resume();
  process.exit(res.statusCode === 200 ? 0 : 1);
});
req.on('error', () => process.exit(1));
req.on('timeout', () => req.destroy(new Error('timeout')));
