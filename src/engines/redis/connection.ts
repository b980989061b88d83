/**
 * Where and how to reach Redis: parsed from a `redis://` or `rediss://` URL, with the password kept out of
 * logs. Shared by the replication fetch (raw socket) and the command client (ioredis).
 */
import net from "node:net";
import type tls from "node:tls";
import { Redis } from "ioredis";
import { ConfigError } from "../../core/errors.ts";
import { registerSecret } from "../../core/redact.ts";

export interface RedisConnectionOptions {
  host: string;
  port: number;
  /** ACL user; absent means the default user. */
  username?: string;
  password?: string;
  tls: boolean;
  /** Verify the server certificate (rediss:// only). @default true */
  tlsRejectUnauthorized?: boolean;
  /** PEM of the CA(s) to trust instead of the system's (rediss:// only). */
  tlsCa?: Buffer | string;
}

/** The options of a TLS connection to `options` (certificate checked unless disabled, SNI for names). */
export function tlsOptions(options: RedisConnectionOptions): tls.ConnectionOptions {
  return {
    host: options.host,
    port: options.port,
    servername: net.isIP(options.host) ? undefined : options.host,
    rejectUnauthorized: options.tlsRejectUnauthorized ?? true,
    ...(options.tlsCa === undefined ? {} : { ca: options.tlsCa }),
  };
}

/** Parses `redis[s]://[user[:password]@]host[:port][/db]`; `password` overrides the URL's. @throws ConfigError */
export function parseRedisUrl(url: string, password?: string): RedisConnectionOptions {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigError("The Redis URL is not a valid URL.", { hint: "Use redis://[user:password@]host:port or rediss://… for TLS." });
  }
  if (parsed.protocol !== "redis:" && parsed.protocol !== "rediss:") {
    throw new ConfigError(`The Redis URL must start with redis:// or rediss://, not ${parsed.protocol}//.`);
  }
  const options: RedisConnectionOptions = {
    host: parsed.hostname.replace(/^\[|\]$/g, "") || "127.0.0.1",
    port: parsed.port === "" ? 6379 : Number(parsed.port),
    tls: parsed.protocol === "rediss:",
  };
  const user = decodeURIComponent(parsed.username);
  const pass = password ?? (parsed.password === "" ? undefined : decodeURIComponent(parsed.password));
  if (pass !== undefined) {
    registerSecret(pass);
    options.password = pass;
    if (user !== "" && user !== "default") options.username = user;
  } else if (user !== "") {
    // redis://password@host is a common shorthand for the default user's password.
    registerSecret(user);
    options.password = user;
  }
  return options;
}

/**
 * An ioredis client on database `db`, connecting lazily, failing fast instead of retrying forever. Its
 * connection errors are kept for {@link connectionFailure} (ioredis rejects with a bare "Connection is closed").
 */
export function commandClient(options: RedisConnectionOptions, db = 0): Redis {
  const client = new Redis({
    host: options.host,
    port: options.port,
    username: options.username,
    password: options.password,
    db,
    tls: options.tls ? tlsOptions(options) : undefined,
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: true,
    retryStrategy: () => null,
  });
  client.on("error", (err: Error) => {
    if (!FAILURES.has(client)) FAILURES.set(client, err);
  });
  return client;
}

/** The connection error behind a failed command of a {@link commandClient}: the first one seen, else `err`. */
export function connectionFailure(client: Redis, err: unknown): unknown {
  return FAILURES.get(client) ?? err;
}

/** What to do about a failed connection: a TLS certificate problem names the CA option, anything else the URL. */
export function connectionHint(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === "string" && TLS_CERT_ERRORS.test(code)) {
    return "The server's TLS certificate is not trusted: pass the CA that signed it with --redis-tls-ca-file (and connect by the name or address the certificate carries).";
  }
  return "Check --redis-url and the password.";
}

// --- internal ---

const FAILURES = new WeakMap<Redis, Error>();
const TLS_CERT_ERRORS = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER/;
