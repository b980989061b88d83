/** Helpers shared by command files: the "not available yet" error and argument parsers. */
import { InvalidArgumentError, Option } from "commander";
import { NotAvailableError } from "../../core/errors.ts";
import { isValidStackName } from "../../config/names.ts";
import { isBackupId } from "../../targets/layout.ts";

/**
 * The error of a command whose engine is not part of this version yet.
 * @throws NotAvailableError always.
 */
export function notAvailable(command: string): never {
  throw new NotAvailableError(`\`${command}\` is not available yet in this version.`, {
    hint: "The command and its flags are fixed, but its engine ships in a later release; see CHANGELOG.md.",
  });
}

/** Parses a non-negative integer flag value. */
export function intArg(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError("expected a whole number.");
  return Number(value);
}

/** Parses a positive number flag value. */
export function positiveArg(value: string): number {
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n) || n <= 0) throw new InvalidArgumentError("expected a positive number.");
  return n;
}

/** Validates a stack name given to a command-specific flag (`--from-stack`). */
export function stackArg(value: string): string {
  if (!isValidStackName(value)) {
    throw new InvalidArgumentError("expected a stack name of letters, digits, '.', '_' or '-' (no '/', no '..').");
  }
  return value;
}

/** Validates a backup id: a UTC timestamp such as `2025-10-25T14-30-00Z`. */
export function backupIdArg(value: string): string {
  if (!isBackupId(value)) throw new InvalidArgumentError("expected a backup id, a UTC timestamp such as 2025-10-25T14-30-00Z.");
  return value;
}

/** `--latest` / `--backup-id ID`, mutually exclusive. */
export function backupSelectorOptions(latestHelp: string): Option[] {
  return [
    new Option("--latest", latestHelp).conflicts("backupId"),
    new Option("--backup-id <id>", "a backup id, e.g. 2025-10-25T14-30-00Z").argParser(backupIdArg),
  ];
}

/** `--dry-run`. */
export function dryRunOption(what: string): Option {
  return new Option("--dry-run", `print ${what} and change nothing`);
}

/** `--yes`. */
export function yesOption(): Option {
  return new Option("--yes", "do not ask for confirmation (required without a terminal)");
}
