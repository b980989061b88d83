/**
 * The bridge between engines and the target: `writeArtifact` for backups (engine stream → pipeline → target)
 * and `readArtifact` for restores (target → verified, decompressed stream → engine). Engines never see keys
 * or the target (DESIGN §3).
 */
import type { Readable } from "node:stream";
import { NotFoundError } from "../core/errors.ts";
import type { Emitter } from "../core/events.ts";
import { formatBytes } from "../core/format.ts";
import type { ArtifactRecord, ArtifactSpec, Compression, EngineName } from "../engines/engine.ts";
import { openVerifiedStream, runBackupPipeline } from "../pipeline/index.ts";
import { artifactKey, engineArtifactFile } from "../targets/layout.ts";
import type { Target } from "../targets/target.ts";

export interface ArtifactWriterOptions {
  target: Target;
  stack: string;
  backupId: string;
  /** The run's compression. */
  compression: Compression;
  /** When false, an engine's preferred compression (for example `none` for dense snapshots) wins. */
  compressionExplicit: boolean;
  events: Emitter;
  signal: AbortSignal;
}

/** Creates `writeArtifact` for one engine's backup. Each call stores one object in one streaming pass. */
export function artifactWriter(engine: EngineName, options: ArtifactWriterOptions): (spec: ArtifactSpec, source: Readable) => Promise<ArtifactRecord> {
  return async (spec, source) => {
    const compression = options.compressionExplicit ? options.compression : (spec.compression ?? options.compression);
    const file = engineArtifactFile(engine, spec.name, compression);
    const key = artifactKey(options.stack, options.backupId, file);
    const id = `${options.backupId}/${file}`;
    const result = await runBackupPipeline({
      source,
      compression,
      signal: options.signal,
      store: (body, { signal }) => options.target.put(key, body, { signal, contentType: "application/octet-stream" }),
      onProgress: (p) => {
        if (p.done) options.events.emit({ type: "progress-end", id });
        else options.events.emit({ type: "progress", id, label: file, bytes: p.rawBytes });
      },
    });
    options.events.log("debug", `${file}: ${formatBytes(result.rawBytes)} → ${formatBytes(result.storedBytes)} stored`);
    return { name: spec.name, file, compression, rawBytes: result.rawBytes, storedBytes: result.storedBytes, rawSha256: result.rawSha256, storedSha256: result.storedSha256 };
  };
}

/** Creates `readArtifact` for one engine's restore from its recorded artifacts. */
export function artifactReader(
  artifacts: readonly ArtifactRecord[],
  options: { target: Target; stack: string; backupId: string; signal: AbortSignal },
): (name: string) => Promise<Readable> {
  return async (name) => {
    const record = artifacts.find((a) => a.name === name);
    if (!record) throw new NotFoundError(`The backup ${options.backupId} has no artifact named '${name}'.`);
    const key = artifactKey(options.stack, options.backupId, record.file);
    const stored = await options.target.get(key, { signal: options.signal });
    return openVerifiedStream(stored, {
      compression: record.compression,
      storedSha256: record.storedSha256,
      storedBytes: record.storedBytes,
      rawSha256: record.rawSha256,
      rawBytes: record.rawBytes,
      name: record.file,
      signal: options.signal,
    });
  };
}
