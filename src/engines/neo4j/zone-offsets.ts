/**
 * Whether a zoned datetime lies within a day of a change of its zone's UTC offset (daylight saving, a new
 * standard offset): there an hour may happen twice, and a value that travels as local time and zone id only
 * may come back with the other of its two offsets.
 */

/**
 * True when `zone`'s UTC offset a day before the instant `local` + `offset` differs from its offset a day after;
 * true too when the instant or the zone cannot be evaluated here (an out-of-range year, a zone this runtime
 * does not know), so that a caller falls back to its safe path.
 *
 * @param local ISO local date and time (`2024-10-27T02:30:00.000000005`)
 * @param offset `+01:00`, `-05:00` or `Z`
 * @param zone an IANA zone id (`Europe/Paris`)
 */
export function nearOffsetChange(local: string, offset: string, zone: string): boolean {
  const at = Date.parse(`${local.slice(0, 23)}${offset === "Z" ? "Z" : offset}`);
  if (Number.isNaN(at)) return true;
  try {
    return zoneOffset(zone, at - DAY_MS) !== zoneOffset(zone, at + DAY_MS);
  } catch {
    return true;
  }
}

// --- internal ---

const DAY_MS = 24 * 3600 * 1000;
const offsetFormats = new Map<string, Intl.DateTimeFormat>();

function zoneOffset(zone: string, at: number): string {
  let format = offsetFormats.get(zone);
  if (!format) {
    format = new Intl.DateTimeFormat("en-US", { timeZone: zone, timeZoneName: "longOffset" });
    if (offsetFormats.size < 1000) offsetFormats.set(zone, format);
  }
  return format.formatToParts(at).find((part) => part.type === "timeZoneName")?.value ?? "";
}
