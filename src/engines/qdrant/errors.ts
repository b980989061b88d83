/**
 * How a failed Qdrant call becomes a stackvault error, the same for calls through `fetch` and for the streamed
 * snapshot transfers through `node:http`: a cancelled call is a `CancelledError`; an untrusted TLS certificate an
 * `EngineError` that says how to trust a private CA (never retried); any other failure to reach the server a
 * retryable `EngineError`; an answer with an error status a `NotFoundError` (404), an API-key refusal (401,
 * 403) or an `EngineError` carrying Qdrant's own message (retryable for 5xx). No message contains a secret.
 */
import { CancelledError, EngineError, NotFoundError } from "../../core/errors.ts";
import { redact } from "../../core/redact.ts";

/** An `EngineError` the client may retry (idempotent calls only). */
export type RetryableEngineError = EngineError & { retryable?: boolean };

/**
 * The error for a call that got no answer. `where` names the server and the call; `failure` is the low-level
 * error whose `code` (OpenSSL's, Node's) tells a certificate problem from a network one.
 */
export function unreachable(where: string, err: unknown, failure: (Error & { code?: string }) | undefined, signal: AbortSignal | undefined): Error {
  if (signal?.aborted && (signal.reason as Error | undefined)?.name !== "TimeoutError") return new CancelledError(`Cancelled while calling ${where}.`, { cause: err });
  if (isCertificateError(failure?.code)) {
    return new EngineError(`${where}: its TLS certificate is not trusted (${failure?.code ?? "certificate error"}: ${failure?.message ?? ""}).`, {
      cause: err,
      hint: "If Qdrant uses a private CA, trust it with NODE_EXTRA_CA_CERTS=/path/to/ca.pem; check that --qdrant-url names the host its certificate is for.",
    });
  }
  return Object.assign(new EngineError(`Cannot reach ${where}: ${redact(String(failure ?? (err as Error).message))}`, { cause: err, hint: "Check --qdrant-url and that Qdrant runs." }), { retryable: true });
}

/** The error for an answer with status `status` (not 2xx) and body `text` (Qdrant's JSON envelope or plain text). */
export function refused(where: string, status: number, text: string): Error {
  const body = redact(text.slice(0, 500));
  const message = extractError(body);
  if (status === 404) return new NotFoundError(`${where}: ${message || "not found"}`);
  if (status === 401 || status === 403) return new EngineError(`${where} refused the API key (${status}).`, { hint: "Set QDRANT_API_KEY (or QDRANT_API_KEY_FILE) to the server's key." });
  return Object.assign(new EngineError(`${where} answered ${status}: ${message || body}`), { retryable: status >= 500 });
}

// --- internal ---

/** OpenSSL and Node verification failures: retrying cannot help, the operator must trust the CA or fix the name. */
function isCertificateError(code: string | undefined): boolean {
  return code !== undefined && /^(UNABLE_TO_|SELF_SIGNED|DEPTH_ZERO|CERT_|ERR_TLS_CERT|HOSTNAME_MISMATCH)/.test(code);
}

function extractError(text: string): string {
  try {
    const parsed = JSON.parse(text) as { status?: { error?: string } };
    return parsed.status?.error ?? "";
  } catch {
    return text;
  }
}
