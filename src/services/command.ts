/**
 * The `command` controller: services managed by operator-given commands (argument vectors run through an
 * executor), for hosts without compose or systemd, and for plain processes such as an RQ worker started by
 * hand. `stop` must block until the service has stopped (for an RQ worker: SIGTERM, then wait — the warm
 * shutdown); `status` exits 0 when the service runs.
 */
import { ConfigError, ExecError } from "../core/errors.ts";
import type { Executor } from "../exec/executor.ts";
import { stopEach } from "./controller.ts";
import type { Restart, ServiceController, StopOptions } from "./controller.ts";
import { pollUntil } from "./wait.ts";

export interface ServiceCommands {
  stop: string[];
  start: string[];
  status: string[];
}

export interface CommandOptions {
  executor: Executor;
  /** Commands per service name. */
  services: Record<string, ServiceCommands>;
}

export function commandController(options: CommandOptions): ServiceController {
  const commands = (service: string): ServiceCommands => {
    const found = options.services[service];
    if (!found) throw new ConfigError(`No commands are configured for the service '${service}'.`, { hint: `Configure stop, start and status commands for '${service}'.` });
    return found;
  };
  const exec = async (argv: string[], opts: { signal?: AbortSignal; timeoutMs?: number; check?: boolean } = {}) => {
    const [program, ...args] = argv;
    if (!program) throw new ConfigError("A service command is empty.");
    return options.executor.run(program, args, opts);
  };
  const isRunning = async (service: string, opts: { signal?: AbortSignal } = {}): Promise<boolean> =>
    (await exec(commands(service).status, { ...opts, check: false })).exitCode === 0;
  return {
    kind: "command",
    isRunning,
    stop: (services: readonly string[], opts: StopOptions = {}): Promise<Restart> =>
      stopEach(
        services,
        (s) => isRunning(s, opts),
        async (s) => {
          await exec(commands(s).stop, { ...(opts.signal ? { signal: opts.signal } : {}), timeoutMs: (opts.timeoutMs ?? 60_000) + 10_000 });
          if (await isRunning(s)) throw new ExecError(`The service '${s}' still runs after its stop command.`);
        },
        async (s) => void (await exec(commands(s).start)),
        opts.beforeStop,
      ),
    start: async (services, opts = {}) => {
      // Recovery after a crash may name a service that runs already (the crash came after its restart).
      for (const s of services) if (!(await isRunning(s, opts))) await exec(commands(s).start, opts);
    },
    waitHealthy: async (services, opts = {}) => {
      const timeoutMs = opts.timeoutMs ?? 120_000;
      const ok = await pollUntil(async () => (await Promise.all(services.map((s) => isRunning(s, opts)))).every(Boolean), { timeoutMs, ...(opts.signal ? { signal: opts.signal } : {}) });
      if (!ok) throw new ExecError(`Services not running after ${Math.round(timeoutMs / 1000)} s: ${services.join(", ")}.`);
    },
  };
}
