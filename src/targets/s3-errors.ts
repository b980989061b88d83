/**
 * Maps AWS SDK errors to the project's typed errors, with messages that name the endpoint or bucket and say
 * what to do. Also holds the S3 bucket-name rules.
 */
import {
  CancelledError,
  ConfigError,
  isStackvaultError,
  NotFoundError,
  PreconditionFailedError,
  TargetError,
} from "../core/errors.ts";
import type { StackvaultError } from "../core/errors.ts";

export interface S3ErrorContext {
  /** What was being done, for the message: `writing stacks/x/latest`. */
  action: string;
  /** `s3://bucket/prefix`. */
  location: string;
  /** The endpoint URL that was called. */
  endpoint: string;
  bucket: string;
  signal?: AbortSignal | undefined;
  /** The idle timeout of a request, for the message of a stall. */
  requestTimeoutMs?: number;
}

/** Network error codes after which the endpoint is considered unreachable. */
const UNREACHABLE = ["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "ECONNRESET", "TimeoutError"];

/** The typed error for an SDK failure (errors that already are ours pass through). */
export function s3Error(err: unknown, ctx: S3ErrorContext): StackvaultError {
  if (isStackvaultError(err)) return err;
  const e = (typeof err === "object" && err !== null ? err : {}) as {
    name?: string;
    code?: string;
    message?: string;
    errors?: { code?: string }[];
    $metadata?: { httpStatusCode?: number; attempts?: number };
  };
  const name = e.name ?? "";
  const status = e.$metadata?.httpStatusCode;
  const attempts = e.$metadata?.attempts;
  const where = `${ctx.action} on ${ctx.location}`;
  if (ctx.signal?.aborted || name === "AbortError") return new CancelledError(`Cancelled: ${ctx.action}.`, { cause: err });
  if (name === "CredentialsProviderError" || /could not load credentials/i.test(e.message ?? "")) {
    return new ConfigError(`No AWS credentials were found for ${ctx.location}.`, {
      cause: err,
      hint: "Configure an AWS profile, SSO, environment credentials or an instance role, or set the S3 access key and secret in the configuration.",
    });
  }
  if (name === "NoSuchBucket") {
    return new TargetError(`The bucket ${ctx.bucket} does not exist (${where}).`, {
      cause: err,
      hint: "Create it first (`stackvault init`), or fix the bucket name.",
    });
  }
  if (name === "NoSuchKey" || name === "NotFound" || status === 404) {
    return new NotFoundError(`No object found (${where}).`, { cause: err });
  }
  if (name === "PreconditionFailed" || name === "ConditionalRequestConflict" || status === 412) {
    return new PreconditionFailedError(`The object changed or already exists (${where}).`, { cause: err });
  }
  if (name === "InvalidAccessKeyId" || name === "SignatureDoesNotMatch") {
    return new ConfigError(`${ctx.endpoint} rejected the credentials (${name}) while ${where}.`, {
      cause: err,
      hint: "Check the access key id and secret (or the AWS profile) used for this bucket.",
    });
  }
  if (name === "AccessDenied" || status === 403) {
    return new TargetError(`Access denied while ${where}.`, {
      cause: err,
      hint: `Grant the IAM identity s3:ListBucket on ${ctx.bucket} and s3:GetObject, s3:PutObject, s3:DeleteObject, s3:AbortMultipartUpload on its objects (plus kms:GenerateDataKey/kms:Decrypt with SSE-KMS).`,
    });
  }
  if (name === "InvalidRange" || status === 416) {
    return new TargetError(`The requested byte range is beyond the end of the object (${where}).`, { cause: err });
  }
  if (name === "TimeoutError" && /inactivity/.test(e.message ?? "")) {
    const silence = ctx.requestTimeoutMs === undefined ? "" : ` for ${ctx.requestTimeoutMs / 1000} s`;
    return new TargetError(`The S3 endpoint ${ctx.endpoint} stopped answering (no data${silence})${tries(attempts)} while ${where}.`, {
      cause: err,
      hint: "Check the network and the S3 server; for a server that is slow rather than stalled, raise s3.requestTimeout (--s3-request-timeout).",
    });
  }
  const netCode = [e.code, name, ...(e.errors ?? []).map((x) => x.code)].find((c) => c !== undefined && UNREACHABLE.includes(c));
  if (netCode !== undefined) {
    return new TargetError(`Cannot reach the S3 endpoint ${ctx.endpoint} (${netCode})${tries(attempts)} while ${where}.`, {
      cause: err,
      hint: "Check the endpoint URL, the network, and that the S3 server is running.",
    });
  }
  return new TargetError(`S3 request failed while ${where}: ${name || "error"}${status ? ` (HTTP ${status})` : ""}: ${e.message ?? String(err)}`, {
    cause: err,
  });
}

/**
 * Checks a bucket name against the S3 rules for general purpose buckets.
 * @returns `name` unchanged.
 * @throws ConfigError saying which rule it breaks.
 */
export function assertBucketName(name: string): string {
  const problem = bucketProblem(name);
  if (problem !== undefined) {
    throw new ConfigError(`${JSON.stringify(name)} is not a valid S3 bucket name: ${problem}.`, {
      hint: "A bucket name has 3–63 lowercase letters, digits, '.' or '-', starts and ends with a letter or digit, and is not an IP address.",
    });
  }
  return name;
}

// --- internal ---

function tries(attempts: number | undefined): string {
  return attempts === undefined ? "" : ` after ${attempts} attempt${attempts === 1 ? "" : "s"}`;
}

function bucketProblem(name: string): string | undefined {
  if (name.length < 3 || name.length > 63) return `it has ${name.length} characters (3 to 63 allowed)`;
  const bad = /[^a-z0-9.-]/.exec(name);
  if (bad) return `character ${JSON.stringify(bad[0])} is not allowed${/[A-Z]/.test(bad[0]) ? " (use lowercase)" : ""}`;
  if (!/^[a-z0-9].*[a-z0-9]$/.test(name)) return "it must start and end with a letter or a digit";
  if (name.includes("..")) return "it contains '..'";
  if (/^\d+\.\d+\.\d+\.\d+$/.test(name)) return "it looks like an IP address";
  for (const p of ["xn--", "sthree-", "amzn-s3-demo-"]) if (name.startsWith(p)) return `the prefix '${p}' is reserved`;
  for (const s of ["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"]) if (name.endsWith(s)) return `the suffix '${s}' is reserved`;
  return undefined;
}
