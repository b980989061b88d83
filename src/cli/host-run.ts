/**
 * `--host`: a command runs on the host instead of in this process (DESIGN §2). Its progress is rendered here
 * as if it ran here, its confirmation question asked on this terminal, its result and error become ours.
 */
import type { CommandContext } from "./context.ts";
import { confirm } from "./prompt.ts";
import type { RemoteCommand } from "../remote/job.ts";
import { runRemoteCommand } from "../remote/operator.ts";

/**
 * Runs `command` on `config.host` when one is set (without `--direct`) and returns true; returns false (run it
 * here) otherwise.
 * @throws the host-side run's error (same code, exit code and hint).
 */
export async function runOnConfiguredHost(ctx: CommandContext, command: RemoteCommand, options: Readonly<Record<string, unknown>>): Promise<boolean> {
  // With --direct, the run stays here and reaches the host's stores through tunnels (tunnels.ts).
  if (ctx.config.host === undefined || ctx.config.direct) return false;
  const { doc, text } = await runRemoteCommand({
    command,
    options,
    config: ctx.config,
    sink: ctx.render.sink,
    signal: ctx.signal,
    env: ctx.io.env,
    confirm: (question) => confirm(question, { yes: options.yes === true, signal: ctx.signal }),
  });
  ctx.render.result(doc, text);
  return true;
}
