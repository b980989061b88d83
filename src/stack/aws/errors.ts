/** Maps AWS SDK failures of control-plane calls (bucket settings, SNS, CloudWatch) to the typed errors. */
import { CancelledError, CloudError, ConfigError, isStackvaultError } from "../../core/errors.ts";
import type { StackvaultError } from "../../core/errors.ts";

/** The typed error for an SDK failure while doing `action` (errors that already are ours pass through). */
export function awsError(err: unknown, action: string, signal?: AbortSignal): StackvaultError {
  if (isStackvaultError(err)) return err;
  const e = (typeof err === "object" && err !== null ? err : {}) as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const name = e.name ?? "";
  if (signal?.aborted === true || name === "AbortError") return new CancelledError(`Cancelled: ${action}.`, { cause: err });
  if (name === "CredentialsProviderError" || /could not load credentials/i.test(e.message ?? "")) {
    return new ConfigError(`No AWS credentials were found (${action}).`, {
      cause: err,
      hint: "Configure an AWS profile, SSO, environment credentials or an instance role.",
    });
  }
  const status = e.$metadata?.httpStatusCode;
  const hint =
    name === "AccessDenied" || status === 403
      ? "The AWS identity lacks a permission for this call; see `stackvault iam-policy` and the README's AWS section."
      : undefined;
  return new CloudError(`AWS refused ${action}: ${name || "error"}${e.message ? ` (${e.message})` : ""}.`, { cause: err, ...(hint ? { hint } : {}) });
}

/** The SDK error's name (`NoSuchBucket`, `NotFound`…), or "" for other values. */
export function awsErrorName(err: unknown): string {
  return typeof err === "object" && err !== null && typeof (err as { name?: unknown }).name === "string" ? (err as { name: string }).name : "";
}

/** The HTTP status of an SDK error, when it has one. */
export function awsStatus(err: unknown): number | undefined {
  return (err as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
}
