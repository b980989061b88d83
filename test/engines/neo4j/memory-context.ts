/**
 * In-memory Backup/Restore contexts for engine tests: artifacts are kept as buffers with their sha256, and a
 * read fails with IntegrityError at its end when the bytes do not hash to the recorded sum (like the plan's
 * pipeline). `tamper` lets a test corrupt or truncate a stored artifact.
 */
import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import { IntegrityError } from "../../../src/core/errors.ts";
import { Emitter, type StackvaultEvent } from "../../../src/core/events.ts";
import type { ArtifactRecord, ArtifactSpec, BackupContext, RestoreContext } from "../../../src/engines/engine.ts";

export class MemoryStore {
  readonly artifacts = new Map<string, { bytes: Buffer; record: ArtifactRecord }>();
  readonly events: StackvaultEvent[] = [];
  /** Called with each chunk as it is written (tests use it to write into the database mid-export). */
  onChunk?: (index: number) => Promise<void> | void;

  backupContext(signal: AbortSignal = new AbortController().signal): BackupContext {
    return {
      signal,
      events: new Emitter((e) => this.events.push(e)),
      writeArtifact: async (spec: ArtifactSpec, source: Readable) => {
        const chunks: Buffer[] = [];
        let i = 0;
        for await (const chunk of source) {
          chunks.push(Buffer.from(chunk as Uint8Array));
          await this.onChunk?.(i++);
        }
        const bytes = Buffer.concat(chunks);
        const sha = createHash("sha256").update(bytes).digest("hex");
        const record: ArtifactRecord = {
          name: spec.name, file: `neo4j/${spec.name}`, compression: "none",
          rawBytes: bytes.length, storedBytes: bytes.length, rawSha256: sha, storedSha256: sha,
        };
        this.artifacts.set(spec.name, { bytes, record });
        return record;
      },
    };
  }

  restoreContext(options: { purge?: boolean; signal?: AbortSignal } = {}): RestoreContext & { reads: number } {
    const ctx = {
      signal: options.signal ?? new AbortController().signal,
      events: new Emitter((e) => this.events.push(e)),
      purge: options.purge,
      reads: 0,
      readArtifact: async (name: string) => {
        ctx.reads++;
        const stored = this.artifacts.get(name);
        if (!stored) throw new Error(`no artifact ${name}`);
        return verifyingStream(stored.bytes, stored.record.rawSha256);
      },
    };
    return ctx;
  }

  /** Replaces the stored bytes of an artifact, keeping its recorded sha256 (unless `rehash`). */
  tamper(name: string, change: (bytes: Buffer) => Buffer, rehash = false): void {
    const stored = this.artifacts.get(name);
    if (!stored) throw new Error(`no artifact ${name}`);
    stored.bytes = change(stored.bytes);
    if (rehash) {
      const sha = createHash("sha256").update(stored.bytes).digest("hex");
      stored.record = { ...stored.record, rawSha256: sha, storedSha256: sha, rawBytes: stored.bytes.length };
    }
  }

  text(name: string): string {
    const stored = this.artifacts.get(name);
    if (!stored) throw new Error(`no artifact ${name}`);
    return stored.bytes.toString("utf8");
  }
}

// --- internal ---

function verifyingStream(bytes: Buffer, sha256: string): Readable {
  async function* gen(): AsyncGenerator<Buffer> {
    const hash = createHash("sha256");
    for (let i = 0; i < bytes.length; i += 64 * 1024) {
      const chunk = bytes.subarray(i, i + 64 * 1024);
      hash.update(chunk);
      yield chunk;
    }
    if (hash.digest("hex") !== sha256) throw new IntegrityError("artifact sha256 mismatch");
  }
  return Readable.from(gen(), { objectMode: false });
}
