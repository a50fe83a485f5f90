import { createHash } from 'node:crypto';
import { paramsDigest, responseSchema, toInterrupt } from './interrupts';

describe('interrupts', () => {
  it('paramsDigest is sha256 of the params in RFC 8785 canonical JSON: key order and number spelling do not matter', () => {
    const expected = `sha256:${createHash('sha256').update('{"a":[1,"x"],"b":{"c":1e+21,"d":0.5}}').digest('hex')}`;
    expect(paramsDigest({ b: { d: 0.5, c: 1e21 }, a: [1, 'x'] })).toBe(expected);
    expect(paramsDigest(JSON.parse('{"a":[1.0,"x"],"b":{"c":1000000000000000000000,"d":5e-1}}'))).toBe(expected);
  });

  it('offers editedArgs and message in the response schema only where the request allows edit and respond', () => {
    expect(Object.keys((responseSchema(['approve', 'reject']) as { properties: object }).properties)).toEqual(['approved']);
    expect(Object.keys((responseSchema(['approve', 'edit', 'reject', 'respond']) as { properties: object }).properties)).toEqual(['approved', 'editedArgs', 'message']);
  });

  it('keeps a digest and decisions the request carries', () => {
    const i = toInterrupt({ requestId: 'q', toolName: 't', params: {}, message: 'm', expiresAt: 'e', paramsDigest: 'sha256:ab', allowedDecisions: ['approve'] });
    expect(i.metadata).toEqual({ aura: { requestId: 'q', toolName: 't', params: {}, paramsDigest: 'sha256:ab', allowedDecisions: ['approve'] } });
  });
});
