/**
 * The shell script an SSM run sends as `AWS-RunShellScript`'s `commands`. SSM has no standard input and keeps
 * only the first 24,000 characters of standard output, and whatever a command's text holds is stored in the
 * command history for anyone with `ssm:ListCommands`. So the script holds no data at all, only references:
 *
 * - standard input (which starts with the environment preamble of {@link remoteCommand}, secrets included)
 *   is read from `s3://…/in/00000000, 00000001, …` until `in/end` names how many chunks there are; the host
 *   fetches each chunk with its own credentials (the instance role) and deletes it at once;
 * - standard output is written to a file on the host's disk and uploaded as it grows to `out/00000000, …`,
 *   then `out/end` holds the chunk count; the operator reads the chunks while the command runs, so progress
 *   streams with the latency of one upload, whatever the size;
 * - standard error stays with SSM (its tail is only for messages).
 *
 * The host needs `sh`, coreutils and the AWS CLI (preinstalled on Amazon Linux), and an instance role that may
 * get, put and delete objects under the exchange prefix.
 */
import { remoteCommand } from "./remote-command.ts";
import { shellQuote } from "./quote.ts";

/** Parts of an SSM run's script. */
export interface SsmScript {
  /** The script text (no secrets: only the exchange location and the program's arguments). */
  script: string;
  /** The first bytes of standard input: the environment preamble. */
  preamble: Buffer;
}

/** Name of chunk `n` under `in/` or `out/`. */
export function chunkName(n: number): string {
  return String(n).padStart(8, "0");
}

/**
 * The script that runs `program args` with `env` in `cwd`, its standard input and output exchanged through
 * `s3Url` (`s3://bucket/prefix-of-this-run`).
 */
export function ssmScript(program: string, args: readonly string[], env: Record<string, string> | undefined, cwd: string | undefined, s3Url: string): SsmScript {
  const { command, preamble } = remoteCommand(program, args, env, cwd);
  const script = [
    "set -u",
    // SSM starts the script without HOME: take the user's from the password database, so `~` works.
    '[ -n "${HOME:-}" ] || HOME=$(getent passwd "$(id -u)" | cut -d: -f6); export HOME',
    `b=${shellQuote(s3Url)}`,
    "command -v aws >/dev/null 2>&1 || { echo 'stackvault: the AWS CLI (aws) is not installed on this host' >&2; exit 125; }",
    'd=$(mktemp -d) || exit 125',
    "trap 'rm -rf \"$d\"' EXIT",
    'mkfifo "$d/in" && : > "$d/out" || exit 125',
    // Standard input: fetch chunks in order, delete each once read, stop after the count in in/end.
    "(",
    "  i=0; n=",
    "  while :; do",
    '    [ -n "$n" ] || n=$(aws s3 cp --quiet "$b/in/end" - 2>/dev/null) || n=',
    '    [ -n "$n" ] && [ "$i" -ge "$n" ] && exit 0',
    '    k="$b/in/$(printf %08d "$i")"',
    '    if aws s3 cp --quiet "$k" "$d/chunk" 2>/dev/null; then cat "$d/chunk" || exit 0; rm -f "$d/chunk"; aws s3 rm --quiet "$k" >/dev/null 2>&1 & i=$((i+1)); continue; fi',
    "    sleep 1",
    "  done",
    ') > "$d/in" &',
    "feeder=$!",
    // Standard output: upload what was appended since the last upload, until the program ended and all is sent.
    "(",
    "  i=0; off=0",
    "  while :; do",
    '    [ -e "$d/done" ] && ended=1 || ended=0',
    '    size=$(stat -c %s "$d/out")',
    '    if [ "$size" -gt "$off" ]; then',
    '      tail -c +"$((off+1))" "$d/out" | head -c "$((size-off))" > "$d/part"',
    '      aws s3 cp --quiet "$d/part" "$b/out/$(printf %08d "$i")" || exit 124',
    "      i=$((i+1)); off=$size; continue",
    "    fi",
    '    if [ "$ended" = 1 ]; then printf "%s" "$i" | aws s3 cp --quiet - "$b/out/end" || exit 124; exit 0; fi',
    "    sleep 1",
    "  done",
    ") &",
    "uploader=$!",
    `${command} < "$d/in" >> "$d/out"`,
    "code=$?",
    ': > "$d/done"',
    'kill "$feeder" 2>/dev/null',
    'wait "$uploader" || { echo "stackvault: uploading standard output to $b failed" >&2; exit 124; }',
    'exit "$code"',
  ].join("\n");
  return { script, preamble };
}
