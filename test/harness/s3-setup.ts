/**
 * What both S3 servers of the harness share: credentials generated once per state folder (kept in a 0600
 * file, never in argv), readiness through a real signed S3 call, and an idempotent versioned bucket.
 */
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import {
  BucketAlreadyOwnedByYou,
  CreateBucketCommand,
  GetBucketVersioningCommand,
  ListBucketsCommand,
  PutBucketVersioningCommand,
  S3Client,
} from "@aws-sdk/client-s3";

/** An access key pair of a test S3 server. */
export interface S3Credentials {
  accessKey: string;
  secretKey: string;
}

/** The region every harness S3 client uses. */
export const S3_REGION = "us-east-1";

/** Reads `<stateDir>/credentials.json`, creating random credentials the first time. */
export function s3Credentials(stateDir: string): S3Credentials {
  const file = path.join(stateDir, "credentials.json");
  if (existsSync(file)) return JSON.parse(readFileSync(file, "utf8")) as S3Credentials;
  const credentials = {
    accessKey: `SV${randomBytes(9).toString("hex").toUpperCase()}`,
    secretKey: randomBytes(30).toString("base64url"),
  };
  writeFileSync(file, JSON.stringify(credentials), { mode: 0o600 });
  return credentials;
}

/** A path-style client of the test server at `endpoint`. */
export function s3Client(endpoint: string, credentials: S3Credentials): S3Client {
  return new S3Client({
    endpoint,
    region: S3_REGION,
    forcePathStyle: true,
    credentials: { accessKeyId: credentials.accessKey, secretAccessKey: credentials.secretKey },
    maxAttempts: 1,
  });
}

/** Resolves true once a signed ListBuckets succeeds. */
export async function s3Ready(client: S3Client): Promise<boolean> {
  await client.send(new ListBucketsCommand({}));
  return true;
}

/** Creates `bucket` unless it exists, turns versioning on, and checks that it reads back as Enabled. */
export async function ensureVersionedBucket(client: S3Client, bucket: string): Promise<void> {
  try {
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
  } catch (error) {
    const name = (error as { name?: string }).name;
    if (!(error instanceof BucketAlreadyOwnedByYou) && name !== "BucketAlreadyOwnedByYou" && name !== "BucketAlreadyExists") throw error;
  }
  await client.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: "Enabled" } }));
  const versioning = await client.send(new GetBucketVersioningCommand({ Bucket: bucket }));
  if (versioning.Status !== "Enabled") throw new Error(`bucket ${bucket}: versioning reads back as ${versioning.Status ?? "unset"}, not Enabled`);
}
