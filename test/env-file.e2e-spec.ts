import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, ServiceProcess } from './support/process';
import { testRedisUrl } from './support/app';
import { token } from './support/tokens';

describe('.env in the working directory', () => {
  const dir = mkdtempSync(join(tmpdir(), 'aura-env-'));
  let svc: ServiceProcess | undefined;
  afterAll(async () => {
    await svc?.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is read at start-up, and a variable of the real environment wins over it', async () => {
    const fileSecret = 'secret-from-the-env-file-0123456789abcdef';
    const portInFile = await freePort();
    writeFileSync(join(dir, '.env'), `# copied from .env.example\nJWT_SECRET=${fileSecret}\nPORT=${portInFile}\nHITL_TIMEOUT_SECONDS="42"\n`);
    // No JWT_SECRET in the real environment: without the file the service would refuse to start.
    svc = await ServiceProcess.start({ JWT_SECRET: undefined, REDIS_URL: testRedisUrl() }, undefined, { cwd: dir });
    expect(svc.port).not.toBe(portInFile);
    const auth = (secret: string) => ({ Authorization: `Bearer ${token('alice', 'acme', {}, secret)}`, 'X-Tenant-ID': 'acme' });
    expect((await fetch(`${svc.url}/aura/hitl/requests`, { headers: auth(fileSecret) })).status).toBe(200);
    expect((await fetch(`${svc.url}/aura/hitl/requests`, { headers: auth('another-secret-0123456789abcdefghij') })).status).toBe(401);
    await expect(fetch(`http://127.0.0.1:${portInFile}/health/live`)).rejects.toThrow();
  });

  it('is not needed: without one, a missing JWT_SECRET still refuses to start in one line', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'aura-noenv-'));
    try {
      const p = new ServiceProcess(await freePort(), { JWT_SECRET: undefined }, { cwd: empty });
      expect(await p.exited).toBe(1);
      expect(p.output).toMatch(/^aura: JWT_SECRET is required[^\n]*\n$/);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
