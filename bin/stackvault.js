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
// The V8 flags and malloc settings of every stackvault process (src/core/node-flags.ts says why): relaunch in
// place with them once.
const flags = new URL(entry === built ? "../dist/core/node-flags.js" : "../src/core/node-flags.ts", import.meta.url);
const { missingMallocEnv, missingNodeFlags } = await import(flags.href);
const missing = missingNodeFlags(process.execArgv, process.env.NODE_OPTIONS);
const missingEnv = missingMallocEnv(process.env);
if ((missing.length > 0 || Object.keys(missingEnv).length > 0) && typeof process.execve === "function") {
  process.execve(process.execPath, [process.execPath, ...missing, ...process.execArgv, ...process.argv.slice(1)], { ...process.env, ...missingEnv });
}
const { runAsProcess } = await import(entry.href);
await runAsProcess();
