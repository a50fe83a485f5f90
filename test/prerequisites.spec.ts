import { spawnSync } from 'child_process';
import { mkdtempSync } from 'fs';
import { tmpdir } from 'os';
import { join, resolve } from 'path';

/**
 * On a fresh machine the test command stops at once with ONE line naming the install command
 * (before the build, and in the Jest global setup for `npx jest …`), never with a stack trace.
 */
const ROOT = resolve(__dirname, '..');
const EMPTY_PATH = mkdtempSync(join(tmpdir(), 'aura-nopath-'));
// Nothing on PATH, and a Chromium that is not there: redis-server, chromium and curl are missing
// whatever this machine has (nginx may still be found in /usr/sbin, where Debian puts it).
const bare = { PATH: EMPTY_PATH, HOME: tmpdir(), CHROMIUM_PATH: join(EMPTY_PATH, 'chromium') };
const INSTALL_LINE = /^The tests need [a-z-]+(, [a-z-]+)*: (sudo )?apt-get update && (sudo )?apt-get install -y [a-z -]+$/;

describe('Missing test prerequisites', () => {
  it('the pretest check prints one line with the exact apt-get command and exits 1', () => {
    const r = spawnSync(process.execPath, [join(ROOT, 'test/support/prerequisites.js')], { env: bare, encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(INSTALL_LINE);
    expect(lines[0]).toMatch(/apt-get install -y redis-server chromium( nginx)? curl$/);
  });

  it('is part of `npm test` before the build', () => {
    const pkg = require(join(ROOT, 'package.json')) as { scripts: Record<string, string> };
    expect(pkg.scripts.pretest.startsWith('node test/support/prerequisites.js && ')).toBe(true);
  });

  it('`npx jest` on an e2e test stops in the global setup with the same one line, before any test runs', () => {
    const r = spawnSync(process.execPath, [join(ROOT, 'node_modules/jest/bin/jest.js'), '--config', 'jest.config.js', 'test/in-process.e2e-spec.ts'], {
      cwd: ROOT,
      env: bare,
      encoding: 'utf8',
      timeout: 60000,
    });
    expect(r.status).toBe(1);
    const lines = r.stderr.split('\n').filter((l) => l.trim() !== '');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(INSTALL_LINE);
  }, 60000);

  it('the unit tier needs none of them: it runs where Redis, Chromium and nginx are missing', () => {
    const r = spawnSync(process.execPath, [join(ROOT, 'node_modules/jest/bin/jest.js'), '--config', 'jest.config.js', 'test/runtime.spec.ts', '--selectProjects', 'unit'], {
      cwd: ROOT,
      env: bare,
      encoding: 'utf8',
      timeout: 60000,
    });
    expect(r.stderr).toMatch(/Tests:\s+\d+ passed/);
    expect(r.status).toBe(0);
  }, 60000);
});
