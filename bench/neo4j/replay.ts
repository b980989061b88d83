/**
 * The peers of the restore comparison: a script replayed by `cypher-shell -f` (or, without it, statement by
 * statement through the driver), under a time limit, while the committed rows are watched; and the one textual
 * fix APOC's script needs before cypher-shell accepts it.
 *
 * A replay that passes the limit is stopped (SIGTERM, then SIGKILL) and its time is extrapolated from its
 * rate: rows committed (nodes + relationships, read from the count store every `pollSeconds`) at the last
 * moment they were seen to grow, divided by that moment. Rows of a transaction still open at the stop are not
 * counted, and the scripts create every node before any relationship (the dearer rows), so the extrapolation
 * flatters the peer.
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { createReadStream, createWriteStream, readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import neo4j, { type Driver } from "neo4j-driver";
import { writeName } from "../../src/engines/neo4j/literal-writer.ts";

export interface Coordinates {
  uri: string;
  user: string;
  password: string;
}

/** What a replay did. */
export interface Replayed {
  /** Wall time of the replay, or its extrapolation when it was stopped at the limit. */
  seconds: number;
  cpuSeconds: number;
  maxRssKiB: number;
  /** Exit status (null when it was stopped) and the first line of its error output. */
  status: number | null;
  firstError?: string;
  /** Rows (nodes + relationships) committed when it ended or was stopped. */
  rows: number;
  /** Rows per second: committed rows ÷ the time they were last seen to grow. */
  rate: number;
  /** Set when the replay was stopped at the limit, or the server died: seconds measured until then. */
  stoppedAfter?: number;
  /** The server stopped answering during the replay (it does not come back: nothing more can be measured). */
  serverDied: boolean;
}

/**
 * Runs `argv` under `/usr/bin/time` (the password only in the environment) for at most `limitSeconds`,
 * watching the database's node and relationship counts. `totalRows` is what a full replay commits.
 */
export async function replayWithLimit(argv: string[], env: NodeJS.ProcessEnv, db: Coordinates, totalRows: number, limitSeconds: number, timeFile: string): Promise<Replayed> {
  const driver = neo4j.driver(db.uri, neo4j.auth.basic(db.user, db.password), { logging: { level: "error", logger: () => {} } });
  const started = performance.now();
  const elapsed = (): number => (performance.now() - started) / 1000;
  const proc = spawn("/usr/bin/time", ["-f", "%M %U %S", "-o", timeFile, ...argv], { stdio: ["ignore", "ignore", "pipe"], env, detached: true });
  let stderr = "";
  proc.stderr.setEncoding("utf8").on("data", (d: string) => {
    if (stderr.length < 1 << 20) stderr += d;
  });
  const exited = once(proc, "exit") as Promise<[number | null, NodeJS.Signals | null]>;
  let last = { rows: 0, at: 0 };
  let stoppedAfter: number | undefined;
  let done = false;
  void exited.then(() => (done = true));
  try {
    while (!done) {
      await Promise.race([exited, new Promise((r) => setTimeout(r, 2000))]);
      const rows = await committedRows(driver).catch(() => last.rows);
      if (rows > last.rows) last = { rows, at: elapsed() };
      if (!done && elapsed() > limitSeconds) {
        stoppedAfter = elapsed();
        // SIGTERM to /usr/bin/time's child only: time itself must live on to write its figures.
        for (const pid of childrenOf(proc.pid)) process.kill(pid, "SIGTERM");
        const killer = setTimeout(() => proc.pid !== undefined && process.kill(-proc.pid, "SIGKILL"), 10_000);
        await exited;
        clearTimeout(killer);
      }
    }
    const [code] = await exited;
    const seconds = elapsed();
    const rows = await committedRows(driver).catch(() => undefined);
    if (rows !== undefined && rows > last.rows) last = { rows, at: seconds };
    // The server gone (cypher-shell's replays ran its heap out of memory): the rate up to then is all there is.
    const serverDied = rows === undefined;
    if (serverDied) stoppedAfter = seconds;
    const errors = stderr.split("\n").filter((l) => l.trim() !== "" && !/^Command (exited with non-zero status|terminated by signal)/.test(l));
    if (errors.length > 0) console.log(errors.slice(0, 12).map((l) => `  ${argv[0]}: ${l.slice(0, 300)}`).join("\n"));
    const [rss = 0, user = 0, sys = 0] = (readFileSync(timeFile, { encoding: "utf8", flag: "a+" }).trim().split("\n").at(-1) ?? "").split(" ").map(Number);
    const rate = last.at > 0 ? last.rows / last.at : 0;
    return {
      seconds: stoppedAfter === undefined ? seconds : rate > 0 ? totalRows / rate : Number.POSITIVE_INFINITY,
      cpuSeconds: user + sys, maxRssKiB: rss, status: stoppedAfter === undefined ? code : null, rows: last.rows, rate, serverDied,
      ...(stoppedAfter === undefined ? {} : { stoppedAfter }),
      ...(errors[0] === undefined ? {} : { firstError: errors.find((l) => /error|invalid/i.test(l)) ?? errors[0] }),
    };
  } finally {
    await driver.close();
  }
}

/** The note a replay gets when it committed too few rows for its extrapolated time to mean anything. */
export const TOO_FEW_ROWS = "under 1 % of the rows committed: too few to extrapolate, no ratio given (rerun with a longer --replay-limit)";

/**
 * True when a stopped replay committed under 1 % of `totalRows`: its rate then says more about how it started
 * than how it goes (a 1× APOC replay once committed 20 of 63,740 rows in 120 s, where a full one takes about
 * 120 s), and the time extrapolated from it is not reported as a ratio.
 */
export function tooFewToExtrapolate(rows: number, totalRows: number): boolean {
  return rows < totalRows / 100;
}

/**
 * Copies APOC's script with its one known escaping bug fixed: APOC 5.26 puts a label, type or property key
 * that contains a backtick between backticks without doubling the inner ones (`` `with`backtick` ``), which is
 * invalid Cypher, so cypher-shell refuses the statement. Each such name of the database (`names`) is rewritten
 * as Cypher spells it (`` `with``backtick` ``); nothing else changes. Returns the number of rewrites.
 */
export async function fixApocBackticks(from: string, to: string, names: string[]): Promise<number> {
  const fixes = names.filter((n) => n.includes("`")).map((n) => ({ wrong: `\`${n}\``, right: writeName(n) }));
  const out = createWriteStream(to);
  let count = 0;
  for await (const line of createInterface({ input: createReadStream(from, { encoding: "utf8" }), crlfDelay: Infinity })) {
    let text = line;
    for (const { wrong, right } of fixes) {
      const parts = text.split(wrong);
      count += parts.length - 1;
      text = parts.join(right);
    }
    if (!out.write(`${text}\n`)) await once(out, "drain");
  }
  out.end();
  await once(out, "finish");
  return count;
}

/** Every label, relationship type and property key of the database. */
export async function namesOf(db: Coordinates): Promise<string[]> {
  const driver = neo4j.driver(db.uri, neo4j.auth.basic(db.user, db.password), { logging: { level: "error", logger: () => {} } });
  try {
    const { records } = await driver.executeQuery(
      "CALL { CALL db.labels() YIELD label RETURN collect(label) AS l } CALL { CALL db.relationshipTypes() YIELD relationshipType RETURN collect(relationshipType) AS t } " +
        "CALL { CALL db.propertyKeys() YIELD propertyKey RETURN collect(propertyKey) AS k } RETURN l + t + k AS names",
    );
    return (records[0]?.get("names") ?? []) as string[];
  } finally {
    await driver.close();
  }
}

// --- internal ---

function childrenOf(pid: number | undefined): number[] {
  if (pid === undefined) return [];
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

async function committedRows(driver: Driver): Promise<number> {
  const { records } = await driver.executeQuery("CALL { MATCH (n) RETURN count(n) AS n } CALL { MATCH ()-[r]->() RETURN count(r) AS r } RETURN n + r AS rows");
  return Number(records[0]?.get("rows") ?? 0);
}
