/**
 * The bytes one side of a conversation sends, in order, as a list of slices of existing
 * buffers (a message built for this flow, or a window into a shared payload pool), so
 * a megabyte of response body costs a reference, not a copy, until it is written into
 * frames. `take` copies the next bytes out, slice by slice.
 */
export class ByteStream {
  private readonly bufs: Buffer[] = [];
  private readonly offs: number[] = [];
  private readonly lens: number[] = [];
  private piece = 0;
  private pieceOff = 0;
  /** Total bytes appended. */
  length = 0;

  append(buf: Buffer, off = 0, len = buf.length - off): this {
    if (len <= 0) return this;
    if (off < 0 || off + len > buf.length) throw new Error('ByteStream.append: slice outside its buffer');
    this.bufs.push(buf);
    this.offs.push(off);
    this.lens.push(len);
    this.length += len;
    return this;
  }

  /** Copies the next `len` bytes to dst[at...]. */
  take(dst: Buffer, at: number, len: number): void {
    let need = len;
    let to = at;
    while (need > 0) {
      const buf = this.bufs[this.piece];
      if (buf === undefined) throw new Error('ByteStream.take: read past the end of the stream');
      const avail = this.lens[this.piece]! - this.pieceOff;
      const n = avail < need ? avail : need;
      const from = this.offs[this.piece]! + this.pieceOff;
      buf.copy(dst, to, from, from + n);
      to += n;
      need -= n;
      this.pieceOff += n;
      if (this.pieceOff === this.lens[this.piece]) {
        this.piece++;
        this.pieceOff = 0;
      }
    }
  }
}
