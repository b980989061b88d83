/**
 * rediss:// with certificate verification, on a redis-server of the test's own listening only on a TLS port
 * with a certificate signed by a CA made here with `openssl`: the RDB fetch and the live restore work when the
 * CA is given (`tlsCaFile`), and an untrusted CA is a clear error.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { EngineError } from "../../../src/core/errors.ts";
import { createRedisEngine } from "../../../src/engines/redis/index.ts";
import { parseRedisUrl } from "../../../src/engines/redis/connection.ts";
import { fetchRdb } from "../../../src/engines/redis/replication.ts";
import { TEST_DBS, client, memoryContexts, populate } from "./fixture.ts";
import { type OwnRedis, startOwnRedis } from "./own-server.ts";

const run = promisify(execFile);
let certs: string;
let redis: OwnRedis;

before(async () => {
  certs = await mkdtemp(join(tmpdir(), "stackvault-redis-tls-"));
  const at = (name: string): string => join(certs, name);
  await run("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=stackvault test CA", "-keyout", at("ca.key"), "-out", at("ca.pem")]);
  await run("openssl", ["req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost", "-keyout", at("server.key"), "-out", at("server.csr")]);
  await writeFile(at("san.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
  await run("openssl", ["x509", "-req", "-in", at("server.csr"), "-CA", at("ca.pem"), "-CAkey", at("ca.key"), "-CAcreateserial", "-days", "2", "-extfile", at("san.ext"), "-out", at("server.pem")]);
  await run("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=another CA", "-keyout", at("other.key"), "-out", at("other.pem")]);
  redis = await startOwnRedis(
    ["tls-port {port}", `tls-cert-file ${at("server.pem")}`, `tls-key-file ${at("server.key")}`, `tls-ca-cert-file ${at("ca.pem")}`, "tls-auth-clients no", "enable-debug-command yes"],
    { tlsClientArgs: ["--tls", "--cacert", at("ca.pem")] },
  );
});
after(async () => {
  await redis.dispose();
  await rm(certs, { recursive: true, force: true });
});

test("over rediss:// with the CA given, the RDB is fetched and restored live, every key identical", async () => {
  const ca = await readFile(join(certs, "ca.pem"));
  const tls = { tls: { ca } };
  await populate(redis.url, tls);
  const admin = client(0, redis.url, tls);
  const digest = async (): Promise<string> => String(await admin.call("DEBUG", "DIGEST"));
  const before = await digest();
  const engine = createRedisEngine({ url: redis.url, tlsCaFile: join(certs, "ca.pem") });
  const store = memoryContexts();
  const section = await engine.backup(store.backup);
  assert.ok(Number(section.details.rdbVersion) >= 9);
  assert.ok((section.counts[`keys:db${TEST_DBS[0]}`] ?? 0) > 10);
  await admin.flushall();
  assert.notEqual(await digest(), before);
  await engine.restore(section, store.restore(true));
  assert.equal(await digest(), before, "DEBUG DIGEST (keys, values, expiries) equals the one before the backup");
  await admin.quit();
});

test("a rediss:// server whose CA is not trusted is refused with a hint naming the CA option", async () => {
  for (const options of [{ url: redis.url }, { url: redis.url, tlsCaFile: join(certs, "other.pem") }]) {
    const engine = createRedisEngine(options);
    await assert.rejects(engine.backup(memoryContexts().backup), (err) => {
      assert.ok(err instanceof EngineError);
      assert.match(err.message, /certificate/);
      assert.match(err.hint ?? "", /--redis-tls-ca-file/);
      return true;
    });
  }
  await assert.rejects(fetchRdb(parseRedisUrl(redis.url), new AbortController().signal), (err) => err instanceof EngineError && /certificate/.test(err.message) && /--redis-tls-ca-file/.test(err.hint ?? ""));
  await assert.rejects(async () => createRedisEngine({ url: redis.url, tlsCaFile: join(certs, "missing.pem") }), /Cannot read the Redis TLS CA file/);
});
