/**
 * Benchmark of the Neo4j engine (not a test; run on demand):
 *
 *   scripts/with-node node bench/neo4j/run.ts [--scale 10 | --scales 1,10] [--repeat 2] [--replay-limit 600] [--seed 1]
 *                                             [--server private|harness] [--heap 2g] [--peer cypher-shell|driver] [--json FILE]
 *
 * On the reference graph of test/fixtures/neo4j-data.ts at scale 1 and at `--scale` (15,420 nodes and 48,320
 * relationships per unit of scale, every property type, 1536-float embeddings on 1 chunk in 40, the
 * KnowWhere schema), in one run, alternating the sides `--repeat` times:
 *   - export: stackvault's `cypher` backup (whole engine call, into a file) beside
 *     `CALL apoc.export.cypher.all(null, {stream: true})` consumed through the driver into a file, after one
 *     uncounted export of each side (the server's first round is slow for both), the sides taking turns going
 *     first;
 *   - restore into the emptied database: stackvault's restore of its script beside two replays by the real
 *     `cypher-shell -f` (Maven Central's org.neo4j:cypher-shell 5.26.0, the program the Neo4j distribution's
 *     `cypher-shell` launcher runs, installed by the test harness, see test/harness/neo4j/cypher-shell.ts;
 *     `--peer driver` replays statement by statement through the JavaScript driver instead):
 *       1. APOC's script, after one textual fix: APOC 5.26 writes a name that contains a backtick (the
 *          graph's property key `` `tick` ``, label ``with`backtick``, type ``ODD `TYPE` NAME``) between
 *          backticks without doubling the inner ones, which cypher-shell refuses (and a refused statement
 *          rolls back its whole `:begin … :commit` block); those names, and nothing else, are respelled
 *          (see replay.ts) and the number of rewrites is printed;
 *       2. stackvault's own `cypher` script, as is (its promise: plain cypher-shell replays it), shown beside
 *          the first without a goal.
 *     A replay that passes `--replay-limit` seconds is stopped and its time extrapolated from its rate
 *     (committed rows per second; row and note say EXTRAPOLATED; see replay.ts for why it flatters the peer);
 *     a replay stopped with under 1 % of its rows committed gets no ratio, only a note saying so;
 *   - peak RSS of stackvault's export and restore at both scales.
 * Every measurement runs in its own process (bench/neo4j/child.ts), with the V8 flags stackvault's processes
 * run with (src/core/node-flags.ts). After each stackvault restore the
 * per-label and per-type counts must equal the backup's; after a full replay, node and relationship counts
 * are compared and a loss is reported. `--server private` (the default) starts a Neo4j +
 * APOC of its own like the test harness's, in a temporary folder, and stops it at the end; `--server
 * harness` uses the test services' NEO4J_* coordinates and WIPES that database. Prints /proc/loadavg before
 * every measurement: the machine may be shared, compare rows of one run. The private server gets `--heap`
 * (2 GiB by default: cypher-shell's replays ran the harness's 1 GiB heap out of memory).
 * With `--json FILE` it also writes each scale's medians and ratios as bench/common/result.ts documents.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { MALLOC_ENV, NODE_FLAGS } from "../../src/core/node-flags.ts";
import { optionArgs } from "../common/args.ts";
import { atLeast, atMost, loadAverage, median as middle, writeResults, type BenchResult, type BenchRow } from "../common/result.ts";
import { fixApocBackticks, namesOf, replayWithLimit, TOO_FEW_ROWS, tooFewToExtrapolate } from "./replay.ts";
import { startPrivateNeo4j, type PrivateNeo4j } from "./server.ts";
import { createContext } from "../../test/harness/context.ts";
import { CYPHER_SHELL_MAIN, CYPHER_SHELL_VERSION, installCypherShell, type CypherShellInstall } from "../../test/harness/neo4j/cypher-shell.ts";
import { harnessPaths } from "../../test/harness/state.ts";

const here = path.dirname(fileURLToPath(import.meta.url));
const args = optionArgs(process.argv.slice(2));
const bigScale = Number(args["scale"] ?? 10);
const repeat = Number(args["repeat"] ?? 2);
const replayLimit = Number(args["replay-limit"] ?? 600);
const seed = Number(args["seed"] ?? 1);
const serverKind = args["server"] ?? "private";
const heap = args["heap"] ?? "2g";
const scales = args["scales"] ? args["scales"].split(",").map(Number) : [...new Set([1, bigScale])];

const work = mkdtempSync(path.join(os.tmpdir(), "stackvault-bench-neo4j-files-"));
let server: PrivateNeo4j | undefined;
let coordinates: { uri: string; user: string; password: string };
if (serverKind === "private") {
  console.log(`starting a private Neo4j + APOC (heap ${heap}) …`);
  server = await startPrivateNeo4j(heap, (message) => console.log(`  ${message}`));
  coordinates = { uri: server.uri, user: server.user, password: server.password };
} else {
  coordinates = { uri: need("NEO4J_URI"), user: process.env.NEO4J_USER ?? "neo4j", password: need("NEO4J_PASSWORD") };
  console.log(`using the test services' Neo4j at ${coordinates.uri}: its database is wiped`);
}
const childEnv = { ...process.env, NEO4J_URI: coordinates.uri, NEO4J_USER: coordinates.user, NEO4J_PASSWORD: coordinates.password };
const peerKind = args["peer"] ?? "cypher-shell";
const cypherShell = peerKind === "cypher-shell" ? await cypherShellInstall() : undefined;
const summary: string[] = [];
let serverGone = false;
const results: BenchResult[] = [];
try {
  console.log(`node ${process.version}, ${os.cpus().length} CPUs, ${Math.round(os.totalmem() / 2 ** 30)} GiB; peer: ${cypherShell ? `cypher-shell ${CYPHER_SHELL_VERSION} (java)` : "statement-by-statement driver replay"}`);
  for (const scale of scales) if (!serverGone) results.push(await benchScale(scale));
  const first = results[0];
  const last = results.at(-1);
  if (first && last && first !== last) {
    for (const name of ["stackvault export (cypher)", "stackvault restore"]) {
      const rss = (r: BenchResult) => Math.max(...r.rows.filter((row) => row.name === name).map((row) => row.peakRssMiB ?? Number.NaN));
      last.ratios.push(atMost(`peak RSS of ${name} at ${last.scale}× ÷ at ${first.scale}× (flat)`, rss(last) / rss(first), 1.25, "×"));
    }
  }
  writeResults(args["json"], results);
  console.log("\nSummary");
  for (const line of summary) console.log(`  ${line}`);
} finally {
  await server?.stop();
  rmSync(work, { recursive: true, force: true });
}

// --- internal ---

interface Measured {
  seconds: number;
  cpuSeconds: number;
  maxRssKiB: number;
  bytes?: number;
  statements?: number;
  total?: number;
  nodes?: number;
  relationships?: number;
  counts?: Record<string, number>;
  /** Rows per second of a replay. */
  rate?: number;
  note?: string;
}

interface Row extends Measured {
  name: string;
}

async function benchScale(scale: number): Promise<BenchResult> {
  console.log(`\n== scale ${scale} (seed ${seed}) ==`);
  const loadBefore = loadAverage();
  child(["wipe"]);
  loadavg();
  const loaded = child(["load", String(scale), String(seed)]);
  console.log(`loaded ${loaded.nodes} nodes, ${loaded.relationships} relationships in ${loaded.seconds.toFixed(0)} s (batched UNWIND through the driver)`);
  const names = await namesOf(coordinates);
  const ours = path.join(work, `stackvault-${scale}.cypher`);
  const theirs = path.join(work, `apoc-${scale}.cypher`);
  const exportRows: Row[] = [];
  const exports = [
    { name: "stackvault export (cypher)", argv: ["export-cypher", ours] },
    { name: "APOC stream export", argv: ["export-apoc", theirs] },
  ];
  // A first export of each side, not counted: right after the load, the server's JIT has not compiled its
  // read paths (nor APOC's procedure), and that first round took about twice as long on either side.
  loadavg();
  for (const side of exports) child(side.argv);
  for (let i = 0; i < repeat; i++) {
    // The sides take turns going first, so that neither always runs just after the other.
    for (const side of i % 2 === 0 ? exports : [...exports].reverse()) {
      loadavg();
      exportRows.push({ name: side.name, ...child(side.argv) });
    }
  }
  const expected = (JSON.parse(readFileSync(`${ours}.section.json`, "utf8")) as { counts: Record<string, number> }).counts;
  const restoreRows: Row[] = [];
  for (let i = 0; i < repeat; i++) {
    child(["wipe"]);
    loadavg();
    restoreRows.push({ name: "stackvault restore", ...child(["restore", ours]) });
    const counts = child(["counts"]).counts ?? {};
    for (const key of Object.keys({ ...expected, ...counts })) {
      if (counts[key] !== expected[key]) throw new Error(`after the stackvault restore, ${key} is ${counts[key]}, expected ${expected[key]}`);
    }
  }
  // The peers: APOC's script (its one known escaping bug fixed, see replay.ts) and stackvault's own script,
  // each replayed into the emptied database by cypher-shell (or the driver), under --replay-limit.
  const fixed = path.join(work, `apoc-${scale}-fixed.cypher`);
  const rewrites = await fixApocBackticks(theirs, fixed, names);
  console.log(`APOC's script: ${rewrites} name(s) with an undoubled backtick rewritten as Cypher spells them (${names.filter((n) => n.includes("`")).join(", ")})`);
  const totalRows = (expected.nodes ?? 0) + (expected.relationships ?? 0);
  const tool = cypherShell ? "cypher-shell -f" : "driver";
  let serverAlive = true;
  for (const [name, file, note] of [
    [`APOC script replay (${tool}, backticks fixed)`, fixed, `${rewrites} undoubled backticks of APOC's names doubled before the replay`],
    [`stackvault script replay (${tool})`, ours, ""],
  ] as const) {
    if (!serverAlive) break;
    child(["wipe"]);
    loadavg();
    const argv = cypherShell
      ? [cypherShell.java, "-Xmx1g", "-cp", cypherShell.classpath, CYPHER_SHELL_MAIN, "-a", coordinates.uri, "-u", coordinates.user, "--format", "plain", "--fail-at-end", "-f", file]
      : [process.execPath, path.join(here, "child.ts"), "replay", file];
    const replay = await replayWithLimit(argv, childEnv, coordinates, totalRows, replayLimit, path.join(work, "time.txt"));
    const notes: string[] = note ? [note] : [];
    if (replay.status !== 0 && replay.status !== null) notes.push(`${argv[0]} exited with ${replay.status}: ${replay.firstError ?? "no message"}`);
    if (replay.serverDied) {
      notes.push(`EXTRAPOLATED: the Neo4j server (heap ${heap}) died during the replay after ${replay.stoppedAfter?.toFixed(0)} s ` +
        `(its log says why; -XX:+ExitOnOutOfMemoryError) with ${replay.rows} of ${totalRows} rows committed; time = ${totalRows} rows ÷ ${replay.rate.toFixed(1)} rows/s`);
      serverAlive = false;
    } else if (replay.stoppedAfter !== undefined) {
      notes.push(`EXTRAPOLATED: stopped at the ${replayLimit} s limit (${replay.stoppedAfter.toFixed(0)} s) with ${replay.rows} of ${totalRows} rows committed; ` +
        `time = ${totalRows} rows ÷ ${replay.rate.toFixed(1)} rows/s`);
      if (tooFewToExtrapolate(replay.rows, totalRows)) notes.push(TOO_FEW_ROWS);
    } else {
      const after = child(["counts"]).counts ?? {};
      if (after.nodes !== expected.nodes || after.relationships !== expected.relationships) {
        notes.push(`the replay gave ${after.nodes} nodes, ${after.relationships} relationships of ${expected.nodes}, ${expected.relationships}`);
      }
    }
    console.log(`  ${name}: ${replay.seconds.toFixed(1)} s, ${replay.rate.toFixed(0)} rows/s${notes.length > 0 ? `; ${notes.join("; ")}` : ""}`);
    restoreRows.push({ ...replay, name: `${name}${replay.stoppedAfter === undefined ? "" : " extrapolated"}`, rate: replay.rate, ...(notes.length > 0 ? { note: notes.join("; ") } : {}) });
  }
  // A server that died cannot be wiped, nor measure another scale: this scale is reported, the next ones not.
  if (serverAlive) child(["wipe"]);
  else serverGone = true;
  console.log(`\nExport at scale ${scale} (stackvault script ${mib(statSync(ours).size).toFixed(1)} MiB, APOC script ${mib(statSync(theirs).size).toFixed(1)} MiB):`);
  table(exportRows);
  const exportRatio = median(exportRows, "APOC stream export") / median(exportRows, "stackvault export (cypher)");
  console.log(`median speed stackvault export / APOC stream export: ${exportRatio.toFixed(2)}× (goal ≥ 1×)`);
  console.log(`\nRestore at scale ${scale} (${expected.nodes} nodes, ${expected.relationships} relationships):`);
  table(restoreRows);
  const ourRestore = median(restoreRows, "stackvault restore");
  const replays = restoreRows.filter((r) => / script replay /.test(r.name)).map((r) => ({ row: r, ratio: r.seconds / ourRestore }));
  // The goal is against the peer (APOC's script); the replay of stackvault's own script proves its promise and is shown beside it.
  const goal = (name: string): boolean => name.startsWith("APOC");
  for (const { row, ratio } of replays) {
    const verdict = row.note?.includes(TOO_FEW_ROWS) ? ` (not a measurement: ${TOO_FEW_ROWS})` : goal(row.name) ? " (goal ≥ 10×)" : "";
    console.log(`speed stackvault restore (median) / ${row.name}: ${ratio.toFixed(1)}×${verdict}`);
  }
  const rss = (rows: Row[], name: string): number => Math.max(...rows.filter((r) => r.name === name).map((r) => r.maxRssKiB)) / 1024;
  summary.push(
    `scale ${scale}: export ${exportRatio.toFixed(2)}× APOC stream; restore ${replays.map(({ row, ratio }) => `${ratio.toFixed(1)}× ${row.name}`).join(", ")}; ` +
      `peak RSS export ${rss(exportRows, "stackvault export (cypher)").toFixed(0)} MiB, restore ${rss(restoreRows, "stackvault restore").toFixed(0)} MiB`,
  );
  const summarize = (rows: Row[]): BenchRow[] => [...new Set(rows.map((r) => r.name))].map((name) => {
    const mine = rows.filter((r) => r.name === name);
    const seconds = median(rows, name);
    return {
      name, side: name.startsWith("stackvault") ? "stackvault" : "peer", seconds,
      cpuSeconds: median(rows, name, "cpuSeconds"),
      peakRssMiB: Math.max(...mine.map((r) => r.maxRssKiB)) / 1024,
      ...(mine[0]?.rate === undefined ? {} : { rate: mine[0].rate, unit: "rows/s" }),
      ...(mine[0]?.note ? { note: mine[0].note } : mine.length > 1 ? { note: `median of ${mine.length}` } : {}),
    };
  });
  return {
    bench: "neo4j",
    scale,
    dataset: `${expected.nodes} nodes, ${expected.relationships} relationships (seed ${seed}); stackvault script ${mib(statSync(ours).size).toFixed(1)} MiB, APOC script ${mib(statSync(theirs).size).toFixed(1)} MiB`,
    rows: [...summarize(exportRows), ...summarize(restoreRows)],
    ratios: [
      atLeast("export speed, stackvault cypher ÷ APOC stream export", exportRatio, 1),
      ...replays.filter(({ row }) => goal(row.name) && !row.note?.includes(TOO_FEW_ROWS)).map(({ row, ratio }) => atLeast(`restore speed, stackvault ÷ ${row.name}${row.note?.includes("the replay gave") ? " (the replay lost data, so its time is not that of a full restore)" : ""}`, ratio, 10)),
      atMost("peak RSS of stackvault's export", rss(exportRows, "stackvault export (cypher)"), 256, "MiB"),
      atMost("peak RSS of stackvault's restore", rss(restoreRows, "stackvault restore"), 256, "MiB"),
    ],
    loadAverage: { before: loadBefore, after: loadAverage() },
  };
}

/** cypher-shell from Maven Central through the test harness's cached install, or undefined (with the reason). */
async function cypherShellInstall(): Promise<CypherShellInstall | undefined> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "stackvault-bench-cypher-shell-"));
  try {
    const { ctx } = createContext({ ...harnessPaths(), servicesDir: dir }, "neo4j", {}, new AbortController().signal, (m) => console.log(`  ${m}`));
    return await installCypherShell(ctx);
  } catch (err) {
    console.log(`cypher-shell could not be fetched from Maven Central (${err instanceof Error ? err.message.split("\n")[0] : String(err)}); replaying through the driver instead`);
    return undefined;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function child(argv: string[]): Measured {
  const run = spawnSync(process.execPath, [...NODE_FLAGS, path.join(here, "child.ts"), ...argv], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], maxBuffer: 1 << 24, env: { ...childEnv, ...MALLOC_ENV } });
  if (run.status !== 0) throw new Error(`child ${argv[0]} exited with ${run.status}`);
  return JSON.parse(run.stdout.trim().split("\n").at(-1) ?? "{}") as Measured;
}

/** The median of the rows named `name` (of an even count, the mean of the middle two: with two rounds, not the slower one). */
function median(rows: Row[], name: string, of: "seconds" | "cpuSeconds" = "seconds"): number {
  return middle(rows.filter((r) => r.name === name).map((r) => r[of]));
}

function loadavg(): void {
  console.log(`  loadavg ${readFileSync("/proc/loadavg", "utf8").trim()}`);
}

function table(rows: Row[]): void {
  console.log("| run                                             | seconds | CPU s | peak RSS MiB |");
  console.log("|-------------------------------------------------|--------:|------:|-------------:|");
  for (const r of rows) {
    console.log(`| ${r.name.padEnd(47)} | ${r.seconds.toFixed(2).padStart(7)} | ${r.cpuSeconds.toFixed(2).padStart(5)} | ${(r.maxRssKiB / 1024).toFixed(0).padStart(12)} |`);
  }
}

function mib(bytes: number): number {
  return bytes / 1024 / 1024;
}

function need(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} must be set (source .cache/services/env), or use --server private`);
  return value;
}
