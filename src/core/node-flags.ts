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
 *
 * `--heap-growing-percent=50` lets the old generation grow to 1.5 × what survived the last full collection
 * before the next one. V8's own factor reaches 4 × when collections are cheap next to the allocation rate, as
 * in the Neo4j export and load (many short-lived strings and rows), and more than 100 MiB of the whole-stack
 * backup's and restore's peak RSS were then garbage and the pages kept after it. bench/stack at 1× (with the
 * smaller Neo4j statements and transactions of the same change): backup 303 → 215-234 MiB, restore 366 →
 * 202-223 MiB; without this flag, 296-309 and 265-297 MiB. It costs about 5-10 % more CPU and no wall time
 * that stands out of the machine's noise. `--optimize-for-size` saves more (backup 170 MiB) but doubles the
 * CPU: it also shrinks the young generation to 1 MiB.
 */
export const NODE_FLAGS: readonly string[] = ["--max-semi-space-size=8", "--heap-growing-percent=50"];

/** The {@link NODE_FLAGS} that `execArgv` and `nodeOptions` (the NODE_OPTIONS variable) do not set already. */
export function missingNodeFlags(execArgv: readonly string[], nodeOptions = ""): string[] {
  const given = [...execArgv, ...nodeOptions.split(/\s+/)].map((a) => a.split("=")[0]);
  return NODE_FLAGS.filter((flag) => !given.includes(flag.split("=")[0]));
}
