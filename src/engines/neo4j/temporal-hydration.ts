/**
 * Faster decoding of Neo4j's temporal values by neo4j-driver, with the same results.
 *
 * The driver turns each DATE, LOCAL TIME, LOCAL DATETIME and DATETIME it receives into its year, month, day,
 * hour… with its 64-bit `Integer` class: about thirty `Integer` operations per value, each a new object, and
 * long divisions that loop. With `useBigInt` (stackvault's setting) each field of the structure arrives as a
 * bigint and `int(bigint)` parses its decimal text. On the reference graph that was about 500 of the 784 MiB the
 * 1× export allocated, and garbage collection a quarter of its CPU. With this module, `bench/neo4j/child.ts
 * export-cypher` on the 1× graph (six alternating runs each, same output byte for byte) took 0.62-0.75 CPU s,
 * mostly 0.64, against 0.71-0.75 CPU s without it; at 10× the bench's export went from 1.46× to 1.56× APOC's.
 *
 * {@link installFastTemporalHydration} replaces the three functions of the driver's `temporal-factory` module
 * that do this arithmetic, and the bigint case of `int()`, by versions that compute with plain numbers whenever
 * every value involved is below 2^53 (exact in a double; that covers every year up to about 285 million) and call
 * the driver's own code otherwise. They return the same classes with the same `Integer` fields, so everything
 * downstream (the driver's conversion to bigint, our literal writer) sees what it saw before.
 * `test/engines/neo4j/temporal-hydration.test.ts` compares both on hundreds of thousands of values across the
 * whole range, and the engine's fidelity tests round-trip every temporal type through a real server.
 *
 * Why a replacement inside the driver: the driver has no hook for custom decoding, and its transformers call
 * these functions through their modules' export objects, so replacing the exports is enough. The functions are
 * internal: when a driver upgrade changes them, {@link installFastTemporalHydration} finds the shape it does not
 * know, changes nothing and returns false (the driver keeps its own, slower code), and the test that asserts the
 * replacement is active fails, so that the upgrade gets looked at.
 */
import integerModule from "neo4j-driver-core/lib/integer.js";
import temporalFactory from "neo4j-driver-bolt-connection/lib/bolt/temporal-factory.js";
import neo4j, { type Integer } from "neo4j-driver";

/** The driver's own functions, kept for values outside the fast range and for the equivalence test. */
export interface TemporalFunctions {
  epochDayToDate(epochDay: unknown): unknown;
  nanoOfDayToLocalTime(nanoOfDay: unknown): unknown;
  epochSecondAndNanoToLocalDateTime(epochSecond: unknown, nano: unknown): unknown;
  int(value: unknown, options?: unknown): Integer;
}

let original: TemporalFunctions | undefined;

/**
 * Installs the fast temporal decoding into the loaded neo4j-driver (once per process; later calls do nothing).
 * @returns true when the fast functions are in place, false when the driver's internals are not the ones this
 * was written for (6.x) and nothing was changed.
 */
export function installFastTemporalHydration(): boolean {
  if (original !== undefined) return true;
  const IntegerClass = integerModule.default as IntegerStatics | undefined;
  const factory = temporalFactory as Partial<TemporalFunctions>;
  if (
    typeof IntegerClass?.fromValue !== "function" || typeof IntegerClass.fromNumber !== "function" ||
    typeof integerModule.int !== "function" || integerModule.int !== IntegerClass.fromValue ||
    typeof factory.epochDayToDate !== "function" || typeof factory.nanoOfDayToLocalTime !== "function" ||
    typeof factory.epochSecondAndNanoToLocalDateTime !== "function"
  ) return false;
  const kept: TemporalFunctions = {
    epochDayToDate: factory.epochDayToDate,
    nanoOfDayToLocalTime: factory.nanoOfDayToLocalTime,
    epochSecondAndNanoToLocalDateTime: factory.epochSecondAndNanoToLocalDateTime,
    int: integerModule.int as TemporalFunctions["int"],
  };
  const fast = fastTemporalFunctions(kept, IntegerClass);
  // `int` is the same function as `Integer.fromValue`, which `Integer`'s own methods call on their arguments.
  IntegerClass.fromValue = fast.int;
  integerModule.int = fast.int;
  temporalFactory.epochDayToDate = fast.epochDayToDate;
  temporalFactory.nanoOfDayToLocalTime = fast.nanoOfDayToLocalTime;
  temporalFactory.epochSecondAndNanoToLocalDateTime = fast.epochSecondAndNanoToLocalDateTime;
  original = kept;
  return true;
}

/** The driver's own functions as they were before {@link installFastTemporalHydration}, once it has run. */
export function originalTemporalFunctions(): TemporalFunctions | undefined {
  return original;
}

/**
 * The fast functions, falling back to `slow` (the driver's) whenever a value is not a safe integer. Exported for
 * the equivalence test.
 */
export function fastTemporalFunctions(slow: TemporalFunctions, IntegerClass: IntegerStatics = integerModule.default as IntegerStatics): TemporalFunctions {
  const fromNumber = (n: number): Integer => IntegerClass.fromNumber(n);
  const safe = (v: unknown): number | undefined => {
    if (typeof v === "bigint") return v > -SAFE_BIGINT && v < SAFE_BIGINT ? Number(v) : undefined;
    if (typeof v === "number") return Number.isSafeInteger(v) ? v : undefined;
    if (neo4j.isInt(v)) return (v as Integer).inSafeRange() ? (v as Integer).toNumber() : undefined;
    return undefined;
  };
  const localTime = (nanoOfDay: number): [number, number, number, number] => {
    const hour = Math.trunc(nanoOfDay / NANOS_PER_HOUR);
    let rest = nanoOfDay - hour * NANOS_PER_HOUR;
    const minute = Math.trunc(rest / NANOS_PER_MINUTE);
    rest -= minute * NANOS_PER_MINUTE;
    const second = Math.trunc(rest / NANOS_PER_SECOND);
    return [hour, minute, second, rest - second * NANOS_PER_SECOND];
  };
  return {
    int(value, options) {
      if (typeof value === "bigint" && value > -SAFE_BIGINT && value < SAFE_BIGINT) return fromNumber(Number(value));
      return slow.int(value, options);
    },
    epochDayToDate(epochDay) {
      const day = safe(epochDay);
      if (day === undefined || Math.abs(day) > MAX_FAST_EPOCH_DAY) return slow.epochDayToDate(epochDay);
      const [y, m, d] = civilDate(day);
      return new neo4j.types.Date(fromNumber(y), fromNumber(m), fromNumber(d));
    },
    nanoOfDayToLocalTime(nanoOfDay) {
      const nanos = safe(nanoOfDay);
      if (nanos === undefined) return slow.nanoOfDayToLocalTime(nanoOfDay);
      const [h, mi, s, n] = localTime(nanos);
      return new neo4j.types.LocalTime(fromNumber(h), fromNumber(mi), fromNumber(s), fromNumber(n));
    },
    epochSecondAndNanoToLocalDateTime(epochSecond, nano) {
      const seconds = safe(epochSecond);
      const nanos = safe(nano);
      // The seconds of the day in nanoseconds (under 8.64e13) plus `nano` stay below 2^53 while |nano| ≤ 10^15.
      if (seconds === undefined || nanos === undefined || Math.abs(nanos) > MAX_FAST_NANO) return slow.epochSecondAndNanoToLocalDateTime(epochSecond, nano);
      const epochDay = Math.floor(seconds / SECONDS_PER_DAY);
      const [y, m, d] = civilDate(epochDay);
      const [h, mi, s, n] = localTime((seconds - epochDay * SECONDS_PER_DAY) * NANOS_PER_SECOND + nanos);
      return new neo4j.types.LocalDateTime(fromNumber(y), fromNumber(m), fromNumber(d), fromNumber(h), fromNumber(mi), fromNumber(s), fromNumber(n));
    },
  };
}

/** What this module uses of the driver's `Integer` class. */
export interface IntegerStatics {
  fromValue: (value: unknown, options?: unknown) => Integer;
  fromNumber: (value: number) => Integer;
}

// --- internal ---

const SAFE_BIGINT = 2n ** 53n;
const NANOS_PER_SECOND = 1_000_000_000;
const NANOS_PER_MINUTE = 60 * NANOS_PER_SECOND;
const NANOS_PER_HOUR = 60 * NANOS_PER_MINUTE;
const SECONDS_PER_DAY = 86_400;
const DAYS_0000_TO_1970 = 719_528;
const DAYS_PER_400_YEAR_CYCLE = 146_097;
/** Days from the epoch below which every intermediate value of {@link civilDate} stays under 2^53. */
const MAX_FAST_EPOCH_DAY = 1e12;
/** Nanosecond adjustments beyond this take the driver's path (the server sends 0 to 999,999,999). */
const MAX_FAST_NANO = 1e15;

/**
 * Year, month and day of a day counted from 1970-01-01: the driver's algorithm (`epochDayToDate`, after Java's
 * `LocalDate.ofEpochDay`) step by step, with `Integer.div`'s truncation as `Math.trunc`. Every quotient is of
 * integers below 2^53, where a double's division rounds to the right side of every integer, so the results
 * are exact.
 */
function civilDate(epochDay: number): [number, number, number] {
  let zeroDay = epochDay + DAYS_0000_TO_1970 - 60;
  let adjust = 0;
  if (zeroDay < 0) {
    const adjustCycles = Math.trunc((zeroDay + 1) / DAYS_PER_400_YEAR_CYCLE) - 1;
    adjust = adjustCycles * 400;
    zeroDay += -adjustCycles * DAYS_PER_400_YEAR_CYCLE;
  }
  let year = Math.trunc((zeroDay * 400 + 591) / DAYS_PER_400_YEAR_CYCLE);
  let dayOfYear = zeroDay - daysBefore(year);
  if (dayOfYear < 0) {
    year -= 1;
    dayOfYear = zeroDay - daysBefore(year);
  }
  year += adjust;
  const marchMonth = Math.trunc((dayOfYear * 5 + 2) / 153);
  const month = ((marchMonth + 2) % 12) + 1;
  const day = dayOfYear - Math.trunc((marchMonth * 306 + 5) / 10) + 1;
  return [year + Math.trunc(marchMonth / 10), month, day];
}

function daysBefore(year: number): number {
  return year * 365 + Math.trunc(year / 4) - Math.trunc(year / 100) + Math.trunc(year / 400);
}
