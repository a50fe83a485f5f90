import { Logger } from '@nestjs/common';
import { MemoryBus } from './memory-bus';

describe('MemoryBus', () => {
  const tick = () => new Promise((r) => setImmediate(r));
  const afterTest: (() => void)[] = [];
  afterEach(() => afterTest.splice(0).forEach((undo) => undo()));

  it('delivers to channel and prefix-pattern subscribers, asynchronously, until they unsubscribe', async () => {
    const bus = new MemoryBus();
    const got: string[] = [];
    const off = await bus.subscribe('a:1', (m) => got.push(`ch:${m}`));
    const poff = await bus.psubscribe('a:*', (m, c) => got.push(`p:${c}:${m}`));
    const published = bus.publish('a:1', 'x');
    expect(got).toEqual([]);
    await published;
    await tick();
    expect(got).toEqual(['ch:x', 'p:a:1:x']);
    off();
    poff();
    await bus.publish('a:1', 'y');
    await tick();
    expect(got).toHaveLength(2);
  });

  it('keeps delivering to the others when a handler throws, and logs the failure', async () => {
    // The failure is deliberate: it is asserted here instead of printed as a red ERROR line.
    const logged = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    afterTest.push(() => logged.mockRestore());
    const bus = new MemoryBus();
    const got: string[] = [];
    await bus.subscribe('c', () => {
      throw new Error('boom');
    });
    await bus.subscribe('c', (m) => got.push(m));
    await bus.publish('c', 'z');
    await tick();
    expect(got).toEqual(['z']);
    expect(logged).toHaveBeenCalledTimes(1);
    expect(logged).toHaveBeenCalledWith('Handler failed on c: Error: boom');
  });
});
