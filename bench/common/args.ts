/**
 * The `--name value` options of a benchmark script, as strings: every argument must be such a pair, so a
 * mistyped option is an error rather than a silently ignored word.
 */
export function optionArgs(argv: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? "";
    if (!a.startsWith("--")) throw new Error(`unexpected argument ${a} (options are --name value)`);
    out[a.slice(2)] = argv[++i] ?? "";
  }
  return out;
}
