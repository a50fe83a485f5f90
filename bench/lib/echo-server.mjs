// A trivial node:http server (GET anything -> 200 "ok"), used to calibrate the machine's own
// cross-process round-trip noise at the approval rate. /health/ready answers 200 like the targets.
import http from 'node:http';
http
  .createServer((req, res) => {
    req.resume();
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '2' });
    res.end('ok');
  })
  .listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
