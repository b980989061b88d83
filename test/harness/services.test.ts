/**
 * Proves the non-S3 test services answer as the suites expect: Redis, sshd (key login and a known_hosts line
 * that verifies the host key), the AWS emulator (STS) and the RQ worker (a job enqueued through the venv's
 * python finishes on it).
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { promisify } from "node:util";
import { Redis } from "ioredis";
import ssh2 from "ssh2";
import { serviceEnv } from "./env.ts";
import { loadServices } from "./services/index.ts";

const exec = promisify(execFile);
const { Client, utils } = ssh2;

describe("harness coordinates", () => {
  it("has every coordinate of the services contract in the environment", async () => {
    const names = new Set((await loadServices()).map((s) => s.name));
    const required = [
      "REDIS_URL",
      ...["S3", "S3B"].flatMap((p) => ["ENDPOINT", "ACCESS_KEY", "SECRET_KEY", "BUCKET", "REGION"].map((k) => `${p}_${k}`)),
      "AWS_ENDPOINT_URL",
      ...["HOST", "PORT", "USER", "KEY_FILE", "KNOWN_HOSTS"].map((k) => `SSH_${k}`),
      ...["REDIS_URL", "QUEUE", "WORKER_NAME", "WORKER_PID", "PYTHON", "JOBS_MODULE", "CLIENT"].map((k) => `RQ_${k}`),
      ...(names.has("qdrant") ? ["QDRANT_URL"] : []),
      ...(names.has("neo4j") ? ["NEO4J_URI", "NEO4J_USER", "NEO4J_PASSWORD"] : []),
    ];
    const missing = required.filter((name) => (process.env[name] ?? "") === "");
    assert.deepEqual(missing, [], `missing coordinates: ${missing.join(", ")}; run \`npm run services -- start\``);
    assert.match(serviceEnv("S3_ENDPOINT"), /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.match(serviceEnv("S3B_ENDPOINT"), /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.notEqual(serviceEnv("S3_ENDPOINT"), serviceEnv("S3B_ENDPOINT"));
  });
});

describe("harness Redis", () => {
  it("answers PING and has the test configuration", async () => {
    const redis = new Redis(serviceEnv("REDIS_URL"), { maxRetriesPerRequest: 1 });
    try {
      assert.equal(await redis.ping(), "PONG");
      assert.deepEqual(await redis.config("GET", "repl-diskless-sync-delay"), ["repl-diskless-sync-delay", "0"]);
      assert.deepEqual(await redis.config("GET", "databases"), ["databases", "16"]);
      assert.match(await redis.info("server"), /redis_version:7\./);
    } finally {
      redis.disconnect();
    }
  });
});

describe("harness sshd", () => {
  it("accepts the client key and presents the host key of the known_hosts line", async () => {
    const port = Number(serviceEnv("SSH_PORT"));
    const line = readFileSync(serviceEnv("SSH_KNOWN_HOSTS"), "utf8").trim();
    const [pattern, type, base64] = line.split(/\s+/);
    assert.equal(pattern, `[${serviceEnv("SSH_HOST")}]:${port}`);
    assert.equal(type, "ssh-ed25519");
    const expected = Buffer.from(base64 ?? "", "base64");
    const output = await sshExec(readFileSync(serviceEnv("SSH_KEY_FILE")), expected, "echo hello-from-sshd; id -un");
    assert.equal(output, `hello-from-sshd\n${serviceEnv("SSH_USER")}\n`);
  });

  it("refuses a key that is not authorised", async () => {
    // ecdsa: ssh2's ed25519 generator writes an unparseable key about once in a hundred.
    const stranger = utils.generateKeyPairSync("ecdsa", { bits: 256 });
    const line = readFileSync(serviceEnv("SSH_KNOWN_HOSTS"), "utf8").trim();
    const expected = Buffer.from(line.split(/\s+/)[2] ?? "", "base64");
    await assert.rejects(sshExec(Buffer.from(stranger.private), expected, "true"), /authentication/i);
  });

  it("fails the connection when the host key differs from known_hosts", async () => {
    await assert.rejects(sshExec(readFileSync(serviceEnv("SSH_KEY_FILE")), Buffer.from("not the key"), "true"), /verification/i);
  });
});

describe("harness AWS emulator", () => {
  it("answers STS GetCallerIdentity", async () => {
    const response = await fetch(`${serviceEnv("AWS_ENDPOINT_URL")}/`, {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        authorization: "AWS4-HMAC-SHA256 Credential=AKIAHARNESSTEST/20260101/us-east-1/sts/aws4_request, SignedHeaders=host, Signature=0",
      },
      body: "Action=GetCallerIdentity&Version=2011-06-15",
    });
    assert.equal(response.status, 200);
    const body = await response.text();
    assert.match(body, /<Account>123456789012<\/Account>/);
    assert.match(body, /<Arn>arn:aws:sts::123456789012:user\/moto<\/Arn>/);
  });
});

describe("harness RQ worker", () => {
  const client = (...args: string[]): Promise<{ stdout: string }> =>
    exec(serviceEnv("RQ_PYTHON"), [serviceEnv("RQ_CLIENT"), "--url", serviceEnv("RQ_REDIS_URL"), "--queue", serviceEnv("RQ_QUEUE"), ...args], {
      cwd: serviceEnv("RQ_JOBS_MODULE"),
    });

  it("runs an enqueued job to completion on the named worker", async () => {
    const { stdout } = await client("--timeout", "60", "run", "jobs.add", "[20, 22]");
    const report = JSON.parse(stdout) as { status: string; result: unknown; worker: string };
    assert.deepEqual({ status: report.status, result: report.result, worker: report.worker }, { status: "finished", result: 42, worker: serviceEnv("RQ_WORKER_NAME") });
  });

  it("records a failing job as failed", async () => {
    const { stdout } = await client("--timeout", "60", "run", "jobs.fail");
    assert.equal((JSON.parse(stdout) as { status: string }).status, "failed");
  });

  it("runs as the recorded pid", () => {
    const pid = Number(serviceEnv("RQ_WORKER_PID"));
    assert.doesNotThrow(() => process.kill(pid, 0));
    assert.match(readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " "), /rq\.cli worker .*harness/);
  });
});

// --- internal ---

function sshExec(privateKey: Buffer, expectedHostKey: Buffer, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const connection = new Client();
    let output = "";
    connection
      .on("ready", () => {
        connection.exec(command, (error, stream) => {
          if (error) return reject(error);
          stream.on("data", (chunk: Buffer) => (output += chunk.toString()));
          stream.on("close", () => (connection.end(), resolve(output)));
        });
      })
      .on("error", reject)
      .connect({
        host: serviceEnv("SSH_HOST"),
        port: Number(serviceEnv("SSH_PORT")),
        username: serviceEnv("SSH_USER"),
        privateKey,
        hostVerifier: (key: Buffer) => key.equals(expectedHostKey),
        readyTimeout: 10_000,
      });
  });
}
