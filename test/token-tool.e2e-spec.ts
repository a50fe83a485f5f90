import { execFileSync, spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { startApp, TestApp } from './support/app';
import { TEST_SECRET } from './support/tokens';

describe('npm run token (dist/tools/token.js)', () => {
  const tool = join(__dirname, '..', 'dist', 'tools', 'token.js');
  let app: TestApp;
  beforeAll(async () => (app = await startApp()));
  afterAll(() => app.close());

  it('prints a token the service accepts, for the given user, tenant and ttl', async () => {
    const token = execFileSync(process.execPath, [tool, '--sub', 'alice', '--tenant', 'acme', '--ttl', '120'], {
      env: { PATH: process.env.PATH ?? '', JWT_SECRET: TEST_SECRET },
      cwd: tmpdir(),
      encoding: 'utf8',
    }).trim();
    const claims = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString());
    expect(claims).toMatchObject({ sub: 'alice', tenant_id: 'acme' });
    expect(claims.exp - claims.iat).toBe(120);
    await request(app.url).get('/aura/hitl/requests').set({ Authorization: `Bearer ${token}`, 'X-Tenant-ID': 'acme' }).expect(200);
  });

  it('prints a worker token with --worker: scope aura:worker, no tenant, accepted on the worker routes only', async () => {
    const token = execFileSync(process.execPath, [tool, '--worker'], { env: { PATH: process.env.PATH ?? '', JWT_SECRET: TEST_SECRET }, cwd: tmpdir(), encoding: 'utf8' }).trim();
    const claims = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString());
    expect(claims).toMatchObject({ sub: 'worker', scope: 'aura:worker' });
    expect(claims.tenant_id).toBeUndefined();
    await request(app.url).post('/aura/worker/claim').set({ Authorization: `Bearer ${token}` }).send({}).expect(204);
    await request(app.url).get('/aura/hitl/requests').set({ Authorization: `Bearer ${token}` }).expect(403);
  });

  it('refuses without JWT_SECRET or with a bad ttl, in one line', () => {
    const none = spawnSync(process.execPath, [tool], { env: { PATH: process.env.PATH ?? '' }, cwd: tmpdir(), encoding: 'utf8' });
    expect(none.status).toBe(1);
    expect(none.stderr).toMatch(/^token: JWT_SECRET is required/);
    const bad = spawnSync(process.execPath, [tool, '--ttl', 'soon'], { env: { PATH: process.env.PATH ?? '', JWT_SECRET: 'x' }, cwd: tmpdir(), encoding: 'utf8' });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/^token: --ttl must be/);
  });

  it('prints its usage with --help (and -h), without needing JWT_SECRET; an unknown option points to it', () => {
    for (const flag of ['--help', '-h']) {
      const res = spawnSync(process.execPath, [tool, flag], { env: { PATH: process.env.PATH ?? '' }, cwd: tmpdir(), encoding: 'utf8' });
      expect(res.status).toBe(0);
      expect(res.stderr).toBe('');
      expect(res.stdout).toMatch(/^Usage: npm run --silent token -- /);
      for (const option of ['--sub', '--tenant', '--ttl', '--worker', '--help']) expect(res.stdout).toContain(option);
    }
    const unknown = spawnSync(process.execPath, [tool, '--user', 'x'], { env: { PATH: process.env.PATH ?? '' }, cwd: tmpdir(), encoding: 'utf8' });
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toMatch(/^token: Unknown option '--user'.*\(--help lists the options\)\n$/);
  });
});
