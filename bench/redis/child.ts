/**
 * One stackvault measurement in its own process (so that its CPU time and peak RSS are its own):
 *
 *   node bench/redis/child.ts fetch   <redis-url> <out.rdb>
 *   node bench/redis/child.ts restore <redis-url> <in.rdb> <VERSION:DB,DB…|check>
 *   node bench/redis/child.ts resp    <in.rdb> <out.resp>   (the RESTORE commands a live restore sends)
 *
 * `fetch` is the backup's fetch: the replication stream checked as it passes (CRC-64, every record parsed), as
 * the engine does. `restore` with `VERSION:DBS` (what the fetch's check found, which a real restore reads from
 * the manifest) is the restore of a stack run, whose preflight re-hashed the artifact: no check pass; with
 * `check` it first parses the whole file, as a restore does when nothing vouches for it.
 *
 * Prints one JSON line: seconds, bytes or keys, CPU seconds, peak RSS (and, for fetch, rdbVersion and dbs).
 */
import { createReadStream, createWriteStream } from "node:fs";
import { once } from "node:events";
import { pipeline } from "node:stream/promises";
import { Emitter } from "../../src/core/events.ts";
import { parseRedisUrl } from "../../src/engines/redis/connection.ts";
import { liveRestore } from "../../src/engines/redis/live-restore.ts";
import { checkInPassing } from "../../src/engines/redis/check-in-passing.ts";
import { dumpPayload, parseRdbBatches } from "../../src/engines/redis/rdb/parser.ts";
import { fetchRdb } from "../../src/engines/redis/replication.ts";
import { encodeCommand } from "../../src/engines/redis/socket.ts";

const [mode, a = "", b = "", check = "check"] = process.argv.slice(2);
const signal = new AbortController().signal;
const started = process.hrtime.bigint();
const cpu = process.cpuUsage();
let result: Record<string, unknown>;

if (mode === "fetch") {
  const fetched = await fetchRdb(parseRedisUrl(a), signal);
  const checked = checkInPassing(fetched.stream as AsyncIterable<Buffer>, signal);
  let bytes = 0;
  checked.stream.on("data", (chunk: Buffer) => (bytes += chunk.length));
  // Flushed to disk before it counts as fetched, as redis-cli --rdb does (fsync).
  await pipeline(checked.stream, createWriteStream(b, { flush: true }));
  const rdb = await checked.result;
  result = { bytes, rdbVersion: rdb.rdbVersion, dbs: [...rdb.dbs.keys()] };
} else if (mode === "restore") {
  const [version, dbs] = check.split(":");
  const checked = check === "check" ? {} : { checked: { rdbVersion: Number(version), dbs: (dbs ?? "").split(",").map(Number) } };
  const restored = await liveRestore({ connection: parseRedisUrl(a), open: async () => createReadStream(b, { highWaterMark: 256 * 1024 }), purge: true, signal, events: new Emitter(), ...checked });
  result = { keys: Object.values(restored.restored).reduce((x, y) => x + y, 0), expired: restored.expired };
} else if (mode === "resp") {
  const out = createWriteStream(b);
  let db = -1;
  let version = 0;
  let keys = 0;
  for await (const batch of parseRdbBatches(createReadStream(a, { highWaterMark: 256 * 1024 }), signal)) {
    const parts: Buffer[] = [];
    for (const record of batch) {
      if (record.kind === "header") version = record.version;
      if (record.kind !== "key") continue;
      if (record.db !== db) parts.push(encodeCommand(["SELECT", (db = record.db)]));
      parts.push(encodeCommand(["RESTORE", record.key, record.expireAtMs ?? 0, dumpPayload(record.payload, version), "REPLACE", "ABSTTL"]));
      keys++;
    }
    if (!out.write(Buffer.concat(parts))) await once(out, "drain");
  }
  out.end();
  await once(out, "finish");
  result = { keys };
} else {
  throw new Error(`unknown mode ${mode}`);
}
const used = process.cpuUsage(cpu);
console.log(JSON.stringify({ ...result, seconds: Number(process.hrtime.bigint() - started) / 1e9, cpuSeconds: (used.user + used.system) / 1e6, maxRssKiB: process.resourceUsage().maxRSS }));
