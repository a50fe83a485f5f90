#!/usr/bin/env node
// Runs the built service (dist/main.js) under V8's CPU profiler and writes the profile when the
// process is stopped (SIGTERM or SIGINT, as the bench stops its instances):
//   BENCH_SERVICE_CMD=bench/profile/profiled-main.cjs BENCH_TARGETS=service ... node bench/run.mjs
// Each instance writes <temp dir>/aura-<pid>.cpuprofile and prints the path to its log (bench/out/…);
// the bench passes instances a clean environment, so this takes no settings. Read the profiles with
// bench/profile/split.mjs. Sampling every 500 µs costs CPU: read the shares, not the times.
const inspector = require('node:inspector');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const INTERVAL_US = 500;
const session = new inspector.Session();
session.connect();
const post = (method, params) => new Promise((resolve, reject) => session.post(method, params, (err, res) => (err ? reject(err) : resolve(res))));

(async () => {
  await post('Profiler.enable');
  await post('Profiler.setSamplingInterval', { interval: INTERVAL_US });
  await post('Profiler.start');
  const stop = async () => {
    const { profile } = await post('Profiler.stop');
    const file = path.join(os.tmpdir(), `aura-${process.pid}.cpuprofile`);
    fs.writeFileSync(file, JSON.stringify(profile));
    console.error(`cpu profile written to ${file}`);
    process.exit(0);
  };
  // Before the service's own handlers: the profile is written whatever they do.
  process.prependOnceListener('SIGTERM', stop);
  process.prependOnceListener('SIGINT', stop);
  require(path.join(__dirname, '..', '..', 'dist', 'main.js'));
})();
