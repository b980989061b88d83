/**
 * V8 flags that stackvault's own processes run with: `bin/stackvault.js` relaunches itself with them (where
 * Node has `process.execve`, i.e. not on Windows) and the host-side agent is started with them.
 *
 * `--max-semi-space-size=8` caps V8's young generation. By default V8 sizes it from the machine's memory and
 * grows it under a high allocation rate, and the Neo4j export and loader allocate fast (records, literals,
 * rows): on the reference graph that young generation was about 90 MiB of the backup's and the restore's peak
 * RSS (bench/neo4j: restore 323-333 MiB without the flag, 248 MiB with it; export 290-320 → 205-217 MiB),
 * while the live heap stays under 75 MiB. The flag costs no measurable time there (`=4` saves a little more
 * memory for about 30 % more CPU).
 */
export const NODE_FLAGS: readonly string[] = ["--max-semi-space-size=8"];

/** The {@link NODE_FLAGS} that `execArgv` and `nodeOptions` (the NODE_OPTIONS variable) do not set already. */
export function missingNodeFlags(execArgv: readonly string[], nodeOptions = ""): string[] {
  const given = [...execArgv, ...nodeOptions.split(/\s+/)].map((a) => a.split("=")[0]);
  return NODE_FLAGS.filter((flag) => !given.includes(flag.split("=")[0]));
}
