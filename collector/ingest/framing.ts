/**
 * The records of a batch message as the sensor framed them, cut out of the message's
 * text instead of serialised again: the uplink sends
 * `{"type":"batch","seq":N,"sensor":"ID","records":[...]}` with the records exactly as
 * spooled. Called only after the whole message parsed and passed the schema; any other
 * framing (extra spaces, another key order, a repeated key) gives undefined, and the
 * caller serialises the parsed records instead.
 */
export function framedRecords(text: string, seq: number, sensor: string): string | undefined {
  const head = `{"type":"batch","seq":${seq},"sensor":${JSON.stringify(sensor)},"records":`;
  if (!text.startsWith(head) || text.charCodeAt(text.length - 1) !== CLOSE_OBJECT) return undefined;
  // The array must end right before the closing brace: a second "records" key after it
  // (which JSON.parse would have taken instead) leaves text in between.
  return endOfValue(text, head.length) === text.length - 1 ? text.slice(head.length, text.length - 1) : undefined;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;

/** Where the array or object starting at `start` of valid JSON text ends (the index after it), or -1. */
function endOfValue(text: string, start: number): number {
  if (text.charCodeAt(start) !== OPEN_ARRAY) return -1;
  let depth = 0;
  for (let i = start; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      for (i++; i < text.length; i++) {
        const d = text.charCodeAt(i);
        if (d === BACKSLASH) i++;
        else if (d === QUOTE) break;
      }
    } else if (c === OPEN_ARRAY || c === OPEN_OBJECT) depth++;
    else if (c === CLOSE_ARRAY || c === CLOSE_OBJECT) {
      if (--depth === 0) return i + 1;
    }
  }
  return -1;
}
