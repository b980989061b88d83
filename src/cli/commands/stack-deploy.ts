/** `stackvault stack deploy`: the seed's deploy-cloudformation, with the restore built in. */
import { readFile } from "node:fs/promises";
import { InvalidArgumentError, Option } from "commander";
import { ConfigError, UsageError } from "../../core/errors.ts";
import { Emitter } from "../../core/events.ts";
import { requireSetting } from "../../config/require.ts";
import type { Executor } from "../../exec/executor.ts";
import { localExecutor } from "../../exec/local.ts";
import { hostEnvironment, hostExecutor } from "../../remote/host.ts";
import { bringAppUp } from "../../stack/app-up.ts";
import type { AppUpResult } from "../../stack/app-up.ts";
import { cloudFormationStacks } from "../../stack/aws/cloudformation.ts";
import { waitReachable } from "../../stack/reachable.ts";
import { isBackupId } from "../../targets/layout.ts";
import type { CommandSpec } from "../command.ts";
import { runNested, stackRunPlace } from "../stack-run.ts";
import { restoreCommand } from "./restore.ts";
import { positiveArg, stackArg, yesOption } from "./shared.ts";

export const stackDeployCommand: CommandSpec = {
  path: ["stack", "deploy"],
  summary: "create the CloudFormation stack (and restore a backup into it)",
  description:
    "Creates or updates the CloudFormation stack from --template and waits for it, finds its host (stack outputs " +
    "or EC2 tags, or --host) and waits until it answers, brings the application up (--compose-dir uploads a " +
    "compose project and runs `docker compose up -d`; --deploy-command runs your own command there) and waits " +
    "until its services are healthy, then with --restore-latest or --restore-from restores a backup into it " +
    "(the seed's -RestoreLatest and -RestoreFromBackup).",
  groups: ["stack", "target", "host", "stores", "services", "lock"],
  options: () => [
    new Option("--template <file>", "CloudFormation template file").makeOptionMandatory(),
    new Option("--param <key=value>", "template parameter (repeatable)").argParser(collectParam),
    new Option("--restore-latest", "restore this stack's latest backup once deployed").conflicts("restoreFrom"),
    new Option("--restore-from <stack[/id]>", "restore another stack's latest backup, or one backup id").argParser(restoreFromArg),
    new Option("--compose-dir <dir>", "compose project to upload to the host and start with `docker compose up -d`"),
    new Option("--deploy-command <cmd>", "run this on the host (in --remote-dir) instead of `docker compose up -d`"),
    new Option("--remote-dir <dir>", "folder on the host for the compose project (default: ~/stackvault-app)"),
    new Option("--wait-minutes <n>", "how long to wait for the host and for healthy services (default: 15)").argParser(positiveArg),
    yesOption(),
  ],
  requires: ["stack"],
  examples: [
    "stackvault stack deploy --stack KnowWhere-Production --template examples/knowwhere-host.yaml --param KeyPairName=Osmose_KeyPair --compose-dir ./deploy --restore-latest --bucket knowwhere-backups-715927975014",
    "stackvault stack deploy --stack Test-OneShot --template examples/knowwhere-host.yaml --compose-dir ./deploy --restore-from Test-Backup/latest --bucket knowwhere-backups-715927975014",
  ],
  run: async (ctx, options) => {
    const { config, signal } = ctx;
    const stack = config.stack ?? "";
    const restore = restoreRequest(stack, options);
    if (restore) requireSetting(config, "target", "stack deploy --restore-…");
    const templateFile = String(options.template);
    const templateBody = await readFile(templateFile, "utf8").catch((cause: unknown) => {
      throw new ConfigError(`Cannot read the template ${templateFile}: ${(cause as Error).message}`, { cause });
    });
    const events = new Emitter(ctx.render.sink);
    const waitMs = (typeof options.waitMinutes === "number" ? options.waitMinutes : 15) * 60_000;

    const cfn = await cloudFormationStacks({ region: config.region, events, signal });
    ctx.defer(() => cfn.close());
    const outcome = await cfn.deploy({ stack, templateBody, parameters: paramsRecord(options.param) });
    events.ok(`Stack ${stack} ${outcome.action} (${outcome.stack.status})`);

    const place = await stackRunPlace(ctx, outcome.stack, events);
    let executor: Executor = localExecutor();
    if (place.config.host !== undefined) {
      executor = await hostExecutor(place.config, hostEnvironment(ctx.io.env));
      const opened = executor;
      ctx.defer(() => opened.close());
      events.info(`Waiting until ${executor.location} answers`);
      await waitReachable(executor, { timeoutMs: waitMs, signal, onRetry: (why) => events.info(`Not reachable yet: ${why.split("\n")[0]}`) });
      events.ok(`${executor.location} answers`);
    }

    let app: AppUpResult | undefined;
    if (typeof options.composeDir === "string" || typeof options.deployCommand === "string") {
      app = await bringAppUp({
        executor, events, signal,
        project: config.services.composeProject,
        docker: config.services.docker,
        healthTimeoutMs: waitMs,
        ...(typeof options.composeDir === "string" ? { composeDir: options.composeDir } : {}),
        ...(typeof options.deployCommand === "string" ? { deployCommand: options.deployCommand } : {}),
        ...(typeof options.remoteDir === "string" ? { remoteDir: options.remoteDir } : {}),
      });
    } else {
      events.info("No --compose-dir or --deploy-command: the application is expected to start by itself (user data).");
    }

    let restored: Record<string, unknown> | null = null;
    if (restore) {
      events.info(`Restoring ${restore.fromStack}/${restore.backupId ?? "latest"} into stack ${stack}`);
      // A stack this run created holds nothing yet; restoring into an existing one replaces data and is asked.
      const yes = outcome.action === "created" || options.yes === true;
      restored = await runNested(ctx, restoreCommand, place.config, {
        yes,
        fromStack: restore.fromStack,
        ...(restore.backupId === undefined ? { latest: true } : { backupId: restore.backupId }),
      });
    }
    const doc = { stack, region: config.region, action: outcome.action, status: outcome.stack.status, outputs: outcome.stack.outputs, host: place.config.host ?? null, instanceId: place.found?.instanceId ?? null, app: app ?? null, restore: restored };
    ctx.render.result(doc, `Stack ${stack} ${outcome.action}${app ? `, services up (${app.services.join(", ")})` : ""}${restored ? `, ${restore?.fromStack}/${String(restored.plan && (restored.plan as { backupId?: string }).backupId)} restored` : ""}.`);
  },
};

// --- internal ---

interface RestoreRequest {
  fromStack: string;
  /** Absent: the backup `latest` names. */
  backupId?: string;
}

function restoreRequest(stack: string, options: Readonly<Record<string, unknown>>): RestoreRequest | undefined {
  if (options.restoreLatest === true && options.restoreFrom !== undefined) {
    throw new UsageError("--restore-latest and --restore-from exclude each other.", { hint: "Give one: --restore-latest restores this stack's own latest backup." });
  }
  if (options.restoreLatest === true) return { fromStack: stack };
  if (typeof options.restoreFrom !== "string") return undefined;
  const [fromStack = stack, id] = options.restoreFrom.split("/");
  return id === undefined || id === "latest" ? { fromStack } : { fromStack, backupId: id };
}

function paramsRecord(list: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of Array.isArray(list) ? (list as string[]) : []) {
    const at = item.indexOf("=");
    out[item.slice(0, at)] = item.slice(at + 1);
  }
  return out;
}

function collectParam(value: string, previous: string[] | undefined): string[] {
  if (!/^[A-Za-z0-9]+=/.test(value)) throw new InvalidArgumentError("expected KEY=VALUE, e.g. KeyPairName=my-key.");
  return [...(previous ?? []), value];
}

function restoreFromArg(value: string): string {
  const [stack = "", id, ...rest] = value.split("/");
  if (rest.length > 0 || id === "") throw new InvalidArgumentError("expected STACK or STACK/BACKUP-ID.");
  stackArg(stack);
  if (id !== undefined && id !== "latest" && !isBackupId(id)) {
    throw new InvalidArgumentError("expected STACK/BACKUP-ID with a backup id such as 2025-10-25T14-30-00Z.");
  }
  return value;
}
