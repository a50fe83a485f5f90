'use strict';
/**
 * The cost of an open SSE stream with nothing else (bench scenario `framework`): every GET
 * /aura/test/stream answers one `hitl` request event and stays open; GET /health/ready answers 200.
 * PROBE_MODE=raw: node:http alone (how the floors write a stream). PROBE_MODE=nest: a bare NestJS
 * app on the same stack as the service (Nest 11, Express adapter, an @Sse handler returning an
 * Observable), with no guard, pipe, logger, Redis or run: what the contract's @Sse route costs
 * before any work of the service. CommonJS with the decorators applied by hand: no build step.
 */
const http = require('node:http');

const PORT = Number(process.env.PORT || 3000);
const MODE = process.env.PROBE_MODE || 'raw';
const eventFor = (url) => {
  const sid = new URL(url, 'http://x').searchParams.get('sessionId') || 's';
  return JSON.stringify({ type: 'hitl', data: { requestId: `req-${sid}`, sessionId: sid, requiresApproval: true } });
};

if (MODE === 'raw') {
  http
    .createServer((req, res) => {
      if (req.url.startsWith('/health/ready')) return res.end('ok');
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
      res.write(`id: 1\nevent: hitl\ndata: ${eventFor(req.url)}\n\n`);
    })
    .listen(PORT, '127.0.0.1');
} else if (MODE === 'nest') {
  require('reflect-metadata');
  const { Controller, Get, Module, Req, Sse } = require('@nestjs/common');
  const { NestFactory } = require('@nestjs/core');
  const { Observable } = require('rxjs');

  class ProbeController {
    ready() {
      return 'ok';
    }
    stream(req) {
      return new Observable((subscriber) => subscriber.next({ id: '1', type: 'hitl', data: eventFor(req.url) }));
    }
  }
  const method = (name) => Object.getOwnPropertyDescriptor(ProbeController.prototype, name);
  Reflect.defineMetadata('design:paramtypes', [], ProbeController);
  Controller()(ProbeController);
  Get('health/ready')(ProbeController.prototype, 'ready', method('ready'));
  Sse('aura/test/stream')(ProbeController.prototype, 'stream', method('stream'));
  Req()(ProbeController.prototype, 'stream', 0);
  class ProbeModule {}
  Module({ controllers: [ProbeController] })(ProbeModule);
  NestFactory.create(ProbeModule, { logger: ['error'] })
    .then((app) => app.listen(PORT, '127.0.0.1'))
    .catch((err) => {
      process.stderr.write(`${err.stack}\n`);
      process.exit(1);
    });
} else {
  process.stderr.write(`unknown PROBE_MODE ${MODE} (raw | nest)\n`);
  process.exit(2);
}
