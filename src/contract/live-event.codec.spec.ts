import { decodeLiveEvents, encodeLiveEvents } from './live-event.codec';

describe('live event codec', () => {
  const events = [
    { seq: 7, type: 'thought', json: '{"type":"thought","data":{"content":"a b\\nc"}}' },
    { seq: 8, type: 'delta', json: '{"type":"content","data":{"content":" ","delta":true}}' },
    { seq: 9, type: 'done', json: '{"type":"done","data":{"status":"completed"}}' },
  ];

  it('carries the events of one write as one message, one line each, and reads them back in order', () => {
    const message = encodeLiveEvents(events);
    expect(message.split('\n')).toHaveLength(3);
    expect(message.split('\n')[0]).toBe('7 thought {"type":"thought","data":{"content":"a b\\nc"}}');
    expect(decodeLiveEvents(message)).toEqual(events);
  });

  it('reads a message of one event, as another system or an older instance publishes it', () => {
    expect(decodeLiveEvents('3 plan_step {"type":"plan_step","data":{}}')).toEqual([{ seq: 3, type: 'plan_step', json: '{"type":"plan_step","data":{}}' }]);
  });

  it('leaves out lines that are not events and keeps the rest', () => {
    const message = ['garbage', '0 thought {}', '-1 thought {}', '5 Thought {}', '5 thought', '', '6 content {"type":"content","data":{}}'].join('\n');
    expect(decodeLiveEvents(message)).toEqual([{ seq: 6, type: 'content', json: '{"type":"content","data":{}}' }]);
    expect(decodeLiveEvents('')).toEqual([]);
    expect(decodeLiveEvents('\n\n')).toEqual([]);
  });
});
