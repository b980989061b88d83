/**
 * One measured Qdrant backup, in its own process so that its peak RSS is its own:
 *
 *   node bench/qdrant/child.ts QDRANT_URL COLLECTION PREFIX none|zstd|gzip
 *
 * Runs the engine's backup of COLLECTION (snapshot with wait=true, streamed download → compress + sha256 → the
 * S3 target at the `S3_*` coordinates under PREFIX, server-side snapshot deleted), then prints one JSON line:
 * seconds, CPU seconds, raw and stored bytes, peak RSS in KiB. Nothing is written to a local file.
 */
import { Emitter } from "../../src/core/events.ts";
import { createQdrantEngine } from "../../src/engines/qdrant/index.ts";
import { isCompression } from "../../src/pipeline/index.ts";
import { artifactWriter } from "../../src/plans/artifacts.ts";
import { createS3Target } from "../../src/targets/s3.ts";

const [url, collection, prefix, compression] = process.argv.slice(2);
if (url === undefined || collection === undefined || prefix === undefined || !isCompression(compression)) {
  console.error("usage: node bench/qdrant/child.ts QDRANT_URL COLLECTION PREFIX none|zstd|gzip");
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
const engine = createQdrantEngine({ url, collections: [collection] });
const started = process.hrtime.bigint();
const cpuBefore = process.cpuUsage();
const section = await engine.backup({
  signal,
  events,
  writeArtifact: artifactWriter("qdrant", { target, stack: "bench", backupId: "2025-10-25T14-30-00Z", compression, compressionExplicit: true, events, signal }),
} as Parameters<typeof engine.backup>[0]);
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
