/**
 * What `stack deploy` and `stack destroy` share: where the data plane runs for a stack (an explicit `--host`
 * or `--direct` wins; otherwise the host found from the stack), and running the `backup` / `restore` command
 * inside theirs, with its result turned into a log line and handed back.
 */
import { Emitter } from "../core/events.ts";
import type { Config } from "../config/schema.ts";
import { hostUri, lookupStackHost } from "../stack/aws/host-lookup.ts";
import type { StackHost } from "../stack/aws/host-lookup.ts";
import type { StackInfo } from "../stack/aws/cloudformation.ts";
import type { CommandSpec } from "./command.ts";
import type { CommandContext } from "./context.ts";

/** The config with `host` set to where the stack's data plane runs, and the found host (when looked up). */
export interface StackRunPlace {
  config: Config;
  found?: StackHost;
}

/**
 * Decides where backup and restore run for `stack`: `--host`/`--direct` as given, else the stack's host
 * (outputs or EC2 tags) as `ssh://{ssh.user}@addr`.
 * @throws NotFoundError when the stack names no host; CloudError when EC2 refuses.
 */
export async function stackRunPlace(ctx: CommandContext, stack: StackInfo, events: Emitter): Promise<StackRunPlace> {
  const { config } = ctx;
  if (config.host !== undefined) {
    events.info(`Data plane on ${config.host} (--host).`);
    return { config };
  }
  if (config.direct) {
    events.info("Data plane in this process (--direct).");
    return { config };
  }
  const found = await lookupStackHost({ stack: stack.name, region: config.region, outputs: stack.outputs, ...(ctx.signal ? { signal: ctx.signal } : {}) });
  const host = hostUri(found, { user: config.ssh.user });
  events.ok(`Host of stack ${stack.name}: ${found.instanceId ?? "instance"} at ${found.address} (from ${found.source}) → ${host}`);
  return { config: { ...config, host }, found };
}

/**
 * Runs `spec` (backup or restore) with `config` and `options` inside the current command: its events go to
 * the same renderer, its result text becomes a log line, and its result document is returned.
 * @throws whatever the command throws.
 */
export async function runNested(ctx: CommandContext, spec: CommandSpec, config: Config, options: Readonly<Record<string, unknown>>): Promise<Record<string, unknown>> {
  const events = new Emitter(ctx.render.sink);
  let captured: Record<string, unknown> = {};
  const nested: CommandContext = {
    ...ctx,
    config,
    render: {
      ...ctx.render,
      result: (doc, text) => {
        captured = typeof doc === "object" && doc !== null ? (doc as Record<string, unknown>) : {};
        if (text) events.ok(text);
      },
    },
  };
  await spec.run(nested, options, []);
  return captured;
}
