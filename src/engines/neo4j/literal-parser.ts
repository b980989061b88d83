/**
 * Reads Cypher literal expressions (lists, maps, strings, numbers, booleans, null and the value functions of
 * `literal-writer.ts`) into driver values, without a server, so that a script's `UNWIND [ … ] AS row …` batches
 * can be sent as parameters. Also reads APOC's spellings (double-quoted strings, `crs` points, ISO durations,
 * times without seconds). Anything else is refused with {@link NotALiteral}: the caller then runs the
 * statement as written.
 */
import { parseDuration, parseTemporal, parsePoint } from "./literal-values.ts";

/** The text is not a literal this parser knows (the statement should run as written). */
export class NotALiteral extends Error {}

/** Parses the literal that starts at `text[start]` (spaces allowed before); returns it and the index after it. */
export function parseLiteral(text: string, start = 0): { value: unknown; end: number } {
  const p = new Parser(text, start);
  const value = p.value();
  return { value, end: p.pos };
}

// --- internal ---

const NUMBER_RE = /-?(?:\d+(?:\.\d+)?(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?)/y;
const IDENT_RE = /[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*/y;
const SPACE_RE = /\s*/y;
const STRING_CHUNK_SQ = /[^'\\]*/y;
const STRING_CHUNK_DQ = /[^"\\]*/y;

const SPECIAL_FLOATS: Record<string, number> = { NaN: NaN, Infinity: Infinity, "-Infinity": -Infinity, "+Infinity": Infinity };

class Parser {
  pos: number;
  private readonly text: string;

  constructor(text: string, pos: number) {
    this.text = text;
    this.pos = pos;
  }

  value(): unknown {
    this.space();
    const c = this.text[this.pos];
    if (c === "[") return this.list();
    if (c === "{") return this.map();
    if (c === "'" || c === '"') return this.string();
    if (c === "-" || c === "." || (c !== undefined && c >= "0" && c <= "9")) return this.number();
    const ident = this.ident();
    const lower = ident.toLowerCase();
    if (lower === "true") return true;
    if (lower === "false") return false;
    if (lower === "null") return null;
    if (ident === "NaN" || ident === "Infinity") return SPECIAL_FLOATS[ident];
    this.space();
    if (this.text[this.pos] !== "(") throw new NotALiteral(`unexpected '${ident}'`);
    this.pos++;
    const args: unknown[] = [];
    this.space();
    while (this.text[this.pos] !== ")") {
      args.push(this.value());
      this.space();
      if (this.text[this.pos] === ",") this.pos++;
      else if (this.text[this.pos] !== ")") throw new NotALiteral("expected , or )");
    }
    this.pos++;
    return call(lower, args);
  }

  private list(): unknown[] {
    this.pos++;
    const out: unknown[] = [];
    this.space();
    if (this.text[this.pos] === "]") {
      this.pos++;
      return out;
    }
    for (;;) {
      out.push(this.value());
      this.space();
      const c = this.text[this.pos++];
      if (c === "]") return out;
      if (c !== ",") throw new NotALiteral("expected , or ] in a list");
    }
  }

  private map(): Record<string, unknown> {
    this.pos++;
    const out: Record<string, unknown> = {};
    this.space();
    if (this.text[this.pos] === "}") {
      this.pos++;
      return out;
    }
    for (;;) {
      this.space();
      const key = this.text[this.pos] === "`" ? this.backticked() : this.ident();
      this.space();
      if (this.text[this.pos++] !== ":") throw new NotALiteral("expected : in a map");
      Object.defineProperty(out, key, { value: this.value(), enumerable: true, writable: true, configurable: true });
      this.space();
      const c = this.text[this.pos++];
      if (c === "}") return out;
      if (c !== ",") throw new NotALiteral("expected , or } in a map");
    }
  }

  private backticked(): string {
    let out = "";
    for (;;) {
      const end = this.text.indexOf("`", this.pos + 1);
      if (end < 0) throw new NotALiteral("unterminated name");
      out += this.text.slice(this.pos + 1, end);
      this.pos = end + 1;
      if (this.text[this.pos] !== "`") return out;
      out += "`";
    }
  }

  private string(): string {
    const quote = this.text[this.pos++];
    const chunk = quote === "'" ? STRING_CHUNK_SQ : STRING_CHUNK_DQ;
    let out = "";
    for (;;) {
      chunk.lastIndex = this.pos;
      chunk.exec(this.text);
      out += this.text.slice(this.pos, chunk.lastIndex);
      this.pos = chunk.lastIndex;
      const c = this.text[this.pos++];
      if (c === quote) return out;
      if (c === undefined) throw new NotALiteral("unterminated string");
      out += this.escape();
    }
  }

  private escape(): string {
    const c = this.text[this.pos++];
    switch (c) {
      case "n": return "\n";
      case "r": return "\r";
      case "t": return "\t";
      case "b": return "\b";
      case "f": return "\f";
      case "u": return this.hex(4);
      case "U": return this.hex(8);
      case undefined: throw new NotALiteral("unterminated escape");
      default: return c; // \\ \' \" and any other escaped character stand for themselves
    }
  }

  private hex(width: number): string {
    const digits = this.text.slice(this.pos, this.pos + width);
    if (!/^[0-9a-fA-F]+$/.test(digits) || digits.length !== width) throw new NotALiteral("bad \\u escape");
    this.pos += width;
    return String.fromCodePoint(parseInt(digits, 16));
  }

  private number(): bigint | number {
    NUMBER_RE.lastIndex = this.pos;
    const m = NUMBER_RE.exec(this.text);
    if (!m) {
      // `-Infinity`, `-NaN` (APOC) or a negated expression we do not know
      if (this.text[this.pos] === "-") {
        this.pos++;
        const v = this.value();
        if (typeof v === "number") return -v;
      }
      throw new NotALiteral("bad number");
    }
    this.pos = NUMBER_RE.lastIndex;
    const s = m[0];
    return /[.eE]/.test(s) ? Number(s) : BigInt(s);
  }

  private ident(): string {
    IDENT_RE.lastIndex = this.pos;
    const m = IDENT_RE.exec(this.text);
    if (!m) throw new NotALiteral(`unexpected character at ${this.pos}`);
    this.pos = IDENT_RE.lastIndex;
    return m[0];
  }

  private space(): void {
    SPACE_RE.lastIndex = this.pos;
    SPACE_RE.exec(this.text);
    this.pos = SPACE_RE.lastIndex;
  }
}

function call(name: string, args: unknown[]): unknown {
  try {
    return callUnchecked(name, args);
  } catch (err) {
    if (err instanceof NotALiteral) throw err;
    throw new NotALiteral(`${name}(…): ${(err as Error).message}`);
  }
}

function callUnchecked(name: string, args: unknown[]): unknown {
  const [first, second] = args;
  switch (name) {
    case "tofloat":
      if (typeof first === "string" && first.trim() in SPECIAL_FLOATS) return SPECIAL_FLOATS[first.trim()];
      if (typeof first === "string" && !Number.isNaN(Number(first))) return Number(first);
      break;
    case "date":
    case "localtime":
    case "time":
    case "localdatetime":
    case "datetime":
      if (typeof first === "string" && args.length === 1) return parseTemporal(name, first);
      break;
    case "duration":
      if (args.length === 1) return parseDuration(first);
      break;
    case "point":
      if (args.length === 1) return parsePoint(first);
      break;
    case "apoc.util.compress":
      if (typeof first === "string" && isLatin1None(second)) return new Int8Array(Buffer.from(first, "latin1"));
      break;
    default:
      break;
  }
  throw new NotALiteral(`function ${name} is not a literal form`);
}

function isLatin1None(config: unknown): boolean {
  if (!config || typeof config !== "object") return false;
  const c = config as Record<string, unknown>;
  return c.compression === "NONE" && c.charset === "ISO-8859-1";
}
