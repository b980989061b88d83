/** The service controller a command uses to stop and restart the stack's worker and app, from the config. */
import { NotAvailableError } from "../core/errors.ts";
import type { Config } from "../config/schema.ts";
import type { Executor } from "../exec/executor.ts";
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
    default:
      throw new NotAvailableError("The `command` service controller cannot be configured from the command line yet.", { hint: "Use --services-controller compose, systemd or none." });
  }
}
