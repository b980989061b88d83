/**
 * Read-only checks run side by side: a plan's preflight asks every store and the target questions that do
 * not depend on each other, so waiting for them one after another only adds their latencies.
 */

/**
 * Runs `checks` at once, each with a signal that aborts when `signal` does or when another check fails.
 * Resolves with their results in order; rejects with the error of the check that failed first, once every
 * check has settled (so none is left running behind the caller).
 */
export async function sideBySide<T extends readonly unknown[]>(
  signal: AbortSignal,
  checks: { readonly [K in keyof T]: (signal: AbortSignal) => Promise<T[K]> },
): Promise<T> {
  const stop = new AbortController();
  const each = AbortSignal.any([signal, stop.signal]);
  let first: { error: unknown } | undefined;
  const settled = await Promise.allSettled(
    checks.map(async (check) => {
      try {
        return await check(each);
      } catch (error) {
        if (first === undefined) {
          first = { error };
          stop.abort(error);
        }
        throw error;
      }
    }),
  );
  if (first !== undefined) throw first.error;
  return settled.map((s) => (s as PromiseFulfilledResult<unknown>).value) as unknown as T;
}
