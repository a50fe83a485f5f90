import { isTextBatch, logSeq } from './text-batch';
import type { StepWrite } from './run-store.port';

const delta = { type: 'content' as const, data: { content: 'x', messageId: 'm', delta: true } };
const batch: StepWrite = { sessionId: 's', owner: 'o', expectCursor: 3, expectSeq: 7, nextCursor: 3, status: 'running', events: [delta], broadcasts: [], approvedRequestId: null };

describe('a batch of streamed text (written without the step script)', () => {
  it('is one delta that changes nothing else', () => {
    expect(isTextBatch(batch)).toBe(true);
  });

  it.each<[string, Partial<StepWrite>]>([
    ['a step that moves the position', { nextCursor: 4 }],
    ['an end', { status: 'completed' }],
    ['two events', { events: [delta, delta] }],
    ['a whole content event', { events: [{ type: 'content', data: { content: 'x' } }] }],
    ['a new state', { state: { turn: 2 } }],
    ['a worker receipt', { receipt: 'r' }],
    ['a resume on a decision', { expectDecided: { requestId: 'q', status: 'approved' } }],
  ])('is not %s', (_, over) => {
    expect(isTextBatch({ ...batch, ...over })).toBe(false);
  });
});

describe('the run seq read back', () => {
  it("is the log's last entry when the hash is behind it (batches since the last step), else the hash's", () => {
    expect(logSeq([['12-0', []]], '9')).toBe(12);
    expect(logSeq([['3-0', []]], '9')).toBe(9);
    expect(logSeq([], '4')).toBe(4);
    expect(logSeq(undefined, null)).toBe(0);
  });
});
