import { test } from "node:test";
import assert from "node:assert/strict";
import neo4j, { type Integer } from "neo4j-driver";
import temporalFactory from "neo4j-driver-bolt-connection/lib/bolt/temporal-factory.js";
import {
  fastTemporalFunctions, installFastTemporalHydration, originalTemporalFunctions, type TemporalFunctions,
} from "../../../src/engines/neo4j/temporal-hydration.ts";

/** Deterministic pseudo-random numbers (mulberry32), so that a failure can be replayed. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function setup(): { slow: TemporalFunctions; fast: TemporalFunctions } {
  assert.equal(installFastTemporalHydration(), true, "the driver's temporal-factory is not the one the fast decoding was written for");
  const slow = originalTemporalFunctions();
  assert.ok(slow);
  return { slow, fast: fastTemporalFunctions(slow) };
}

/** The value `f` returns, or the message of what it throws (the driver refuses years beyond ±999,999,999). */
function outcome(f: () => unknown): unknown {
  try {
    return f();
  } catch (err) {
    return { thrown: (err as Error).message };
  }
}

/** Same class and, field by field, equal `Integer`s (or equal plain values); or the same error. */
function assertSame(fast: () => unknown, slow: () => unknown, input: string): void {
  const [actual, expected] = [outcome(fast), outcome(slow)];
  assert.equal(Object.getPrototypeOf(actual), Object.getPrototypeOf(expected), input);
  const a = actual as Record<string, unknown>;
  const e = expected as Record<string, unknown>;
  assert.deepEqual(Object.keys(a), Object.keys(e), input);
  for (const key of Object.keys(e)) {
    if (neo4j.isInt(e[key])) {
      assert.ok(neo4j.isInt(a[key]), `${input}: ${key} is not an Integer`);
      const [x, y] = [a[key] as Integer, e[key] as Integer];
      assert.ok(x.low === y.low && x.high === y.high, `${input}: ${key} ${x.toString()} != ${y.toString()}`);
    } else {
      assert.equal(a[key], e[key], `${input}: ${key}`);
    }
  }
}

/** The forms a field arrives in: bigint (useBigInt), Integer (lossless default) and number. */
function forms(n: bigint): unknown[] {
  const out: unknown[] = [n, neo4j.int(n.toString())];
  if (n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER)) out.push(Number(n));
  return out;
}

function spread(rnd: () => number, count: number, max: number): bigint[] {
  return Array.from({ length: count }, () => BigInt(Math.round((rnd() * 2 - 1) * max)));
}

test("the fast decoding is installed in the driver this project pins", () => {
  const { slow } = setup();
  assert.notEqual(temporalFactory.epochDayToDate, slow.epochDayToDate);
  assert.notEqual(temporalFactory.epochSecondAndNanoToLocalDateTime, slow.epochSecondAndNanoToLocalDateTime);
  assert.equal(installFastTemporalHydration(), true, "a second call keeps it");
  assert.equal(originalTemporalFunctions(), slow, "a second call does not wrap the fast functions");
});

test("dates: same as the driver from year -999,999,999 to 999,999,999 and beyond the fast range", () => {
  const { slow, fast } = setup();
  const rnd = random(1);
  const cycle = 146_097n;
  const edges = [0n, -1n, 1n, -719_468n, -719_469n, -719_528n, 59n, 60n, 2_932_896n, -365_243_219_162n, 365_241_780_471n,
    10n ** 12n, 10n ** 12n + 1n, -(10n ** 12n) - 1n, 2n ** 53n, -(2n ** 53n), 2n ** 62n];
  for (let k = -3n; k <= 3n; k++) edges.push(k * cycle - 1n, k * cycle, k * cycle + 1n, k * cycle - 719_468n);
  const days = [...edges, ...spread(rnd, 20_000, 40_000), ...spread(rnd, 20_000, 4e6), ...spread(rnd, 20_000, 3.66e11)];
  for (const day of days) {
    for (const input of forms(day)) assertSame(() => fast.epochDayToDate(input), () => slow.epochDayToDate(input), `epochDay ${day}`);
  }
});

test("local times: same as the driver for every part of the day", () => {
  const { slow, fast } = setup();
  const rnd = random(2);
  const nanos = [0n, 1n, 999_999_999n, 1_000_000_000n, 3_599_999_999_999n, 3_600_000_000_000n, 86_399_999_999_999n,
    ...Array.from({ length: 30_000 }, () => BigInt(Math.floor(rnd() * 86_400e9)))];
  for (const n of nanos) {
    for (const input of forms(n)) assertSame(() => fast.nanoOfDayToLocalTime(input), () => slow.nanoOfDayToLocalTime(input), `nanoOfDay ${n}`);
  }
});

test("local datetimes: same as the driver, inside and outside the fast range", () => {
  const { slow, fast } = setup();
  const rnd = random(3);
  const seconds = [0n, -1n, 1n, 86_399n, 86_400n, -86_400n, -86_401n, 2n ** 53n - 1n, -(2n ** 53n) + 1n, 2n ** 53n, 31_556_889_864_403_199n,
    -31_557_014_167_219_200n, ...spread(rnd, 20_000, 4e9), ...spread(rnd, 20_000, 3.2e16)];
  const nanos = [0n, 1n, 999_999_999n];
  for (const s of seconds) {
    const nano = nanos[Math.floor(rnd() * 3)] ?? 0n;
    for (const input of forms(s)) {
      assertSame(() => fast.epochSecondAndNanoToLocalDateTime(input, nano), () => slow.epochSecondAndNanoToLocalDateTime(input, nano), `epochSecond ${s} nano ${nano}`);
    }
  }
});

test("int(): a bigint gives the same Integer as the driver's, across the whole int64 range", () => {
  const { slow, fast } = setup();
  const rnd = random(4);
  const values = [0n, 1n, -1n, 2n ** 53n - 1n, -(2n ** 53n) + 1n, 2n ** 53n, -(2n ** 53n), 2n ** 63n - 1n, -(2n ** 63n),
    ...spread(rnd, 20_000, 2 ** 40), ...spread(rnd, 20_000, 2 ** 53), ...spread(rnd, 5_000, 2 ** 63)];
  for (const v of values) {
    const [a, b] = [fast.int(v), slow.int(v)];
    assert.ok(a.low === b.low && a.high === b.high, `${v}: ${a.toString()} != ${b.toString()}`);
  }
  assert.equal(fast.int(7).toNumber(), 7, "other forms go to the driver");
  assert.equal(fast.int("-42").toString(), "-42");
});
