import { findJsonFault, MAX_JSON_DEPTH, nestsDeeperThan } from './json-guard.middleware';

const nestedObjects = (depth: number): unknown => JSON.parse('{"a":'.repeat(depth) + '1' + '}'.repeat(depth));
const nestedArrays = (depth: number): unknown => JSON.parse('['.repeat(depth) + ']'.repeat(depth));

describe('nestsDeeperThan', () => {
  it('counts objects and arrays alike, one level each; scalars are level 0', () => {
    expect(nestsDeeperThan('x', 0)).toBe(false);
    expect(nestsDeeperThan({}, 0)).toBe(true);
    expect(nestsDeeperThan({ a: [1, { b: 2 }] }, 3)).toBe(false);
    expect(nestsDeeperThan({ a: [1, { b: 2 }] }, 2)).toBe(true);
  });

  it('accepts exactly MAX_JSON_DEPTH levels and refuses one more', () => {
    expect(nestsDeeperThan(nestedObjects(MAX_JSON_DEPTH), MAX_JSON_DEPTH)).toBe(false);
    expect(nestsDeeperThan(nestedObjects(MAX_JSON_DEPTH + 1), MAX_JSON_DEPTH)).toBe(true);
    expect(nestsDeeperThan(nestedArrays(MAX_JSON_DEPTH + 1), MAX_JSON_DEPTH)).toBe(true);
  });

  it('finds a deep branch beside shallow ones, and does not overflow on a body far deeper than the stack', () => {
    expect(nestsDeeperThan({ a: 1, b: [2, 3], c: nestedObjects(40) }, MAX_JSON_DEPTH)).toBe(true);
    expect(nestsDeeperThan(nestedArrays(200_000), MAX_JSON_DEPTH)).toBe(true);
  });
});

describe('findJsonFault', () => {
  it('names the first string or key that is not valid Unicode, with its path', () => {
    expect(findJsonFault({ prompt: 'ok \u{1F600}' }, MAX_JSON_DEPTH)).toBeNull();
    expect(findJsonFault(JSON.parse('{"prompt":"a\\ud800"}'), MAX_JSON_DEPTH)).toEqual({ kind: 'lone_surrogate', path: 'prompt' });
    expect(findJsonFault(JSON.parse('{"events":[{"data":{"x":"\\udfff"}}]}'), MAX_JSON_DEPTH)).toEqual({ kind: 'lone_surrogate', path: 'events[0].data.x' });
    expect(findJsonFault(JSON.parse('{"params":{"\\ud800":1}}'), MAX_JSON_DEPTH)).toEqual({ kind: 'lone_surrogate', path: 'params.\ufffd' });
    expect(findJsonFault('\ud800', MAX_JSON_DEPTH)).toEqual({ kind: 'lone_surrogate', path: '' });
  });

  it('accepts a surrogate pair written as two escapes', () => {
    expect(findJsonFault(JSON.parse('{"a":"\\ud83d\\ude00"}'), MAX_JSON_DEPTH)).toBeNull();
  });
});
