#!/usr/bin/env node
'use strict';
/**
 * What the tests need besides Node and npm: redis-server, Chromium (the console's
 * browser tests), nginx (the gateway test with docker/nginx/default.conf) and curl (the demo
 * banner's commands). Found on PATH (plus /usr/sbin, where Debian puts nginx), or from
 * CHROMIUM_PATH / NGINX_PATH. Run as a script it prints ONE line naming the exact install command
 * and exits 1 when something is missing; `npm test` runs it before building, the Jest global setup
 * again (for `npx jest …`).
 */
const { accessSync, constants } = require('fs');
const { delimiter, join } = require('path');

function onPath(names, extraDirs = []) {
  const dirs = [...(process.env.PATH || '').split(delimiter).filter(Boolean), ...extraDirs];
  for (const name of names) {
    for (const dir of dirs) {
      const file = join(dir, name);
      try {
        accessSync(file, constants.X_OK);
        return file;
      } catch {
        // Not here.
      }
    }
  }
  return undefined;
}

function executable(file) {
  try {
    accessSync(file, constants.X_OK);
    return file;
  } catch {
    return undefined;
  }
}

/** { found: {redis, chromium, nginx, curl}, missing: [debian package names] } */
function findPrerequisites(env = process.env) {
  const found = {
    // Also with REDIS_URL: test/redis-faults stops and restarts a redis-server of its own.
    redis: onPath(['redis-server']),
    chromium: env.CHROMIUM_PATH ? executable(env.CHROMIUM_PATH) : onPath(['chromium', 'chromium-browser']),
    nginx: env.NGINX_PATH ? executable(env.NGINX_PATH) : onPath(['nginx'], ['/usr/sbin', '/usr/local/sbin', '/sbin']),
    curl: onPath(['curl']),
  };
  const packages = { redis: 'redis-server', chromium: 'chromium', nginx: 'nginx', curl: 'curl' };
  const missing = Object.keys(packages).filter((k) => !found[k]).map((k) => packages[k]);
  return { found, missing };
}

/** The one line to print, or null when nothing is missing. */
function missingLine(missing, isRoot = process.getuid ? process.getuid() === 0 : false) {
  if (!missing.length) return null;
  const sudo = isRoot ? '' : 'sudo ';
  return `The tests need ${missing.join(', ')}: ${sudo}apt-get update && ${sudo}apt-get install -y ${missing.join(' ')}`;
}

module.exports = { findPrerequisites, missingLine };

if (require.main === module) {
  // `--packages`: just the Debian package names that are missing, for .ci/run to install.
  if (process.argv.includes('--packages')) {
    process.stdout.write(findPrerequisites().missing.join(' '));
    process.exit(0);
  }
  const line = missingLine(findPrerequisites().missing);
  if (line) {
    process.stderr.write(`${line}\n`);
    process.exit(1);
  }
}
