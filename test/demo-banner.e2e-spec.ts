import { spawn, spawnSync } from 'node:child_process';
import { ServiceProcess, waitFor } from './support/process';

/**
 * `npm run start:demo` as a newcomer sees it: the banner is the last thing printed, and its
 * commands, pasted into bash as they are, watch a new run and approve it.
 */
describe('Demo banner', () => {
  // What start:demo sets, with info logs (the most start-up output) to show the banner still comes last.
  const demoEnv = { AURA_DEMO: 'true', JWT_SECRET: '', NODE_ENV: 'development', LOG_LEVEL: 'info', DEMO_STEP_DELAY_MS: '20' };
  let first: ServiceProcess;
  let second: ServiceProcess;

  beforeAll(async () => {
    [first, second] = await Promise.all([ServiceProcess.start(demoEnv), ServiceProcess.start(demoEnv)]);
    await waitFor(() => first.output.includes('In another terminal') && second.output.includes('In another terminal'), 10000, 'the banners');
  });
  afterAll(async () => {
    await Promise.all([first?.kill('SIGTERM'), second?.kill('SIGTERM')]);
  });

  const commands = (svc: ServiceProcess) => svc.output.split('\n').filter((l) => l.startsWith('curl '));
  const sessionOf = (svc: ServiceProcess) => /sessionId=(demo-[\w-]+)&/.exec(commands(svc)[0])?.[1];

  it('prints last, after every start-up line, with the start script keeping logs to warnings', async () => {
    await new Promise((r) => setTimeout(r, 1000));
    const lines = first.output.trimEnd().split('\n');
    const top = lines.findIndex((l) => l.includes('Aura demo is running'));
    expect(top).toBeGreaterThan(0);
    expect(lines.slice(top).some((l) => /"level"|INFO|WARN/.test(l))).toBe(false);
    expect(lines.at(-1)).toMatch(/^curl -sS -X POST /);
    expect(require('../package.json').scripts['start:demo']).toContain('LOG_LEVEL=${LOG_LEVEL:-warn}');
  });

  it('uses a new session id on every start', () => {
    expect(sessionOf(first)).toMatch(/^demo-[0-9a-f]{8}$/);
    expect(sessionOf(second)).toMatch(/^demo-[0-9a-f]{8}$/);
    expect(sessionOf(first)).not.toBe(sessionOf(second));
  });

  it('has commands that run in bash as printed: the stream pauses, the approve finds its request, the stream ends completed', async () => {
    const [stream, approve] = commands(first);
    expect(commands(first)).toHaveLength(2);
    for (const cmd of [stream, approve]) expect(spawnSync('bash', ['-n', '-c', cmd]).status).toBe(0);
    expect(stream).toContain(`http://localhost:${first.port}/`);

    let out = '';
    const watcher = spawn('bash', ['-c', stream], { stdio: ['ignore', 'pipe', 'ignore'] });
    watcher.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => watcher.once('exit', resolve));
    try {
      await waitFor(() => out.includes('event: hitl'), 10000, 'the hitl event from the pasted stream command');
      expect(out).toContain('Analyzing the request: check incidents');
      const approved = spawnSync('bash', ['-c', approve], { encoding: 'utf8' });
      expect(approved.status).toBe(0);
      expect(approved.stderr).toBe('');
      expect(JSON.parse(approved.stdout)).toMatchObject({ sessionId: sessionOf(first), status: 'approved', decidedBy: 'demo-user' });
      expect(await exited).toBe(0);
      expect(out).toMatch(/event: done\nid: 13\ndata: \{"type":"done","data":\{"status":"completed"\}\}/);
    } finally {
      watcher.kill();
    }
  });
});
