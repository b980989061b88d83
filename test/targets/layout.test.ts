import { test } from "node:test";
import assert from "node:assert/strict";
import { IntegrityError, UsageError } from "../../src/core/errors.ts";
import {
  artifactFiles,
  artifactKey,
  assertBackupId,
  assertCollectionName,
  assertStackName,
  backupIdFromKey,
  backupPrefix,
  compressionOf,
  compressionSuffix,
  engineArtifactFile,
  isBackupId,
  latestKey,
  lockKey,
  metadataKey,
  newBackupId,
  parseBackupId,
  restoreRecordKey,
  RETENTION_POLICY_KEY,
  stackFromKey,
} from "../../src/targets/layout.ts";

const ID = "2025-10-25T14-30-00Z";

test("layout spells the seed's keys (DESIGN §6)", () => {
  assert.equal(RETENTION_POLICY_KEY, "retention-policy.json");
  assert.equal(backupPrefix("Test-Backup", ID), "stacks/Test-Backup/2025-10-25T14-30-00Z/");
  assert.equal(metadataKey("kw", ID), "stacks/kw/2025-10-25T14-30-00Z/metadata.json");
  assert.equal(latestKey("kw"), "stacks/kw/latest");
  assert.equal(lockKey("kw"), "stacks/kw/lock");
  assert.equal(restoreRecordKey("kw", "2025-10-26T08-00-05Z"), "stacks/kw/restores/2025-10-26T08-00-05Z.json");
  assert.equal(artifactFiles.neo4j("cypher", "gzip"), "neo4j/neo4j-backup.cypher.gz");
  assert.equal(artifactFiles.neo4j("dump", "zstd"), "neo4j/neo4j-backup.dump.zst");
  assert.equal(artifactFiles.qdrant("knowbase", "zstd"), "qdrant/knowbase-snapshot.tar.zst");
  assert.equal(artifactFiles.qdrant("rfp_qa", "none"), "qdrant/rfp_qa-snapshot.tar");
  assert.equal(artifactFiles.redis("gzip"), "redis/redis-dump.rdb.gz");
  assert.equal(artifactKey("kw", ID, artifactFiles.redis("zstd")), "stacks/kw/2025-10-25T14-30-00Z/redis/redis-dump.rdb.zst");
  assert.deepEqual(["zstd", "gzip", "none"].map((c) => compressionSuffix(c as "zstd")), [".zst", ".gz", ""]);
  assert.deepEqual(["a.zst", "a.gz", "a.tar"].map(compressionOf), ["zstd", "gzip", "none"]);
});

test("backup ids: generated in UTC to the second, parsed back, impossible dates refused", () => {
  const at = new Date(Date.UTC(2025, 9, 25, 14, 30, 0, 987));
  assert.equal(newBackupId(at), ID);
  assert.equal(parseBackupId(ID)?.toISOString(), "2025-10-25T14:30:00.000Z");
  assert.equal(newBackupId(parseBackupId(ID)), ID);
  for (const bad of ["2025-10-25T14:30:00Z", "2025-02-30T00-00-00Z", "2025-10-25T24-00-00Z", "2025-10-25T14-30-00", "latest", "", "../2025-10-25T14-30-00Z"]) {
    assert.equal(isBackupId(bad), false, bad);
    assert.throws(() => assertBackupId(bad), UsageError);
  }
  assert.throws(() => metadataKey("kw", "latest"), /expected a UTC timestamp like 2025-10-25T14-30-00Z/);
  assert.throws(() => newBackupId(new Date("nope")), UsageError);
});

test("stack names: letters, digits, '-', '_', '.'; no '/', no '..'; the error says what is allowed", () => {
  for (const ok of ["kw", "Test-Backup", "knowwhere_prod.v2", "A".repeat(128)]) assert.equal(assertStackName(ok), ok);
  const cases: [string, RegExp][] = [
    ["a/b", /contains '\/'/],
    ["..", /contains '\.\.'/],
    ["a..b", /contains '\.\.'/],
    ["", /empty/],
    ["-x", /start with a letter or a digit/],
    ["a b", /character " " is not allowed/],
    ["é", /start with/],
    ["A".repeat(129), /at most 128/],
  ];
  for (const [bad, why] of cases) {
    assert.throws(() => latestKey(bad), (err: unknown) => {
      assert.ok(err instanceof UsageError);
      assert.match(err.message, why);
      assert.match(err.hint ?? "", /1–128 letters, digits/);
      return true;
    }, bad);
  }
});

test("paths read from a manifest must stay inside the backup folder (IntegrityError)", () => {
  assert.equal(artifactKey("kw", ID, "qdrant/knowbase-snapshot.tar.gz"), `stacks/kw/${ID}/qdrant/knowbase-snapshot.tar.gz`);
  for (const bad of ["../other/x", "neo4j/../../x", "/etc/passwd", "C:/x", "a\\b", "", "a//b", "./a", "a/", "a\u0000b"]) {
    assert.throws(() => artifactKey("kw", ID, bad), IntegrityError, JSON.stringify(bad));
  }
  for (const bad of ["../x", "a/b", "", ".hidden", "a..b", "x".repeat(201)]) assert.throws(() => assertCollectionName(bad), IntegrityError, bad);
  assert.equal(assertCollectionName("knowwhere_proto"), "knowwhere_proto");
});

test("keys listed back are understood: stack names and backup ids", () => {
  assert.equal(stackFromKey("stacks/kw/latest"), "kw");
  assert.equal(stackFromKey("stacks/kw"), undefined);
  assert.equal(stackFromKey("retention-policy.json"), undefined);
  assert.equal(backupIdFromKey("kw", `stacks/kw/${ID}/metadata.json`), ID);
  assert.equal(backupIdFromKey("kw", "stacks/kw/latest"), undefined);
  assert.equal(backupIdFromKey("kw", `stacks/kw/restores/${ID}.json`), undefined);
  assert.equal(backupIdFromKey("kw", `stacks/other/${ID}/metadata.json`), undefined);
});

test("artifact names given by engines become safe paths under the engine's folder", () => {
  assert.equal(engineArtifactFile("qdrant", "knowbase-snapshot.tar", "zstd"), "qdrant/knowbase-snapshot.tar.zst");
  assert.equal(engineArtifactFile("redis", "redis-dump.rdb", "none"), "redis/redis-dump.rdb");
  for (const bad of ["../x", "a/b", "..", ""]) assert.throws(() => engineArtifactFile("neo4j", bad, "none"), IntegrityError, bad);
});
