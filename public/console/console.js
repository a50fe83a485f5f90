/*
 * Aura approvals console: plain browser JavaScript, no build step, no dependency.
 *
 * It uses only the public API: POST aura/stream-tickets + EventSource for the run's events
 * (an EventSource cannot send the Authorization header), and the HITL routes for the inbox and
 * the decisions. Every URL is relative to the page (…/console → …/aura/…), so it also works
 * behind a gateway prefix. Data from the server only ever reaches the DOM through textContent.
 */
(function () {
  'use strict';

  // Served at …/console, …/console/ or …/console/index.html (also behind a gateway prefix):
  // normalise to …/console so relative URLs resolve to …/console/<file> and …/aura/….
  (function normalisePath() {
    const m = location.pathname.match(/^(.*\/console)\/(?:index\.html)?$/);
    if (m) history.replaceState(null, '', m[1] + location.search + location.hash);
  })();

  const EVENT_TYPES = ['thought', 'plan_step', 'tool_execution', 'hitl', 'content', 'run_error', 'done'];
  const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
  const INBOX_INTERVAL_MS = 4000;
  const MAX_RECONNECT_FAILURES = 6;
  const RUN_ERRORS = {
    agent_failed: 'The agent failed (its model did not answer after several tries); the run was stopped.',
    run_lost: 'The run’s stored state was lost (the store was reset); it cannot continue.',
  };
  const TERMINAL = new Set(['completed', 'rejected', 'expired', 'cancelled', 'failed']);
  const STATE_LABELS = {
    idle: 'Idle',
    starting: 'Starting…',
    running: 'Running',
    paused: 'Waiting for approval',
    completed: 'Completed',
    rejected: 'Rejected',
    expired: 'Expired',
    cancelled: 'Cancelled',
    failed: 'Failed',
  };
  const CONN_LABELS = {
    idle: 'Not connected',
    connecting: 'Connecting…',
    open: 'Live',
    reconnecting: 'Reconnecting…',
    closed: 'Stream closed',
    lost: 'Connection lost',
  };
  const TYPE_LABELS = {
    thought: 'Thought',
    plan_step: 'Plan step',
    tool_execution: 'Tool call',
    hitl: 'Approval',
    content: 'Answer',
    error: 'Error',
    done: 'Run ended',
  };

  // ---- URLs -------------------------------------------------------------------------------------

  /** The service root: the page is …/console (or …/console/, …/console/index.html), the API …/aura/. */
  const ROOT = (function () {
    const path = location.pathname;
    const m = path.match(/^(.*\/)console(?:\/(?:index\.html)?)?$/);
    return new URL(m ? m[1] : './', location.href);
  })();
  const url = (path) => new URL(path, ROOT);

  // ---- DOM helpers (no innerHTML: text only ever goes in as text) -------------------------------

  const $ = (testid) => document.querySelector(`[data-testid="${testid}"]`);

  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (key === 'class') el.className = value;
      else if (key === 'testid') el.setAttribute('data-testid', value);
      else if (key === 'text') el.textContent = String(value);
      else if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
      else el.setAttribute(key, value === true ? '' : String(value));
    }
    for (const child of children.flat(Infinity)) {
      if (child === undefined || child === null || child === false) continue;
      el.append(child instanceof Node ? child : String(child));
    }
    return el;
  }

  const json = (value) => JSON.stringify(value, null, 2);
  const clock = (date) => date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });
  const badge = (status, testid) => h('span', { class: `badge badge-${String(status).replace(/[^a-z_]/gi, '')}`, testid, text: String(status).replace(/_/g, ' ') });
  const pre = (value, testid) => h('pre', { class: 'json', testid, text: typeof value === 'string' ? value : json(value) });

  /** "4:59", "1:02:03", or "" when the time has come. */
  function remaining(expiresAt) {
    const ms = new Date(expiresAt).getTime() - Date.now();
    if (!Number.isFinite(ms)) return { text: '—', over: false, ms: NaN };
    if (ms <= 0) return { text: 'due now', over: true, ms: 0 };
    const s = Math.ceil(ms / 1000);
    const hh = Math.floor(s / 3600);
    const mm = Math.floor((s % 3600) / 60);
    const ss = String(s % 60).padStart(2, '0');
    return { text: hh ? `${hh}:${String(mm).padStart(2, '0')}:${ss}` : `${mm}:${ss}`, over: false, ms };
  }

  /** A live countdown element; ticks with every other countdown once a second. */
  function countdown(expiresAt, testid) {
    const el = h('span', { class: 'countdown', testid, 'data-expires-at': expiresAt, title: `Expires at ${new Date(expiresAt).toLocaleString()}` });
    tickCountdown(el);
    return el;
  }
  function tickCountdown(el) {
    const r = remaining(el.getAttribute('data-expires-at'));
    el.textContent = r.over ? 'due now' : `${r.text} left`;
    el.classList.toggle('urgent', r.over || r.ms < 60000);
  }
  setInterval(() => document.querySelectorAll('.countdown[data-expires-at]').forEach(tickCountdown), 1000);

  // ---- Elements ----------------------------------------------------------------------------------

  const el = {
    form: document.getElementById('run-form'),
    token: $('token'),
    tenant: $('tenant'),
    tokenInfo: $('token-info'),
    prompt: $('prompt'),
    session: $('session'),
    start: $('start'),
    state: $('run-state'),
    sessionId: $('session-id'),
    eventCount: $('events-count'),
    reconnect: $('reconnect'),
    cancel: $('cancel'),
    conn: $('connection'),
    reconnects: $('reconnects'),
    timeline: $('timeline'),
    timelineEmpty: $('timeline-empty'),
    inbox: $('inbox'),
    inboxCount: $('inbox-count'),
    inboxEmpty: $('inbox-empty'),
    inboxUpdated: $('inbox-updated'),
    inboxMore: $('inbox-more'),
    inboxRefresh: $('inbox-refresh'),
    runs: $('runs'),
    runsEmpty: $('runs-empty'),
    runsRefresh: $('runs-refresh'),
    notice: $('notice'),
    demoFlag: $('demo-flag'),
    plan: $('plan'),
    planSteps: $('plan-steps'),
  };

  // ---- Notices -----------------------------------------------------------------------------------

  let noticeTimer = null;
  function notify(kind, text) {
    clearTimeout(noticeTimer);
    el.notice.replaceChildren(
      h('span', { class: 'notice-text', text }),
      h('button', { type: 'button', class: 'notice-close', 'aria-label': 'Dismiss', text: '×', onclick: () => (el.notice.hidden = true) }),
    );
    el.notice.className = `notice notice-${kind}`;
    el.notice.setAttribute('data-kind', kind);
    el.notice.hidden = false;
    noticeTimer = setTimeout(() => (el.notice.hidden = true), kind === 'error' ? 12000 : 5000);
  }

  // ---- Token and tenant --------------------------------------------------------------------------

  function jwtPayload(token) {
    try {
      const part = token.split('.')[1];
      const b64 = part.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(part.length / 4) * 4, '=');
      const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      const payload = JSON.parse(new TextDecoder().decode(bytes));
      return payload && typeof payload === 'object' ? payload : null;
    } catch {
      return null;
    }
  }

  function onTokenChange() {
    const token = el.token.value.trim();
    const payload = token ? jwtPayload(token) : null;
    if (payload && typeof payload.tenant_id === 'string') el.tenant.value = payload.tenant_id;
    if (!token) {
      el.tokenInfo.hidden = true;
    } else if (!payload) {
      showTokenInfo('bad', 'This does not look like a JWT.');
    } else {
      const parts = [];
      if (payload.sub) parts.push(`user ${payload.sub}`);
      if (payload.tenant_id) parts.push(`tenant ${payload.tenant_id}`);
      if (typeof payload.exp === 'number') {
        const left = payload.exp * 1000 - Date.now();
        parts.push(left > 0 ? `expires ${new Date(payload.exp * 1000).toLocaleString()}` : 'EXPIRED');
        showTokenInfo(left > 0 ? 'ok' : 'bad', parts.join(' · '));
      } else {
        showTokenInfo('ok', parts.join(' · '));
      }
    }
    try {
      sessionStorage.setItem('aura.console.token', token);
    } catch {
      /* storage unavailable: fine */
    }
    refreshInbox();
  }
  function showTokenInfo(kind, text) {
    el.tokenInfo.textContent = text;
    el.tokenInfo.className = `token-info token-${kind}`;
    el.tokenInfo.hidden = false;
  }

  // ---- API ---------------------------------------------------------------------------------------

  class ApiError extends Error {
    constructor(status, message, body) {
      super(message);
      this.status = status;
      this.body = body;
    }
  }

  async function api(method, path, body) {
    const token = el.token.value.trim();
    if (!token) throw new ApiError(0, 'Paste a token first.');
    const headers = { Authorization: `Bearer ${token}`, 'X-Tenant-ID': el.tenant.value.trim(), Accept: 'application/json' };
    const init = { method, headers, cache: 'no-store', credentials: 'omit' };
    if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    let res;
    try {
      res = await fetch(url(path), init);
    } catch (err) {
      throw new ApiError(0, `Network error: ${err.message}`);
    }
    const text = await res.text();
    let data = null;
    try {
      data = text ? JSON.parse(text) : null;
    } catch {
      data = null;
    }
    if (!res.ok) {
      const message = data && data.message ? [].concat(data.message).join('; ') : res.statusText || 'Request failed';
      throw new ApiError(res.status, `${res.status}: ${message}`, data);
    }
    return data;
  }

  // ---- Run state ---------------------------------------------------------------------------------

  const run = {
    sessionId: null,
    prompt: '',
    es: null,
    gen: 0, // bumps on every stream (re)open: a stale EventSource's callbacks are ignored
    seen: new Set(),
    state: 'idle',
    done: false,
    failures: 0,
    reconnects: 0,
    retryTimer: null,
    cards: new Map(), // requestId → approval card controller
    steps: new Map(), // plan step id → its row in the plan summary
  };

  function setRunState(state) {
    run.state = state;
    el.state.setAttribute('data-state', state);
    el.state.textContent = STATE_LABELS[state] || state;
    el.cancel.disabled = !run.sessionId || run.done || TERMINAL.has(state);
  }

  function setConn(conn) {
    el.conn.setAttribute('data-conn', conn);
    el.conn.querySelector('.conn-label').textContent = CONN_LABELS[conn] || conn;
  }

  function closeStream() {
    clearTimeout(run.retryTimer);
    run.retryTimer = null;
    run.gen++;
    if (run.es) {
      run.es.close();
      run.es = null;
    }
  }

  function resetTimeline() {
    run.seen = new Set();
    run.done = false;
    run.failures = 0;
    run.reconnects = 0;
    run.cards = new Map();
    run.steps = new Map();
    run.streaming = new Map();
    el.planSteps.replaceChildren();
    el.plan.hidden = true;
    el.timeline.replaceChildren();
    el.timelineEmpty.hidden = false;
    el.eventCount.textContent = '0';
    el.reconnects.textContent = '';
    el.reconnects.setAttribute('data-count', '0');
  }

  async function startRun(sessionId) {
    if (sessionId && !ID_PATTERN.test(sessionId)) {
      notify('error', 'A session id is 1–128 characters: letters, digits, ".", "_" and "-", starting with a letter or digit.');
      return;
    }
    closeStream();
    resetTimeline();
    run.sessionId = null;
    run.prompt = el.prompt.value.trim();
    el.sessionId.textContent = '—';
    el.reconnect.disabled = true;
    setRunState('starting');
    setConn('connecting');
    el.start.disabled = true;
    const gen = run.gen;
    try {
      // The prompt travels in a POST body (never in a URL a gateway logs); an existing session is attached to.
      if (run.prompt) {
        const started = await api('POST', 'aura/runs', sessionId ? { sessionId, prompt: run.prompt } : { prompt: run.prompt }).catch((err) => {
          if (err.status === 409 && err.body && err.body.sessionId) return err.body;
          throw err;
        });
        sessionId = started.sessionId;
      }
      const ticket = await api('POST', 'aura/stream-tickets', sessionId ? { sessionId } : {});
      if (gen !== run.gen) return;
      run.sessionId = ticket.sessionId;
      el.sessionId.textContent = ticket.sessionId;
      el.sessionId.title = ticket.sessionId;
      el.reconnect.disabled = false;
      setRunState('running');
      openStream(ticket.ticket);
    } catch (err) {
      if (gen !== run.gen) return;
      setRunState('idle');
      setConn('idle');
      notify('error', `Could not start the run: ${inWords(err)}`);
    } finally {
      el.start.disabled = false;
    }
  }

  function openStream(ticket) {
    closeStream();
    const gen = run.gen;
    const streamUrl = url('aura/test/stream');
    streamUrl.searchParams.set('ticket', ticket);
    // Streamed text (deltas) shows as it is produced; the complete message replaces it.
    streamUrl.searchParams.set('deltas', 'true');
    // A reconnect resumes after the last event shown (EventSource cannot send Last-Event-ID itself here).
    if (run.seen.size) streamUrl.searchParams.set('lastEventId', String(Math.max(...run.seen)));
    const es = new EventSource(streamUrl);
    run.es = es;
    setConn(run.reconnects ? 'reconnecting' : 'connecting');
    es.onopen = () => {
      if (gen !== run.gen) return;
      setConn('open');
    };
    es.onerror = () => {
      if (gen !== run.gen) return;
      // CLOSED: the server answered something other than a stream (204 for a run that has ended,
      // or a 4xx): EventSource gives up by itself. Find out which, and say it.
      const refused = es.readyState === EventSource.CLOSED;
      // A ticket is single use: EventSource's own retry would present the used ticket again.
      // Close it and reconnect with a fresh ticket; dedupe by id keeps the timeline exact.
      es.close();
      run.es = null;
      if (run.done) {
        setConn('closed');
        return;
      }
      if (refused) {
        explainRefusal(gen);
        return;
      }
      run.failures++;
      scheduleReconnect();
    };
    for (const type of EVENT_TYPES) {
      es.addEventListener(type, (ev) => {
        if (gen !== run.gen) return;
        run.failures = 0;
        onEvent(type, ev);
      });
    }
  }

  /** Asks the stream route once more (with fetch, which sees the status) why it refused the EventSource. */
  async function explainRefusal(gen) {
    try {
      const ticket = await api('POST', 'aura/stream-tickets', { sessionId: run.sessionId });
      const probe = url('aura/test/stream');
      probe.searchParams.set('ticket', ticket.ticket);
      if (run.seen.size) probe.searchParams.set('lastEventId', String(Math.max(...run.seen)));
      const ctrl = new AbortController();
      const res = await fetch(probe, { cache: 'no-store', credentials: 'omit', signal: ctrl.signal });
      ctrl.abort();
      if (gen !== run.gen) return;
      if (res.status === 204) {
        run.done = true;
        setConn('closed');
        notify('info', 'This run has already ended: everything it did is shown.');
        return;
      }
      if (res.ok) return reconnect(false);
      const body = await res.json().catch(() => null);
      setConn('lost');
      notify('error', `The stream was refused: ${inWords({ status: res.status, message: (body && body.message) || res.statusText, body })}`);
    } catch (err) {
      if (gen !== run.gen) return;
      run.failures++;
      scheduleReconnect();
    }
  }

  /** An API error as a person would want to read it. */
  function inWords(err) {
    const said = err.body && err.body.message ? [].concat(err.body.message).join('; ') : err.message;
    if (err.status === 429) return `too many unfinished runs right now (${said}). Wait for one to end, or cancel one, and try again.`;
    if (err.status === 403) return `you are not allowed to do that (${said}).`;
    if (err.status === 404) return 'no such run or request for your tenant (or it is not yours to see).';
    if (err.status === 401) return 'the token is missing, expired or not accepted. Paste a fresh one.';
    return said;
  }

  function scheduleReconnect() {
    if (run.failures > MAX_RECONNECT_FAILURES) {
      setConn('lost');
      notify('error', 'The stream keeps failing. Check the token, then press Reconnect.');
      return;
    }
    setConn('reconnecting');
    const delay = Math.min(8000, 250 * 2 ** Math.max(0, run.failures - 1));
    clearTimeout(run.retryTimer);
    run.retryTimer = setTimeout(() => reconnect(false), delay);
  }

  /** Re-opens the stream of the same session with a new ticket; already shown ids are skipped. */
  async function reconnect(manual) {
    if (!run.sessionId) return;
    closeStream();
    const gen = run.gen;
    if (manual) run.failures = 0;
    run.reconnects++;
    el.reconnects.setAttribute('data-count', String(run.reconnects));
    el.reconnects.textContent = `${run.reconnects} reconnect${run.reconnects === 1 ? '' : 's'}`;
    setConn('reconnecting');
    try {
      const ticket = await api('POST', 'aura/stream-tickets', { sessionId: run.sessionId });
      if (gen !== run.gen) return;
      openStream(ticket.ticket);
    } catch (err) {
      if (gen !== run.gen) return;
      if (err.status >= 400 && err.status < 500) {
        setConn('lost');
        notify('error', `Could not reconnect: ${inWords(err)}`);
      } else {
        run.failures++;
        scheduleReconnect();
      }
    }
  }

  async function cancelRun() {
    if (!run.sessionId) return;
    el.cancel.disabled = true;
    try {
      await api('POST', `aura/runs/${encodeURIComponent(run.sessionId)}/cancel`);
      notify('info', 'Run cancelled.');
    } catch (err) {
      notify('error', err.status === 409 ? 'The run has already ended.' : `Could not cancel: ${inWords(err)}`);
      setRunState(run.state);
    }
  }

  // ---- Events → timeline -------------------------------------------------------------------------

  function onEvent(type, ev) {
    const id = Number(ev.lastEventId);
    const known = Number.isInteger(id) && id > 0;
    if (known && run.seen.has(id)) return; // replayed after a reconnect: already shown
    let payload;
    try {
      payload = JSON.parse(ev.data);
    } catch {
      notify('error', `Event ${ev.lastEventId} is not valid JSON.`);
      return;
    }
    if (known) run.seen.add(id);
    const data = payload && typeof payload.data === 'object' && payload.data ? payload.data : {};
    if (type === 'content' && data.delta === true) return streamDelta(data, known ? id : Infinity);
    const streamed = data.messageId ? run.streaming.get(data.messageId) : null;
    if (streamed) {
      streamed.remove();
      run.streaming.delete(data.messageId);
    }
    const item = renderEvent(type, data, known ? id : null);
    insertInOrder(item, known ? id : Infinity);
    el.timelineEmpty.hidden = true;
    el.eventCount.textContent = String(el.timeline.children.length);
    applyToState(type, data);
    if (type === 'hitl' && data.requiresApproval) revealApproval(item);
  }

  /**
   * A new approval is what the reader has to act on: bring its card into view (on a phone it is
   * screens below the form), unless it was decided meanwhile (a replay goes straight past it).
   */
  function revealApproval(item) {
    requestAnimationFrame(() => {
      const card = item.querySelector('.approval-card');
      if (item.isConnected && card && card.getAttribute('data-status') === 'pending') card.scrollIntoView({ block: 'center', behavior: 'smooth' });
    });
  }

  /** Text the agent is still producing: appended to one item per message, as it arrives. */
  function streamDelta(data, id) {
    let item = run.streaming.get(data.messageId);
    if (!item) {
      item = h('li', { class: 'event ev-streaming', testid: 'streaming', 'data-id': id, 'data-type': 'streaming' },
        h('div', { class: 'event-rail' }, h('span', { class: 'event-id', text: '…' })),
        h('div', { class: 'event-card' }, h('p', { class: 'answer streaming-text', testid: 'streaming-text', text: '' })));
      run.streaming.set(data.messageId, item);
      insertInOrder(item, id);
      el.timelineEmpty.hidden = true;
    }
    item.querySelector('.streaming-text').textContent += String(data.content ?? '');
  }

  function insertInOrder(item, id) {
    // Follow the run only when the reader is already at the bottom of the page.
    const following = window.innerHeight + window.scrollY >= document.documentElement.scrollHeight - 160;
    const after = Array.from(el.timeline.children).find((li) => Number(li.getAttribute('data-id')) > id);
    el.timeline.insertBefore(item, after || null);
    if (!after && following) item.scrollIntoView({ block: 'nearest', behavior: 'smooth' });
  }

  function applyToState(type, data) {
    if (type === 'done') {
      run.done = true;
      if (data.status !== 'completed') finishPlan(data.status === 'failed' ? 'failed' : 'cancelled');
      setRunState(TERMINAL.has(data.status) ? data.status : 'completed');
      closeStream();
      setConn('closed');
      refreshInbox();
      return;
    }
    if (type === 'plan_step') updatePlan(data);
    if (run.done) return;
    if (type === 'run_error') return setRunState('failed');
    if (type === 'hitl' && data.requiresApproval === true) {
      setRunState('paused');
      refreshInbox();
      return;
    }
    if (type === 'hitl') {
      const card = run.cards.get(data.requestId);
      if (card) card.decided(data.status, data.reason || data.response);
      setRunState(data.status === 'approved' || data.status === 'responded' ? 'running' : data.status);
      refreshInbox();
      return;
    }
    if (run.state !== 'paused' && !TERMINAL.has(run.state)) setRunState('running');
  }

  /** The plan summary: one row per step id, with its latest status. */
  function updatePlan(step) {
    const key = String(step.id ?? step.title ?? '');
    const status = step.status ?? 'pending';
    const row = h('li', { testid: 'plan-step', 'data-step-id': key, 'data-status': status, 'data-title': step.title ?? key }, h('span', { text: step.title ?? key }), badge(status));
    const old = run.steps.get(key);
    if (old) old.replaceWith(row);
    else el.planSteps.append(row);
    run.steps.set(key, row);
    el.plan.hidden = false;
  }

  /**
   * A run that ended other than completed sends no final plan_step for the step it abandoned:
   * the summary marks every step still pending or in progress as `status` (cancelled or failed).
   */
  function finishPlan(status) {
    for (const row of run.steps.values()) {
      const current = row.getAttribute('data-status');
      if (current === 'pending' || current === 'in_progress') {
        updatePlan({ id: row.getAttribute('data-step-id'), title: row.getAttribute('data-title'), status });
      }
    }
  }

  function renderEvent(type, data, id) {
    const time = new Date();
    const body = renderBody(type, data);
    const variant = type === 'hitl' ? (data.requiresApproval ? 'hitl-request' : `hitl-${data.status}`) : type === 'done' ? `done-${data.status}` : type;
    return h(
      'li',
      { class: `event ev-${type} ev-${variant}`, testid: `event-${id === null ? 'x' : id}`, 'data-id': id === null ? '' : id, 'data-type': type },
      h('div', { class: 'event-rail' }, h('span', { class: 'event-id', testid: 'seq', title: 'Event id', text: id === null ? '–' : `#${id}` })),
      h(
        'div',
        { class: 'event-card' },
        h(
          'div',
          { class: 'event-head' },
          h('span', { class: 'event-type', text: type === 'hitl' && !data.requiresApproval ? 'Decision' : TYPE_LABELS[type] || type }),
          h('time', { class: 'event-time', datetime: time.toISOString(), text: clock(time) }),
        ),
        body,
      ),
    );
  }

  function renderBody(type, d) {
    switch (type) {
      case 'thought':
        return h('p', { class: 'thought', text: d.content ?? '' });
      case 'plan_step':
        return h('div', { class: 'row' }, badge(d.status ?? 'pending', 'plan-status'), h('span', { class: 'title', text: d.title ?? '' }), d.id && h('span', { class: 'muted mono small', text: d.id }));
      case 'tool_execution':
        return h(
          'div',
          {},
          h('div', { class: 'row' }, badge(d.status ?? 'started', 'tool-status'), h('code', { class: 'tool', text: d.toolName ?? 'tool' }), d.id && h('span', { class: 'muted mono small', text: d.id })),
          d.params !== undefined && labelled('Parameters', pre(d.params)),
          d.result !== undefined && labelled('Result', pre(d.result)),
          d.error !== undefined && labelled('Error', pre(d.error), 'error-text'),
        );
      case 'hitl':
        return d.requiresApproval ? approvalCard(d) : decisionBody(d);
      case 'content':
        return h('p', { class: 'answer', testid: 'answer', text: d.content ?? '' });
      case 'run_error':
        return h('div', { class: 'row' }, d.code && h('code', { class: 'error-code', text: d.code }), h('span', { class: 'error-text', text: RUN_ERRORS[d.code] ?? d.message ?? 'The run failed' }));
      case 'done':
        return h('div', { class: 'row' }, h('span', { text: 'Final state' }), badge(d.status ?? 'completed', 'done-status'));
      default:
        return pre(d);
    }
  }

  const labelled = (label, content, cls) => h('div', { class: `labelled ${cls || ''}` }, h('div', { class: 'label', text: label }), content);

  function decisionBody(d) {
    const words = { approved: 'Approved', rejected: 'Rejected', responded: 'Responded: the tool was not run', expired: 'Expired: nobody decided in time', cancelled: 'Cancelled with the run' };
    return h(
      'div',
      { testid: 'decision', 'data-status': d.status, 'data-request-id': d.requestId },
      h('div', { class: 'row' }, badge(d.status, 'decision-status'), h('span', { text: d.editedParams ? 'Approved with edits' : words[d.status] || d.status }), h('span', { class: 'muted mono small', text: d.requestId })),
      d.reason && h('blockquote', { class: 'reason', testid: 'decision-reason', text: d.reason }),
      d.response && h('blockquote', { class: 'reason', testid: 'decision-response', text: d.response }),
      d.editedParams && labelled('Runs with', pre(d.editedParams, 'decision-edited')),
    );
  }

  /** The fields of an edit form, when the schema is a flat object of simple types; null means edit the JSON. */
  function formFields(schema) {
    const props = schema && schema.type === 'object' && schema.properties;
    if (!props || typeof props !== 'object') return null;
    const simple = ['string', 'number', 'integer', 'boolean'];
    const names = Object.keys(props);
    if (!names.length || names.some((n) => !props[n] || !simple.includes(props[n].type))) return null;
    return names.map((name) => ({ name, type: props[name].type, required: (schema.required || []).includes(name), description: props[name].description || '' }));
  }

  /** An edit form from the request's paramsSchema (or a JSON editor); `read()` answers the params, or throws with why not. */
  function editForm(d) {
    const fields = formFields(d.paramsSchema);
    const params = d.params || {};
    if (!fields) {
      const area = h('textarea', { class: 'edit-json', testid: 'edit-json', rows: 6, spellcheck: 'false', 'aria-label': 'Parameters as JSON' });
      area.value = json(params);
      return {
        node: labelled('Edit the parameters (JSON)', area, 'edit-form'),
        read() {
          const value = JSON.parse(area.value);
          if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('The parameters must be a JSON object');
          return value;
        },
      };
    }
    const inputs = fields.map((f) => {
      const input =
        f.type === 'boolean'
          ? h('input', { type: 'checkbox', testid: `edit-${f.name}`, name: f.name })
          : h(f.type === 'string' && String(params[f.name] ?? '').length > 60 ? 'textarea' : 'input', { type: f.type === 'string' ? 'text' : 'number', testid: `edit-${f.name}`, name: f.name, rows: 3 });
      if (f.type === 'boolean') input.checked = params[f.name] === true;
      else input.value = params[f.name] === undefined ? '' : String(params[f.name]);
      return { f, input, node: h('label', { class: 'edit-field' }, h('span', { class: 'label', text: f.name + (f.required ? ' *' : '') }), input, f.description && h('span', { class: 'muted small', text: f.description })) };
    });
    return {
      node: h('div', { class: 'edit-form', testid: 'edit-form' }, inputs.map((i) => i.node)),
      read() {
        const out = { ...params };
        for (const { f, input } of inputs) {
          if (f.type === 'boolean') out[f.name] = input.checked;
          else if (input.value === '' && !f.required) delete out[f.name];
          else out[f.name] = f.type === 'string' ? input.value : Number(input.value);
        }
        return out;
      },
    };
  }

  /** The approval card of a hitl request event: tool, params, message, countdown, and every decision it allows. */
  function approvalCard(d) {
    const allowed = new Set(d.allowedDecisions || ['approve', 'reject']);
    const reason = h('input', { type: 'text', class: 'reason-input', testid: 'reject-reason', placeholder: 'Reason (optional, sent with a rejection)', maxlength: 1000 });
    const approve = h('button', { type: 'button', class: 'btn approve', testid: 'approve', text: 'Approve' });
    const reject = h('button', { type: 'button', class: 'btn reject', testid: 'reject', text: 'Reject' });
    const edit = allowed.has('edit') ? editForm(d) : null;
    const approveEdited = edit && h('button', { type: 'button', class: 'btn approve', testid: 'approve-edited', text: 'Approve with these edits' });
    const reply = allowed.has('respond') ? h('textarea', { class: 'reply-input', testid: 'reply-input', rows: 2, maxlength: 4000, placeholder: 'Reply instead of running the tool (the agent gets your message)' }) : null;
    const respond = reply && h('button', { type: 'button', class: 'btn', testid: 'respond', text: 'Send reply' });
    const buttons = [approve, reject, approveEdited, respond].filter(Boolean);
    const result = h('p', { class: 'approval-result', testid: 'approval-result', hidden: true });
    const timer = countdown(d.expiresAt, 'countdown');
    const group = d.groupSize > 1 ? h('span', { class: 'muted small', testid: 'approval-group', text: `${groupPosition(d)} of ${d.groupSize} asked together` }) : null;
    const card = h(
      'div',
      { class: 'approval-card', testid: 'approval-card', 'data-request-id': d.requestId, 'data-status': 'pending', 'data-group-id': d.groupId || d.requestId },
      h('div', { class: 'approval-head' }, h('span', { class: 'approval-title', text: 'Approval required' }), group, timer),
      h('p', { class: 'approval-message', testid: 'approval-message', text: d.message ?? '' }),
      h('div', { class: 'row' }, h('span', { class: 'muted', text: 'Tool' }), h('code', { class: 'tool', testid: 'approval-tool', text: d.toolName ?? '' })),
      labelled('Parameters', pre(d.params ?? {}, 'approval-params')),
      edit && h('details', { class: 'edit-details', testid: 'edit-details' }, h('summary', { text: 'Edit before approving' }), edit.node, approveEdited),
      reply && h('div', { class: 'reply-box' }, reply, respond),
      h('div', { class: 'approval-actions' }, allowed.has('reject') && reason, allowed.has('approve') && approve, allowed.has('reject') && reject),
      result,
      h('p', { class: 'muted small mono', text: `request ${d.requestId}` }),
    );
    const controller = {
      decided(status, why) {
        card.setAttribute('data-status', status);
        card.classList.add('is-decided');
        const item = card.closest('.event');
        if (item) item.setAttribute('data-decision', status);
        buttons.forEach((b) => (b.disabled = true));
        reason.disabled = true;
        if (reply) reply.disabled = true;
        timer.removeAttribute('data-expires-at');
        timer.textContent = status;
        result.hidden = false;
        result.textContent = why ? `${status[0].toUpperCase()}${status.slice(1)}: ${why}` : `${status[0].toUpperCase()}${status.slice(1)}.`;
      },
    };
    run.cards.set(d.requestId, controller);
    const act = async (verb, extra) => {
      buttons.forEach((b) => (b.disabled = true));
      const outcome = await decide(d.requestId, verb, reason.value.trim(), { paramsDigest: d.paramsDigest, ...extra });
      if (outcome) controller.decided(outcome.status, outcome.reason || outcome.response);
      else buttons.forEach((b) => (b.disabled = false));
    };
    approve.addEventListener('click', () => act('approve'));
    reject.addEventListener('click', () => act('reject'));
    if (approveEdited) {
      approveEdited.addEventListener('click', () => {
        let params;
        try {
          params = edit.read();
        } catch (err) {
          return notify('error', `Could not read the edits: ${err.message}`);
        }
        act('approve', { params });
      });
    }
    if (respond) {
      respond.addEventListener('click', () => {
        const message = reply.value.trim();
        if (!message) return notify('error', 'Write a reply first.');
        act('respond', { message });
      });
    }
    reason.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') act('reject');
    });
    return card;
  }

  /** The card's place in its group (ids after the first end in -2, -3, …). */
  function groupPosition(d) {
    if (!d.groupId || d.requestId === d.groupId) return 1;
    const n = Number(d.requestId.slice(d.groupId.length + 1));
    return Number.isInteger(n) && n > 0 ? n : '?';
  }

  const DONE_WORDS = { approve: 'Approved', reject: 'Rejected', respond: 'Replied to' };

  /**
   * POST approve/reject/respond with the digest of the params the card showed, so the decision is
   * bound to them; returns the request as it now is, or null when nothing was decided.
   */
  async function decide(requestId, verb, reason, extra) {
    try {
      const body = { ...(extra || {}) };
      if (verb === 'reject' && reason) body.reason = reason;
      if (!body.paramsDigest) delete body.paramsDigest;
      const updated = await api('POST', `aura/hitl/${verb}/${encodeURIComponent(requestId)}`, body);
      notify('info', `${body.params ? 'Approved with edits' : DONE_WORDS[verb]} ${updated.toolName || 'the request'}.`);
      return updated;
    } catch (err) {
      if (err.status === 409 && err.body && err.body.status === 'pending') {
        notify('error', 'The parameters changed since this card was shown: reload it before deciding.');
        return null;
      }
      if (err.status === 409 && err.body && err.body.status) {
        notify('info', `Already decided: ${err.body.status}.`);
        return err.body;
      }
      notify('error', `Could not ${verb}: ${inWords(err)}`);
      return null;
    } finally {
      refreshInbox();
    }
  }

  // ---- Inbox -------------------------------------------------------------------------------------

  const inbox = { busy: false, again: false, items: new Map() };

  async function refreshInbox() {
    if (!el.token.value.trim()) return;
    refreshRuns();
    if (inbox.busy) {
      inbox.again = true;
      return;
    }
    inbox.busy = true;
    try {
      const page = await api('GET', 'aura/hitl/requests?status=pending&limit=50');
      renderInbox(page.items || [], page.nextCursor);
      el.inboxUpdated.textContent = `Updated ${clock(new Date())} · refreshes every ${INBOX_INTERVAL_MS / 1000} s`;
      el.inboxUpdated.classList.remove('error-text');
    } catch (err) {
      el.inboxUpdated.textContent = `Could not load: ${err.message}`;
      el.inboxUpdated.classList.add('error-text');
    } finally {
      inbox.busy = false;
      if (inbox.again) {
        inbox.again = false;
        refreshInbox();
      }
    }
  }

  /** Keyed update: existing items (and a reason being typed) survive a refresh. */
  function renderInbox(items, nextCursor) {
    const keep = new Set(items.map((r) => r.requestId));
    for (const [id, node] of inbox.items) {
      if (!keep.has(id)) {
        node.remove();
        inbox.items.delete(id);
      }
    }
    items.forEach((r, index) => {
      let node = inbox.items.get(r.requestId);
      if (!node) {
        node = inboxItem(r);
        inbox.items.set(r.requestId, node);
      }
      if (el.inbox.children[index] !== node) el.inbox.insertBefore(node, el.inbox.children[index] || null);
    });
    el.inboxCount.textContent = String(items.length) + (nextCursor ? '+' : '');
    el.inboxCount.setAttribute('data-count', String(items.length));
    document.title = items.length ? `(${el.inboxCount.textContent}) Aura · Approvals console` : 'Aura · Approvals console';
    el.inboxEmpty.hidden = items.length > 0;
    el.inboxMore.hidden = !nextCursor;
    el.inboxMore.textContent = nextCursor ? `Showing the newest ${items.length}; more are waiting.` : '';
  }

  function inboxItem(r) {
    const reason = h('input', { type: 'text', class: 'reason-input', testid: 'inbox-reason', placeholder: 'Reason (for a rejection)', maxlength: 1000 });
    const buttons = [
      h('button', { type: 'button', class: 'btn small approve', testid: 'inbox-approve', text: 'Approve' }),
      h('button', { type: 'button', class: 'btn small reject', testid: 'inbox-reject', text: 'Reject' }),
    ];
    const act = async (verb) => {
      buttons.forEach((b) => (b.disabled = true));
      const outcome = await decide(r.requestId, verb, reason.value.trim(), { paramsDigest: r.paramsDigest });
      if (outcome && run.cards.has(r.requestId)) run.cards.get(r.requestId).decided(outcome.status, outcome.reason);
      if (!outcome) buttons.forEach((b) => (b.disabled = false));
    };
    buttons[0].addEventListener('click', () => act('approve'));
    buttons[1].addEventListener('click', () => act('reject'));
    const created = new Date(r.createdAt);
    return h(
      'li',
      { class: 'inbox-item', testid: 'inbox-item', 'data-request-id': r.requestId, 'data-session-id': r.sessionId },
      h('div', { class: 'inbox-head' }, h('code', { class: 'tool', text: r.toolName }), countdown(r.expiresAt, 'inbox-countdown')),
      h('p', { class: 'inbox-message', text: r.message }),
      h(
        'p',
        { class: 'muted small' },
        `by ${r.userId} · ${Number.isNaN(created.getTime()) ? '' : clock(created)} · session `,
        h('code', { class: 'mono', title: r.sessionId, text: r.sessionId.length > 14 ? `${r.sessionId.slice(0, 12)}…` : r.sessionId }),
      ),
      h('details', { class: 'params' }, h('summary', { text: 'Parameters' }), pre(r.params ?? {})),
      reason,
      h(
        'div',
        { class: 'inbox-actions' },
        buttons,
        h('button', {
          type: 'button',
          class: 'btn small ghost',
          testid: 'inbox-open',
          text: 'Open run',
          title: 'Watch this run in the timeline',
          onclick: () => {
            el.session.value = r.sessionId;
            startRun(r.sessionId);
          },
        }),
      ),
    );
  }

  // ---- Recent runs -------------------------------------------------------------------------------

  const runsView = { busy: false };

  /** The tenant's newest runs (GET /aura/runs): a run can be looked up and reopened without its session id at hand. */
  async function refreshRuns() {
    if (runsView.busy || !el.token.value.trim()) return;
    runsView.busy = true;
    try {
      const page = await api('GET', 'aura/runs?limit=10');
      const items = page.items || [];
      el.runs.replaceChildren(...items.map(runItem));
      el.runsEmpty.hidden = items.length > 0;
    } catch (err) {
      el.runsEmpty.hidden = false;
      el.runsEmpty.textContent = `Could not load: ${err.message}`;
    } finally {
      runsView.busy = false;
    }
  }

  function runItem(r) {
    const created = new Date(r.createdAt);
    const waiting = (r.pendingRequestIds || []).length;
    return h(
      'li',
      { class: 'run-item', testid: 'run-item', 'data-session-id': r.sessionId, 'data-status': r.status },
      h(
        'div',
        { class: 'inbox-head' },
        h('code', { class: 'mono', title: r.sessionId, text: r.sessionId.length > 18 ? `${r.sessionId.slice(0, 16)}…` : r.sessionId }),
        badge(r.status, 'run-status'),
      ),
      h(
        'p',
        { class: 'muted small' },
        `by ${r.userId} · ${Number.isNaN(created.getTime()) ? '' : clock(created)} · ${r.lastSeq} events${waiting ? ` · ${waiting} waiting for a decision` : ''}`,
      ),
      h('button', {
        type: 'button',
        class: 'btn small ghost',
        testid: 'run-open',
        text: 'Open',
        title: 'Watch (or replay) this run in the timeline',
        onclick: () => {
          el.session.value = r.sessionId;
          startRun(r.sessionId);
        },
      }),
    );
  }

  // ---- Wiring ------------------------------------------------------------------------------------

  el.form.addEventListener('submit', (e) => {
    e.preventDefault();
    startRun(el.session.value.trim() || undefined);
  });
  el.reconnect.addEventListener('click', () => reconnect(true));
  el.cancel.addEventListener('click', cancelRun);
  el.inboxRefresh.addEventListener('click', refreshInbox);
  el.runsRefresh.addEventListener('click', refreshRuns);
  el.token.addEventListener('change', onTokenChange);
  el.token.addEventListener('input', () => {
    const payload = jwtPayload(el.token.value.trim());
    if (payload && typeof payload.tenant_id === 'string') el.tenant.value = payload.tenant_id;
  });
  el.tenant.addEventListener('change', refreshInbox);
  setInterval(() => {
    if (!document.hidden) refreshInbox();
  }, INBOX_INTERVAL_MS);

  async function init() {
    let config = {};
    try {
      const res = await fetch(url('console/config.json'), { cache: 'no-store' });
      if (res.ok) config = await res.json();
    } catch {
      config = {};
    }
    let saved = '';
    try {
      saved = sessionStorage.getItem('aura.console.token') || '';
    } catch {
      saved = '';
    }
    if (config.demoToken) {
      el.token.value = config.demoToken;
      el.demoFlag.hidden = false;
    } else if (saved) {
      el.token.value = saved;
    }
    onTokenChange();
    if (config.tenantId && !el.tenant.value) el.tenant.value = config.tenantId;
    document.body.setAttribute('data-ready', 'true');
  }

  setRunState('idle');
  setConn('idle');
  init();
})();
