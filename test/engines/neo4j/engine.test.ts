/**
 * The Neo4j engine against the real Neo4j + APOC of the harness. Community Edition has one user database, so
 * every test here runs serially in this one file and wipes the database before and after.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import type { Driver } from "neo4j-driver";
import { CancelledError, EngineError, IntegrityError } from "../../../src/core/errors.ts";
import { createNeo4jEngine } from "../../../src/engines/neo4j/index.ts";
import type { Engine, EngineSection } from "../../../src/engines/engine.ts";
import { splitScript } from "../../../src/engines/neo4j/statement-splitter.ts";
import { Readable } from "node:stream";
import { allTypes, createFixture, createGraph, neo4jEnv, run, schemaSnapshot, snapshot, testDriver, wipe } from "./fixture.ts";
import { MemoryStore } from "./memory-context.ts";
import { localExecutor } from "../../../src/exec/local.ts";
import { harnessControl } from "./server-control.ts";
import { countStoreQuery, Neo4jConnection } from "../../../src/engines/neo4j/connection.ts";
import { apocError } from "../../../src/engines/neo4j/export-apoc.ts";
import { exportCypher, MAX_PULL, PULL_BYTES, pullSize } from "../../../src/engines/neo4j/export-cypher.ts";
import { recordChunks } from "../../../src/engines/neo4j/record-chunks.ts";
import { isTextRow, transcodeRecords } from "../../../src/engines/neo4j/record-text.ts";
import { Emitter } from "../../../src/core/events.ts";
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { serviceEnv } from "../../harness/env.ts";
import { CYPHER_SHELL_MAIN } from "../../harness/neo4j/cypher-shell.ts";
import { replayThroughDriver } from "./driver-replay.ts";

const execFileAsync = promisify(execFile);

const signal = new AbortController().signal;
let driver: Driver;
let engine: Engine;

function newEngine(extra: Parameters<typeof createNeo4jEngine>[0] extends infer O ? Partial<O> : never = {}): Engine {
  return createNeo4jEngine({ ...neo4jEnv(), ...extra });
}

/** The fixture graph written into an emptied database, its content and schema, and its backup in memory. */
async function backedUpFixture(): Promise<{ content: Awaited<ReturnType<typeof snapshot>>; schema: Awaited<ReturnType<typeof schemaSnapshot>>; store: MemoryStore; section: EngineSection }> {
  await wipe(driver);
  await createFixture(driver);
  const content = await snapshot(driver);
  const schema = await schemaSnapshot(driver);
  const store = new MemoryStore();
  const section = await engine.backup(store.backupContext());
  return { content, schema, store, section };
}

/** Nodes that still carry the loader's import label or temporary id. */
async function importLeftovers(): Promise<number> {
  const rows = await run(driver, "MATCH (n) WHERE n:__StackvaultImport OR n.__stackvault_id IS NOT NULL RETURN count(n) AS c");
  return Number(rows[0]?.c);
}

describe("neo4j engine (real server)", { concurrency: 1 }, () => {
  before(async () => {
    driver = testDriver();
    engine = newEngine();
    await wipe(driver);
  });
  after(async () => {
    await wipe(driver).catch(() => {});
    await engine.close();
    await driver.close();
  });

  test("cypher: backup → wipe → restore gives back every node, relationship, property and index exactly", async () => {
    const { content, schema, store, section } = await backedUpFixture();
    assert.equal(section.details.method, "cypher");
    assert.equal(section.counts.nodes, content.nodes.length);
    assert.equal(section.counts.relationships, content.relationships.length);
    assert.equal(section.counts["nodes:Doc"], 30);
    assert.equal(section.counts["relationships:KNOWS"], 5);
    assert.equal(section.counts.constraints, 2);
    assert.equal(section.counts.indexes, 6);
    assert.match(section.version, /^5\./);
    assert.equal(typeof section.details.apocVersion, "string");

    await wipe(driver);
    await engine.checkRestorable(section, { signal });
    const checking = store.restoreContext();
    await engine.restore(section, checking);
    assert.equal(checking.reads, 2, "read through once before the purge, then loaded");
    assert.deepEqual(await snapshot(driver), content);
    assert.deepEqual(await schemaSnapshot(driver), schema);
    assert.deepEqual(await engine.count({ signal }), section.counts);

    // After a preflight that re-hashed the artifact, the restore reads it once.
    await wipe(driver);
    const verified = Object.assign(store.restoreContext(), { verified: true });
    await engine.restore(section, verified);
    assert.equal(verified.reads, 1);
    assert.deepEqual(await snapshot(driver), content);
    assert.deepEqual(await schemaSnapshot(driver), schema);
    assert.equal(await importLeftovers(), 0, "no import label or temporary id is left");
    assert.equal((await run(driver, "SHOW INDEXES YIELD name WHERE name STARTS WITH '__stackvault' RETURN name")).length, 0);
  });

  test("cypher: the script replays statement by statement as written (what cypher-shell does)", async () => {
    const { content, schema, store } = await backedUpFixture();
    await wipe(driver);
    const session = driver.session({ database: "neo4j" });
    try {
      await replayThroughDriver(session, splitScript(Readable.from([store.text("neo4j-backup.cypher")])));
    } finally {
      await session.close();
    }
    assert.deepEqual(await snapshot(driver), content);
    assert.deepEqual(await schemaSnapshot(driver), schema);
  });

  test("cypher: the real cypher-shell -f replays the script into the same content and schema (its portability promise)", async () => {
    const { content, schema, store } = await backedUpFixture();
    await wipe(driver);
    const dir = mkdtempSync(path.join(os.tmpdir(), "stackvault-cypher-shell-"));
    try {
      const file = path.join(dir, "neo4j-backup.cypher");
      writeFileSync(file, store.text("neo4j-backup.cypher"));
      const { uri, user, password } = neo4jEnv();
      const argv = ["-cp", serviceEnv("NEO4J_CYPHER_SHELL_CLASSPATH"), CYPHER_SHELL_MAIN, "-a", uri, "-u", user, "--format", "plain", "-f", file];
      const shell = await execFileAsync(serviceEnv("NEO4J_CYPHER_SHELL_JAVA"), argv, { env: { ...process.env, NEO4J_PASSWORD: password }, maxBuffer: 1 << 26 })
        .catch((err: Error & { stderr?: string }) => assert.fail(`cypher-shell failed: ${err.message}\n${err.stderr ?? ""}`));
      assert.doesNotMatch(shell.stderr, /error/i);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    assert.deepEqual(await snapshot(driver), content);
    assert.deepEqual(await schemaSnapshot(driver), schema);
    assert.equal(await importLeftovers(), 0, "no import label or temporary id is left");
  });

  test("cypher: a backup in the previous script format (stackvault-cypher/1, rows inside the statements) still restores exactly", async () => {
    await wipe(driver);
    await createFixture(driver);
    const content = await snapshot(driver);
    const store = new MemoryStore();
    const section = await engine.backup(store.backupContext());
    // Version 1 wrote every batch as `UNWIND [rows] AS row <tail>;` and had no `:param` lines.
    store.tamper("neo4j-backup.cypher", (b) => {
      const v1 = b.toString("utf8")
        .replace(/^:param \{rows: (\[.*\])\}\nUNWIND \$rows AS row /gm, "UNWIND $1 AS row ")
        .replace(/^:param clear\n/m, "")
        .replace("stackvault-cypher/2", "stackvault-cypher/1");
      assert.doesNotMatch(v1, /^:param/m);
      return Buffer.from(v1);
    }, true);
    const old: EngineSection = { ...section, details: { ...section.details, format: "stackvault-cypher/1" } };
    await wipe(driver);
    await engine.checkRestorable(old, { signal });
    await engine.restore(old, store.restoreContext());
    assert.deepEqual(await snapshot(driver), content);
    await assert.rejects(engine.checkRestorable({ ...old, details: { ...old.details, format: "stackvault-cypher/9" } }, { signal }), IntegrityError);
  });

  test("restore refuses a database that is not empty unless asked to purge, then purges data and schema", async () => {
    await wipe(driver);
    await createFixture(driver);
    const content = await snapshot(driver);
    const store = new MemoryStore();
    const section = await engine.backup(store.backupContext());
    await run(driver, "CREATE (:Intruder {k: 'x'})-[:EXTRA]->(:Intruder {k: 'y'})");
    await run(driver, "CREATE INDEX intruder_k FOR (n:Intruder) ON (n.k)");
    await assert.rejects(engine.restore(section, store.restoreContext()), (err: Error) => err instanceof EngineError && /not empty/.test(err.message));
    assert.equal(Number((await run(driver, "MATCH (n:Intruder) RETURN count(n) AS c"))[0]?.c), 2);
    await engine.restore(section, store.restoreContext({ purge: true }));
    assert.deepEqual(await snapshot(driver), content);
    assert.equal((await run(driver, "SHOW INDEXES YIELD name WHERE name = 'intruder_k' RETURN name")).length, 0);
  });

  test("a corrupted or truncated artifact is detected before anything is purged", async () => {
    await wipe(driver);
    await createFixture(driver);
    const store = new MemoryStore();
    const section = await engine.backup(store.backupContext());
    const content = await snapshot(driver);
    // bytes changed, recorded checksum kept: the stream fails at its end
    store.tamper("neo4j-backup.cypher", (b) => Buffer.concat([b.subarray(0, 100), Buffer.from("X"), b.subarray(101)]));
    await assert.rejects(engine.restore(section, store.restoreContext({ purge: true })), IntegrityError);
    assert.deepEqual(await snapshot(driver), content);
    // cut short and re-hashed (a stored artifact that was never complete): no end marker
    store.tamper("neo4j-backup.cypher", (b) => b.subarray(0, Math.floor(b.length / 2)), true);
    await assert.rejects(engine.restore(section, store.restoreContext({ purge: true })), IntegrityError);
    assert.deepEqual(await snapshot(driver), content);
  });

  test("counts: every label and type, read from the count store in one query, also in a graph without relationships", async () => {
    await wipe(driver);
    await run(driver, "CREATE (:Alone), (:Alone:`odd``name`), (:Other)");
    const counts = await engine.count({ signal });
    assert.equal(counts.nodes, 3);
    assert.equal(counts.relationships, 0);
    assert.equal(counts["nodes:Alone"], 2);
    assert.equal(counts["nodes:odd`name"], 1);
    assert.equal(counts["nodes:Other"], 1);
    assert.equal(Object.keys(counts).filter((k) => k.startsWith("relationships:")).length, 0);
    await run(driver, "MATCH (a:Other), (b:Alone) CREATE (a)-[:`ODD ``T`]->(b), (a)-[:PLAIN]->(a)");
    const after = await engine.count({ signal });
    assert.deepEqual([after.relationships, after["relationships:ODD `T"], after["relationships:PLAIN"], after["nodes:Alone"]], [4, 2, 2, 2]);
    // A scan here would read every node or relationship: the plan must use count-store lookups only.
    const plan = await planOperators(countStoreQuery(["Alone", "odd`name"], ["ODD `T", "PLAIN"]));
    assert.ok(plan.includes("NodeCountFromCountStore") && plan.includes("RelationshipCountFromCountStore"), plan.join(", "));
    assert.ok(!plan.some((op) => /Scan|Expand|Aggregation/.test(op)), `no scan, expand or aggregation: ${plan.join(", ")}`);
  });

  test("a backup from a newer major Neo4j version is refused with a clear message", async () => {
    const store = new MemoryStore();
    await wipe(driver);
    await run(driver, "CREATE (:Small {k: 1})");
    const section = await engine.backup(store.backupContext());
    const newer: EngineSection = { ...section, version: "2026.01.0" };
    await assert.rejects(engine.checkRestorable(newer, { signal }), (err: Error) => err instanceof EngineError && /newer than the server/.test(err.message));
    await assert.rejects(engine.restore(newer, store.restoreContext({ purge: true })), EngineError);
    assert.equal(Number((await run(driver, "MATCH (n:Small) RETURN count(n) AS c"))[0]?.c), 1);
  });

  test("a write during the export fails the backup, or warns when asked to", async () => {
    await wipe(driver);
    await run(driver, "UNWIND range(1, 5000) AS i CREATE (:Busy {i: i})");
    for (const mode of ["fail", "warn"] as const) {
      const store = new MemoryStore();
      store.onChunk = async (i) => {
        if (i === 3) await run(driver, "CREATE (:Busy {i: -1})");
      };
      const e = newEngine({ onConcurrentWrite: mode, scriptBatchRows: 100 });
      try {
        if (mode === "fail") {
          await assert.rejects(e.backup(store.backupContext()), (err: Error) => err instanceof EngineError && /changed during the export/.test(err.message));
        } else {
          const section = await e.backup(store.backupContext());
          assert.match(String(section.details.concurrentWrite), /nodes/);
          assert.ok(store.events.some((ev) => ev.type === "log" && ev.level === "warn"));
        }
      } finally {
        await e.close();
      }
    }
  });

  test("cypher: rows written from the records' Bolt bytes are the text the driver's values give, for every property type", async () => {
    await wipe(driver);
    await createFixture(driver);
    const conn = new Neo4jConnection({ ...neo4jEnv() });
    try {
      const session = conn.session("READ");
      const tx = session.beginTransaction();
      try {
        const text = await transcodeRecords(tx, "node");
        assert.ok(text, "the text path fits this driver's internals");
        const rows = await tx.run("MATCH (n) RETURN id(n) AS i, labels(n) AS l, properties(n) AS p LIMIT 3");
        assert.ok(rows.records.length > 0 && rows.records.every((r) => isTextRow(r.get(0))));
        text.end();
        const plain = await tx.run("MATCH (n) RETURN id(n) AS i, labels(n) AS l, properties(n) AS p LIMIT 1");
        assert.ok(!isTextRow(plain.records[0]?.get(0)), "once ended, records are the driver's values again");
      } finally {
        await tx.rollback();
        await session.close();
      }
      const exported = async (rowsFrom: "bytes" | "values"): Promise<string> => {
        const before = await conn.counts(signal);
        const parts: Buffer[] = [];
        const schema = Promise.resolve({ constraints: [], indexes: [] });
        for await (const part of exportCypher(conn, { signal, events: new Emitter(), schema, before, source: "test", rowsFrom })) parts.push(part);
        return Buffer.concat(parts).toString("utf8");
      };
      const fromBytes = await exported("bytes");
      const fromValues = await exported("values");
      assert.ok(fromBytes.includes("long-long-") && fromBytes.includes("apoc.util.compress("), "multi-chunk records and byte arrays are in the comparison");
      assert.equal(fromBytes, fromValues);
    } finally {
      await conn.close();
    }
  });

  test("cypher: small records are pulled about 128 KiB at a time, large ones at the fetch size; the driver takes the pull size", async () => {
    assert.equal(pullSize(undefined, 250), 250, "before any record is read");
    assert.equal(pullSize(40, 250), Math.floor(PULL_BYTES / 40));
    assert.equal(pullSize(650, 250), 250);
    assert.equal(pullSize(2_000_000, 250), 250);
    assert.equal(pullSize(1, 250), MAX_PULL);
    await wipe(driver);
    await createGraph(driver, 300);
    const conn = new Neo4jConnection({ ...neo4jEnv(), fetchSize: 10 });
    const session = conn.session("READ");
    try {
      const result = session.run("MATCH (n) RETURN n");
      let records = 0;
      for await (const chunk of recordChunks(result, { signal, highWater: 10, translate: (err) => err as Error, pullSize: () => 123 })) records += chunk.length;
      assert.equal(records, 300);
      const observer = await (result as unknown as { _streamObserverPromise: Promise<{ _fetchSize?: unknown }> })._streamObserverPromise;
      assert.equal(observer._fetchSize, 123, "the driver's result observer holds the pull size (an upgrade renamed it?)");
    } finally {
      await session.close();
      await conn.close();
    }
  });

  test("cypher: with a small fetch size and a slow target the export pauses the driver's pulls and still gives back every record in order", async () => {
    await wipe(driver);
    await createGraph(driver, 3000);
    const content = await snapshot(driver);
    const store = new MemoryStore();
    store.onChunk = () => new Promise((resolve) => setTimeout(resolve, 2));
    const slow = newEngine({ fetchSize: 50, scriptBatchRows: 40 });
    try {
      const section = await slow.backup(store.backupContext());
      assert.deepEqual(section.details.exported, { nodes: content.nodes.length, relationships: content.relationships.length });
      await wipe(driver);
      await engine.restore(section, store.restoreContext());
    } finally {
      await slow.close();
    }
    assert.deepEqual(await snapshot(driver), content);
  });

  test("cypher: a cancelled export stops with a cancellation, and the next backup on the same engine works", async () => {
    await wipe(driver);
    await createGraph(driver, 2000);
    const e = newEngine({ fetchSize: 100, scriptBatchRows: 50 });
    try {
      const controller = new AbortController();
      const cancelled = new MemoryStore();
      cancelled.onChunk = (i) => {
        if (i === 5) controller.abort();
      };
      await assert.rejects(e.backup(cancelled.backupContext(controller.signal)), (err: Error) => err instanceof CancelledError);
      const section = await e.backup(new MemoryStore().backupContext());
      assert.equal(section.counts.nodes, 2000);
    } finally {
      await e.close();
    }
  });

  test("cypher: a generated graph round-trips; export and restore throughput is reported", async () => {
    const size = Number(process.env.STACKVAULT_NEO4J_BENCH_NODES ?? 20_000);
    await wipe(driver);
    await createGraph(driver, size);
    const content = await snapshot(driver);
    const store = new MemoryStore();
    let t0 = performance.now();
    const section = await engine.backup(store.backupContext());
    const exportSeconds = (performance.now() - t0) / 1000;
    await wipe(driver);
    t0 = performance.now();
    await engine.restore(section, store.restoreContext());
    const restoreSeconds = (performance.now() - t0) / 1000;
    assert.deepEqual(await snapshot(driver), content);
    const rate = (n: number, s: number): string => `${Math.round(n / s)}/s`;
    console.log(
      `neo4j cypher method, ${size} nodes + ${section.counts.relationships} relationships, script ${(store.text("neo4j-backup.cypher").length / 1e6).toFixed(1)} MB: ` +
        `export ${exportSeconds.toFixed(2)} s (${rate(size, exportSeconds)} nodes), restore ${restoreSeconds.toFixed(2)} s (${rate(size, restoreSeconds)} nodes, ` +
        `${rate(size + Number(section.counts.relationships), restoreSeconds)} nodes+relationships)`,
    );
  });

  test("apoc: APOC's streamed script restores through the loader (byte arrays excepted: APOC writes them as integer lists)", async () => {
    await wipe(driver);
    // APOC writes names unescaped and byte arrays as lists: keep the fixture to what its format can express
    const apocTypes = Object.fromEntries(Object.entries(allTypes).filter(([k]) => !k.includes("`") && !k.startsWith("bytes")));
    await run(driver, "CREATE (n:Typed:Person {k: 'all'}) SET n += $p", { p: apocTypes });
    await run(driver, "CREATE (n {k: 'unlabelled'}) WITH n MATCH (a {k: 'all'}) CREATE (a)-[:R {x: 1}]->(n), (a)-[:R {x: 1}]->(n), (n)-[:SELF {d: date('2020-01-01')}]->(n)");
    await createGraph(driver, 500);
    await run(driver, "CREATE CONSTRAINT typed_k FOR (n:Typed) REQUIRE n.k IS UNIQUE");
    await run(driver, "CREATE VECTOR INDEX typed_embedding FOR (n:Typed) ON (n.embedding) OPTIONS {indexConfig: {`vector.dimensions`: 1536, `vector.similarity_function`: 'euclidean'}}");
    await run(driver, "CALL db.awaitIndexes(300)");
    const content = await snapshot(driver);
    const schema = await schemaSnapshot(driver);
    const apoc = newEngine({ method: "apoc" });
    try {
      const store = new MemoryStore();
      const section = await apoc.backup(store.backupContext());
      assert.equal(section.details.format, "apoc-cypher-shell");
      assert.match(store.text("neo4j-backup.cypher"), /UNWIND \[/);
      await wipe(driver);
      await apoc.restore(section, store.restoreContext());
      assert.deepEqual(await snapshot(driver), content);
      assert.deepEqual(await schemaSnapshot(driver), schema);
      assert.equal((await run(driver, "MATCH (n:`UNIQUE IMPORT LABEL`) RETURN n")).length, 0);
    } finally {
      await apoc.close();
    }
  });

  test("a missing APOC procedure is reported as such, suggesting the cypher method", () => {
    const conn = new Neo4jConnection({ ...neo4jEnv() });
    const err = apocError(conn, Object.assign(new Error("There is no procedure with the name `apoc.export.cypher.all` registered for this database instance."), { code: "Neo.ClientError.Procedure.ProcedureNotFound" }));
    assert.ok(err instanceof EngineError);
    assert.match(err.message, /APOC is not installed/);
    assert.match(String((err as EngineError).hint), /--neo4j-method cypher/);
    return conn.close();
  });

  test("wrong password and unreachable server give clear errors without the secret", async () => {
    const env = neo4jEnv();
    const wrong = createNeo4jEngine({ ...env, password: "definitely-wrong-pw-123" });
    try {
      await assert.rejects(wrong.inspect({ signal }), (err: Error) => {
        assert.ok(err instanceof EngineError);
        assert.match(err.message, /refused the credentials/);
        assert.ok(!err.message.includes("definitely-wrong-pw-123"));
        return true;
      });
    } finally {
      await wrong.close();
    }
    // One failed login per attempt, not one per parallel connection: Neo4j locks the user after 3 failures.
    const right = createNeo4jEngine(env);
    try {
      await right.inspect({ signal });
    } finally {
      await right.close();
    }
    const down = createNeo4jEngine({ ...env, uri: "bolt://127.0.0.1:1" });
    try {
      await assert.rejects(down.inspect({ signal }), (err: Error) => err instanceof EngineError && err.message.includes("bolt://127.0.0.1:1"));
    } finally {
      await down.close();
    }
  });

  // Last: stops and restarts the shared server through the harness's own command.
  test("dump: neo4j-admin dump and load with the server stopped, restarted in every case", async () => {
    await wipe(driver);
    await createFixture(driver);
    const content = await snapshot(driver);
    const schema = await schemaSnapshot(driver);
    const admin = process.env.NEO4J_ADMIN;
    assert.ok(admin, "NEO4J_ADMIN must be set by the harness");
    const stops: string[] = [];
    const control = harnessControl(stops);
    const dumpOptions = { executor: localExecutor(), adminCommand: [admin], control };
    const first = newEngine({ method: "dump", dump: dumpOptions });
    const store = new MemoryStore();
    let section: EngineSection;
    try {
      section = await first.backup(store.backupContext());
    } finally {
      await first.close();
    }
    assert.deepEqual(stops, ["stopped", "started"]);
    assert.equal(section.details.format, "neo4j-admin-dump");
    assert.ok((store.artifacts.get("neo4j-backup.dump")?.bytes.length ?? 0) > 1000);

    await driver.close();
    driver = testDriver();
    await wipe(driver);
    await run(driver, "CREATE (:AfterDump {k: 'x'})");
    const second = newEngine({ method: "dump", dump: dumpOptions });
    try {
      await assert.rejects(second.restore(section, store.restoreContext()), /not empty/);
      await second.restore(section, store.restoreContext({ purge: true }));
    } finally {
      await second.close();
    }
    assert.deepEqual(stops, ["stopped", "started", "stopped", "started"]);
    await driver.close();
    driver = testDriver();
    assert.deepEqual(await snapshot(driver), content);
    assert.deepEqual(await schemaSnapshot(driver), schema);

    // a failing neo4j-admin still restarts the server (an unknown option: it fails before touching the store)
    const third = newEngine({ method: "dump", dump: { ...dumpOptions, adminCommand: [admin, "--no-such-option"] } });
    try {
      await assert.rejects(third.restore(section, store.restoreContext({ purge: true })));
    } finally {
      await third.close();
    }
    assert.deepEqual(stops.slice(4), ["stopped", "started"]);
    await driver.close();
    driver = testDriver();
    assert.deepEqual(await snapshot(driver), content);
  });
});

/** The operators of the server's plan for `cypher` (EXPLAIN: nothing runs), without their runtime suffix. */
async function planOperators(cypher: string): Promise<string[]> {
  const session = driver.session({ database: "neo4j" });
  try {
    const { summary } = await session.run(`EXPLAIN ${cypher}`);
    const operators: string[] = [];
    const walk = (step: { operatorType: string; children: unknown[] }): void => {
      operators.push(step.operatorType.split("@")[0] ?? "");
      for (const child of step.children) walk(child as typeof step);
    };
    if (summary.plan !== false) walk(summary.plan);
    return operators;
  } finally {
    await session.close();
  }
}
