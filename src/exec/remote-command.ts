/**
 * The command line that runs a program through a remote POSIX shell with environment variables that never
 * appear on any command line: the shell reads a length line, then that many bytes of `export` statements,
 * from standard input, and hands the rest of standard input to the program. Its first line on standard error
 * is {@link PID_MARKER} and the program's process id, so a cancelled run can be killed over a second channel.
 */
import { ConfigError } from "../core/errors.ts";
import { isEnvName, shellCommand, shellQuote } from "./quote.ts";

/** Starts the first line of standard error; the process id follows (`exec` keeps it for the program). */
export const PID_MARKER = "stackvault-pid:";

/** Builds the remote command line; variables travel in `preamble`, which precedes standard input. */
export function remoteCommand(program: string, args: readonly string[], env: Record<string, string> | undefined, cwd: string | undefined): { command: string; preamble: Buffer } {
  const entries = Object.entries(env ?? {});
  for (const [name] of entries) if (!isEnvName(name)) throw new ConfigError(`'${name}' is not a valid environment variable name.`);
  const script = entries.map(([name, value]) => `export ${name}=${shellQuote(value)}\n`).join("");
  const body = Buffer.from(script, "utf8");
  const cd = cwd === undefined ? "" : `cd -- ${shellQuote(cwd)} || exit 126; `;
  const reader = `printf '${PID_MARKER}%s\\n' "$$" >&2; IFS= read -r n || exit 126; eval "$(dd bs=1 count="$n" 2>/dev/null)"; ${cd}exec "$@"`;
  return {
    command: `sh -c ${shellQuote(reader)} sh ${shellCommand(program, args)}`,
    preamble: Buffer.concat([Buffer.from(`${body.length}\n`), body]),
  };
}

