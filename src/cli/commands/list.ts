/** `stackvault list`: the backups of a stack (or of every stack) as a table. */
import type { CommandSpec } from "../command.ts";
import { notAvailable } from "./shared.ts";

export const listCommand: CommandSpec = {
  path: ["list"],
  summary: "list backups: id, age, size, counts, status, latest",
  description:
    "Lists the backups in the target: id, age, size, counts per store, status, and which one `latest` points to. " +
    "Without --stack, lists every stack that has backups. With --json, prints one JSON document.",
  groups: ["stack", "target"],
  requires: ["target"],
  examples: [
    "stackvault list --stack KnowWhere-Production --bucket knowwhere-backups-715927975014",
    "stackvault list --target file:///srv/backups --json",
  ],
  run: async () => notAvailable("list"),
};
