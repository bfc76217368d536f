/**
 * Starts the Rollgate App's HTTP server. Until the webhook handlers land, it answers Probot's
 * health endpoint (`GET /ping` → `PONG`) and refuses webhooks with 503 so GitHub shows the
 * delivery as failed rather than silently accepted.
 */
import http from 'node:http';

const port = Number(process.env.PORT ?? 3000);
const host = process.env.HOST ?? 'localhost';
const webhookPath = process.env.WEBHOOK_PATH ?? '/api/github/webhooks';

const server = http.createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/ping') {
    res.writeHead(200, { 'content-type': 'text/plain' }).end('PONG');
    return;
  }
  if (req.url === webhookPath) {
    res.writeHead(503, { 'content-type': 'text/plain' }).end('Rollgate does not handle webhooks yet.\n');
    return;
  }
  res.writeHead(404, { 'content-type': 'text/plain' }).end('Not found\n');
});

server.listen(port, host, () => {
  console.log(`Rollgate App listening on http://${host}:${port} (webhooks at ${webhookPath})`);
});
