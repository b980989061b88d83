/**
 * Builds the AWS SDK client of an S3 target from its options: validates bucket and prefix, loads the SDK
 * (lazily: only when an S3 target is opened), applies endpoint, path style, credentials, retries and timeouts
 * (connect, and idle per request: without them a stalled connection would hang a run forever), and resolves
 * the region.
 */
import type * as SdkModule from "@aws-sdk/client-s3";
import type { S3Client } from "@aws-sdk/client-s3";
import { ConfigError } from "../core/errors.ts";
import { assertObjectKey } from "./object-key.ts";
import { assertBucketName } from "./s3-errors.ts";

export interface S3TargetOptions {
  bucket: string;
  /** Key prefix inside the bucket (no leading or trailing `/`). @default "" */
  prefix?: string;
  /** AWS region. @default the SDK's chain (AWS_REGION, profile), or `us-east-1` with a custom endpoint */
  region?: string;
  /** Endpoint URL of an S3-compatible server. @default AWS S3 */
  endpoint?: string;
  /** Path-style URLs (`endpoint/bucket/key`). @default true with a custom endpoint, else false */
  forcePathStyle?: boolean;
  /** Explicit credentials. @default the SDK's default chain (env, profile, SSO, instance role) */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** Server-side encryption of new objects. @default none (the bucket's default applies) */
  sse?: "AES256" | "aws:kms";
  /** KMS key id or ARN with `sse: "aws:kms"`. @default the account's aws/s3 key */
  kmsKeyId?: string;
  /** Attempts per request, the first included (exponential backoff with jitter in between). @default 5 */
  maxAttempts?: number;
  /** Multipart part size in bytes (at least 5 MiB); the largest object is 10,000 parts. @default 8 MiB */
  partSize?: number;
  /** Parts uploaded concurrently. @default 4 */
  queueSize?: number;
  /** Give up connecting to the endpoint after this long (per attempt). @default 5000 */
  connectTimeoutMs?: number;
  /**
   * Abandon a request whose connection carries no byte, either way, for this long (a stalled server or
   * network); the attempt fails with a timeout and is retried like any transient error (up to
   * `maxAttempts`). It bounds silence, not duration: a long transfer that keeps moving is never cut. Raise it
   * for an S3-compatible server that assembles large multipart objects without answering in between.
   * @default 60000
   */
  requestTimeoutMs?: number;
}

/** What an S3 target needs to run: the loaded SDK, a client, and the checked options. */
export interface S3Connection {
  sdk: typeof SdkModule;
  client: S3Client;
  /** The options, with `region` resolved. */
  options: S3TargetOptions & { region: string };
  /** The key prefix without leading or trailing `/` (may be empty). */
  prefix: string;
}

/**
 * Checks the options and builds the client. Makes no request, but resolves the region (which may read the AWS
 * profile files).
 * @throws ConfigError for an invalid bucket name or prefix, or when no region can be found.
 */
export async function connectS3(options: S3TargetOptions): Promise<S3Connection> {
  assertBucketName(options.bucket);
  const prefix = (options.prefix ?? "").replace(/^\/+|\/+$/g, "");
  if (prefix !== "") {
    try {
      assertObjectKey(prefix, `s3://${options.bucket}`);
    } catch (err) {
      throw new ConfigError(`Invalid S3 prefix ${JSON.stringify(prefix)}: ${(err as Error).message}`, { cause: err });
    }
  }
  const sdk = await import("@aws-sdk/client-s3");
  const custom = options.endpoint !== undefined;
  const client = new sdk.S3Client({
    ...(options.region !== undefined ? { region: options.region } : custom ? { region: "us-east-1" } : {}),
    ...(custom ? { endpoint: options.endpoint } : {}),
    forcePathStyle: options.forcePathStyle ?? custom,
    ...(options.credentials !== undefined ? { credentials: options.credentials } : {}),
    maxAttempts: options.maxAttempts ?? 5,
    retryMode: "standard",
    // Multipart parts carry the CRC-32 that `s3-upload.ts` computes natively, and single puts are Buffers whose
    // sha256 SigV4 signs: S3 refuses bytes that differ from either. The SDK's default extra CRC-32 per request
    // (in JavaScript) would check the same bytes again. Where an operation requires a checksum (DeleteObjects),
    // the SDK still adds it.
    requestChecksumCalculation: "WHEN_REQUIRED",
    requestHandler: { connectionTimeout: options.connectTimeoutMs ?? 5000, socketTimeout: requestTimeoutMs(options) },
  });
  const region = await client.config.region().catch((err: unknown) => {
    throw new ConfigError(`No AWS region is configured for s3://${options.bucket}.`, {
      cause: err,
      hint: "Set the region in the configuration, or AWS_REGION, or in the AWS profile.",
    });
  });
  return { sdk, client, options: { ...options, region }, prefix };
}

/** The idle timeout of `options`' requests, in ms (see {@link S3TargetOptions.requestTimeoutMs}). */
export function requestTimeoutMs(options: S3TargetOptions): number {
  return options.requestTimeoutMs ?? 60_000;
}

