/**
 * Qdrant over HTTPS through the command line: a backup from a Qdrant test server serving TLS with a certificate
 * of a private CA works when the operator trusts that CA (NODE_EXTRA_CA_CERTS, Node's standard way), and fails
 * with a clear, non-retried error that says what to do when the CA is not trusted; the restore's streamed
 * snapshot upload (through `node:https`, not `fetch`) trusts the same CA and brings back every point.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { EXIT_CODES } from "../../../src/core/errors.ts";
import { diffFingerprints, qdrantFingerprint } from "../../fixtures/compare/index.ts";
import { qdrant } from "../../fixtures/qdrant-data.ts";
import { makeTestCertificates } from "../../fixtures/tls.ts";
import { startQdrantTestServer } from "../../qdrant-server/server.ts";
import { hasStackTrace, runCli } from "../../cli/run-cli.ts";

test("a Qdrant behind HTTPS with a private CA: trusted → backed up and restored; untrusted → a clear error", async () => {
  const certs = await makeTestCertificates();
  const dir = await mkdtemp(path.join(os.tmpdir(), "sv-qdrant-https-"));
  // Load a collection over plain HTTP first (this process does not trust the test CA); the data stays on disk.
  const plain = await startQdrantTestServer({ host: "127.0.0.1", port: 0, dataDir: path.join(dir, "data") });
  await qdrant(plain, "PUT", "/collections/secure_notes", { vectors: { size: 3, distance: "Euclid" } });
  const points = Array.from({ length: 2000 }, (_, i) => ({ id: i + 1, vector: [i / 7, 1 - i, 2 + i / 3], payload: { note: `over TLS ${i}` } }));
  await qdrant(plain, "PUT", "/collections/secure_notes/points?wait=true", { points });
  const before = await qdrantFingerprint(plain);
  await plain.close();
  let server = await startQdrantTestServer({
    host: "127.0.0.1", port: 0, dataDir: path.join(dir, "data"),
    tls: { key: await readFile(certs.serverKey), cert: await readFile(certs.serverCert) },
  });
  try {
    assert.match(server.url, /^https:\/\//);
    const args = ["backup", "--stack", "tls", "--target", `file://${dir}/backups`, "--qdrant-url", server.url, "--skip-neo4j", "--skip-redis", "--services-controller", "none"];

    const untrusted = await runCli(args, { cwd: dir, env: { NODE_EXTRA_CA_CERTS: certs.otherCaPem } });
    assert.equal(untrusted.code, EXIT_CODES.engine, untrusted.stderr);
    assert.match(untrusted.stderr, /TLS certificate is not trusted/);
    assert.match(untrusted.stderr, /NODE_EXTRA_CA_CERTS/);
    assert.ok(!hasStackTrace(untrusted.stderr));

    const trusted = await runCli(args, { cwd: dir, env: { NODE_EXTRA_CA_CERTS: certs.caPem } });
    assert.equal(trusted.code, 0, trusted.stderr + trusted.stdout);
    assert.match(trusted.stdout, /\[7\/7\]/);
    assert.match(trusted.stdout, /Collection 'secure_notes': 2000 points/);

    const target = ["--stack", "tls", "--target", `file://${dir}/backups`, "--qdrant-url", server.url, "--skip-neo4j", "--skip-redis", "--services-controller", "none"];
    const restored = await runCli(["restore", "--latest", "--yes", ...target], { cwd: dir, env: { NODE_EXTRA_CA_CERTS: certs.caPem } });
    assert.equal(restored.code, 0, restored.stderr + restored.stdout);
    assert.match(restored.stdout, /Collection 'secure_notes': 2000 points restored/);
    assert.deepEqual(server.violations, []);
    await server.close();
    // Read the restored collection back over plain HTTP (this process does not trust the test CA).
    server = await startQdrantTestServer({ host: "127.0.0.1", port: 0, dataDir: path.join(dir, "data") });
    assert.deepEqual(diffFingerprints({ qdrant: before }, { qdrant: await qdrantFingerprint(server) }), []);
  } finally {
    await server.close();
    await certs.dispose();
  }
});
