/**
 * One measurement in its own process (so that its CPU time and peak RSS are its own). Connection from
 * NEO4J_URI, NEO4J_USER, NEO4J_PASSWORD.
 *
 *   node bench/neo4j/child.ts export-cypher <out.cypher>   stackvault backup, `cypher` method (the whole engine call:
 *                                           versions, counts, schema, export, counts after); the section goes to <out>.section.json
 *   node bench/neo4j/child.ts export-apoc   <out.cypher>   CALL apoc.export.cypher.all(null, {stream: true}) consumed through the driver
 *   node bench/neo4j/child.ts restore       <in.cypher>    stackvault restore of a `cypher` artifact (section from <in>.section.json)
 *   node bench/neo4j/child.ts replay        <in.cypher>    the script statement by statement through the driver, as
 *                                           cypher-shell runs it (auto-commit, or one transaction between :begin and :commit;
 *                                           :param evaluated by the server), see test/engines/neo4j/driver-replay.ts
 *   node bench/neo4j/child.ts counts                       node, relationship and per-label/type counts
 *   node bench/neo4j/child.ts wipe                         empties the database (data and schema) and the query caches
 *   node bench/neo4j/child.ts load          <scale> [seed] loads the reference graph (test/fixtures/neo4j-data.ts)
 *
 * Prints one JSON line: seconds, bytes or statements, CPU seconds, peak RSS.
 */
import { createReadStream, createWriteStream, readFileSync, statSync, writeFileSync } from "node:fs";
import { once } from "node:events";
import type { Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import neo4j from "neo4j-driver";
import { Emitter } from "../../src/core/events.ts";
import type { ArtifactRecord, EngineSection } from "../../src/engines/engine.ts";
import { createNeo4jEngine } from "../../src/engines/neo4j/index.ts";
import { splitScript } from "../../src/engines/neo4j/statement-splitter.ts";
import { replayThroughDriver } from "../../test/engines/neo4j/driver-replay.ts";
import { generateGraph, loadGraph } from "../../test/fixtures/neo4j-data.ts";

const [mode, file = "", extra] = process.argv.slice(2);
const uri = need("NEO4J_URI");
const user = process.env.NEO4J_USER ?? "neo4j";
const password = need("NEO4J_PASSWORD");
const signal = new AbortController().signal;
const events = new Emitter();
const started = process.hrtime.bigint();
const cpu = process.cpuUsage();
let result: Record<string, unknown> = {};

if (mode === "export-cypher") {
  const engine = createNeo4jEngine({ uri, user, password });
  try {
    let bytes = 0;
    const section = await engine.backup({
      signal, events,
      writeArtifact: async (spec, source) => {
        source.on("data", (chunk: Buffer) => (bytes += chunk.length));
        await pipeline(source, createWriteStream(file));
        return record(spec.name, bytes);
      },
    });
    writeFileSync(`${file}.section.json`, JSON.stringify(section));
    result = { bytes, nodes: section.counts.nodes, relationships: section.counts.relationships };
  } finally {
    await engine.close();
  }
} else if (mode === "export-apoc") {
  const driver = neo4j.driver(uri, neo4j.auth.basic(user, password), { logging: { level: "error", logger: () => {} } });
  const out = createWriteStream(file);
  let bytes = 0;
  const session = driver.session({ defaultAccessMode: neo4j.session.READ });
  try {
    const stream = session.run("CALL apoc.export.cypher.all(null, {stream: true}) YIELD cypherStatements RETURN cypherStatements");
    for await (const row of stream) {
      const text = row.get(0) as string | null;
      if (text) bytes += await write(out, text);
    }
  } finally {
    await session.close();
    await driver.close();
  }
  out.end();
  await once(out, "finish");
  result = { bytes };
} else if (mode === "restore") {
  const engine = createNeo4jEngine({ uri, user, password, preverify: false });
  const section = JSON.parse(readFileSync(`${file}.section.json`, "utf8")) as EngineSection;
  try {
    await engine.restore(section, { signal, events, purge: false, readArtifact: async () => createReadStream(file, { highWaterMark: 256 * 1024 }) });
  } finally {
    await engine.close();
  }
  result = { bytes: statSync(file).size };
} else if (mode === "replay") {
  const driver = neo4j.driver(uri, neo4j.auth.basic(user, password), { logging: { level: "error", logger: () => {} } });
  const session = driver.session();
  try {
    result = { statements: await replayThroughDriver(session, splitScript(createReadStream(file, { highWaterMark: 256 * 1024 }))) };
  } finally {
    await session.close();
    await driver.close();
  }
} else if (mode === "counts") {
  const engine = createNeo4jEngine({ uri, user, password });
  try {
    result = { counts: await engine.count({ signal }) };
  } finally {
    await engine.close();
  }
} else if (mode === "wipe") {
  const driver = neo4j.driver(uri, neo4j.auth.basic(user, password), { logging: { level: "error", logger: () => {} } });
  const session = driver.session();
  try {
    await session.run("MATCH (n) CALL { WITH n DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS");
    for (const r of (await session.run("SHOW CONSTRAINTS YIELD name")).records) await session.run(`DROP CONSTRAINT \`${String(r.get(0)).replaceAll("`", "``")}\``);
    for (const r of (await session.run("SHOW INDEXES YIELD name, type WHERE type <> 'LOOKUP'")).records) await session.run(`DROP INDEX \`${String(r.get(0)).replaceAll("`", "``")}\``);
    // Each measurement starts from empty query caches: a replay leaves up to 1,000 compiled statements behind,
    // which would otherwise weigh on the server's heap during the next one.
    await session.run("CALL db.clearQueryCaches()");
  } finally {
    await session.close();
    await driver.close();
  }
} else if (mode === "load") {
  const driver = neo4j.driver(uri, neo4j.auth.basic(user, password), { logging: { level: "error", logger: () => {} } });
  try {
    result = await loadGraph(driver, generateGraph(Number(file), Number(extra ?? 1)));
  } finally {
    await driver.close();
  }
} else {
  throw new Error(`unknown mode ${String(mode)}`);
}
const used = process.cpuUsage(cpu);
console.log(JSON.stringify({ ...result, seconds: Number(process.hrtime.bigint() - started) / 1e9, cpuSeconds: (used.user + used.system) / 1e6, maxRssKiB: process.resourceUsage().maxRSS }));

// --- internal ---

function need(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} must be set`);
  return value;
}

function record(name: string, bytes: number): ArtifactRecord {
  return { name, file: `neo4j/${name}`, compression: "none", rawBytes: bytes, storedBytes: bytes, rawSha256: "", storedSha256: "" };
}

async function write(out: Writable, text: string): Promise<number> {
  const chunk = Buffer.from(text.endsWith("\n") ? text : `${text}\n`);
  if (!out.write(chunk)) await once(out, "drain");
  return chunk.length;
}
