/** `stackvault demo`: back up, wipe and restore a local reference stack, proving content equality. */
import type { CommandSpec } from "../command.ts";
import { notAvailable } from "./shared.ts";

export const demoCommand: CommandSpec = {
  path: ["demo"],
  summary: "run the whole cycle on local services: load, back up, wipe, restore, compare",
  description:
    "Starts local Neo4j, Qdrant-compatible and Redis services, loads the reference dataset, backs it up to a local " +
    "folder, wipes all three stores, restores from `latest` and proves the content is equal, printing the seed-style " +
    "logs. Needs nothing but the README's set-up.",
  groups: [],
  examples: ["stackvault demo", "scripts/with-node npm run demo"],
  run: async () => notAvailable("demo"),
};
