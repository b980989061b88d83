/**
 * The harness's Neo4j is a real, authenticated server with APOC and a `neo4j-admin` of the same version
 * (NEO4J_ADMIN), and that tool dumps a stopped store to stdout and loads it back from stdin, after which the
 * restarted server has the same coordinates and the same content.
 */
import { spawn } from "node:child_process";
import { createReadStream, createWriteStream, mkdtempSync, rmSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import neo4j from "neo4j-driver";
import type { Driver } from "neo4j-driver";
import { serviceEnv } from "./env.ts";
import { createContext } from "./context.ts";
import type { HarnessContext } from "./service.ts";
import { neo4jCoordinates, restartAround } from "./neo4j/control.ts";
import neo4jService from "./services/neo4j.ts";
import { harnessPaths } from "./state.ts";

describe("harness neo4j", () => {
  const scratch = mkdtempSync(path.join(os.tmpdir(), "stackvault-neo4j-"));
  const run = `run-${process.pid}-${Date.now()}`;
  let driver: Driver;

  before(() => {
    const { uri, user, password } = neo4jCoordinates();
    driver = neo4j.driver(uri, neo4j.auth.basic(user, password));
  });
  after(async () => {
    await driver.close();
    rmSync(scratch, { recursive: true, force: true });
  });

  it("refuses a wrong password and accepts the generated one", async () => {
    const { uri, user, password } = neo4jCoordinates();
    assert.ok(password.length >= 8, "the generated password has at least 8 characters");
    const wrong = neo4j.driver(uri, neo4j.auth.basic(user, `${password}-wrong`));
    try {
      await assert.rejects(wrong.executeQuery("RETURN 1"), (error: { code?: string }) => error.code === "Neo.ClientError.Security.Unauthorized");
    } finally {
      await wrong.close();
    }
    const { records } = await driver.executeQuery("RETURN 1 + 1 AS two");
    assert.equal(records[0]?.get("two").toNumber(), 2);
  });

  it("runs the Neo4j version it announces", async () => {
    const { records } = await driver.executeQuery("CALL dbms.components() YIELD name, versions, edition RETURN name, versions[0] AS v, edition");
    assert.deepEqual(records[0]?.toObject(), { name: "Neo4j Kernel", v: serviceEnv("NEO4J_VERSION"), edition: "community" });
  });

  it("has APOC core of the server's version (when NEO4J_APOC names one), with the streaming Cypher export", async () => {
    if (serviceEnv("NEO4J_APOC") === "none") {
      await assert.rejects(driver.executeQuery("RETURN apoc.version()"), /apoc\.version/);
      return;
    }
    assert.equal(serviceEnv("NEO4J_APOC"), serviceEnv("NEO4J_VERSION"));
    const version = await driver.executeQuery("RETURN apoc.version() AS v");
    assert.equal(version.records[0]?.get("v"), serviceEnv("NEO4J_APOC"));
    await driver.executeQuery("CREATE (:ApocProbe {run: $run, text: 'quote \" and newline\\n'})", { run });
    const exported = await driver.executeQuery(
      "CALL apoc.export.cypher.query($query, null, {stream: true}) YIELD cypherStatements, nodes RETURN cypherStatements, nodes",
      // `run` is letters, digits and dashes only: safe inside the quoted literal.
      { query: `MATCH (n:ApocProbe) WHERE n.run = '${run}' RETURN n` },
    );
    assert.equal(exported.records[0]?.get("nodes").toNumber(), 1);
    const statements = String(exported.records[0]?.get("cypherStatements"));
    assert.ok(statements.includes(run) && statements.includes("ApocProbe"), `the export names the probe:\n${statements}`);
    await driver.executeQuery("MATCH (n:ApocProbe {run: $run}) DELETE n", { run });
  });

  it("ships a neo4j-admin of the server's version", async () => {
    const { admin } = neo4jCoordinates();
    const output = await runAdmin(admin, ["--version"], {});
    assert.match(output.stdout, new RegExp(`\\b${serviceEnv("NEO4J_VERSION").replaceAll(".", "\\.")}\\b`));
  });

  // On community edition dump and load need the server stopped: a private instance from the same service
  // and jars proves them without taking the shared server away from tests running in parallel.
  it("dumps the stopped store to stdout and loads it back from stdin, keeping the coordinates", async () => {
    const privateDir = path.join(scratch, "services");
    const paths = { ...harnessPaths(), servicesDir: privateDir, stateFile: path.join(privateDir, "state.json"), envFile: path.join(privateDir, "env") };
    const signal = AbortSignal.timeout(500_000);
    const context = (): HarnessContext => createContext(paths, "neo4j", {}, signal, () => undefined).ctx;
    const ctx = context();
    await neo4jService.install(ctx);
    let started = await neo4jService.start(ctx);
    // A fresh driver after each restart: the loaded store is older than the bookmarks a driver remembers.
    const connect = (): Driver => neo4j.driver(started.env.NEO4J_URI ?? "", neo4j.auth.basic("neo4j", started.env.NEO4J_PASSWORD ?? ""));
    let local = connect();
    try {
      const admin = started.env.NEO4J_ADMIN ?? "";
      const written = {
        run,
        text: "quotes \" ' newline\n emoji 🧪",
        big: neo4j.int("9007199254740993"),
        float: 1.5,
        flags: [true, false],
        names: ["a", "b"],
      };
      await local.executeQuery("CREATE (a:DumpProbe $props)-[:LINKS {w: 7}]->(b:DumpProbe:Second {run: $run, text: 'b'})", { props: written, run });
      const dumpFile = path.join(scratch, "neo4j.dump");

      ({ restarted: started } = await restartAround(context, started, () => runAdmin(admin, ["database", "dump", "neo4j", "--to-stdout"], { stdoutTo: dumpFile })));
      assert.ok(statSync(dumpFile).size > 1000, "the dump has content");
      await local.close();
      local = connect();
      await local.executeQuery("MATCH (n:DumpProbe) DETACH DELETE n");
      assert.equal(await probeCount(local, run), 0, "the probe is gone before the load");

      const load = ["database", "load", "neo4j", "--from-stdin", "--overwrite-destination=true"];
      await local.close();
      ({ restarted: started } = await restartAround(context, started, () => runAdmin(admin, load, { stdinFrom: dumpFile })));
      local = connect();
      const { records } = await local.executeQuery(
        "MATCH (a:DumpProbe)-[r:LINKS]->(b:Second) RETURN properties(a) AS a, labels(a) AS la, r.w AS w, labels(b) AS lb, b.text AS bt",
      );
      assert.equal(records.length, 1, "exactly one probe pair after the load");
      const row = records[0];
      assert.ok(row !== undefined);
      assert.deepEqual(row.get("a"), written);
      assert.deepEqual(row.get("la"), ["DumpProbe"]);
      assert.equal(row.get("w").toNumber(), 7);
      assert.deepEqual([...(row.get("lb") as string[])].sort(), ["DumpProbe", "Second"]);
      assert.equal(row.get("bt"), "b");
    } finally {
      await local.close();
      await neo4jService.stop?.(ctx, started);
    }
  });
});

// --- internal ---

async function probeCount(driver: Driver, run: string): Promise<number> {
  const { records } = await driver.executeQuery("MATCH (n:DumpProbe {run: $run}) RETURN count(n) AS n", { run });
  return records[0]?.get("n").toNumber() as number;
}

/**
 * Runs the neo4j-admin wrapper, streaming stdout to a file (or keeping its last 4 KB) and stdin from a file;
 * fails with its stderr tail when it exits non-zero.
 */
async function runAdmin(admin: string, args: string[], io: { stdoutTo?: string; stdinFrom?: string }): Promise<{ stdout: string }> {
  const child = spawn(admin, args, { stdio: [io.stdinFrom ? "pipe" : "ignore", "pipe", "pipe"] });
  let stderr = "";
  let stdout = "";
  child.stderr?.on("data", (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  const exited = new Promise<number | null>((resolve, reject) => {
    child.once("error", reject);
    child.once("close", resolve);
  });
  const streams: Promise<void>[] = [];
  if (io.stdoutTo !== undefined && child.stdout) streams.push(pipeline(child.stdout, createWriteStream(io.stdoutTo)));
  else child.stdout?.on("data", (chunk: Buffer) => (stdout = (stdout + chunk.toString()).slice(-4000)));
  if (io.stdinFrom !== undefined && child.stdin) streams.push(pipeline(createReadStream(io.stdinFrom), child.stdin));
  await Promise.all(streams);
  const code = await exited;
  assert.equal(code, 0, `neo4j-admin ${args.join(" ")} exited ${String(code)}:\n${stderr}`);
  return { stdout };
}
