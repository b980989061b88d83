/**
 * Which Neo4j database the engine reads and writes (`neo4j.database`, default `neo4j`), against the harness's
 * real server. Community Edition has exactly one user database, `neo4j`: what can be proven here is that a
 * name the server lacks fails clearly before anything is read or written, that the section records the
 * database it came from, and that restoring it under another configured name says so (the restore itself going
 * into the configured database, `neo4j`). Backing up a second user database needs Enterprise Edition.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import type { Driver } from "neo4j-driver";
import { EngineError } from "../../../src/core/errors.ts";
import { createNeo4jEngine } from "../../../src/engines/neo4j/index.ts";
import { createFixture, neo4jEnv, schemaSnapshot, snapshot, testDriver, wipe } from "./fixture.ts";
import { MemoryStore } from "./memory-context.ts";

const signal = new AbortController().signal;
let driver: Driver;

describe("neo4j engine: the configured database (real server)", { concurrency: 1 }, () => {
  before(async () => {
    driver = testDriver();
    await wipe(driver);
  });
  after(async () => {
    await wipe(driver).catch(() => {});
    await driver.close();
  });

  test("a database the server does not have is named in a clear error, and the backup writes nothing", async () => {
    const engine = createNeo4jEngine({ ...neo4jEnv(), database: "knowbase" });
    const store = new MemoryStore();
    try {
      for (const attempt of [() => engine.inspect({ signal }), () => engine.backup(store.backupContext())]) {
        await assert.rejects(attempt(), (err: Error) => {
          assert.ok(err instanceof EngineError, String(err));
          assert.match(err.message, /has no database named 'knowbase'/);
          assert.match(String((err as EngineError).hint), /--neo4j-database/);
          return true;
        });
      }
      assert.equal(store.artifacts.size, 0);
    } finally {
      await engine.close();
    }
  });

  test("the section records its database; restored under another configured name, the restore says so and loads everything", async () => {
    await createFixture(driver);
    const content = await snapshot(driver);
    const schema = await schemaSnapshot(driver);
    const engine = createNeo4jEngine({ ...neo4jEnv(), database: "neo4j" });
    try {
      const store = new MemoryStore();
      const section = await engine.backup(store.backupContext());
      assert.equal(section.details.database, "neo4j");
      assert.deepEqual((await engine.inspect({ signal })).details.database, "neo4j");

      await wipe(driver);
      const elsewhere = { ...section, details: { ...section.details, database: "knowbase" } };
      await engine.restore(elsewhere, store.restoreContext());
      assert.deepEqual(await snapshot(driver), content);
      assert.deepEqual(await schemaSnapshot(driver), schema);
      const warnings = store.events.filter((e) => e.type === "log" && e.level === "warn").map((e) => ("message" in e ? e.message : ""));
      assert.ok(warnings.some((m) => /backup of database 'knowbase' is restored into database 'neo4j'/.test(m)), warnings.join("\n"));

      await wipe(driver);
      const seen = store.events.length;
      await engine.restore(section, store.restoreContext());
      assert.deepEqual(await snapshot(driver), content);
      assert.ok(!store.events.slice(seen).some((e) => e.type === "log" && e.level === "warn"), "no warning when the names agree");
    } finally {
      await engine.close();
    }
  });
});
