/** Joining a command's failure with the errors of its clean-up steps, so that none is dropped. */

/**
 * Throws `failure` if there was one (clean-up errors attached as `suppressed`), else the clean-up error, else
 * an `AggregateError` of several; returns when everything succeeded.
 */
export function joinCleanupErrors(failure: unknown, cleanupErrors: readonly unknown[]): void {
  if (failure !== undefined) {
    if (cleanupErrors.length > 0 && failure !== null && typeof failure === "object") {
      Object.defineProperty(failure, "suppressed", { value: cleanupErrors, enumerable: false, configurable: true });
    }
    throw failure;
  }
  if (cleanupErrors.length === 1) throw cleanupErrors[0];
  if (cleanupErrors.length > 1) throw new AggregateError(cleanupErrors, "Several clean-up steps failed.");
}
