/**
 * One measured Qdrant backup or restore, in its own process so that its peak RSS is its own:
 *
 *   node bench/qdrant/child.ts backup  QDRANT_URL COLLECTION PREFIX none|zstd|gzip SECTION_FILE
 *   node bench/qdrant/child.ts restore QDRANT_URL COLLECTION PREFIX SECTION_FILE
 *
 * `backup` runs the engine's backup of COLLECTION (snapshot with wait=true, streamed download → compress +
 * sha256 → the S3 target at the `S3_*` coordinates under PREFIX, server-side snapshot deleted) and writes the
 * engine's manifest section to SECTION_FILE. `restore` reads that section back and runs the engine's restore
 * of it from the same target (stored object → verified, decompressed stream → upload-recover), under the name
 * `COLLECTION_restored`, replacing a collection of that name. Either prints one JSON line: seconds, CPU
 * seconds, raw and stored bytes, peak RSS in KiB. Nothing is written to a local file but the section.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { Emitter } from "../../src/core/events.ts";
import type { EngineSection } from "../../src/engines/engine.ts";
import { createQdrantEngine } from "../../src/engines/qdrant/index.ts";
import { isCompression } from "../../src/pipeline/index.ts";
import { artifactReader, artifactWriter } from "../../src/plans/artifacts.ts";
import { createS3Target } from "../../src/targets/s3.ts";

const BACKUP_ID = "2025-10-25T14-30-00Z";
const [mode, url, collection, prefix, ...rest] = process.argv.slice(2);
const compression = mode === "backup" ? rest[0] : "none";
const sectionFile = mode === "backup" ? rest[1] : rest[0];
if ((mode !== "backup" && mode !== "restore") || url === undefined || collection === undefined || prefix === undefined || !isCompression(compression) || sectionFile === undefined) {
  console.error("usage: node bench/qdrant/child.ts backup QDRANT_URL COLLECTION PREFIX none|zstd|gzip SECTION_FILE\n       node bench/qdrant/child.ts restore QDRANT_URL COLLECTION PREFIX SECTION_FILE");
  process.exit(2);
}
const target = await createS3Target({
  endpoint: need("S3_ENDPOINT"),
  bucket: need("S3_BUCKET"),
  prefix,
  credentials: { accessKeyId: need("S3_ACCESS_KEY"), secretAccessKey: need("S3_SECRET_KEY") },
});
const signal = new AbortController().signal;
const events = new Emitter();
const started = process.hrtime.bigint();
const cpuBefore = process.cpuUsage();
let section: EngineSection;
if (mode === "backup") {
  const engine = createQdrantEngine({ url, collections: [collection] });
  section = await engine.backup({
    signal,
    events,
    writeArtifact: artifactWriter("qdrant", { target, stack: "bench", backupId: BACKUP_ID, compression, compressionExplicit: true, events, signal }),
  });
  writeFileSync(sectionFile, JSON.stringify(section));
} else {
  section = JSON.parse(readFileSync(sectionFile, "utf8")) as EngineSection;
  const engine = createQdrantEngine({ url, rename: { [collection]: `${collection}_restored` } });
  const readArtifact = artifactReader(section.artifacts, { target, stack: "bench", backupId: BACKUP_ID, signal });
  await engine.restore(section, { signal, events, readArtifact, purge: true });
}
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
await target.close();
const [artifact] = section.artifacts;
console.log(JSON.stringify({
  seconds,
  rawBytes: artifact?.rawBytes,
  storedBytes: artifact?.storedBytes,
  maxRssKiB: process.resourceUsage().maxRSS,
  cpuSeconds: ((cpu) => (cpu.user + cpu.system) / 1e6)(process.cpuUsage(cpuBefore)),
}));

function need(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === "") throw new Error(`${name} is not set: start the test services and load .cache/services/env`);
  return value;
}
