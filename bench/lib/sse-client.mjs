// A lean SSE client on node:http: one keep-alive agent with unlimited sockets, a small string
// parser per stream (blank-line framed; `event:`, `id:`, `data:` fields; `:` comments ignored).
// Built to hold tens of thousands of streams from one process.
import http from 'node:http';

class SseStream {
  constructor(onEvent, onEnd) {
    this.onEvent = onEvent;
    this.onEnd = onEnd;
    this.buf = '';
    this.req = null;
    this.res = null;
    this.status = 0;
    this.lastId = null;
    this.ended = false;
    this.ctx = null; // free slot for the caller
  }

  _feed(chunk) {
    let buf = this.buf.length ? this.buf + chunk : chunk;
    let heldCR = false;
    if (buf.indexOf('\r') !== -1) {
      // CRLF or CR line ends: normalise, but hold a trailing CR (its LF may be in the next chunk)
      heldCR = buf.charCodeAt(buf.length - 1) === 13;
      buf = (heldCR ? buf.slice(0, -1) : buf).replace(/\r\n?/g, '\n');
    }
    let start = 0;
    let idx;
    while ((idx = buf.indexOf('\n\n', start)) !== -1) {
      if (idx > start) this._block(buf, start, idx);
      start = idx + 2;
      if (this.ended) return;
    }
    this.buf = start === 0 ? buf : buf.slice(start);
    if (heldCR) this.buf += '\r';
  }

  _block(buf, from, to) {
    let type = null;
    let id = null;
    let data = null;
    let pos = from;
    while (pos < to) {
      let eol = buf.indexOf('\n', pos);
      if (eol === -1 || eol > to) eol = to;
      if (buf.charCodeAt(pos) !== 58 /* ':' comment */) {
        const colon = buf.indexOf(':', pos);
        let field;
        let value;
        if (colon === -1 || colon > eol) {
          field = buf.slice(pos, eol);
          value = '';
        } else {
          field = buf.slice(pos, colon);
          value = buf.slice(buf.charCodeAt(colon + 1) === 32 ? colon + 2 : colon + 1, eol);
        }
        if (field === 'data') data = data === null ? value : `${data}\n${value}`;
        else if (field === 'event') type = value;
        else if (field === 'id') id = value;
      }
      pos = eol + 1;
    }
    if (id !== null) this.lastId = id;
    if (data === null && type === null) return; // comment-only block (heartbeat)
    this.onEvent(this, type || 'message', id, data);
  }

  _end(err) {
    if (this.ended) return;
    this.ended = true;
    this.onEnd(this, err || null);
  }

  /** Closes the connection (the socket is destroyed, not returned to the pool). */
  close() {
    if (this.req) this.req.destroy();
    this._end(new Error('closed by client'));
  }
}

export class SseClient {
  /**
   * @param {{port:number, host?:string, token:string, tenantId:string, localAddresses?:string[]}} o
   */
  constructor({ port, host = '127.0.0.1', token, tenantId, localAddresses = [] }) {
    this.host = host;
    this.port = port;
    // Source addresses only when more than one is asked for: a localAddress makes Node bind()
    // before connect(), and bind(port 0) searches the ephemeral range for a port free for every
    // destination, which gets slow (ms per connect) with thousands of sockets and TIME_WAITs.
    this.localAddresses = localAddresses.length > 1 ? localAddresses : [undefined];
    this.rr = 0;
    this.headers = { authorization: `Bearer ${token}`, 'x-tenant-id': tenantId };
    this.agent = new http.Agent({ keepAlive: true, maxSockets: Infinity, maxFreeSockets: 1024, scheduling: 'lifo' });
    this.streams = new Set();
  }

  /**
   * GET path as an SSE stream. onEvent(stream, type, id, dataString); onEnd(stream, errOrNull),
   * called once (done + server close is a clean end: err null).
   */
  open(path, onEvent, onEnd, extraHeaders) {
    const s = new SseStream(onEvent, (st, err) => {
      this.streams.delete(st);
      onEnd(st, err);
    });
    this.streams.add(s);
    const localAddress = this.localAddresses[this.rr++ % this.localAddresses.length];
    const req = http.request({
      host: this.host,
      port: this.port,
      path,
      method: 'GET',
      agent: this.agent,
      localAddress,
      headers: extraHeaders ? { ...this.headers, accept: 'text/event-stream', ...extraHeaders } : { ...this.headers, accept: 'text/event-stream' },
    });
    s.req = req;
    req.on('response', (res) => {
      s.res = res;
      s.status = res.statusCode;
      res.setEncoding('utf8');
      if (res.statusCode !== 200) {
        let body = '';
        res.on('data', (c) => (body.length < 2000 ? (body += c) : null));
        res.on('end', () => s._end(new Error(`HTTP ${res.statusCode}: ${body.slice(0, 300)}`)));
        res.on('error', (e) => s._end(e));
        return;
      }
      res.on('data', (c) => s._feed(c));
      res.on('end', () => s._end(null));
      res.on('error', (e) => s._end(e));
      res.on('aborted', () => s._end(new Error('aborted')));
    });
    req.on('error', (e) => s._end(e));
    req.end();
    return s;
  }

  closeAll() {
    for (const s of [...this.streams]) s.close();
    this.agent.destroy();
  }
}

/** A small keep-alive client for the approve calls. post(path) resolves {status, body}. */
export class ApiClient {
  constructor({ port, host = '127.0.0.1', token, tenantId, maxSockets = 256 }) {
    this.host = host;
    this.port = port;
    this.headers = { authorization: `Bearer ${token}`, 'x-tenant-id': tenantId, 'content-type': 'application/json', 'content-length': '2' };
    this.agent = new http.Agent({ keepAlive: true, maxSockets, scheduling: 'lifo' });
  }

  post(path, timeoutMs = 10000) {
    return new Promise((resolve) => {
      const req = http.request({ host: this.host, port: this.port, path, method: 'POST', agent: this.agent, headers: this.headers, timeout: timeoutMs }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode, body }));
        res.on('error', (e) => resolve({ status: 0, body: String(e.message) }));
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', (e) => resolve({ status: 0, body: `${e.code || ''} ${e.message}` }));
      req.end('{}');
    });
  }

  close() {
    this.agent.destroy();
  }
}
