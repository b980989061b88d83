/**
 * Redis 7 from Debian's `redis-server`, on a free loopback port with its config, data and log under its
 * state folder. No password (loopback only); 16 databases; `repl-diskless-sync-delay 0` so a replica sync
 * (the way a backup can take an RDB) starts at once. Writes REDIS_URL (database 0).
 */
import { writeFileSync } from "node:fs";
import path from "node:path";
import net from "node:net";
import { ensureDebian } from "../install.ts";
import { ensureDir } from "../process.ts";
import type { TestService } from "../service.ts";

const redisServer = path.join(path.sep, "usr", "bin", "redis-server");

const redis: TestService = {
  name: "redis",
  stopTimeoutMs: 15_000,
  async install(ctx) {
    await ensureDebian(redisServer, ["redis-server"], ctx.log);
  },
  async start(ctx) {
    const port = await ctx.freePort();
    const dataDir = ensureDir(path.join(ctx.stateDir, "data"));
    const config = path.join(ctx.stateDir, "redis.conf");
    writeFileSync(
      config,
      [
        `port ${port}`,
        "bind 127.0.0.1",
        "protected-mode yes",
        "daemonize no",
        `dir ${dataDir}`,
        "dbfilename dump.rdb",
        "databases 16",
        "save \"\"",
        "appendonly no",
        "repl-diskless-sync yes",
        "repl-diskless-sync-delay 0",
        "logfile \"\"",
        "loglevel notice",
        "",
      ].join("\n"),
    );
    const pid = await ctx.spawn(redisServer, [config]);
    await ctx.waitFor("redis PING", () => ping(port), 20_000);
    return { env: { REDIS_URL: `redis://127.0.0.1:${port}/0` }, pids: [pid], logs: [ctx.logFile] };
  },
};
export default redis;

// --- internal ---

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: "127.0.0.1", port });
    let reply = "";
    socket.setTimeout(1000);
    socket.once("connect", () => socket.write("PING\r\n"));
    socket.on("data", (chunk) => {
      reply += chunk.toString();
      if (reply.includes("\r\n")) {
        socket.destroy();
        resolve(reply.startsWith("+PONG"));
      }
    });
    socket.once("timeout", () => (socket.destroy(), resolve(false)));
    socket.once("error", () => resolve(false));
  });
}
