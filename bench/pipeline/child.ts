/**
 * One measured run of the backup pipeline, in its own process so that its peak RSS is its own:
 *
 *   node bench/pipeline/child.ts INPUT DIR COMPRESSION [local|file|s3] [BLOCK_BYTES] [PARALLELISM] [LEVEL] [READ_BYTES]
 *
 * Streams INPUT through compress + sha256 (raw and stored) into a local-folder target at DIR (atomic put with
 * fsync), with `file` into a plain file write stream (no fsync, like `cat > file`), or with `s3` into the S3
 * target at the `S3_*` coordinates (DIR is then the key prefix, default part size and queue), then prints one JSON
 * line: seconds, CPU seconds of the run (startup excluded), byte counts, hashes and peak RSS in KiB. INPUT is read
 * READ_BYTES at a time (default 1 MiB, see bench/pipeline/README.md).
 */
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { runBackupPipeline, isCompression } from "../../src/pipeline/index.ts";
import { createLocalTarget } from "../../src/targets/local.ts";
import { createS3Target } from "../../src/targets/s3.ts";

const [input, dir, compression, sink = "local", blockArg, parallelismArg, levelArg, readArg] = process.argv.slice(2);
if (input === undefined || dir === undefined || !isCompression(compression)) {
  console.error("usage: node bench/pipeline/child.ts INPUT DIR zstd|gzip|none");
  process.exit(2);
}
const target = sink === "s3"
  ? await createS3Target({
    endpoint: need("S3_ENDPOINT"),
    bucket: need("S3_BUCKET"),
    prefix: dir,
    credentials: { accessKeyId: need("S3_ACCESS_KEY"), secretAccessKey: need("S3_SECRET_KEY") },
  })
  : createLocalTarget({ dir });
const key = `stacks/bench/2025-10-25T14-30-00Z/neo4j/neo4j-backup.cypher.${compression}`;
const started = process.hrtime.bigint();
const cpuBefore = process.cpuUsage();
const result = await runBackupPipeline({
  source: createReadStream(input, { highWaterMark: readArg ? Number(readArg) : 1024 * 1024 }),
  compression,
  blockBytes: blockArg ? Number(blockArg) : undefined,
  parallelism: parallelismArg ? Number(parallelismArg) : undefined,
  level: levelArg ? Number(levelArg) : undefined,
  store: (body, { signal }): Promise<unknown> =>
    sink === "file"
      ? mkdir(path.dirname(path.join(dir, key)), { recursive: true }).then(() =>
        pipeline(body, createWriteStream(path.join(dir, key)), { signal }))
      : target.put(key, body, { signal }),
});
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
await target.close();
console.log(JSON.stringify({
  seconds,
  rawBytes: result.rawBytes,
  storedBytes: result.storedBytes,
  rawSha256: result.rawSha256,
  storedSha256: result.storedSha256,
  file: sink === "s3" ? undefined : `${dir}/${key}`,
  maxRssKiB: process.resourceUsage().maxRSS,
  cpuSeconds: ((cpu) => (cpu.user + cpu.system) / 1e6)(process.cpuUsage(cpuBefore)),
}));

function need(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === "") throw new Error(`${name} is not set: start the test services and load .cache/services/env`);
  return value;
}
