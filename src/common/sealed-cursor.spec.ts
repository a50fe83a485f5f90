import { CursorSeal } from './sealed-cursor';

describe('CursorSeal', () => {
  const seal = new CursorSeal('secret-one');

  it('opens what it sealed for the same scope, and shows nothing of it', () => {
    const c = seal.seal('1700000000000:req-abc', 'inbox:acme');
    expect(c).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(Buffer.from(c, 'base64url').toString('latin1')).not.toContain('req-abc');
    expect(seal.open(c, 'inbox:acme')).toBe('1700000000000:req-abc');
  });

  it('refuses another scope, another secret, a changed byte, and garbage', () => {
    const c = seal.seal('1700000000000:req-abc', 'inbox:acme');
    expect(seal.open(c, 'inbox:other')).toBeNull();
    expect(new CursorSeal('secret-two').open(c, 'inbox:acme')).toBeNull();
    const raw = Buffer.from(c, 'base64url');
    raw[raw.length - 1] ^= 1;
    expect(seal.open(raw.toString('base64url'), 'inbox:acme')).toBeNull();
    expect(seal.open('MTcwMDAwMDAwMDAwMDpyZXEtYWJj', 'inbox:acme')).toBeNull();
    expect(seal.open('x', 'inbox:acme')).toBeNull();
  });
});
