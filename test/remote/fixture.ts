/**
 * Helpers for the remote-run tests: private Redis servers (real `redis-server`, on their own ports, so the
 * harness's Redis that other tests use is never touched), a small dataset over several databases, a content
 * snapshot to compare, and the `--host` flags for the harness's loopback sshd.
 */
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { Redis } from "ioredis";
import { serviceEnv } from "../harness/env.ts";

export const DATA_DBS = [0, 3, 7] as const;

export interface PrivateRedis {
  /** `redis://127.0.0.1:PORT` (no password inside). */
  url: string;
  password: string | undefined;
  client(db: number): Redis;
  stop(): Promise<void>;
}

/** Starts a private `redis-server` (optionally with `requirepass`) and waits until it answers. */
export async function startRedis(password?: string): Promise<PrivateRedis> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "sv-remote-redis-"));
  const port = await freePort();
  const args = ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir, "--repl-diskless-sync", "yes", "--repl-diskless-sync-delay", "0", "--logfile", ""];
  // The password reaches redis-server on its standard input (a config file "-"), not in its argv.
  const child: ChildProcess = spawn(path.join(path.sep, "usr", "bin", "redis-server"), [...args, "-"], { stdio: ["pipe", "ignore", "inherit"] });
  child.stdin?.end(password === undefined ? "" : `requirepass "${password}"\n`);
  const url = `redis://127.0.0.1:${port}`;
  const client = (db: number) => new Redis({ host: "127.0.0.1", port, db, ...(password === undefined ? {} : { password }), lazyConnect: false, maxRetriesPerRequest: 2 });
  const deadline = Date.now() + 15_000;
  for (;;) {
    const probe = client(0);
    probe.on("error", () => {});
    try {
      if ((await probe.ping()) === "PONG") break;
    } catch {
      if (Date.now() > deadline) throw new Error(`redis-server on port ${port} did not start`);
      await new Promise((r) => setTimeout(r, 100));
    } finally {
      probe.disconnect();
    }
  }
  return {
    url,
    password,
    client,
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once("exit", r));
        child.kill("SIGTERM");
        await exited;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Fills the data databases with every common type, binary values and expiries. */
export async function seed(redis: PrivateRedis, tag: string): Promise<void> {
  const later = Date.now() + 3_600_000;
  for (const db of DATA_DBS) {
    const r = redis.client(db);
    await r.flushdb();
    const p = r.pipeline();
    p.set(`str:${tag}:${db}`, `value-${db}`);
    p.set(Buffer.from([0, 1, 0xff, db]), Buffer.from([0xde, 0xad, 0, 0xbe, 0xef]));
    p.rpush(`list:${db}`, ...Array.from({ length: 500 }, (_, i) => `item-${i}`));
    p.hset(`hash:${db}`, Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`f${i}`, `v${i}`])));
    p.sadd(`set:${db}`, "a", "b", "c", "d");
    p.zadd(`zset:${db}`, 1, "one", 2.5, "two-and-a-half", -3, "minus-three");
    p.set(`ttl:${db}`, "expires later", "PXAT", later);
    await p.exec();
    r.disconnect();
  }
}

/** Every key of the data databases with type, value and expiry (seconds), as comparable text. */
export async function snapshot(redis: PrivateRedis): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const db of DATA_DBS) {
    const r = redis.client(db);
    for (const key of await r.keysBuffer("*")) {
      const type = await r.type(key);
      const expire = Number(await r.call("PEXPIRETIME", key));
      let value: unknown;
      if (type === "string") value = (await r.getBuffer(key))?.toString("hex");
      else if (type === "list") value = await r.lrange(key, 0, -1);
      else if (type === "hash") value = Object.entries(await r.hgetall(key)).sort();
      else if (type === "set") value = (await r.smembers(key)).sort();
      else if (type === "zset") value = await r.zrange(key, 0, -1, "WITHSCORES");
      out.set(`${db}:${key.toString("hex")}`, JSON.stringify({ type, expire: expire > 0 ? Math.round(expire / 1000) : expire, value }));
    }
    r.disconnect();
  }
  return out;
}

/** `--host …` and the SSH flags for the harness's sshd, with the bundle kept in `cacheDir` on the "host". */
export function hostFlags(cacheDir: string, knownHosts: string = serviceEnv("SSH_KNOWN_HOSTS")): string[] {
  return [
    "--host", `ssh://${serviceEnv("SSH_USER")}@${serviceEnv("SSH_HOST")}:${serviceEnv("SSH_PORT")}`,
    "--ssh-key", serviceEnv("SSH_KEY_FILE"),
    "--known-hosts", knownHosts,
    // The host is this machine: its Node is the pinned one running the tests.
    "--host-node", process.execPath,
    "--host-cache-dir", cacheDir,
  ];
}

// --- internal ---

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
