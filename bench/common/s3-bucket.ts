/**
 * A bucket of a benchmark's own on the test services' S3 server: made at the start of a run, removed with all
 * it holds at the end. The services' own bucket is versioned (the lock tests need that), so what a benchmark
 * deleted there kept its bytes as old versions, and repeated runs filled the disk until the server refused
 * writes. A fresh, unversioned bucket also makes every run start from the same state.
 */
import {
  AbortMultipartUploadCommand,
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectsCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  S3Client,
} from "@aws-sdk/client-s3";

/** Where a benchmark's S3 rows write: the services' endpoint and credentials, and the bench's bucket. */
export interface BenchS3 {
  endpoint: string;
  accessKey: string;
  secretKey: string;
  bucket: string;
}

/** The test services' S3 coordinates from `S3_*` variables (without a bucket), or undefined when unset. */
export function s3ServicesFromEnv(env: NodeJS.ProcessEnv = process.env): Omit<BenchS3, "bucket"> | undefined {
  const { S3_ENDPOINT: endpoint, S3_ACCESS_KEY: accessKey, S3_SECRET_KEY: secretKey } = env;
  if (!endpoint || !accessKey || !secretKey) return undefined;
  return { endpoint, accessKey, secretKey };
}

/** Makes the bucket `stackvault-bench-<name>-<pid>` on `s3`'s server. */
export async function makeBenchBucket(s3: Omit<BenchS3, "bucket">, name: string): Promise<BenchS3> {
  const bench = { ...s3, bucket: `stackvault-bench-${name}-${process.pid}` };
  const client = clientOf(bench);
  try {
    await client.send(new CreateBucketCommand({ Bucket: bench.bucket }));
  } finally {
    client.destroy();
  }
  return bench;
}

/** Removes the bench bucket with every object and unfinished multipart upload in it. */
export async function removeBenchBucket(s3: BenchS3): Promise<void> {
  const client = clientOf(s3);
  try {
    const Bucket = s3.bucket;
    for (;;) {
      const page = await client.send(new ListObjectsV2Command({ Bucket }));
      const keys = (page.Contents ?? []).flatMap((o) => (o.Key === undefined ? [] : [{ Key: o.Key }]));
      if (keys.length === 0) break;
      await client.send(new DeleteObjectsCommand({ Bucket, Delete: { Objects: keys, Quiet: true } }));
    }
    const uploads = await client.send(new ListMultipartUploadsCommand({ Bucket }));
    for (const u of uploads.Uploads ?? []) await client.send(new AbortMultipartUploadCommand({ Bucket, Key: u.Key, UploadId: u.UploadId }));
    await client.send(new DeleteBucketCommand({ Bucket }));
  } finally {
    client.destroy();
  }
}

/** The environment for the `aws` command line on `s3`'s server (credentials in the environment, never in argv). */
export function awsEnv(s3: Omit<BenchS3, "bucket">): NodeJS.ProcessEnv {
  return { ...process.env, AWS_ACCESS_KEY_ID: s3.accessKey, AWS_SECRET_ACCESS_KEY: s3.secretKey, AWS_DEFAULT_REGION: "us-east-1" };
}

// --- internal ---

function clientOf(s3: BenchS3): S3Client {
  return new S3Client({ endpoint: s3.endpoint, region: "us-east-1", forcePathStyle: true, credentials: { accessKeyId: s3.accessKey, secretAccessKey: s3.secretKey } });
}
