/**
 * End to end through the command line against the real Neo4j of the harness: seed a small reference graph,
 * `stackvault backup` to a local folder, wipe the database, `stackvault restore --latest --yes`, and compare
 * every node, relationship and schema item with what was there before.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readdir } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import neo4j from "neo4j-driver";
import { diffFingerprints, neo4jFingerprint } from "../fixtures/compare/index.ts";
import { generateGraph, loadGraph } from "../fixtures/neo4j-data.ts";
import { wipeNeo4j } from "../fixtures/seed.ts";
import { serviceEnv } from "../harness/env.ts";
import { hasStackTrace, runCli } from "../cli/run-cli.ts";

test("backup, wipe, restore through the CLI gives back the same graph", async () => {
  const uri = serviceEnv("NEO4J_URI");
  const password = serviceEnv("NEO4J_PASSWORD");
  const driver = neo4j.driver(uri, neo4j.auth.basic(serviceEnv("NEO4J_USER"), password));
  const dir = await mkdtemp(path.join(os.tmpdir(), "sv-e2e-"));
  const env = { NEO4J_PASSWORD: password, HOME: dir };
  const common = ["--stack", "e2e-neo4j", "--target", `file://${dir}/backups`, "--neo4j-uri", uri, "--skip-qdrant", "--skip-redis", "--services-controller", "none"];
  try {
    await wipeNeo4j(driver);
    await loadGraph(driver, generateGraph(0.02, 7));
    const before = await neo4jFingerprint(driver);

    const backup = await runCli(["backup", ...common], { cwd: dir, env });
    assert.equal(backup.code, 0, backup.stderr + backup.stdout);
    for (let n = 1; n <= 7; n++) assert.match(backup.stdout, new RegExp(`\\[${n}/7\\]`));
    assert.ok(!hasStackTrace(backup.stderr));
    const ids = await readdir(path.join(dir, "backups/stacks/e2e-neo4j"));
    assert.ok(ids.includes("latest"));

    const refused = await runCli(["restore", "--latest", ...common], { cwd: dir, env });
    assert.equal(refused.code, 2, "without a terminal, --yes is required");

    await wipeNeo4j(driver);
    const restore = await runCli(["restore", "--latest", "--yes", ...common], { cwd: dir, env });
    assert.equal(restore.code, 0, restore.stderr + restore.stdout);
    for (let n = 1; n <= 9; n++) assert.match(restore.stdout, new RegExp(`\\[${n}/9\\]`));

    const after = await neo4jFingerprint(driver);
    assert.deepEqual(diffFingerprints({ neo4j: before }, { neo4j: after }), []);
    assert.ok(before.counts.nodes! > 100, "the graph is not trivially small");
  } finally {
    await driver.close();
  }
});
