import http from 'node:http';

export interface SseFrame {
  id?: string;
  event?: string;
  data?: string;
  retry?: string;
  comments: string[];
}

export interface SseEvent {
  id: number;
  type: string;
  payload: { type: string; data: Record<string, unknown> };
}

/**
 * A raw SSE client for tests: keeps the exact bytes received, parses frames per the SSE spec,
 * and lets a test wait for an event, for the end of the response, or close it.
 */
export class SseClient {
  raw = '';
  status = 0;
  headers: http.IncomingHttpHeaders = {};
  ended = false;
  readonly body: Promise<void>;
  private req!: http.ClientRequest;
  private waiters: (() => void)[] = [];

  constructor(url: string, headers: Record<string, string> = {}) {
    this.body = new Promise((resolve, reject) => {
      this.req = http.get(url, { agent: false, headers: { Accept: 'text/event-stream', ...headers } }, (res) => {
        this.status = res.statusCode ?? 0;
        this.headers = res.headers;
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          this.raw += chunk;
          this.notify();
        });
        res.on('end', () => {
          this.ended = true;
          this.notify();
          resolve();
        });
        res.on('error', () => resolve());
        res.on('close', () => {
          this.ended = true;
          this.notify();
          resolve();
        });
      });
      this.req.on('error', (err) => (this.ended ? resolve() : reject(err)));
    });
    this.body.catch(() => undefined);
  }

  /** Frames per the spec: blank-line separated, field lines `name: value`, comments `: text`. */
  get frames(): SseFrame[] {
    const complete = this.raw.slice(0, this.raw.lastIndexOf('\n\n') + 2);
    return complete
      .split('\n\n')
      .filter((block) => block.trim() !== '')
      .map((block) => {
        const frame: SseFrame = { comments: [] };
        for (const line of block.split('\n')) {
          if (line.startsWith(':')) frame.comments.push(line.slice(1).trim());
          else {
            const i = line.indexOf(':');
            const name = line.slice(0, i) as 'id' | 'event' | 'data' | 'retry';
            frame[name] = line.slice(i + 1).replace(/^ /, '');
          }
        }
        return frame;
      });
  }

  get events(): SseEvent[] {
    return this.frames
      .filter((f) => f.event !== undefined && f.data !== undefined)
      .map((f) => ({ id: Number(f.id), type: f.event as string, payload: JSON.parse(f.data as string) }));
  }

  async waitFor(predicate: (events: SseEvent[]) => boolean, timeoutMs = 10000, what = 'an event'): Promise<SseEvent[]> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(this.events)) {
      if (this.ended && !predicate(this.events)) throw new Error(`Stream ended before ${what}; got:\n${this.raw}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`Timed out waiting for ${what}; got:\n${this.raw}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 200));
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    return this.events;
  }

  waitForType(type: string, timeoutMs?: number): Promise<SseEvent> {
    return this.waitFor((es) => es.some((e) => e.type === type), timeoutMs, `a ${type} event`).then((es) => es.find((e) => e.type === type) as SseEvent);
  }

  /** The pending approval request of the run (the first hitl event). */
  async hitlRequest(timeoutMs?: number): Promise<{ requestId: string; sessionId: string; seq: number }> {
    const ev = await this.waitFor((es) => es.some((e) => e.type === 'hitl' && e.payload.data.requiresApproval === true), timeoutMs, 'the hitl request');
    const hitl = ev.find((e) => e.type === 'hitl') as SseEvent;
    return { requestId: hitl.payload.data.requestId as string, sessionId: hitl.payload.data.sessionId as string, seq: hitl.id };
  }

  async untilEnd(timeoutMs = 15000): Promise<void> {
    await this.waitFor(() => this.ended, timeoutMs, 'the end of the response').catch((err) => {
      if (!this.ended) throw err;
    });
  }

  close(): void {
    this.req.destroy();
  }

  private notify(): void {
    const w = this.waiters;
    this.waiters = [];
    w.forEach((f) => f());
  }
}
