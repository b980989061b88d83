/**
 * Verification of a stored backup against its manifest: every artifact's object is re-read (streamed) and
 * its size and sha256 compared with what the manifest records. This checks the stored bytes; checking the
 * decompressed bytes too (`verify --deep`) is the restore pipeline's `openVerifiedStream`, composed by plans.
 */
import { createHash } from "node:crypto";
import { IntegrityError, throwIfAborted } from "../core/errors.ts";
import { streamedBytes } from "../core/streamed-garbage.ts";
import { readWhole, type Target } from "../targets/target.ts";
import { joinKey, manifestArtifacts, type ListedArtifact } from "./artifacts.ts";
import type { Manifest } from "./schema.ts";

export type ArtifactStatus = "ok" | "missing" | "size_mismatch" | "checksum_mismatch";

/** The outcome for one artifact. */
export interface ArtifactCheck extends ListedArtifact {
  /** Full key of the object checked. */
  key: string;
  status: ArtifactStatus;
  /** Size found (absent when missing). */
  actualSize?: number;
  /** sha256 found (absent when missing or when the size already differed). */
  actualSha256?: string;
}

export interface VerifyReport {
  /** True when every artifact is `ok`. */
  ok: boolean;
  artifacts: ArtifactCheck[];
  /** Bytes read and hashed. */
  bytesRead: number;
}

export interface VerifyProgress {
  /** The artifact being read. */
  key: string;
  /** Bytes of this artifact read so far, and its recorded size. */
  bytes: number;
  size: number;
  /** Bytes of the whole backup read so far, and its recorded total. */
  doneBytes: number;
  totalBytes: number;
}

export interface VerifyOptions {
  signal?: AbortSignal;
  /** Called after each chunk read; must be cheap. */
  onProgress?: (progress: VerifyProgress) => void;
  /**
   * Start no further artifact after the first bad one (restore preflight); those already being read finish and
   * are reported. Otherwise check them all (`stackvault verify`).
   */
  failFast?: boolean;
  /**
   * Artifacts read at once. A backup's artifacts are a handful of objects of very different sizes; reading
   * them side by side hides each request's latency and lets a small one finish while a large one streams.
   * @default 4
   */
  concurrency?: number;
}

/**
 * Re-reads every artifact of `manifest` under `backupPrefix` and compares size and sha256 with the manifest.
 * It does not throw on a bad artifact: it returns the report, so `verify` can list every problem; use
 * {@link assertVerified} to turn a bad report into an error. A missing object or a size that differs is
 * found from `head` alone, without downloading.
 *
 * Memory: one chunk of the target's stream per artifact being read ({@link VerifyOptions.concurrency}),
 * whatever the artifacts' sizes. The report lists the artifacts in the manifest's order.
 * @throws CancelledError when `signal` aborts; TargetError when the target fails (a failure to read is not
 * evidence of corruption, so it is not reported as a mismatch).
 */
export async function verifyBackup(
  target: Target,
  backupPrefix: string,
  manifest: Manifest,
  options: VerifyOptions = {},
): Promise<VerifyReport> {
  const listed = manifestArtifacts(manifest);
  const totalBytes = listed.reduce((sum, l) => sum + l.artifact.size_bytes, 0);
  const checks: (ArtifactCheck | undefined)[] = new Array<ArtifactCheck | undefined>(listed.length);
  const reading = new Map<string, number>();
  let readBytes = 0;
  let next = 0;
  let stop = false;
  // The first failure to read stops the others: their result would be thrown away.
  const failed = new AbortController();
  const signal = options.signal === undefined ? failed.signal : AbortSignal.any([options.signal, failed.signal]);
  const worker = async (): Promise<void> => {
    while (!stop && next < listed.length) {
      throwIfAborted(options.signal);
      const index = next++;
      const entry = listed[index] as ListedArtifact;
      const key = joinKey(backupPrefix, entry.artifact.file);
      const check = await checkOne(target, key, entry, signal, (bytes) => {
        reading.set(key, bytes);
        let inFlight = 0;
        for (const b of reading.values()) inFlight += b;
        options.onProgress?.({ key, bytes, size: entry.artifact.size_bytes, doneBytes: readBytes + inFlight, totalBytes });
      });
      reading.delete(key);
      readBytes += check.status === "ok" || check.status === "checksum_mismatch" ? (check.actualSize ?? 0) : 0;
      checks[index] = check;
      if (options.failFast && check.status !== "ok") stop = true;
    }
  };
  const workers = Array.from({ length: Math.max(1, Math.min(options.concurrency ?? 4, listed.length)) }, () =>
    worker().catch((err: unknown) => {
      stop = true;
      failed.abort(err);
      throw err;
    }),
  );
  const settled = await Promise.allSettled(workers);
  throwIfAborted(options.signal);
  const rejected = settled.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (rejected) throw failed.signal.reason ?? rejected.reason;
  const done = checks.filter((c): c is ArtifactCheck => c !== undefined);
  return { ok: done.length === listed.length && done.every((c) => c.status === "ok"), artifacts: done, bytesRead: readBytes };
}

/**
 * @throws IntegrityError naming the first bad artifact (and how many others are bad) when the report is not ok.
 */
export function assertVerified(report: VerifyReport): void {
  const bad = report.artifacts.filter((c) => c.status !== "ok");
  const first = bad[0];
  if (first === undefined) return;
  const others = bad.length > 1 ? ` (and ${bad.length - 1} more bad artifact${bad.length > 2 ? "s" : ""})` : "";
  throw new IntegrityError(`Backup artifact ${first.key} ${describe(first)}${others}.`, {
    hint: "Do not restore from this backup: choose another one with --backup-id (see `stackvault list`).",
  });
}

// --- internal ---

async function checkOne(
  target: Target,
  key: string,
  entry: ListedArtifact,
  signal: AbortSignal,
  progress: (bytes: number) => void,
): Promise<ArtifactCheck> {
  const info = await target.head(key, { signal });
  if (info === undefined) return { ...entry, key, status: "missing" };
  if (info.size !== entry.artifact.size_bytes) return { ...entry, key, status: "size_mismatch", actualSize: info.size };
  const { bytes, actualSha256 } = await hashObject(target, key, signal, progress);
  if (bytes !== entry.artifact.size_bytes) return { ...entry, key, status: "size_mismatch", actualSize: bytes, actualSha256 };
  const status = actualSha256 === entry.artifact.checksum_sha256 ? "ok" : "checksum_mismatch";
  return { ...entry, key, status, actualSize: bytes, actualSha256 };
}

/**
 * Size and sha256 of an object's body. A body cut off part-way is read again from the start ({@link readWhole}),
 * so one broken connection does not fail a backup that was stored whole.
 */
function hashObject(target: Target, key: string, signal: AbortSignal, progress: (bytes: number) => void): Promise<{ bytes: number; actualSha256: string }> {
  return readWhole(target, key, { signal }, async (body) => {
    const hash = createHash("sha256");
    let bytes = 0;
    for await (const chunk of body) {
      hash.update(chunk as Buffer);
      bytes += (chunk as Buffer).length;
      streamedBytes((chunk as Buffer).length);
      progress(bytes);
    }
    return { bytes, actualSha256: hash.digest("hex") };
  });
}

function describe(c: ArtifactCheck): string {
  const a = c.artifact;
  switch (c.status) {
    case "missing":
      return "is missing from the target";
    case "size_mismatch":
      return `has ${c.actualSize} bytes but the manifest records ${a.size_bytes} (truncated or replaced)`;
    case "checksum_mismatch":
      return `has sha256 ${c.actualSha256} but the manifest records ${a.checksum_sha256} (corrupted)`;
    case "ok":
      return "is intact";
  }
}
