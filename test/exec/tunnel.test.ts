/**
 * SSH tunnels (local port forwarding with ssh2's forwardOut) through the harness's loopback sshd to the real
 * stores: Redis, Neo4j over Bolt and the Qdrant test server answer through the tunnel as they do directly.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import { Redis } from "ioredis";
import neo4j from "neo4j-driver";
import { sshExecutor } from "../../src/exec/ssh.ts";
import { serviceEnv } from "../harness/env.ts";

function executor() {
  return sshExecutor({
    host: serviceEnv("SSH_HOST"),
    port: Number(serviceEnv("SSH_PORT")),
    username: serviceEnv("SSH_USER"),
    privateKeyFile: serviceEnv("SSH_KEY_FILE"),
    knownHostsFile: serviceEnv("SSH_KNOWN_HOSTS"),
    connectTimeoutMs: 10_000,
  });
}

test("tunnel: Redis, Neo4j and Qdrant answer through SSH tunnels as they do directly", async () => {
  const ex = executor();
  const redisUrl = new URL(serviceEnv("REDIS_URL"));
  const neo4jUrl = new URL(serviceEnv("NEO4J_URI"));
  const qdrantUrl = new URL(serviceEnv("QDRANT_URL"));
  const tunnels = await Promise.all([ex.tunnel(redisUrl.hostname, Number(redisUrl.port)), ex.tunnel(neo4jUrl.hostname, Number(neo4jUrl.port)), ex.tunnel(qdrantUrl.hostname, Number(qdrantUrl.port))]);
  const [redisTunnel, neo4jTunnel, qdrantTunnel] = tunnels as [(typeof tunnels)[0], (typeof tunnels)[0], (typeof tunnels)[0]];
  try {
    const key = `tunnel-test-${process.pid}`;
    const direct = new Redis(serviceEnv("REDIS_URL"));
    const tunnelled = new Redis({ host: "127.0.0.1", port: redisTunnel.localPort, db: Number(redisUrl.pathname.slice(1) || 0) });
    const value = Buffer.from(Array.from({ length: 300_000 }, (_, i) => i % 251));
    await tunnelled.set(key, value);
    assert.ok((await direct.getBuffer(key))?.equals(value), "written through the tunnel, read directly");
    await direct.del(key);
    assert.equal(await tunnelled.exists(key), 0);
    tunnelled.disconnect();
    direct.disconnect();

    const auth = neo4j.auth.basic(serviceEnv("NEO4J_USER"), serviceEnv("NEO4J_PASSWORD"));
    const driver = neo4j.driver(`bolt://127.0.0.1:${neo4jTunnel.localPort}`, auth);
    try {
      const viaTunnel = await driver.executeQuery("MATCH (n) RETURN count(n) AS c");
      const directDriver = neo4j.driver(serviceEnv("NEO4J_URI"), auth);
      const viaDirect = await directDriver.executeQuery("MATCH (n) RETURN count(n) AS c");
      await directDriver.close();
      assert.equal(String(viaTunnel.records[0]?.get("c")), String(viaDirect.records[0]?.get("c")));
    } finally {
      await driver.close();
    }

    const [a, b] = await Promise.all([fetch(`http://127.0.0.1:${qdrantTunnel.localPort}/collections`), fetch(`${serviceEnv("QDRANT_URL")}/collections`)]);
    assert.equal(a.status, 200);
    assert.deepEqual(((await a.json()) as { result: unknown }).result, ((await b.json()) as { result: unknown }).result);
  } finally {
    await Promise.all(tunnels.map((t) => t.close()));
    await ex.close();
  }
});

test("tunnel: a port nothing listens on is refused by the host, and the reason is kept", async () => {
  const closed = await new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
  const ex = executor();
  const tunnel = await ex.tunnel("127.0.0.1", closed);
  try {
    const outcome = await new Promise<string>((resolve) => {
      const socket = net.connect(tunnel.localPort, "127.0.0.1");
      socket.on("data", () => resolve("data"));
      socket.on("close", () => resolve("closed"));
      socket.on("error", () => resolve("closed"));
    });
    assert.equal(outcome, "closed");
    assert.match(String(tunnel.lastError()?.message), new RegExp(`cannot forward to 127.0.0.1:${closed}`));
  } finally {
    await tunnel.close();
    await ex.close();
  }
});
