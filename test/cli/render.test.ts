import { test } from "node:test";
import assert from "node:assert/strict";
import { Emitter } from "../../src/core/events.ts";
import type { StackvaultEvent } from "../../src/core/events.ts";
import { clearSecrets, registerSecret } from "../../src/core/redact.ts";
import type { Io, OutStream } from "../../src/cli/io.ts";
import { createRenderer } from "../../src/cli/render/index.ts";
import { clock } from "../../src/cli/render/log.ts";
import { ProgressView } from "../../src/cli/render/progress.ts";

function stream(isTTY = false): OutStream & { text: string } {
  const s = { text: "", isTTY, columns: 100, write: (chunk: string) => (s.text += chunk) };
  return s;
}

function io(tty = false): Io & { stdout: { text: string }; stderr: { text: string } } {
  return { stdout: stream(tty), stderr: stream(tty), env: {}, cwd: "." };
}

test("the human log follows the seed: [HH:MM:SS] [n/7] title and indented ✓ lines", () => {
  const out = io();
  const r = createRenderer({ json: false, quiet: false, verbose: false, color: true }, out);
  const e = new Emitter(r.sink);
  e.step(1, 7, "Prepare");
  e.ok("Bucket: s3://knowwhere-backups-1");
  e.info("Location: s3://knowwhere-backups-1/stacks/dev/");
  e.log("debug", "hidden without --verbose");
  e.warn("worker did not stop in time");
  r.close();
  const lines = out.stdout.text.split("\n");
  assert.match(lines[0] ?? "", /^\[\d\d:\d\d:\d\d\] \[1\/7\] Prepare$/);
  assert.match(lines[1] ?? "", /^\[\d\d:\d\d:\d\d\] {3}✓ Bucket: s3:\/\/knowwhere-backups-1$/);
  assert.match(lines[2] ?? "", /^\[\d\d:\d\d:\d\d\] Location: /);
  assert.ok(!out.stdout.text.includes("hidden"));
  assert.ok(!out.stdout.text.includes("\x1b["), "no colours when stdout is not a terminal");
  assert.match(out.stderr.text, /⚠ worker did not stop in time/);
});

test("--quiet keeps warnings only; --verbose shows debug lines", () => {
  const quiet = io();
  const q = createRenderer({ json: false, quiet: true, verbose: false, color: false }, quiet);
  new Emitter(q.sink).step(1, 7, "Prepare");
  new Emitter(q.sink).warn("careful");
  assert.equal(quiet.stdout.text, "");
  assert.match(quiet.stderr.text, /careful/);
  const verbose = io();
  new Emitter(createRenderer({ json: false, quiet: false, verbose: true, color: false }, verbose).sink).log("debug", "details");
  assert.match(verbose.stdout.text, /details/);
});

test("--json prints one JSON object per event, throttles progress, redacts, and prints the result document", () => {
  clearSecrets();
  registerSecret("pa55word-xyz");
  const out = io();
  const r = createRenderer({ json: true, quiet: false, verbose: false, color: true }, out);
  const e = new Emitter(r.sink);
  e.step(3, 7, "Neo4j");
  e.ok("connected with pa55word-xyz");
  for (let i = 1; i <= 50; i++) e.emit({ type: "progress", id: "neo4j", label: "neo4j", bytes: i * 10, total: 500 });
  e.emit({ type: "progress-end", id: "neo4j" });
  r.result({ type: "result", ok: true, note: "pa55word-xyz" }, "ignored text");
  const docs = out.stdout.text.trim().split("\n").map((l) => JSON.parse(l) as StackvaultEvent & Record<string, unknown>);
  assert.deepEqual(docs.map((d) => d.type), ["step", "ok", "progress", "progress", "progress-end", "result"]);
  assert.equal(docs[3]?.bytes, 500, "the final progress event always passes");
  assert.equal(docs[1]?.message, "connected with ***");
  assert.equal(docs[5]?.note, "***");
  assert.equal(out.stderr.text, "");
  clearSecrets();
});

test("progress off a terminal: periodic plain lines and a summary line, no carriage returns", () => {
  let now = 0;
  const s = stream(false);
  const p = new ProgressView({ stream: s, tty: false, plainIntervalMs: 1000, now: () => now });
  for (let i = 1; i <= 30; i++) {
    now = (i - 1) * 100;
    p.update("q", "knowbase", i * 1024 * 1024, 30 * 1024 * 1024);
  }
  now = 3000;
  p.end("q");
  const lines = s.text.trim().split("\n");
  assert.equal(lines.length, 3, s.text);
  assert.match(lines[0] ?? "", /^knowbase {2}\[#+·*\] +\d+% [\d.]+ MiB \/ 30\.0 MiB {2}[\d.]+ MiB\/s ETA /);
  assert.match(lines[2] ?? "", /^knowbase: 30\.0 MiB in 3\.0s \(10\.0 MiB\/s\)$/);
  assert.ok(!s.text.includes("\r"));
});

test("progress on a terminal: redraws in place with rate and ETA, unknown totals show bytes and rate", () => {
  let now = 0;
  const s = stream(true);
  const p = new ProgressView({ stream: s, tty: true, now: () => now });
  now = 1000;
  p.update("a", "redis", 0, 100 * 1024 * 1024);
  now = 2000;
  p.update("a", "redis", 50 * 1024 * 1024, 100 * 1024 * 1024);
  assert.match(s.text, /redis {2}\[#+·+\] {2}50% 50\.0 MiB \/ 100 MiB {2}50\.0 MiB\/s ETA 1\.0s/);
  now = 3000;
  p.update("b", "neo4j", 2048, undefined);
  assert.match(s.text, /neo4j {2}2\.0 KiB/);
  now = 4000;
  p.update("b", "neo4j", 4096, undefined);
  assert.ok(s.text.includes("\x1b[1A\x1b[2K"), "the previous lines are erased before a redraw");
  p.close();
  assert.ok(s.text.endsWith("\r\x1b[2K") || s.text.endsWith("\x1b[2K"));
});

test("clock prints local HH:MM:SS", () => {
  const d = new Date(2025, 9, 25, 14, 30, 5);
  assert.equal(clock(d.toISOString()), "14:30:05");
});
