/**
 * The Node runtime the project declares is the one it ships and tests on, and every installed
 * package accepts it: `npm ci` must not warn EBADENGINE on the declared runtime.
 */
import { readFileSync } from 'fs';
import { join, resolve } from 'path';
import semver from 'semver';

const ROOT = resolve(__dirname, '..');
const read = (file: string) => readFileSync(join(ROOT, file), 'utf8');
const pkg = JSON.parse(read('package.json')) as { engines: { node: string } };
const lock = JSON.parse(read('package-lock.json')) as { packages: Record<string, { version?: string; engines?: Record<string, string> | string[] }> };

describe('Declared Node runtime', () => {
  const declared = pkg.engines.node;

  it('is one major version: the one the Dockerfile builds and runs on', () => {
    const range = new semver.Range(declared);
    const major = semver.minVersion(range)!.major;
    expect(semver.satisfies(`${major + 1}.0.0`, range)).toBe(false);
    const froms = [...read('docker/Dockerfile').matchAll(/^FROM node:(\d+)\b/gm)].map((m) => Number(m[1]));
    expect(froms.length).toBeGreaterThan(0);
    expect(new Set(froms)).toEqual(new Set([major]));
  });

  it('is what runs these tests (CI and the README’s machine)', () => {
    expect(semver.satisfies(process.version, declared)).toBe(true);
  });

  it('is accepted by the engines field of every package in the lockfile', () => {
    const refusing = Object.entries(lock.packages)
      .filter(([path, p]) => path !== '' && p.engines && !Array.isArray(p.engines) && p.engines.node)
      .filter(([, p]) => !semver.subset(declared, (p.engines as Record<string, string>).node))
      .map(([path, p]) => `${path.replace(/^.*node_modules\//, '')}@${p.version} wants node ${(p.engines as Record<string, string>).node}`);
    expect(refusing).toEqual([]);
  });

  it('is named in the README', () => {
    expect(read('README.md')).toMatch(/Node(\.js)? 20\b/);
  });
});
