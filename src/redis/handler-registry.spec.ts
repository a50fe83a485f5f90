import { HandlerRegistry } from './bus';

describe('HandlerRegistry', () => {
  const received: string[] = [];
  const handler = (tag: string) => (message: string, channel: string) => received.push(`${tag}:${channel}:${message}`);
  const noError = () => {
    throw new Error('no handler should fail');
  };

  beforeEach(() => (received.length = 0));

  it('says first on the first handler of a name and last when its last handler goes, with one or many handlers', () => {
    const reg = new HandlerRegistry();
    const a = handler('a');
    const b = handler('b');
    expect(reg.add('ch', a)).toBe(true);
    expect(reg.add('ch', b)).toBe(false);
    expect(reg.remove('ch', a)).toBe(false);
    expect(reg.remove('ch', a)).toBe(false);
    expect(reg.add('ch', a)).toBe(false);
    expect(reg.remove('ch', b)).toBe(false);
    expect(reg.remove('ch', a)).toBe(true);
    expect(reg.remove('ch', a)).toBe(false);
    expect(reg.add('ch', b)).toBe(true);
    // The same handler twice is one handler, as in a Set: one removal leaves the name.
    expect(reg.add('ch2', a)).toBe(true);
    expect(reg.add('ch2', a)).toBe(false);
    expect(reg.remove('ch2', a)).toBe(true);
  });

  it('delivers to every handler of the name, once each, and to none of another name', () => {
    const reg = new HandlerRegistry();
    reg.add('x', handler('a'));
    reg.dispatch('x', 'm1', 'x', noError);
    const b = handler('b');
    reg.add('x', b);
    reg.add('y', handler('c'));
    reg.dispatch('x', 'm2', 'x', noError);
    reg.remove('x', b);
    reg.dispatch('x', 'm3', 'x', noError);
    reg.dispatch('z', 'm4', 'z', noError);
    expect(received).toEqual(['a:x:m1', 'a:x:m2', 'b:x:m2', 'a:x:m3']);
  });

  it('hands a failing handler’s error to onError and still calls the others', () => {
    const reg = new HandlerRegistry();
    const errors: unknown[] = [];
    reg.add('x', () => {
      throw new Error('boom');
    });
    reg.add('x', handler('b'));
    reg.dispatch('x', 'm', 'x', (err) => errors.push(err));
    expect(errors.map(String)).toEqual(['Error: boom']);
    expect(received).toEqual(['b:x:m']);
  });
});
