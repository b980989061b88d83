/**
 * The Neo4j and Qdrant side of the remote-run tests' stacks: the harness's Neo4j and its Qdrant test server.
 * Neo4j community edition has a single database, shared by every test file; the files run one at a time, so
 * a file wipes it and loads what it needs (as test/e2e does) and never relies on what another left. In
 * Qdrant only the seed's three collections are touched (`--qdrant-collections`). The datasets are small (a
 * few hundred nodes and points) but keep every property type, the schema, named vectors and payload indexes.
 * A manifest check (the seed's Test 1: valid metadata, every artifact stored with its checksum) is here too.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { parseManifest } from "../../src/manifest/parse.ts";
import type { Manifest } from "../../src/manifest/schema.ts";
import { coordinatesFromEnv, diffFingerprints, stackFingerprint } from "../fixtures/compare/index.ts";
import type { StackCoordinates, StackFingerprint } from "../fixtures/compare/index.ts";
import { QDRANT_COLLECTIONS } from "../fixtures/qdrant-data.ts";
import { seedStack } from "../fixtures/seed.ts";
import { serviceEnv } from "../harness/env.ts";

/** The collections the tests back up and restore. */
export const COLLECTIONS: readonly string[] = QDRANT_COLLECTIONS.map((c) => c.name);

/**
 * Store flags reaching the harness's Neo4j and Qdrant (the host is this machine, so the same URLs work there);
 * a backup names its collections, a restore recovers those its manifest holds.
 */
export function graphAndVectorFlags(command: "backup" | "restore"): string[] {
  const flags = ["--neo4j-uri", serviceEnv("NEO4J_URI"), "--neo4j-user", serviceEnv("NEO4J_USER"), "--qdrant-url", serviceEnv("QDRANT_URL")];
  return command === "backup" ? [...flags, "--qdrant-collections", COLLECTIONS.join(",")] : flags;
}

/** The Neo4j password, for the environment of the CLI (never its argv). */
export function graphAndVectorEnv(): Record<string, string> {
  return { NEO4J_PASSWORD: serviceEnv("NEO4J_PASSWORD") };
}

/** Replaces the graph and the collections with the small dataset generated from `seed`. */
export async function loadGraphAndVectors(seed: number, scale = 0.01): Promise<void> {
  await seedStack(coordinates(), { scale, seed });
}

/** Content of the graph (nodes, relationships, schema) and of the collections (points, configs, indexes). */
export function graphAndVectorFingerprint(): Promise<StackFingerprint> {
  return stackFingerprint(coordinates());
}

/** Asserts that the graph and the collections hold exactly `expected`, and that it is not trivially small. */
export async function assertGraphAndVectors(expected: StackFingerprint, what: string): Promise<void> {
  assert.deepEqual(diffFingerprints(expected, await graphAndVectorFingerprint()), [], what);
  assert.ok((expected.neo4j?.counts.nodes ?? 0) >= 100 && (expected.neo4j?.counts.relationships ?? 0) >= 100, "the graph is not trivially small");
  for (const name of COLLECTIONS) assert.ok((expected.qdrant?.counts[`points:${name}`] ?? 0) >= 30, `collection ${name} is not trivially small`);
}

/**
 * Reads `metadata.json` of a backup in a local-folder target, validates it with the manifest schema, and checks
 * that every store has its section and its artifact stored with the recorded size and sha256; returns it.
 */
export async function checkLocalManifest(targetDir: string, stack: string, backupId: string): Promise<Manifest> {
  const folder = path.join(targetDir, "stacks", stack, backupId);
  const manifest = parseManifest(JSON.parse(await readFile(path.join(folder, "metadata.json"), "utf8")), `${stack}/${backupId}`);
  assert.equal(manifest.status, "completed");
  assert.equal(manifest.stack_name, stack);
  assert.deepEqual(manifest.skipped, []);
  const { neo4j, qdrant, redis } = manifest.databases;
  assert.ok(neo4j && qdrant && redis, "a section for each store");
  assert.deepEqual(Object.keys(qdrant.collections).sort(), [...COLLECTIONS].sort());
  const artifacts = [neo4j, redis, ...Object.values(qdrant.collections)];
  for (const a of artifacts) {
    assert.match(a.checksum_sha256, /^[0-9a-f]{64}$/);
    const bytes = await readFile(path.join(folder, a.file));
    assert.equal(bytes.length, a.size_bytes, `${a.file} is stored whole`);
    assert.equal(createHash("sha256").update(bytes).digest("hex"), a.checksum_sha256, `${a.file} has the recorded checksum`);
  }
  return manifest;
}

// --- internal ---

function coordinates(): StackCoordinates {
  const coords = coordinatesFromEnv(process.env, ["neo4j", "qdrant"]);
  return { ...coords, ...(coords.qdrant ? { qdrant: { ...coords.qdrant, collections: [...COLLECTIONS] } } : {}) };
}
