/**
 * `npm run build:bundle` — builds dist/stackvault-agent.mjs, the single-file stackvault a remote run ships to
 * the host (ES module, Node 22+, dependencies included). A checkout's CLI also builds it on demand.
 */
import { stat } from "node:fs/promises";
import { buildBundle } from "../src/remote/build.ts";
import { packageRoot } from "../src/remote/bundle.ts";

const started = Date.now();
const { file, sourceHash } = await buildBundle(packageRoot());
const { size } = await stat(file);
console.log(`${file}: ${(size / 1024 / 1024).toFixed(1)} MiB, sources ${sourceHash.slice(0, 12)}, built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
