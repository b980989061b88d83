/** POSIX shell quoting, for the places where a command must cross a shell (SSH, SSM). */

/** Quotes one word so that `sh` reads it back unchanged. */
export function shellQuote(word: string): string {
  if (word !== "" && /^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replaceAll("'", `'"'"'`)}'`;
}

/** Quotes a program and its arguments into one command line. */
export function shellCommand(program: string, args: readonly string[]): string {
  return [program, ...args].map(shellQuote).join(" ");
}

/** True for names that are valid environment variable names. */
export function isEnvName(name: string): boolean {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name);
}
