/**
 * The project's Qdrant-compatible test server (`test/qdrant-server/main.ts`), started with this Node when
 * that file exists. Ready when `GET /` answers 200 with JSON. Writes QDRANT_URL.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { ensureDir } from "../process.ts";
import type { TestService } from "../service.ts";

/** True when the test server's entry point exists in this checkout. */
export function qdrantServerAvailable(): boolean {
  return existsSync(entryPoint());
}

const qdrant: TestService = {
  name: "qdrant",
  stopTimeoutMs: 10_000,
  async install() {
    if (!qdrantServerAvailable()) throw new Error(`${entryPoint()} does not exist`);
  },
  async start(ctx) {
    const port = await ctx.freePort();
    const data = ensureDir(path.join(ctx.stateDir, "data"));
    const pid = await ctx.spawn(process.execPath, [entryPoint(), "--host", "127.0.0.1", "--port", String(port), "--data", data]);
    const url = `http://127.0.0.1:${port}`;
    await ctx.waitFor(
      "qdrant test server GET /",
      async () => {
        const response = await fetch(`${url}/`);
        return response.status === 200 && typeof (await response.json()) === "object";
      },
      30_000,
    );
    return { env: { QDRANT_URL: url }, pids: [pid], logs: [ctx.logFile] };
  },
};
export default qdrant;

// --- internal ---

function entryPoint(): string {
  return fileURLToPath(new URL("../../qdrant-server/main.ts", import.meta.url));
}
