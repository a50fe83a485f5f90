import { retryDelayMs } from './backoff';

describe('retryDelayMs', () => {
  it('grows about 1 s, 5 s, 30 s, 2 min, 10 min, then hourly', () => {
    expect([1, 2, 3, 4, 5, 6, 9].map((n) => retryDelayMs(n, () => 0.5))).toEqual([1000, 5000, 30000, 120000, 600000, 3600000, 3600000]);
  });

  it('jitters within ±20 %', () => {
    expect(retryDelayMs(2, () => 0)).toBe(4000);
    expect(retryDelayMs(2, () => 1)).toBe(6000);
  });
});
