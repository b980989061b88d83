/** The service controller a command uses to stop and restart the stack's worker and app, from the config. */
import { ConfigError } from "../core/errors.ts";
import type { Config } from "../config/schema.ts";
import type { Executor } from "../exec/executor.ts";
import { commandController } from "../services/command.ts";
import { composeController } from "../services/compose.ts";
import type { ServiceController } from "../services/controller.ts";
import { systemdController } from "../services/systemd.ts";

export interface ConfiguredServices {
  controller: ServiceController;
  names: string[];
  stopTimeoutMs: number;
}

/**
 * The controller and the services to stop for `operation` (backup: the worker, plus the app with
 * `--stop-app`; restore: app and worker), or `undefined` with `--services-controller none`.
 */
export function configuredServices(config: Config, executor: Executor, operation: "backup" | "restore"): ConfiguredServices | undefined {
  const s = config.services;
  const names = operation === "restore" || s.stopAppOnBackup ? [s.app, s.worker] : [s.worker];
  const stopTimeoutMs = s.warmStopTimeout * 1000;
  switch (s.controller) {
    case "none":
      return undefined;
    case "compose":
      return { controller: composeController({ executor, project: s.composeProject, docker: s.docker }), names, stopTimeoutMs };
    case "systemd":
      return { controller: systemdController({ executor }), names, stopTimeoutMs };
    case "command": {
      const commands = s.commands ?? {};
      const missing = names.filter((n) => commands[n] === undefined);
      if (missing.length > 0) {
        throw new ConfigError(`The command service controller has no commands for ${missing.map((n) => `'${n}'`).join(", ")}.`, {
          hint: `Set services.commands.${missing[0] ?? "worker"} = { "start": [...], "stop": [...], "status": [...] } in the config file (or STACKVAULT_SERVICE_COMMANDS as JSON).`,
        });
      }
      const services: Record<string, { start: string[]; stop: string[]; status: string[] }> = {};
      for (const n of names) {
        const c = commands[n];
        if (c) services[n] = { start: [...c.start], stop: [...c.stop], status: [...c.status] };
      }
      return { controller: commandController({ executor, services }), names, stopTimeoutMs };
    }
  }
}
