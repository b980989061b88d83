/** `stackvault stack deploy`: the seed's deploy-cloudformation, with the restore built in. */
import { InvalidArgumentError, Option } from "commander";
import { isBackupId } from "../../targets/layout.ts";
import type { CommandSpec } from "../command.ts";
import { notAvailable, stackArg, yesOption } from "./shared.ts";

export const stackDeployCommand: CommandSpec = {
  path: ["stack", "deploy"],
  summary: "create the CloudFormation stack (and restore a backup into it)",
  description:
    "Creates or updates the CloudFormation stack from --template, waits until the instance and its services are up, " +
    "then with --restore-latest or --restore-from restores a backup into it (the seed's -RestoreLatest and " +
    "-RestoreFromBackup).",
  groups: ["stack", "target", "host", "stores", "services", "lock"],
  options: () => [
    new Option("--template <file>", "CloudFormation template file").makeOptionMandatory(),
    new Option("--param <key=value>", "template parameter (repeatable)").argParser(collectParam),
    new Option("--restore-latest", "restore this stack's latest backup once deployed").conflicts("restoreFrom"),
    new Option("--restore-from <stack[/id]>", "restore another stack's latest backup, or one backup id").argParser(restoreFromArg),
    yesOption(),
  ],
  requires: ["stack"],
  examples: [
    "stackvault stack deploy --stack KnowWhere-Production --template infra/knowwhere.yaml --param KeyPairName=Osmose_KeyPair --restore-latest --bucket knowwhere-backups-715927975014",
    "stackvault stack deploy --stack Test-OneShot --template infra/knowwhere.yaml --restore-from Test-Backup/2025-10-25T14-30-00Z --bucket knowwhere-backups-715927975014",
  ],
  run: async () => notAvailable("stack deploy"),
};

// --- internal ---

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
