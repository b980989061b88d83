/** `stackvault agent run`: the host side of a remote run (not for operators). */
import type { CommandSpec } from "../command.ts";
import { notAvailable } from "./shared.ts";

export const agentRunCommand: CommandSpec = {
  path: ["agent", "run"],
  summary: "host side of a remote run (started by stackvault over SSH or SSM)",
  description:
    "Runs the data plane on the host: reads one job (JSON) on stdin, runs it next to the stores, and writes progress " +
    "as JSON lines on stdout for the operator's stackvault to render. Operators do not run it by hand; credentials " +
    "come through the environment, never argv.",
  groups: ["stores", "services", "lock"],
  hidden: true,
  examples: ["stackvault agent run < job.json"],
  run: async () => notAvailable("agent run"),
};
