import { createServer, Server } from 'node:net';
import { testRedisUrl } from './support/app';
import { freePort, ServiceProcess, waitFor } from './support/process';

/** What the built service (dist/main.js) says when it starts, and when it cannot. */
describe('Start-up', () => {
  const infoLines = (svc: ServiceProcess) =>
    svc.output
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { level: number; context?: string; msg?: string })
      .filter((l) => l.context === 'Aura');

  it('logs one info line with the version, port, agent, Redis host:port (no password) and instance id', async () => {
    const url = new URL(testRedisUrl());
    url.password = 'not-in-the-log';
    const svc = await ServiceProcess.start({ REDIS_URL: url.toString(), LOG_LEVEL: 'info', AGENT: 'worker' });
    try {
      await waitFor(() => infoLines(svc).length > 0, 3000, 'the start-up line');
      const lines = infoLines(svc);
      expect(lines).toHaveLength(1);
      const { version } = require('../package.json') as { version: string };
      expect(lines[0].level).toBe(30);
      expect(lines[0].msg).toMatch(
        new RegExp(`^Aura ${version.replace(/\./g, '\\.')} listening on port ${svc.port}: agent worker, Redis redis ${url.hostname}:${url.port} db \\d+, instance [A-Za-z0-9._-]+-[0-9a-f]{8}$`),
      );
      expect(svc.output).not.toContain('not-in-the-log');
    } finally {
      await svc.kill();
    }
  });

  it('says "in-memory" without REDIS_URL', async () => {
    const svc = await ServiceProcess.start({ LOG_LEVEL: 'info' });
    try {
      await waitFor(() => infoLines(svc).length > 0, 3000, 'the start-up line');
      expect(infoLines(svc).map((l) => l.msg)).toEqual([expect.stringMatching(new RegExp(`listening on port ${svc.port}: agent demo, Redis in-memory \\(one instance only\\), instance `))]);
    } finally {
      await svc.kill();
    }
  });

  describe('on a port that is taken', () => {
    let taken: Server;
    let port: number;
    beforeAll(async () => {
      port = await freePort();
      taken = createServer();
      await new Promise<void>((resolve) => taken.listen(port, resolve));
    });
    afterAll(() => new Promise<void>((resolve) => taken.close(() => resolve())));

    it('prints one line naming the port and exits 1, with no stack', async () => {
      const svc = new ServiceProcess(port, { LOG_LEVEL: 'warn' });
      expect(await svc.exited).toBe(1);
      expect(svc.output).toBe(`aura: port ${port} is already in use: set PORT to a free port\n`);
    });
  });
});
