import { versionProblem } from './redis-connections';

describe('versionProblem', () => {
  it('accepts Redis 7 and newer, and a version it cannot read; refuses older ones in one line', () => {
    expect(versionProblem('7.0.15')).toBeNull();
    expect(versionProblem('7.2.4')).toBeNull();
    expect(versionProblem('10.0.0')).toBeNull();
    expect(versionProblem('unknown')).toBeNull();
    expect(versionProblem('6.2.14')).toBe('Redis 6.2.14 is too old: Aura needs Redis 7.0 or newer');
    expect(versionProblem('5.0.7')).toMatch(/^Redis 5\.0\.7 is too old[^\n]*$/);
  });
});
