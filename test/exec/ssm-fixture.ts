/**
 * The `ssm` executor's test fixture: the SSM stand-in (test/ssm-standin) whose "instance" is this machine,
 * with the versitygw S3 server's coordinates in place of an instance role, and an exchange prefix of its own
 * in the test bucket.
 */
import { randomBytes } from "node:crypto";
import { mkdtemp } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { ListObjectsV2Command } from "@aws-sdk/client-s3";
import { SSMClient } from "@aws-sdk/client-ssm";
import type { SsmExchange } from "../../src/exec/ssm-exchange.ts";
import { startSsmStandin } from "../ssm-standin/server.ts";
import type { SsmStandin } from "../ssm-standin/server.ts";
import { ensureBucket, rawClient, s3Coordinates } from "../targets/s3-env.ts";
import type { S3Coordinates } from "../targets/s3-env.ts";

export const INSTANCE_ID = "i-0123456789abcdef0";

export interface SsmFixture {
  standin: SsmStandin;
  ssm: SSMClient;
  exchange: SsmExchange;
  s3: S3Coordinates;
  /** Keys left under the exchange prefix. */
  leftovers(): Promise<string[]>;
  close(): Promise<void>;
}

export async function ssmFixture(): Promise<SsmFixture> {
  const s3 = s3Coordinates("S3");
  await ensureBucket(s3);
  const home = await mkdtemp(path.join(os.tmpdir(), "sv-ssm-home-"));
  const standin = await startSsmStandin({
    instanceIds: [INSTANCE_ID],
    env: {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: home,
      AWS_ACCESS_KEY_ID: s3.accessKeyId,
      AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
      AWS_ENDPOINT_URL: s3.endpoint,
      AWS_DEFAULT_REGION: "us-east-1",
      AWS_EC2_METADATA_DISABLED: "true",
    },
  });
  const ssm = new SSMClient({ endpoint: standin.endpoint, region: "eu-west-1", credentials: { accessKeyId: "operator", secretAccessKey: "operator-secret" } });
  const client = rawClient(s3);
  const prefix = `ssm-exchange-${randomBytes(3).toString("hex")}`;
  return {
    standin,
    ssm,
    exchange: { s3: client, bucket: s3.bucket, prefix, sse: "none" },
    s3,
    leftovers: async () => ((await client.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: `${prefix}/` }))).Contents ?? []).map((o) => o.Key ?? ""),
    close: async () => {
      ssm.destroy();
      await standin.close();
    },
  };
}
