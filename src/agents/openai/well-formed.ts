/**
 * The text with every lone UTF-16 surrogate replaced by U+FFFD. JSON may carry one (`"\ud800"`) and
 * JavaScript keeps it, but it is not Unicode: Redis's Lua cjson refuses it, so a script that meets
 * one fails half-way. A model's output is not refused for it (the edge answers 400 to a client's):
 * it is repaired.
 */
export function wellFormed(text: string): string {
  return text.isWellFormed() ? text : text.toWellFormed();
}

/** A JSON value with every string in it, keys included, made well-formed. */
export function wellFormedJson(value: unknown): unknown {
  if (typeof value === 'string') return wellFormed(value);
  if (Array.isArray(value)) return value.map(wellFormedJson);
  // fromEntries defines each key as its own property, "__proto__" included, as JSON.parse does.
  if (typeof value === 'object' && value !== null) return Object.fromEntries(Object.entries(value).map(([k, v]) => [wellFormed(k), wellFormedJson(v)]));
  return value;
}

const isHighSurrogate = (code: number) => code >= 0xd800 && code <= 0xdbff;

/**
 * Makes streamed pieces well-formed without breaking a pair split across two pieces: a piece that
 * ends with a high surrogate keeps it back for the next one.
 */
export class WellFormedStream {
  private held = '';

  push(piece: string): string {
    let text = this.held + piece;
    this.held = '';
    if (text.length > 0 && isHighSurrogate(text.charCodeAt(text.length - 1))) {
      this.held = text.slice(-1);
      text = text.slice(0, -1);
    }
    return wellFormed(text);
  }

  /** What was kept back, when the stream ends: a surrogate with no partner. */
  end(): string {
    const rest = this.held ? '\ufffd' : '';
    this.held = '';
    return rest;
  }
}
