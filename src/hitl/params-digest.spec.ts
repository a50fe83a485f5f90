import { createHash } from 'node:crypto';
import { paramsDigest } from './params-digest';

describe('paramsDigest', () => {
  it('is the sha256 of the RFC 8785 form: sorted keys, no spaces, shortest numbers', () => {
    const jcs = '{"a":[1,"x",{"b":null}],"n":100000000000000000000,"z":1.5}';
    expect(paramsDigest({ z: 1.5, n: 1e20, a: [1, 'x', { b: null }] })).toBe(`sha256:${createHash('sha256').update(jcs).digest('hex')}`);
  });

  it('does not depend on key order, and changes with any value', () => {
    expect(paramsDigest({ to: 'a@b.c', subject: 's' })).toBe(paramsDigest({ subject: 's', to: 'a@b.c' }));
    expect(paramsDigest({ to: 'a@b.c' })).not.toBe(paramsDigest({ to: 'a@b.d' }));
  });
});
