/**
 * A flow's packets, decided when the flow starts: for each packet its direction
 * (0 = originator, 1 = responder), TCP flags, payload length and time since the flow's
 * start. Parallel typed arrays, so a 50 MB transfer's plan is a few compact arrays, not
 * tens of thousands of objects. Times never decrease along a plan.
 */
export class PacketPlan {
  count = 0;
  dir: Uint8Array;
  flags: Uint8Array;
  len: Uint16Array;
  at: Float64Array;

  constructor(capacity = 16) {
    this.dir = new Uint8Array(capacity);
    this.flags = new Uint8Array(capacity);
    this.len = new Uint16Array(capacity);
    this.at = new Float64Array(capacity);
  }

  push(dir: 0 | 1, flags: number, len: number, atNs: number): void {
    if (this.count === this.dir.length) this.grow();
    const i = this.count;
    if (i > 0 && atNs < this.at[i - 1]!) throw new Error('packet plan times must not decrease');
    if (len > 0xffff) throw new Error(`payload of ${len} bytes does not fit one packet`);
    this.dir[i] = dir;
    this.flags[i] = flags;
    this.len[i] = len;
    this.at[i] = Math.round(atNs);
    this.count = i + 1;
  }

  get lastAt(): number {
    return this.count === 0 ? 0 : this.at[this.count - 1]!;
  }

  private grow(): void {
    const cap = this.dir.length * 2;
    const dir = new Uint8Array(cap);
    dir.set(this.dir);
    const flags = new Uint8Array(cap);
    flags.set(this.flags);
    const len = new Uint16Array(cap);
    len.set(this.len);
    const at = new Float64Array(cap);
    at.set(this.at);
    this.dir = dir;
    this.flags = flags;
    this.len = len;
    this.at = at;
  }
}
