/**
 * One measured run of the backup pipeline, in its own process so that its peak RSS is its own:
 *
 *   node bench/pipeline/child.ts INPUT DIR COMPRESSION [local|file]
 *
 * Streams INPUT through compress + sha256 (raw and stored) into a local-folder target at DIR (atomic put with
 * fsync), or with `file` into a plain file write stream (no fsync, like `cat > file`), then prints one JSON
 * line: seconds, CPU seconds of the run (startup excluded), byte counts, hashes and peak RSS in KiB.
 */
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { runBackupPipeline, isCompression } from "../../src/pipeline/index.ts";
import { createLocalTarget } from "../../src/targets/local.ts";

const [input, dir, compression, sink = "local"] = process.argv.slice(2);
if (input === undefined || dir === undefined || !isCompression(compression)) {
  console.error("usage: node bench/pipeline/child.ts INPUT DIR zstd|gzip|none");
  process.exit(2);
}
const target = createLocalTarget({ dir });
const key = `stacks/bench/2025-10-25T14-30-00Z/neo4j/neo4j-backup.cypher.${compression}`;
const started = process.hrtime.bigint();
const cpuBefore = process.cpuUsage();
const result = await runBackupPipeline({
  source: createReadStream(input, { highWaterMark: 64 * 1024 }),
  compression,
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
  file: `${dir}/${key}`,
  maxRssKiB: process.resourceUsage().maxRSS,
  cpuSeconds: ((cpu) => (cpu.user + cpu.system) / 1e6)(process.cpuUsage(cpuBefore)),
}));
