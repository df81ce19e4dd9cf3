// A reference for the forwarder benchmark (bench/forwarder.ts), in its own process: the least a
// Node forwarder on the same stack does. node:http in, undici's Agent out (keep-alive, the same
// dispatch handler API as src/forwarder/proxy.ts), to the `Slime-Orig-Dest` address; request
// headers as received minus the hop-by-hop ones, no planning, no checks, no metrics, no bodies.
// What the forwarder costs beyond it is its own. Tells its port to the parent over IPC.
import './exit-with-parent.mjs';
import { createServer } from 'node:http';
import { Agent } from 'undici';

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding']);
const agent = new Agent({ keepAliveTimeout: 4_000 });

const server = createServer((req, res) => {
  const headers = [];
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    if (!HOP_BY_HOP.has(req.rawHeaders[i].toLowerCase())) headers.push(req.rawHeaders[i], req.rawHeaders[i + 1]);
  }
  agent.dispatch(
    { origin: `http://${req.headers['slime-orig-dest']}`, path: req.url, method: req.method, headers, body: null },
    {
      onRequestStart() {},
      onResponseStart(_c, status, answered) {
        const out = {};
        for (const name in answered) if (!HOP_BY_HOP.has(name)) out[name] = answered[name];
        res.writeHead(status, out);
      },
      onResponseData(_c, chunk) {
        res.write(chunk);
      },
      onResponseEnd() {
        res.end();
      },
      onResponseError(_c, err) {
        if (res.headersSent) res.destroy(err);
        else res.writeHead(502).end(String(err));
      },
    },
  );
});
server.keepAliveTimeout = 61 * 60_000;
server.listen(0, '127.0.0.1', () => process.send?.({ port: server.address().port }));
