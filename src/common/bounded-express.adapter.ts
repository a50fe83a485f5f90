import { ExpressAdapter } from '@nestjs/platform-express';
import http from 'node:http';

/**
 * Time limits on what a client sends, so a slow or silent connection (slowloris) is dropped within
 * about ten seconds instead of holding a descriptor for minutes. They bound receiving the request
 * only: a stream's response may last as long as its run.
 */
export const HTTP_LIMITS = {
  /** The request line and headers must arrive within this. */
  headersTimeoutMs: 10_000,
  /** The whole request, body included (1 MB at most on the worker routes). */
  requestTimeoutMs: 30_000,
  /** How often Node checks the two above (its default, 30 s, would let a connection live 40 s). */
  connectionsCheckingIntervalMs: 1_000,
} as const;

/** Nest's Express adapter on an HTTP server made with those limits (Nest offers no option for them). */
export class BoundedExpressAdapter extends ExpressAdapter {
  override initHttpServer(): void {
    const server = http.createServer(
      {
        headersTimeout: HTTP_LIMITS.headersTimeoutMs,
        requestTimeout: HTTP_LIMITS.requestTimeoutMs,
        connectionsCheckingInterval: HTTP_LIMITS.connectionsCheckingIntervalMs,
      },
      this.getInstance(),
    );
    // headersTimeout counts from a request's first byte: a connection that sends nothing at all is
    // bounded by an idle timeout until its first request arrives (Node destroys a socket that times
    // out with no request on it), then the timeout is lifted, since a stream may be quiet for long.
    server.on('connection', (socket) => socket.setTimeout(HTTP_LIMITS.headersTimeoutMs));
    server.on('request', (req: http.IncomingMessage) => req.socket.setTimeout(0));
    this.httpServer = server;
  }
}
