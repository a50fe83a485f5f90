import { createServer, get, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { BurstWrites } from './burst-writes';

/** How many writes reached the socket (each one syscall), counted by wrapping the socket's own write methods. */
function countWrites(socket: Socket): () => number {
  let count = 0;
  const s = socket as unknown as Record<'_write' | '_writev', (...a: unknown[]) => void>;
  for (const name of ['_write', '_writev'] as const) {
    const original = s[name].bind(socket);
    s[name] = (...args: unknown[]) => {
      count++;
      original(...args);
    };
  }
  return () => count;
}

/** Writes frames the way Nest's SSE does: each one in the nextTick callback of the previous write. */
function writeChained(res: ServerResponse, frames: string[], before: () => void, done: () => void): void {
  const [first, ...rest] = frames;
  if (first === undefined) return done();
  before();
  res.write(first);
  process.nextTick(() => writeChained(res, rest, before, done));
}

const FRAMES = ['id: 1\ndata: a\n\n', 'id: 2\ndata: b\n\n', 'id: 3\ndata: c\n\n', 'id: 4\ndata: d\n\n', 'id: 5\ndata: e\n\n'];

describe('BurstWrites', () => {
  let server: Server;
  let serve: (res: ServerResponse) => void = () => undefined;

  beforeAll(async () => {
    server = createServer((_req, res) => serve(res));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  /**
   * Opens an event stream and lets `play` write on it once the headers are out; `play` answers
   * through `finish` the socket writes it counted. Resolves with the body the client read.
   */
  async function stream(play: (res: ServerResponse, writes: () => number, finish: (count: number) => void) => void): Promise<{ body: string; writes: number }> {
    let counted = -1;
    serve = (res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.flushHeaders();
      setImmediate(() => {
        const writes = countWrites(res.socket as Socket);
        play(res, writes, (count) => {
          counted = count;
          res.end();
        });
      });
    };
    const { port } = server.address() as AddressInfo;
    const res = await new Promise<IncomingMessage>((r) => get({ port, host: '127.0.0.1', path: '/', agent: false }, r));
    let body = '';
    for await (const chunk of res) body += String(chunk);
    return { body, writes: counted };
  }

  it('without it, each chained frame is a write of its own (what it saves)', async () => {
    const { body, writes } = await stream((res, writes, finish) => writeChained(res, FRAMES, () => undefined, () => setImmediate(() => finish(writes()))));
    expect(body).toBe(FRAMES.join(''));
    expect(writes).toBe(FRAMES.length);
  });

  it('sends the frames of one turn in one write, and a later turn’s in another, in order', async () => {
    const bursts = new BurstWrites();
    const { body, writes } = await stream((res, writes, finish) => {
      const hold = () => bursts.hold(res);
      writeChained(res, FRAMES.slice(0, 3), hold, () =>
        setImmediate(() => {
          expect(writes()).toBe(1);
          writeChained(res, FRAMES.slice(3), hold, () => setImmediate(() => finish(writes())));
        }),
      );
    });
    expect(body).toBe(FRAMES.join(''));
    expect(writes).toBe(2);
  });
});
