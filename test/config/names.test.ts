import { test } from "node:test";
import assert from "node:assert/strict";
import { isValidBucketName, isValidStackName, parseTarget } from "../../src/config/names.ts";

test("stack names: no '/', no '..', no leading dot", () => {
  for (const ok of ["KnowWhere-Production", "Test-Backup", "dev_1", "a.b"]) assert.ok(isValidStackName(ok), ok);
  for (const bad of ["a/b", "..", "a..b", ".hidden", "", "x".repeat(129), "sp ace", "a\\b"]) assert.ok(!isValidStackName(bad), bad);
});

test("bucket names follow the S3 rules", () => {
  for (const ok of ["knowwhere-backups-715927975014", "abc", "a.b.c", "x".repeat(63)]) assert.ok(isValidBucketName(ok), ok);
  for (const bad of ["ab", "x".repeat(64), "Upper", "under_score", "-start", "end-", "a..b", "a.-b", "192.168.1.1", "xn--abc", "sthree-x", "name-s3alias", "name--ol-s3"]) {
    assert.ok(!isValidBucketName(bad), bad);
  }
});

test("targets: s3 with bucket and prefix, absolute file URLs; unsafe prefixes and relative files refused", () => {
  assert.deepEqual(parseTarget("s3://my-bucket"), { kind: "s3", bucket: "my-bucket", prefix: "" });
  assert.deepEqual(parseTarget("s3://my-bucket/a/b/"), { kind: "s3", bucket: "my-bucket", prefix: "a/b" });
  assert.equal(parseTarget("file:///srv/backups").kind, "file");
  for (const bad of ["s3://Bad", "s3://my-bucket/../x", "s3://my-bucket/a//b", "file://relative/dir", "http://x", "/srv/backups"]) {
    assert.throws(() => parseTarget(bad), Error, bad);
  }
});
