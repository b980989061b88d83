#!/usr/bin/env node
// The installed `stackvault` command: runs the built CLI, or the TypeScript sources in a checkout (Node >= 22.18
// runs .ts files directly).
import { existsSync } from "node:fs";

const built = new URL("../dist/cli/main.js", import.meta.url);
const source = new URL("../src/cli/main.ts", import.meta.url);
const entry = existsSync(built) ? built : source;
if (entry === source && !process.features.typescript) {
  process.stderr.write(`stackvault: Node ${process.versions.node} cannot run the TypeScript sources; use Node >= 22.18 or run \`npm run build\`.\n`);
  process.exit(1);
}
const { runAsProcess } = await import(entry.href);
await runAsProcess();
