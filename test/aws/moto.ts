/** The AWS emulator of the harness (moto server, `AWS_ENDPOINT_URL`): clients, CLI environment, unique names. */
import { randomBytes } from "node:crypto";
import { S3Client } from "@aws-sdk/client-s3";
import { serviceEnv } from "../harness/env.ts";

/** Credentials moto accepts (any); never real ones. */
export const MOTO_CREDENTIALS = { accessKeyId: "testing", secretAccessKey: "testing" };

/** The emulator's endpoint; fails the test when the harness did not start it. */
export function motoEndpoint(): string {
  return serviceEnv("AWS_ENDPOINT_URL");
}

/** The environment a CLI child needs to talk to the emulator (SNS, CloudWatch and S3 through AWS_ENDPOINT_URL). */
export function motoCliEnv(region = "eu-west-1"): Record<string, string> {
  return {
    AWS_ENDPOINT_URL: motoEndpoint(),
    AWS_ACCESS_KEY_ID: MOTO_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: MOTO_CREDENTIALS.secretAccessKey,
    AWS_REGION: region,
    AWS_EC2_METADATA_DISABLED: "true",
  };
}

/** A raw S3 client on the emulator, to read settings back. */
export function motoS3(region = "eu-west-1"): S3Client {
  return new S3Client({ endpoint: motoEndpoint(), region, forcePathStyle: true, credentials: MOTO_CREDENTIALS });
}

/** A fresh bucket name, so that runs never share state. */
export function uniqueBucket(label: string): string {
  return `sv-${label}-${randomBytes(4).toString("hex")}`;
}
