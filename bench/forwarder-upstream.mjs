// The upstream of the forwarder benchmark (bench/forwarder.ts), in its own process: plain node:http
// on loopback, keep-alive as Node does by default, answering every GET with the same body of argv[2] bytes
// (`/echo` answers what it received instead, as JSON, for the benchmark's sanity check).
// Tells its port to the parent over IPC.
import './exit-with-parent.mjs';
import { createServer } from 'node:http';

const BODY = Buffer.from('x'.repeat(Number(process.argv[2] ?? 1024)));

const server = createServer((req, res) => {
  req.resume();
  if (req.url === '/echo') {
    const text = JSON.stringify({ method: req.method, url: req.url, rawHeaders: req.rawHeaders });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
    return;
  }
  res.writeHead(200, { 'content-type': 'text/plain', 'content-length': BODY.length });
  res.end(BODY);
});
server.listen(0, '127.0.0.1', () => process.send?.({ port: server.address().port }));
