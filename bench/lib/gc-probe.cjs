// Preloaded into the measured servers with `node --expose-gc --require bench/lib/gc-probe.cjs`.
// On SIGWINCH: full GC, then write {heapUsed, rss, t} to $BENCH_PROBE_DIR/mem-<pid>.json.
// The file is opened once at start (so the probe still works when the process is at its fd
// limit) and rewritten in place as one padded 512-byte pwrite; nothing here may throw into the
// measured process. It adds no timer and keeps no handle alive.
// SIGWINCH, not SIGUSR2: Nest's enableShutdownHooks() shuts the app down on SIGUSR2, and
// SIGWINCH's default action is to be ignored, so it is harmless when the probe is not loaded.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const v8 = require('node:v8');
const dir = process.env.BENCH_PROBE_DIR;
if (dir && typeof global.gc === 'function') {
  let fd = -1;
  try {
    fd = fs.openSync(path.join(dir, `mem-${process.pid}.json`), 'w');
  } catch {
    fd = -1;
  }
  if (fd >= 0) {
    process.on('SIGWINCH', () => {
      try {
        global.gc();
        setImmediate(() => {
          try {
            global.gc();
            const h = v8.getHeapStatistics();
            let rss = null;
            try {
              rss = process.memoryUsage.rss();
            } catch {
              rss = null; // EMFILE: the harness reads /proc/<pid>/status itself
            }
            const buf = Buffer.alloc(512, 0x20);
            buf.write(JSON.stringify({ heapUsed: h.used_heap_size, heapTotal: h.total_heap_size, external: h.external_memory, rss, t: Date.now() }));
            fs.writeSync(fd, buf, 0, buf.length, 0);
          } catch {
            /* never disturb the measured process */
          }
        });
      } catch {
        /* idem */
      }
    });
  }
}
