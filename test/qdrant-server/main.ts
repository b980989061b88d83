/**
 * `node test/qdrant-server/main.ts --host 127.0.0.1 --port P --data DIR`
 *
 * Runs the Qdrant-compatible test server until SIGTERM or SIGINT. The API key, when wanted, comes from the
 * environment variable `QDRANT_TEST_API_KEY` (never from the command line). Logs one line per request to
 * stdout and every OpenAPI violation and internal error to stderr. Ready when `GET /` answers 200.
 */
import { parseArgs } from "node:util";
import { startQdrantTestServer } from "./server.ts";

const { values } = parseArgs({
  options: {
    host: { type: "string", default: "127.0.0.1" },
    port: { type: "string", default: "6333" },
    data: { type: "string" },
    version: { type: "string" },
    help: { type: "boolean", short: "h" },
  },
});
if (values.help || !values.data) {
  console.log("Usage: node test/qdrant-server/main.ts --host 127.0.0.1 --port 6333 --data DIR [--version 1.19.0]  (API key: QDRANT_TEST_API_KEY)");
  process.exit(values.help ? 0 : 2);
}
const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`qdrant test server: --port ${values.port} is not a port number`);
  process.exit(2);
}

const apiKey = process.env.QDRANT_TEST_API_KEY || undefined;
const server = await startQdrantTestServer({
  host: values.host,
  port,
  dataDir: values.data,
  ...(apiKey ? { apiKey } : {}),
  ...(values.version ? { version: values.version } : {}),
  log: (line) => (line.startsWith("VIOLATION") || line.startsWith("ERROR") ? console.error(line) : console.log(line)),
});
console.log(`qdrant test server listening on ${server.url} (data ${values.data}${apiKey ? ", API key required" : ""})`);

let stopping = false;
for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    console.log(`qdrant test server: ${signal}, stopping (${server.violations.length} violation(s) seen)`);
    server.close().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error(`qdrant test server: ${(err as Error).message}`);
        process.exit(1);
      },
    );
  });
}
