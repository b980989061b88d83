/**
 * Stopping and restarting the harness's Neo4j from a test, for what community edition allows only on a
 * stopped server (`neo4j-admin database dump|load`). The restart keeps home, data, password and port, so
 * every NEO4J_* coordinate stays valid, and the harness's state file is updated with the new pid so
 * `services stop|status` keep working.
 *
 * Tests that use this must not run while another test talks to the same Neo4j.
 */
import path from "node:path";
import { createContext } from "../context.ts";
import { serviceEnv } from "../env.ts";
import { recordOf } from "../process.ts";
import neo4jService from "../services/neo4j.ts";
import type { HarnessContext, StartedService } from "../service.ts";
import { acquireLock, harnessPaths, readState, writeState } from "../state.ts";

/** The coordinates a started harness Neo4j exposes (read from the environment; throws when one is missing). */
export interface Neo4jCoordinates {
  uri: string;
  user: string;
  password: string;
  home: string;
  /** `neo4j-admin` wrapper (same jars, JDK and configuration as the server). */
  admin: string;
}

/** The running Neo4j's coordinates from the environment (`npm test` loads them from `.cache/services/env`). */
export function neo4jCoordinates(): Neo4jCoordinates {
  return {
    uri: serviceEnv("NEO4J_URI"),
    user: serviceEnv("NEO4J_USER"),
    password: serviceEnv("NEO4J_PASSWORD"),
    home: serviceEnv("NEO4J_HOME"),
    admin: serviceEnv("NEO4J_ADMIN"),
  };
}

/**
 * Stops the Neo4j that the service started in `context()`'s state folder (SIGTERM and a wait for a clean
 * shutdown), runs `work`, and starts it again whatever `work` did, with the same home, data, password and
 * port, in a fresh context (`context` is called once per step, so the restart's readiness check does not
 * watch the stopped process). Resolves with
 * `work`'s result and the restarted service; rejects with `work`'s error, or with the restart's error (which
 * names the log file), or when the restarted server's coordinates differ.
 */
export async function restartAround<T>(
  context: () => HarnessContext,
  started: StartedService,
  work: () => Promise<T>,
): Promise<{ value: T; restarted: StartedService }> {
  await neo4jService.stop?.(context(), started);
  let outcome: { value: T } | { error: unknown };
  try {
    outcome = { value: await work() };
  } catch (error) {
    outcome = { error };
  }
  const restarted = await neo4jService.start(context());
  for (const key of ["NEO4J_URI", "NEO4J_PASSWORD", "NEO4J_HOME", "NEO4J_ADMIN"]) {
    if (restarted.env[key] !== started.env[key]) throw new Error(`Neo4j restarted with a different ${key}: coordinates changed`);
  }
  if ("error" in outcome) throw outcome.error;
  return { value: outcome.value, restarted };
}

/**
 * {@link restartAround} for the harness's shared Neo4j (the one in the environment), updating the harness's
 * state file with the new pid so `services stop|status` keep working. Every other user of that server sees
 * it go away for the duration: run such tests alone.
 */
export async function withNeo4jStopped<T>(work: () => Promise<T>, options: { signal?: AbortSignal } = {}): Promise<T> {
  const coordinates = neo4jCoordinates();
  const paths = harnessPaths();
  const signal = options.signal ?? new AbortController().signal;
  const log = (message: string): void => console.error(message);
  const record = readState(paths).services.neo4j;
  if (record === undefined) throw new Error("the harness has no record of a running neo4j: run `npm run services -- start neo4j`");
  const context = (): HarnessContext => createContext(paths, "neo4j", record.env, signal, log).ctx;
  const ctx = context();
  if (path.resolve(ctx.stateDir) !== path.dirname(path.resolve(coordinates.home))) {
    throw new Error(`NEO4J_HOME ${coordinates.home} is not the harness's Neo4j home under ${ctx.stateDir}`);
  }
  const started = { env: record.env, pids: record.pids.map((p) => p.pid), logs: record.logs };
  const { value, restarted } = await restartAround(context, started, work);
  const release = await acquireLock(paths, log, signal);
  try {
    const state = readState(paths);
    state.services.neo4j = { pids: restarted.pids.map(recordOf), env: restarted.env, logs: restarted.logs, startedAt: new Date().toISOString() };
    writeState(paths, state, Object.keys(state.services));
  } finally {
    release();
  }
  return value;
}
