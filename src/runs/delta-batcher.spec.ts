import { DeltaBatcher } from './delta-batcher';
import type { AuraEvent } from '../contract/run.types';

describe('DeltaBatcher', () => {
  it('writes 500 quick chunks in at most ceil(duration / flushMs) + 1 writes, merged per message, nothing lost', async () => {
    const writes: AuraEvent[][] = [];
    const batcher = new DeltaBatcher(20, async (events) => {
      writes.push(events);
      await new Promise((r) => setTimeout(r, 3));
    });
    const started = Date.now();
    for (let i = 0; i < 500; i++) {
      batcher.push(i < 250 ? 'm1' : 'm2', `t${i} `);
      if (i % 10 === 0) await new Promise((r) => setTimeout(r, 2));
    }
    const rest = await batcher.finish();
    const duration = Date.now() - started;
    expect(writes.length).toBeLessThanOrEqual(Math.ceil(duration / 20) + 1);
    const all = [...writes.flat(), ...rest];
    const text = (id: string) => all.filter((e) => e.data.messageId === id).map((e) => e.data.content).join('');
    expect(text('m1')).toBe(Array.from({ length: 250 }, (_, i) => `t${i} `).join(''));
    expect(text('m2')).toBe(Array.from({ length: 250 }, (_, i) => `t${i + 250} `).join(''));
    expect(all.every((e) => e.type === 'content' && e.data.delta === true)).toBe(true);
  });

  it('writes nothing by itself when nothing was streamed, and hands the tail to the step', async () => {
    const writes: AuraEvent[][] = [];
    const batcher = new DeltaBatcher(1000, async (events) => void writes.push(events));
    batcher.push('m', 'hello');
    expect(await batcher.finish()).toEqual([{ type: 'content', data: { content: 'hello', messageId: 'm', delta: true } }]);
    expect(writes).toEqual([]);
  });
});
