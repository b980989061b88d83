/** `stackvault demo`: back up, wipe and restore a local reference stack, proving content equality. */
import type { CommandSpec } from "../command.ts";
import { NotAvailableError } from "../../core/errors.ts";

export const demoCommand: CommandSpec = {
  path: ["demo"],
  summary: "run the whole cycle on local services: load, back up, wipe, restore, compare",
  description:
    "Starts local Neo4j, Qdrant-compatible and Redis services, loads the reference dataset, backs it up to a local " +
    "folder, wipes all three stores, restores from `latest` and proves the content is equal, printing the seed-style " +
    "logs. Needs nothing but the README's set-up.",
  groups: [],
  examples: ["stackvault demo", "scripts/with-node npm run demo"],
  run: async () => {
    // The demo drives the project's own service harness and reference dataset, which live in a checkout (they
    // are test code, not part of the installed package).
    throw new NotAvailableError("`stackvault demo` runs from a checkout of stackvault: the local services and the reference dataset are not part of the installed package.", {
      hint: "In a clone of the repository, run: scripts/with-node npm run demo",
    });
  },
};
