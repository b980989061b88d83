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
 *
 * `--initial-old-space-size=48` keeps that factor from starving a small heap. With 50 % growth, a process whose live
 * heap is 11-16 MiB (a byte stream: a snapshot download or an artifact into S3 parts) got an old-generation limit
 * so close above it that V8 started incremental marking again as soon as each mark-compact ended: 63-66
 * mark-compacts per GiB streamed into S3 and about a third of the upload's CPU (`bench/pipeline/child.ts … none
 * s3`, 1 GiB: 3.3-3.4 CPU s; 2.1-2.2 with this flag and 1-3 mark-compacts). The flag sets a floor of 48 MiB under
 * the limit; heaps above it grow by the factor as before. bench/stack at 10× with and without it (the same
 * checkout, one run each): backup 13.9 s and 9.7 CPU s against 15.4 s and 11.5, restore 34.6 s and 15.9 CPU s
 * against 38.2 s and 18.5, peak RSS 215 and 200 MiB against 224 and 198; at 1× the peaks were 5-7 MiB higher
 * (192 and 174 MiB). 32 left half of the extra collections (36 per GiB), 24 all of them.
 *
 * `--no-concurrent-recompilation --no-concurrent-sparkplug` compile optimised and baseline code on the thread
 * that runs it instead of on V8's background threads. stackvault shares the machine with the store it talks to
 * (Redis, Neo4j) and, on two cores, the background compile jobs of its first milliseconds took CPU from that store
 * just when it had the most to do. Redis live restore of 30,000 keys (`bench/redis/child.ts restore`, eight
 * alternating runs each, medians): 0.111 s and 0.082 CPU s without, 0.096-0.099 s and 0.064-0.068 CPU s with
 * both (either alone did not move out of the noise); redis-cli --pipe of the same commands took 0.092-0.095 s.
 * No run got slower: the Neo4j cypher export at 1× 0.644 → 0.632 s (CPU 0.61 → 0.56 s), the RDB fetch at 10×
 * 1.03 → 0.99 s, the live restore at 10× 0.90 → 0.89 s, zstd into a local folder 294 → 310 MiB/s (1 GiB, four
 * runs each), peak RSS unchanged. `--single-threaded` gave the same restore time, but it also turns off V8's
 * parallel and concurrent garbage collection, which these measurements did not cover on the larger runs.
 *
 * `--expose-gc` lets a long byte stream ask for a minor collection every 16 MiB it moves, so that its dead
 * buffers are freed as they die (`streamed-garbage.ts` says why and what it saved).
 */
export const NODE_FLAGS: readonly string[] = ["--max-semi-space-size=8", "--heap-growing-percent=50", "--initial-old-space-size=48", "--no-concurrent-recompilation", "--no-concurrent-sparkplug", "--expose-gc"];

/**
 * glibc malloc settings of every stackvault process (ignored by other C libraries). Node's buffers above
 * 128 KiB (S3 parts, zstd windows, Neo4j statement batches) come from malloc, and by default glibc raises its
 * mmap threshold to the largest block freed (up to 32 MiB): after the first 8 MiB part was freed, every later
 * part came from the heap, whose freed pages stay mapped. The fixed threshold maps each large block and
 * unmaps it when freed. Compression and hashing run on Node's thread pool, and each thread gets an arena of
 * its own (up to 8 per core), each keeping freed memory: two arenas bound that. bench/stack at 10×, backup
 * peak RSS: 289-296 MiB without either, 252 with the arena cap, 256 with the threshold, 248-250 with both
 * (with `--expose-gc` in every case); the time did not move out of the machine's noise.
 */
export const MALLOC_ENV: Readonly<Record<string, string>> = { MALLOC_ARENA_MAX: "2", MALLOC_MMAP_THRESHOLD_: "131072" };

/** The {@link MALLOC_ENV} variables that `env` does not set already. */
export function missingMallocEnv(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  return Object.fromEntries(Object.entries(MALLOC_ENV).filter(([name]) => env[name] === undefined));
}

/**
 * The argv that starts `node` with the {@link NODE_FLAGS} and the {@link MALLOC_ENV} on a POSIX host, through
 * `env`: append the script and its arguments.
 */
export function nodeCommand(node: string): { program: string; args: string[] } {
  return { program: "env", args: [...Object.entries(MALLOC_ENV).map(([name, value]) => `${name}=${value}`), node, ...NODE_FLAGS] };
}

/**
 * The {@link NODE_FLAGS} that `execArgv` and `nodeOptions` (the NODE_OPTIONS variable) do not set already, with
 * any value or polarity (`--concurrent-sparkplug` given keeps `--no-concurrent-sparkplug` out).
 */
export function missingNodeFlags(execArgv: readonly string[], nodeOptions = ""): string[] {
  const given = new Set([...execArgv, ...nodeOptions.split(/\s+/)].map(flagName));
  return NODE_FLAGS.filter((flag) => !given.has(flagName(flag)));
}

// --- internal ---

/** `--no-name=value` → `--name`. */
function flagName(arg: string): string {
  return (arg.split("=")[0] ?? "").replace(/^--no-/, "--");
}
