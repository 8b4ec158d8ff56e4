// A worker thread of WebSocket clients for the console fan-out benchmark: opens its share
// of the sockets, counts every alert, takes the latency of one client in ten (from the
// publish time carried in each alert's summary), and reports when told to stop.
import { once } from 'node:events';
import { parentPort, workerData } from 'node:worker_threads';
import WebSocket from 'ws';

const { port, ca, cookie, clients, offset } = workerData;
const marker = Buffer.from('{"type":"alert"');
const latencies = [];
let received = 0;
const sockets = [];
for (let k = 0; k < clients; k++) {
  const sample = (offset + k) % 10 === 0;
  const ws = new WebSocket(`wss://127.0.0.1:${port}/api/live`, { ca, headers: { cookie } });
  await once(ws, 'open');
  ws.on('message', (d) => {
    const now = Date.now();
    if (!sample) {
      for (let at = d.indexOf(marker); at >= 0; at = d.indexOf(marker, at + 1)) received++;
      return;
    }
    const m = JSON.parse(d);
    for (const x of m.type === 'batch' ? m.messages : [m]) {
      if (x.type !== 'alert') continue;
      received++;
      latencies.push(now - Number(x.event.doc.chot.alert.summary));
    }
  });
  ws.send(JSON.stringify({ type: 'subscribe' }));
  sockets.push(ws);
}
parentPort.postMessage({ ready: true });
parentPort.on('message', (m) => {
  if (m !== 'stop') return;
  for (const ws of sockets) ws.terminate();
  parentPort.postMessage({ received, latencies });
});
