/**
 * The backup's check of the RDB: the stream Redis sends is parsed to its end (CRC-64, format, types, keys per
 * database) while it passes on to the pipeline, so a backup never stores an RDB that no restore could load, and
 * the counts it records are those of the point-in-time snapshot itself. A restore whose preflight re-hashed the
 * artifact against the manifest may then skip its own check pass (`live-restore.ts`).
 */
import { once } from "node:events";
import { PassThrough, Readable } from "node:stream";
import { IntegrityError } from "../../core/errors.ts";
import { quiet } from "../../core/promises.ts";
import { type VerifiedRdb, verifyRdb } from "./verify.ts";

/** The manifest's `details.rdbCheck` of a backup whose RDB passed {@link checkInPassing}. */
export const RDB_CHECK = "crc64-parsed";

export interface CheckedStream {
  /** The same bytes as the source; fails, before its last bytes, when the check fails. */
  stream: Readable;
  /** What the check found, once `stream` ended. @throws IntegrityError when the RDB is malformed. */
  result: Promise<VerifiedRdb>;
}

/**
 * Passes the bytes of `source` on while parsing them; the parser may lag by at most `lagBytes`. Socket chunks
 * are small (7–30 KiB on loopback) and both the parser and the pipeline after it pay per chunk: they are passed
 * on joined into pieces of `pieceBytes` (checking a 11 MiB RDB took half the CPU in 256 KiB pieces than in
 * 16 KiB chunks). Neither side changes a piece, so both get the same buffer.
 */
export function checkInPassing(source: AsyncIterable<Buffer>, signal: AbortSignal, lagBytes = 4 * 1024 * 1024, pieceBytes = 256 * 1024): CheckedStream {
  const parser = new PassThrough({ highWaterMark: lagBytes });
  // Awaited by the stream below and by the caller.
  const result = quiet(verifyRdb(parser, signal).catch((err: unknown) => {
    throw err instanceof IntegrityError ? new IntegrityError(`The RDB Redis sent failed its check: ${err.message}`, { cause: err }) : err;
  }));
  const stream = Readable.from(
    (async function* () {
      try {
        let held: Buffer[] = [];
        let heldBytes = 0;
        for await (const chunk of source) {
          held.push(chunk);
          heldBytes += chunk.length;
          if (heldBytes < pieceBytes) continue;
          const piece = held.length === 1 ? chunk : Buffer.concat(held, heldBytes);
          held = [];
          heldBytes = 0;
          if (!parser.write(piece)) await Promise.race([once(parser, "drain", { signal }), result]);
          yield piece;
        }
        const last = Buffer.concat(held, heldBytes);
        parser.end(last);
        await result;
        if (last.length > 0) yield last;
      } finally {
        if (!parser.writableEnded) parser.destroy();
      }
    })(),
    { objectMode: false },
  );
  return { stream, result };
}
