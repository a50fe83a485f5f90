import type { SseEvent } from './sse';

/** The last two frames of a stream whose run was lost: run_error {run_lost}, done {failed}, ids right after the last one sent. */
export function expectRunLost(events: SseEvent[], lastSent: number): void {
  expect(events.slice(-2)).toEqual([
    { id: lastSent + 1, type: 'run_error', payload: { type: 'run_error', data: { code: 'run_lost', message: expect.any(String) } } },
    { id: lastSent + 2, type: 'done', payload: { type: 'done', data: { status: 'failed' } } },
  ]);
}
