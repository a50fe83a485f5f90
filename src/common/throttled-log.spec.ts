import { ThrottledLog } from './throttled-log';

describe('ThrottledLog', () => {
  it('writes one line per cause per interval and counts what it held back', () => {
    let now = 0;
    const lines: string[] = [];
    const log = new ThrottledLog((l) => lines.push(l), 5000, () => now);
    for (let i = 0; i < 14; i++) {
      log.log('ECONNREFUSED', 'command connection: connect ECONNREFUSED');
      log.log('ETIMEDOUT', 'subscriber connection: ETIMEDOUT');
      now += 70;
    }
    expect(lines).toEqual(['command connection: connect ECONNREFUSED', 'subscriber connection: ETIMEDOUT']);
    now = 5000;
    log.log('ECONNREFUSED', 'command connection: connect ECONNREFUSED');
    expect(lines.at(-1)).toBe('command connection: connect ECONNREFUSED (13 more like it in the last 5 s)');
    now = 10001;
    log.log('ECONNREFUSED', 'again');
    expect(lines.at(-1)).toBe('again');
  });
});
