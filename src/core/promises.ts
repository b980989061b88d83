/**
 * Promise helpers shared by the engines.
 */

/**
 * Returns `promise` with a no-op rejection handler attached, for a promise that is awaited later (or by someone
 * else): its rejection is still thrown where it is awaited, but is not reported as unhandled while nothing
 * awaits it yet.
 */
export function quiet<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => {});
  return promise;
}
