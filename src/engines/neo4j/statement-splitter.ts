/**
 * Splits a Cypher script into statements as `cypher-shell` does: statements end with `;` outside strings,
 * names and comments; a line starting with `:` is a client command (`:begin`, `:param …`); `//` comments
 * between statements are reported on their own (the export's trailer is one). Streaming: memory holds one
 * statement at a time.
 */
import type { Readable } from "node:stream";

export type ScriptItem =
  | { kind: "statement"; text: string; complete: boolean }
  | { kind: "command"; text: string }
  | { kind: "comment"; text: string };

/** Incremental splitter: feed text with {@link push}, then call {@link end}. */
export class StatementSplitter {
  private buf = "";
  private pos = 0;
  private stmtStart = -1;
  private state: State = "normal";

  /** Adds text and returns the items completed by it. */
  push(text: string): ScriptItem[] {
    if (this.pos > 0) {
      const keep = this.stmtStart >= 0 ? Math.min(this.stmtStart, this.pos) : this.pos;
      this.buf = this.buf.slice(keep);
      this.pos -= keep;
      if (this.stmtStart >= 0) this.stmtStart -= keep;
    }
    this.buf += text;
    return this.scan(false);
  }

  /** Flushes the end of the script; a last statement without `;` is reported with `complete: false`. */
  end(): ScriptItem[] {
    const items = this.scan(true);
    if (this.stmtStart >= 0) {
      const text = this.buf.slice(this.stmtStart).trim();
      if (text) items.push({ kind: "statement", text, complete: false });
      this.stmtStart = -1;
    }
    this.buf = "";
    this.pos = 0;
    return items;
  }

  private scan(final: boolean): ScriptItem[] {
    const items: ScriptItem[] = [];
    const b = this.buf;
    while (this.pos < b.length) {
      if (this.stmtStart < 0) {
        // between statements: spaces, client commands, line comments
        SPACE_RE.lastIndex = this.pos;
        SPACE_RE.exec(b);
        this.pos = SPACE_RE.lastIndex;
        if (this.pos >= b.length) break;
        const c = b[this.pos];
        const lineComment = c === "/" && b[this.pos + 1] === "/";
        if (c === ":" || lineComment) {
          if (c === "/" && this.pos + 1 >= b.length && !final) break;
          let nl = b.indexOf("\n", this.pos);
          if (nl < 0) {
            if (!final) break;
            nl = b.length;
          }
          const text = b.slice(this.pos, nl).trim();
          items.push(lineComment ? { kind: "comment", text } : { kind: "command", text });
          this.pos = nl + 1;
          continue;
        }
        if (c === "/" && this.pos + 1 >= b.length && !final) break;
        this.stmtStart = this.pos;
      }
      if (!this.step(b, final, items)) break;
    }
    return items;
  }

  /** Advances inside a statement; false when more text is needed. */
  private step(b: string, final: boolean, items: ScriptItem[]): boolean {
    switch (this.state) {
      case "normal": {
        NORMAL_RE.lastIndex = this.pos;
        const m = NORMAL_RE.exec(b);
        if (!m) {
          this.pos = b.length;
          return false;
        }
        const tok = m[0];
        if (tok === "/" && m.index + 1 >= b.length && !final) {
          this.pos = m.index;
          return false;
        }
        this.pos = m.index + tok.length;
        if (tok === ";") {
          items.push({ kind: "statement", text: b.slice(this.stmtStart, m.index).trim(), complete: true });
          this.stmtStart = -1;
        } else if (tok === "'") this.state = "single";
        else if (tok === '"') this.state = "double";
        else if (tok === "`") this.state = "name";
        else if (tok === "//") this.state = "line";
        else if (tok === "/*") this.state = "block";
        return true;
      }
      case "single":
      case "double": {
        const re = this.state === "single" ? SINGLE_RE : DOUBLE_RE;
        re.lastIndex = this.pos;
        const m = re.exec(b);
        if (!m) {
          this.pos = b.length;
          return false;
        }
        if (m[0] === "\\") {
          if (m.index + 1 >= b.length) {
            this.pos = m.index;
            return false;
          }
          this.pos = m.index + 2;
        } else {
          this.pos = m.index + 1;
          this.state = "normal";
        }
        return true;
      }
      default: {
        const close = CLOSERS[this.state];
        const at = b.indexOf(close, this.pos);
        if (at < 0) {
          this.pos = Math.max(this.pos, b.length - close.length + 1);
          return false;
        }
        this.pos = at + close.length;
        this.state = "normal";
        return true;
      }
    }
  }
}

/** Reads a script stream as items, one statement in memory at a time. */
export async function* splitScript(source: Readable): AsyncGenerator<ScriptItem> {
  const splitter = new StatementSplitter();
  const decoder = new TextDecoder("utf-8", { fatal: true });
  for await (const chunk of source) {
    const text = typeof chunk === "string" ? chunk : decoder.decode(chunk as Uint8Array, { stream: true });
    yield* splitter.push(text);
  }
  yield* splitter.push(decoder.decode());
  yield* splitter.end();
}

// --- internal ---

type State = "normal" | "single" | "double" | "name" | "line" | "block";

const SPACE_RE = /\s*/y;
const NORMAL_RE = /[;'"`]|\/[/*]?/g;
const SINGLE_RE = /['\\]/g;
const DOUBLE_RE = /["\\]/g;
const CLOSERS: Record<"name" | "line" | "block", string> = { name: "`", line: "\n", block: "*/" };
