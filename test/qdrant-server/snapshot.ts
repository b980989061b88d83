/**
 * Snapshot archives of the Qdrant test server: uncompressed POSIX tar files (written and read with
 * `tar-stream`) holding
 *
 *   version.info          the server version that wrote it
 *   config.json           the collection's `CollectionConfig`
 *   payload_index.json    its payload indexes
 *   0/points.bin          shard 0: every point as a binary record (records.ts), in Qdrant's id order
 *
 * The content is deterministic (fixed mtime, owner and mode; ordered points), so the same collection gives the
 * same bytes. Points are written and read as the encoded records collections keep in memory anyway.
 */
import { createHash } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { rename, writeFile } from "node:fs/promises";
import { once } from "node:events";
import { pipeline } from "node:stream/promises";
import tar from "tar-stream";
import type { Collection } from "./collection.ts";
import type { CollectionMeta, CollectionConfigJson } from "./config.ts";
import { qdrantErrors } from "./http.ts";
import type { PointId } from "./points.ts";
import { splitRecords } from "./records.ts";

/** What `POST /collections/{name}/snapshots` reports. */
export interface SnapshotInfo {
  name: string;
  creation_time: string;
  size: number;
  checksum: string;
}

/** The content of a snapshot archive. */
export interface SnapshotContent {
  version: string;
  meta: CollectionMeta;
  /** Point id → encoded upsert record (see records.ts). */
  points: Map<PointId, Buffer>;
}

/** Writes a snapshot of `collection` to `file` (through `file.tmp` and a rename) plus `file.checksum`. */
export async function writeSnapshot(collection: Collection, version: string, file: string): Promise<{ size: number; checksum: string }> {
  const records: Buffer[] = [];
  for await (const record of collection.orderedRecords()) records.push(record);
  const pack = tar.pack();
  const hash = createHash("sha256");
  let size = 0;
  const sink = createWriteStream(`${file}.tmp`);
  const written = pipeline(
    (async function* () {
      for await (const chunk of pack) {
        const bytes = chunk as Buffer;
        hash.update(bytes);
        size += bytes.length;
        yield bytes;
      }
    })(),
    sink,
  );
  await addEntry(pack, "version.info", Buffer.from(version));
  await addEntry(pack, "config.json", Buffer.from(JSON.stringify(collection.meta.config, null, 2)));
  await addEntry(pack, "payload_index.json", Buffer.from(JSON.stringify(collection.meta.payload_schema, null, 2)));
  // A tar header needs the entry size first: the records are already encoded, so it is their sum.
  const total = records.reduce((sum, r) => sum + r.length, 0);
  const entry = pack.entry({ ...FIXED, name: "0/points.bin", size: total });
  for (const record of records) if (!entry.write(record)) await once(entry, "drain");
  const finished = once(entry, "finish");
  entry.end(undefined);
  await finished;
  pack.finalize();
  await written;
  await rename(`${file}.tmp`, file);
  const checksum = hash.digest("hex");
  await writeFile(`${file}.checksum`, checksum);
  return { size, checksum };
}

/** Reads a snapshot archive; a file that is not one of ours is Qdrant's 400 with the reason. */
export async function readSnapshot(file: string): Promise<SnapshotContent> {
  const extract = tar.extract();
  const source = createReadStream(file);
  source.on("error", (err) => extract.destroy(err));
  source.pipe(extract);
  let version: string | undefined;
  let config: CollectionConfigJson | undefined;
  let payloadSchema: CollectionMeta["payload_schema"] = {};
  const points = new Map<PointId, Buffer>();
  try {
    for await (const entry of extract) {
      const name = entry.header.name;
      if (name === "0/points.bin") {
        const state = { trailing: 0 };
        for await (const record of splitRecords(entry as AsyncIterable<Buffer>, state)) {
          if (record.op !== "u") throw new Error(`0/points.bin holds a ${record.op} record`);
          points.set(record.id, record.bytes);
        }
        if (state.trailing > 0) throw new Error("0/points.bin ends inside a record");
        continue;
      }
      const chunks: Buffer[] = [];
      for await (const chunk of entry) chunks.push(chunk as Buffer);
      const text = Buffer.concat(chunks).toString("utf8");
      if (name === "version.info") version = text.trim();
      else if (name === "config.json") config = JSON.parse(text) as CollectionConfigJson;
      else if (name === "payload_index.json") payloadSchema = JSON.parse(text) as CollectionMeta["payload_schema"];
    }
  } catch (err) {
    throw qdrantErrors.badInput(`Invalid snapshot archive: ${(err as Error).message}`);
  }
  if (!version || !config?.params) throw qdrantErrors.badInput("Invalid snapshot archive: version.info or config.json is missing");
  return { version, meta: { config, payload_schema: payloadSchema }, points };
}

/** Qdrant's snapshot name: `{collection}-{peer id}-{UTC Y-m-d-H-M-S}.snapshot`. */
export function snapshotName(collection: string, peerId: number, at: Date): string {
  const p = (n: number) => String(n).padStart(2, "0");
  const stamp = `${at.getUTCFullYear()}-${p(at.getUTCMonth() + 1)}-${p(at.getUTCDate())}-${p(at.getUTCHours())}-${p(at.getUTCMinutes())}-${p(at.getUTCSeconds())}`;
  return `${collection}-${peerId}-${stamp}.snapshot`;
}

/** Qdrant's `creation_time`: UTC, seconds, no zone (`2022-08-04T10:49:10`). */
export function creationTime(at: Date): string {
  return at.toISOString().slice(0, 19);
}

/** Streams a file through sha256; lowercase hex. */
export async function sha256File(file: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

// --- internal ---

const FIXED = { mode: 0o644, uid: 0, gid: 0, uname: "", gname: "", mtime: new Date(0) };

async function addEntry(pack: tar.Pack, name: string, content: Buffer): Promise<void> {
  await new Promise<void>((resolve, reject) => pack.entry({ ...FIXED, name, size: content.length }, content, (err) => (err ? reject(err) : resolve())));
}
