/** The `systemd` controller: services as systemd units on the host (`systemctl stop|start|is-active`). */
import { ExecError } from "../core/errors.ts";
import type { Executor } from "../exec/executor.ts";
import { stopEach } from "./controller.ts";
import type { Restart, ServiceController, StopOptions } from "./controller.ts";
import { pollUntil } from "./wait.ts";

export interface SystemdOptions {
  executor: Executor;
  /** Prefix commands with `sudo -n` (for a non-root SSH user). @default false */
  sudo?: boolean;
}

export function systemdController(options: SystemdOptions): ServiceController {
  const systemctl = (args: string[], opts: { signal?: AbortSignal; check?: boolean; timeoutMs?: number } = {}) =>
    options.sudo ? options.executor.run("sudo", ["-n", "systemctl", ...args], opts) : options.executor.run("systemctl", args, opts);
  const isRunning = async (unit: string, opts: { signal?: AbortSignal } = {}): Promise<boolean> =>
    (await systemctl(["is-active", "--quiet", unit], { ...opts, check: false })).exitCode === 0;
  return {
    kind: "systemd",
    isRunning,
    stop: (units: readonly string[], opts: StopOptions = {}): Promise<Restart> =>
      stopEach(
        units,
        (u) => isRunning(u, opts),
        async (u) => void (await systemctl(["stop", u], { ...(opts.signal ? { signal: opts.signal } : {}), timeoutMs: (opts.timeoutMs ?? 60_000) + 30_000 })),
        async (u) => void (await systemctl(["start", u])),
        opts.beforeStop,
      ),
    start: async (units, opts = {}) => {
      if (units.length > 0) await systemctl(["start", ...units], opts);
    },
    waitHealthy: async (units, opts = {}) => {
      const timeoutMs = opts.timeoutMs ?? 120_000;
      const ok = await pollUntil(async () => (await Promise.all(units.map((u) => isRunning(u, opts)))).every(Boolean), { timeoutMs, ...(opts.signal ? { signal: opts.signal } : {}) });
      if (!ok) throw new ExecError(`systemd units not active after ${Math.round(timeoutMs / 1000)} s: ${units.join(", ")}.`, { hint: "Look at `systemctl status` and `journalctl -u` on the host." });
    },
  };
}
