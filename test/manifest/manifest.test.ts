import { test } from "node:test";
import assert from "node:assert/strict";
import { createMemoryTarget } from "../../src/targets/memory.ts";
import { getBytes } from "../../src/targets/target.ts";
import { metadataKey } from "../../src/targets/layout.ts";
import { IntegrityError, NotFoundError, PreconditionFailedError } from "../../src/core/errors.ts";
import { clearSecrets, registerSecret } from "../../src/core/redact.ts";
import {
  artifactFieldsOf, artifactRecordOf, parseManifest, readManifest, writeManifest, FORMAT_VERSION, type ManifestInput,
} from "../../src/manifest/index.ts";
import { sealedManifestText } from "../../src/manifest/seal.ts";
import { exampleManifest, SEED_EXAMPLE, translateSeedExample } from "./example.ts";

const KEY = metadataKey("KnowWhere-Production", "2025-10-25T14-30-00Z");

/** Writes raw JSON (bypassing validation) where a manifest is expected, as a tampered bucket would hold. */
async function plant(value: unknown) {
  const target = createMemoryTarget();
  await target.put(KEY, typeof value === "string" ? value : JSON.stringify(value));
  return target;
}

async function readError(value: unknown): Promise<Error> {
  const target = await plant(value);
  try {
    await readManifest(target, KEY);
  } catch (err) {
    return err as Error;
  }
  assert.fail("readManifest accepted it");
}

test("a valid manifest round-trips through write and read unchanged, as indented JSON", async () => {
  const target = createMemoryTarget();
  const written = await writeManifest(target, KEY, exampleManifest());
  const read = await readManifest(target, KEY);
  assert.deepEqual(read, written);
  assert.equal(read.format_version, FORMAT_VERSION);
  assert.equal(read.databases.qdrant?.collections["knowbase"]?.points_count, 12450);
  assert.deepEqual(read.databases.neo4j?.extra_artifacts, [], "defaults are filled in");
  const text = (await getBytes(target, KEY)).toString("utf8");
  assert.deepEqual(JSON.parse(text), written);
  assert.ok(text.startsWith(`{\n  "format_version": "${FORMAT_VERSION}",`));
  assert.match(text, /\n {2}"manifest_sha256": "[0-9a-f]{64}"\n\}\n$/, "the manifest's own checksum comes last");
});

test("the seed's example is accepted once translated, with every seed field kept as it was", () => {
  const seed = JSON.parse(SEED_EXAMPLE) as Record<string, unknown>;
  const manifest = parseManifest(translateSeedExample(SEED_EXAMPLE), "the seed example") as unknown as Record<string, unknown>;
  for (const key of ["backup_timestamp", "stack_name", "instance_id", "region", "backup_duration_seconds", "status"]) {
    assert.deepEqual(manifest[key], seed[key], key);
  }
  const seedDbs = seed["databases"] as Record<string, Record<string, unknown>>;
  const dbs = manifest["databases"] as Record<string, Record<string, unknown>>;
  for (const db of ["neo4j", "redis"]) {
    for (const [k, v] of Object.entries(seedDbs[db] ?? {})) {
      if (k !== "checksum_sha256") assert.deepEqual(dbs[db]?.[k], v, `databases.${db}.${k}`);
    }
  }
  const seedCollections = seedDbs["qdrant"]?.["collections"] as Record<string, Record<string, unknown>>;
  const collections = dbs["qdrant"]?.["collections"] as Record<string, Record<string, unknown>>;
  assert.deepEqual(Object.keys(collections), ["knowbase", "rfp_qa", "knowwhere_proto"]);
  for (const [name, c] of Object.entries(seedCollections)) {
    for (const [k, v] of Object.entries(c)) if (k !== "checksum_sha256") assert.deepEqual(collections[name]?.[k], v);
  }
});

test("the seed's example as it stands is refused: it has no format_version", async () => {
  const err = await readError(SEED_EXAMPLE);
  assert.ok(err instanceof IntegrityError);
  assert.match(err.message, /has no format_version/);
  assert.ok(err.message.includes(KEY), "the message names the manifest's key");
});

test("a newer minor format is accepted and its unknown fields are kept", async () => {
  const m = { ...exampleManifest(), format_version: "1.7", encryption: { kms_key: "alias/x" } };
  const read = await readManifest(await plant(sealedManifestText(m)), KEY);
  assert.equal(read.format_version, "1.7");
  assert.deepEqual((read as Record<string, unknown>)["encryption"], { kms_key: "alias/x" });
});

test("an unknown major format is refused with a message saying to upgrade", async () => {
  const err = await readError({ ...exampleManifest(), format_version: "2.0" });
  assert.ok(err instanceof IntegrityError);
  assert.match(err.message, /format_version 2\.0, which this stackvault cannot read \(it reads 1\.x\)/);
  assert.match((err as IntegrityError).hint ?? "", /upgrade stackvault/);
  const malformed = await readError({ ...exampleManifest(), format_version: 1 });
  assert.match(malformed.message, /expected "MAJOR.MINOR"/);
});

const unsafe = ["../../other-stack/2025-10-25T14-30-00Z/redis/redis-dump.rdb.zst", "/etc/passwd", "redis\\dump.rdb", "redis/../../x", "C:/x", "redis//x"];
for (const file of unsafe) {
  test(`an artifact path that leaves the backup folder is refused: ${JSON.stringify(file)}`, async () => {
    const m = exampleManifest();
    m.databases.redis = { ...m.databases.redis!, file };
    const err = await readError(m);
    assert.ok(err instanceof IntegrityError);
    assert.ok(err.message.includes(JSON.stringify(file)), `names the key: ${err.message}`);
    assert.match(err.message, /databases\.redis\.file: Unsafe object path/);
  });
}

test("an unsafe path in an extra artifact or a collection name is refused too", async () => {
  const m = exampleManifest();
  const redis = m.databases.redis!;
  m.databases.neo4j = { ...m.databases.neo4j!, extra_artifacts: [{ ...redis, name: "schema.cypher", file: "neo4j/../../../x" }] };
  assert.match((await readError(m)).message, /databases\.neo4j\.extra_artifacts\[0\]\.file: Unsafe object path "neo4j\/..\/..\/..\/x"/);
  const c = exampleManifest();
  c.databases.qdrant!.collections = { "../evil": c.databases.qdrant!.collections["knowbase"]! };
  const err = await readError(c);
  assert.ok(err instanceof IntegrityError);
  assert.match(err.message, /Unsafe collection name "..\/evil"/);
});

test("a missing field is refused with one sentence naming it", async () => {
  const m = exampleManifest() as unknown as { databases: { redis: Record<string, unknown> } };
  delete m.databases.redis["keys_count"];
  const err = await readError(m);
  assert.ok(err instanceof IntegrityError);
  assert.match(err.message, /is not a valid stackvault manifest: databases\.redis\.keys_count is missing\.$/);
});

test("several problems are listed by field, the rest counted", async () => {
  const m = exampleManifest() as unknown as Record<string, unknown>;
  delete m["stack_name"];
  m["backup_duration_seconds"] = "185";
  m["status"] = "done";
  m["region"] = 7;
  (m["databases"] as Record<string, Record<string, unknown>>)["neo4j"]!["checksum_sha256"] = "abc123...";
  const err = await readError(m);
  assert.match(err.message, /stack_name is missing/);
  assert.match(err.message, /databases\.neo4j\.checksum_sha256 must be a sha256 written as 64 lowercase hex characters/);
  assert.match(err.message, /\(and 2 more problems\)\.$/);
  assert.doesNotMatch(err.message, /\n/, "one sentence, one line");
});

test("a Qdrant snapshot checksum that differs from the downloaded bytes is refused", () => {
  const m = exampleManifest();
  m.databases.qdrant!.collections["knowbase"]!.snapshot_checksum_sha256 = "0".repeat(64);
  assert.throws(() => parseManifest(m, "m"), /collections\.knowbase\.snapshot_checksum_sha256 must equal raw_checksum_sha256/);
});

test("a manifest without any database is refused", () => {
  assert.throws(() => parseManifest({ ...exampleManifest(), databases: {} }, "m"), /databases must hold at least one of/);
});

test("not JSON, too large and missing manifests get clear errors", async () => {
  const notJson = await readError("{ nope");
  assert.ok(notJson instanceof IntegrityError);
  assert.match(notJson.message, /is not valid JSON/);
  const huge = await readError(" ".repeat(9 * 1024 * 1024));
  assert.match(huge.message, /is larger than 8388608 bytes/);
  await assert.rejects(readManifest(createMemoryTarget(), KEY), (err) => err instanceof NotFoundError && err.message.includes(KEY));
});

test("writeManifest refuses an invalid manifest and writes nothing", async () => {
  const target = createMemoryTarget();
  const m = { ...exampleManifest(), stack_name: "a/b" } as ManifestInput;
  await assert.rejects(writeManifest(target, KEY, m), (err) => err instanceof IntegrityError && /stack_name: Invalid stack name "a\/b"/.test(err.message));
  assert.equal(await target.head(KEY), undefined);
});

test("writeManifest never overwrites an existing backup's manifest unless told to", async () => {
  const target = createMemoryTarget();
  await writeManifest(target, KEY, exampleManifest());
  await assert.rejects(writeManifest(target, KEY, { ...exampleManifest(), status: "failed" }), PreconditionFailedError);
  assert.equal((await readManifest(target, KEY)).status, "completed");
  await writeManifest(target, KEY, { ...exampleManifest(), status: "failed" }, { ifAbsent: false });
  assert.equal((await readManifest(target, KEY)).status, "failed");
});

test("writeManifest refuses to write a registered secret", async () => {
  const target = createMemoryTarget();
  registerSecret("s3cr3t-passw0rd");
  try {
    const m = exampleManifest();
    m.databases.redis = { ...m.databases.redis!, details: { url: "redis://:s3cr3t-passw0rd@host:6379" } };
    await assert.rejects(writeManifest(target, KEY, m), (err) => err instanceof IntegrityError && !err.message.includes("s3cr3t"));
    assert.equal(await target.head(KEY), undefined);
  } finally {
    clearSecrets();
  }
});

test("an engine's artifact record maps to the manifest's fields and back unchanged", () => {
  const record = {
    name: "knowbase-snapshot.tar", file: "qdrant/knowbase-snapshot.tar.zst", compression: "zstd" as const,
    rawBytes: 160, storedBytes: 40, rawSha256: "a".repeat(64), storedSha256: "b".repeat(64),
  };
  const fields = artifactFieldsOf(record);
  assert.deepEqual(fields, {
    name: "knowbase-snapshot.tar", file: "qdrant/knowbase-snapshot.tar.zst", compression: "zstd",
    size_bytes: 40, checksum_sha256: "b".repeat(64), raw_size_bytes: 160, raw_checksum_sha256: "a".repeat(64),
  });
  assert.deepEqual(artifactRecordOf(fields), record);
});

test("a store both skipped and present is refused", () => {
  assert.throws(() => parseManifest({ ...exampleManifest(), skipped: ["redis"] }, "m"), /skipped lists redis, which the manifest also holds a section for/);
  const m = exampleManifest();
  delete m.databases.redis;
  assert.deepEqual(parseManifest({ ...m, skipped: ["redis"] }, "m").skipped, ["redis"]);
});

test("a manifest changed after it was written is refused, naming it; from format 1.1 on the checksum is required", async () => {
  const target = createMemoryTarget();
  await writeManifest(target, KEY, { ...exampleManifest(), format_version: FORMAT_VERSION });
  const text = (await getBytes(target, KEY)).toString("utf8");
  type Editable = { databases: { neo4j: { node_count: number }; redis: { checksum_sha256: string } }; status: string };
  const edits: [string, (m: Editable) => void][] = [
    ["a count", (m) => (m.databases.neo4j.node_count += 1)],
    ["an artifact hash", (m) => (m.databases.redis.checksum_sha256 = "0".repeat(64))],
    ["the status", (m) => (m.status = "completed ")],
  ];
  for (const [what, edit] of edits) {
    const m = JSON.parse(text) as Editable;
    edit(m);
    const err = await readError(JSON.stringify(m, null, 2));
    assert.ok(err instanceof IntegrityError, what);
    assert.match(err.message, /was changed after it was written|is not a valid stackvault manifest/, what);
    assert.ok(err.message.includes(KEY), what);
  }
  const unsealed = JSON.parse(text) as Record<string, unknown>;
  delete unsealed.manifest_sha256;
  assert.match((await readError(JSON.stringify(unsealed))).message, /has no manifest_sha256/);
  const old = { ...unsealed, format_version: "1.0" };
  assert.equal((await readManifest(await plant(old), KEY)).format_version, "1.0", "a 1.0 manifest, written before the checksum existed, is read");
  const reordered = JSON.parse(text) as Record<string, unknown>;
  assert.equal((await readManifest(await plant(JSON.stringify(reordered)), KEY)).manifest_sha256, reordered.manifest_sha256, "whitespace does not matter, only content");
});
