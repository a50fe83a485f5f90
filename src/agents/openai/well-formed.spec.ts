import { WellFormedStream, wellFormed, wellFormedJson } from './well-formed';

describe('well-formed text', () => {
  it('replaces lone surrogates with U+FFFD and keeps pairs', () => {
    expect(wellFormed('a\ud800b\udfffc\ud83d\ude00')).toBe('a\ufffdb\ufffdc\ud83d\ude00');
    expect(wellFormed('\ud83d')).toBe('\ufffd');
    expect(wellFormedJson({ ['k\udc00']: ['\ud800', 1, null, { x: 'ok' }], __proto__x: 1 })).toEqual({ 'k\ufffd': ['\ufffd', 1, null, { x: 'ok' }], __proto__x: 1 });
    // A "__proto__" key from JSON stays an own property, as JSON.parse made it.
    const parsed = wellFormedJson(JSON.parse('{"__proto__": {"polluted": true}}')) as Record<string, unknown>;
    expect(Object.keys(parsed)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('keeps a pair split across two streamed pieces, and ends a dangling half as U+FFFD', () => {
    const s = new WellFormedStream();
    expect(s.push('smile \ud83d')).toBe('smile ');
    expect(s.push('\ude00!')).toBe('\ud83d\ude00!');
    expect(s.push('half \ud83d')).toBe('half ');
    expect(s.push('x')).toBe('\ufffdx');
    expect(s.push('\ud800')).toBe('');
    expect(s.end()).toBe('\ufffd');
    expect(s.end()).toBe('');
  });
});
