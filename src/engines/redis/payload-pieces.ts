/**
 * Cuts the RDB payload of a replication stream out of the socket's chunks and regroups it into pieces of a
 * fixed size. Loopback socket chunks are small (7–64 KiB) and every stage after the socket pays per chunk
 * (stream hand-offs, the check's parser, the pipeline's hashes and writes): copying each chunk once into
 * large pieces here costs a memcpy and saves those per-chunk costs for the whole backup.
 *
 * The payload ends either after a declared length, or (diskless sync) at a 40-byte end mark, which may arrive
 * split over chunks: the last `mark.length - 1` bytes seen are held back until the next chunk shows they are
 * not its beginning. Bytes after the end (Redis may go on with the replication stream) are ignored.
 */

/** Where the payload ends: after `length` bytes, or before the first occurrence of `mark`. */
export type PayloadEnd = { length: number } | { mark: Buffer };

export class PayloadPieces {
  private readonly emit: (piece: Buffer) => void;
  private readonly pieceBytes: number;
  private readonly mark: Buffer | undefined;
  /** Bytes of the payload still to come (length framing). */
  private left: number;
  private piece: Buffer;
  private filled = 0;
  private finished = false;

  /**
   * @param end where the payload ends.
   * @param emit receives each piece, in order; the piece is never written to again, so it may be kept.
   * @param pieceBytes the size of every piece but the last.
   */
  constructor(end: PayloadEnd, emit: (piece: Buffer) => void, pieceBytes = 256 * 1024) {
    this.emit = emit;
    this.pieceBytes = pieceBytes;
    this.mark = "mark" in end ? end.mark : undefined;
    this.left = "length" in end ? end.length : Number.POSITIVE_INFINITY;
    this.piece = Buffer.allocUnsafe(this.capacity());
    if (this.left === 0) this.finish(0);
  }

  /** True once the whole payload was seen and emitted (the last piece included). */
  get done(): boolean {
    return this.finished;
  }

  /** Takes the next socket chunk; returns {@link done}. Chunks after the end are ignored. */
  add(chunk: Buffer): boolean {
    let at = 0;
    while (!this.finished && at < chunk.length) {
      const take = Math.min(chunk.length - at, this.piece.length - this.filled, this.left);
      chunk.copy(this.piece, this.filled, at, at + take);
      at += take;
      const from = this.filled;
      this.filled += take;
      this.left -= take;
      if (this.mark !== undefined) {
        const found = this.piece.subarray(0, this.filled).indexOf(this.mark, Math.max(0, from - this.mark.length + 1));
        if (found >= 0) {
          this.finish(found);
          break;
        }
      } else if (this.left === 0) {
        this.finish(this.filled);
        break;
      }
      if (this.filled === this.piece.length) this.cut();
    }
    return this.finished;
  }

  // --- internal ---

  /** A piece's buffer: the piece plus, with an end mark, room for the held-back bytes. */
  private capacity(): number {
    return this.pieceBytes + (this.mark === undefined ? 0 : this.mark.length - 1);
  }

  /** Emits a full piece and starts the next one with the held-back bytes. */
  private cut(): void {
    const full = this.piece;
    this.piece = Buffer.allocUnsafe(this.capacity());
    this.filled = full.copy(this.piece, 0, this.pieceBytes);
    this.emit(full.subarray(0, this.pieceBytes));
  }

  private finish(end: number): void {
    this.finished = true;
    if (end > 0) this.emit(this.piece.subarray(0, end));
  }
}
