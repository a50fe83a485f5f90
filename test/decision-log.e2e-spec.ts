import request from 'supertest';
import { testRedisUrl, uniqueId } from './support/app';
import { ServiceProcess, waitFor } from './support/process';
import { authHeaders } from './support/tokens';

/** Every decision leaves an info line in the built service's log: who, which request, which outcome; never params or prompts. */
describe('decision log lines', () => {
  let svc: ServiceProcess;
  const alice = authHeaders('alice', 'acme');
  beforeAll(async () => (svc = await ServiceProcess.start({ REDIS_URL: testRedisUrl(), LOG_LEVEL: 'info' })));
  afterAll(() => svc.kill());

  const paused = async (sessionId: string, prompt: string) => {
    await request(svc.url).post('/aura/runs').set(alice).send({ sessionId, prompt }).expect(201);
    let requestId = '';
    await waitFor(async () => {
      requestId = (await request(svc.url).get(`/aura/runs/${sessionId}`).set(alice)).body.pendingRequestIds?.[0] ?? '';
      return requestId !== '';
    }, 10000, 'the pause');
    return requestId;
  };

  it('logs an approval over HTTP and a cancel, by user, without params or prompt', async () => {
    const approvedId = await paused(uniqueId('dlog'), 'Prompt-secret-one');
    await request(svc.url).post(`/aura/hitl/approve/${approvedId}`).set(authHeaders('bob', 'acme')).expect(200);
    const cancelSession = uniqueId('dlog');
    const cancelledId = await paused(cancelSession, 'Prompt-secret-two');
    await request(svc.url).post(`/aura/runs/${cancelSession}/cancel`).set(alice).expect(200);
    const decisions = () => svc.output.split('\n').filter((l) => l.includes('Decision: '));
    await waitFor(() => decisions().length >= 2, 5000, 'two decision lines');
    const text = decisions().join('\n');
    expect(text).toMatch(new RegExp(`Decision: approved request ${approvedId} \\(tool send_email\\) of session [^,]+, tenant acme, by user \\\\?"bob\\\\?"`));
    expect(text).toMatch(new RegExp(`Decision: cancelled request ${cancelledId} .* by user \\\\?"alice\\\\?"`));
    expect(text).not.toContain('Prompt-secret');
    expect(text).not.toContain('"params"');
  });
});
