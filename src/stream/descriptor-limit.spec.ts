import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openFileSoftLimit, streamCapacity } from './descriptor-limit';

describe('descriptor limit', () => {
  it('reads the soft limit of open files from a limits file', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'limits-')), 'limits');
    writeFileSync(file, 'Limit                     Soft Limit           Hard Limit           Units     \nMax open files            1024                 1048576              files     \n');
    expect(openFileSoftLimit(file)).toBe(1024);
    expect(openFileSoftLimit(join(tmpdir(), 'no-such-limits-file'))).toBeNull();
  });

  it('keeps at least 128 descriptors, or a tenth of the limit, out of the streams', () => {
    expect(streamCapacity(256)).toBe(128);
    expect(streamCapacity(65536)).toBe(65536 - 6554);
    expect(streamCapacity(100)).toBe(0);
    expect(streamCapacity(null)).toBe(Number.POSITIVE_INFINITY);
  });
});
