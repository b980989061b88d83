/**
 * A script replayed statement by statement through the JavaScript driver, the way `cypher-shell -f` runs it:
 * each statement in its own auto-commit transaction, or in one transaction between `:begin` and `:commit`;
 * `:param {…}` / `:param name => …` evaluated by the server (`RETURN …`, cypher-shell's fallback when its own
 * literal interpreter cannot) and sent with every later statement; `:param clear` forgets them.
 */
import type { Session, Transaction } from "neo4j-driver";
import type { ScriptItem } from "../../../src/engines/neo4j/statement-splitter.ts";

/** Runs the items; returns the number of statements run. Rejects with the server's error on the first failure. */
export async function replayThroughDriver(session: Session, items: AsyncIterable<ScriptItem>): Promise<number> {
  const params: Record<string, unknown> = {};
  let tx: Transaction | undefined;
  let statements = 0;
  for await (const item of items) {
    if (item.kind === "command") {
      if (/^:begin\b/i.test(item.text)) tx = session.beginTransaction();
      else if (/^:commit\b/i.test(item.text)) {
        await tx?.commit();
        tx = undefined;
      } else if (/^:params?\s+clear\b/i.test(item.text)) {
        for (const key of Object.keys(params)) delete params[key];
      } else if (/^:params?\s/i.test(item.text)) {
        Object.assign(params, await evaluate(session, item.text.replace(/^:params?\s+/i, "")));
      }
    } else if (item.kind === "statement") {
      await (tx ?? session).run(item.text, params);
      statements++;
    }
  }
  await tx?.commit();
  return statements;
}

// --- internal ---

async function evaluate(session: Session, expression: string): Promise<Record<string, unknown>> {
  const arrow = /^([A-Za-z_][A-Za-z0-9_]*)\s*=>\s*/.exec(expression);
  const query = arrow ? `RETURN {${arrow[1]}: ${expression.slice(arrow[0].length)}} AS p` : `RETURN ${expression} AS p`;
  const { records } = await session.run(query);
  return records[0]?.get("p") as Record<string, unknown>;
}
