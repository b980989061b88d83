/**
 * A redis-server of a test's own (Debian's `redis-server` on PATH), in a temporary directory on a free port:
 * for tests that stop, restart or reconfigure Redis, which the shared harness Redis must never be.
 */
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

export interface OwnRedis {
  port: number;
  dir: string;
  conf: string;
  url: string;
  /** Argument vectors that start, stop (blocking until it exited) and probe this server. */
  commands: { start: string[]; stop: string[]; status: string[] };
  /** Stops the server (if running) and removes its directory. */
  dispose(): Promise<void>;
}

/** Starts a redis-server with `extra` config lines; resolves once it answers PING. */
export async function startOwnRedis(extra: string[] = [], options: { tlsClientArgs?: string[] } = {}): Promise<OwnRedis> {
  const dir = await mkdtemp(join(tmpdir(), "stackvault-redis-"));
  const port = await freePort();
  const conf = join(dir, "redis.conf");
  const tlsOnly = extra.some((line) => line.startsWith("tls-port"));
  await writeFile(
    conf,
    [
      tlsOnly ? "port 0" : `port ${port}`,
      "bind 127.0.0.1",
      `dir ${dir}`,
      "daemonize yes",
      `pidfile ${join(dir, "redis.pid")}`,
      `logfile ${join(dir, "redis.log")}`,
      "save 3600 1",
      "appendonly no",
      ...extra.map((line) => line.replaceAll("{port}", String(port))),
    ].join("\n") + "\n",
  );
  const cli = ["redis-cli", "-p", String(port), ...(options.tlsClientArgs ?? [])];
  const commands = {
    start: ["redis-server", conf],
    stop: [...cli, "shutdown"],
    status: [...cli, "ping"],
  };
  await run(commands.start[0] as string, commands.start.slice(1));
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      const { stdout } = await run(cli[0] as string, [...cli.slice(1), "ping"]);
      if (stdout.includes("PONG")) break;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`redis-server on port ${port} did not start (see ${dir}/redis.log)`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    port,
    dir,
    conf,
    url: `${tlsOnly ? "rediss" : "redis"}://127.0.0.1:${port}`,
    commands,
    async dispose() {
      await run(cli[0] as string, [...cli.slice(1), "shutdown", "nosave"]).catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address !== null ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}
