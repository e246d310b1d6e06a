// Set-based statements for large batches. Rows travel to Postgres as ONE jsonb parameter that the
// server unpacks with jsonb_to_recordset, instead of one bind parameter per value: drizzle's
// per-value query building was the largest cost in a pull sync's CPU profile, and a batch of
// thousands of rows stays one statement. Works the same on postgres.js and PGlite.
import { getTableColumns, sql, type SQL } from "drizzle-orm";
import { PgDialect, type PgColumn, type PgTable } from "drizzle-orm/pg-core";
import type { Db } from "../db/client.js";

/** Rows per statement; a statement's JSON stays a few megabytes at most. */
export const BULK_CHUNK = 1000;

/**
 * The text around the JSON parameter of insertRows' and updateRows' statements, by table and the row
 * properties written: built once with drizzle, reused as raw SQL. Building the column lists (two
 * mentions of each column, each checked and escaped by drizzle) took 0.3 ms per statement, on every
 * batch of SCIM creates and every page of a pull sync; reused, the statement takes 0.1 ms.
 */
const statementTexts = new WeakMap<PgTable, Map<string, { before: string; after: string }>>();

function statementText(table: PgTable, key: string, build: (json: SQL) => SQL): { before: string; after: string } {
  let texts = statementTexts.get(table);
  if (!texts) statementTexts.set(table, (texts = new Map()));
  let text = texts.get(key);
  if (!text) {
    // The JSON parameter is the one bound value in the statement: its text splits there.
    const marker = "\u0000json\u0000";
    const rendered = new PgDialect().sqlToQuery(build(sql.raw(marker)));
    const [before, after] = rendered.sql.split(marker) as [string, string];
    if (rendered.params.length > 0 || after === undefined) throw new Error(`bulk statement for ${key} has bound values besides its rows`);
    texts.set(key, (text = { before, after }));
  }
  return text;
}

/**
 * `select <columns> from jsonb_to_recordset(<json>)`: the rows of `json` (an array of objects keyed
 * by column name) typed as `table`'s columns, for insert ... select. jsonb, not json: json's
 * recordset re-reads nested values (raw_attributes) as text, several times slower.
 */
function recordset(columns: PgColumn[], json: SQL): SQL {
  const names = sql.join(columns.map((c) => sql.identifier(c.name)), sql`, `);
  const types = sql.join(columns.map((c) => sql`${sql.identifier(c.name)} ${sql.raw(c.getSQLType())}`), sql`, `);
  return sql`select ${names} from jsonb_to_recordset(${json}::jsonb) as x(${types})`;
}

/**
 * Inserts rows given as drizzle row objects (property names as in the schema) with multi-row
 * statements. Every row must carry the same properties; Dates are sent as ISO strings. `returning`
 * (a column list, raw SQL) returns those columns of the inserted rows.
 */
export async function insertRows<R = never>(tx: Db, table: PgTable, rows: Record<string, unknown>[], returning?: string): Promise<R[]> {
  if (rows.length === 0) return [];
  const all = getTableColumns(table) as Record<string, PgColumn>;
  const keys = Object.keys(rows[0]!).filter((k) => rows[0]![k] !== undefined && all[k]);
  const texts = rows.map((row) => {
    const out: Record<string, unknown> = {};
    for (const key of keys) out[all[key]!.name] = row[key];
    return JSON.stringify(out);
  });
  return insertJsonRows<R>(tx, table, keys, texts, returning);
}

/**
 * insertRows for rows already serialized: each a JSON object keyed by column name, giving the columns
 * of the properties `keys` (a key it lacks is null; of duplicate keys, as in jsonb, the last counts).
 */
export async function insertJsonRows<R = never>(tx: Db, table: PgTable, keys: string[], rows: string[], returning?: string): Promise<R[]> {
  const out: R[] = [];
  const all = getTableColumns(table) as Record<string, PgColumn>;
  const columns = keys.map((k) => all[k]!);
  const text = statementText(table, `insert ${keys.join(",")} returning ${returning ?? ""}`, (json) => {
    const names = sql.join(columns.map((c) => sql.identifier(c.name)), sql`, `);
    return sql`insert into ${table} (${names}) ${recordset(columns, json)}${returning ? sql.raw(` returning ${returning}`) : sql``}`;
  });
  for (let i = 0; i < rows.length; i += BULK_CHUNK) {
    const json = `[${rows.slice(i, i + BULK_CHUNK).join(",")}]`;
    const result = await tx.execute(sql`${sql.raw(text.before)}${json}${sql.raw(text.after)}`);
    if (returning) out.push(...rowsOf<R>(result));
  }
  return out;
}

/**
 * Updates rows by id: each row gives `id` and the properties to set (every row the same ones), one
 * statement per chunk. `scope` narrows the rows that may change (the caller's directory).
 */
export async function updateRows(tx: Db, table: PgTable, rows: Record<string, unknown>[], scope: SQL): Promise<void> {
  if (rows.length === 0) return;
  const all = getTableColumns(table) as Record<string, PgColumn>;
  const keys = Object.keys(rows[0]!).filter((k) => k !== "id" && rows[0]![k] !== undefined && all[k]);
  const columns = [all.id!, ...keys.map((k) => all[k]!)];
  // The id array gives the planner an index lookup; joined to a function alone it guesses 100 rows and
  // may scan the whole table (every directory's rows) even for a one-row update.
  const text = statementText(table, `update ${keys.join(",")}`, (json) => {
    const assignments = sql.join(keys.map((k) => sql`${sql.identifier(all[k]!.name)} = x.${sql.identifier(all[k]!.name)}`), sql`, `);
    const types = sql.join(columns.map((c) => sql`${sql.identifier(c.name)} ${sql.raw(c.getSQLType())}`), sql`, `);
    return sql`with x as (select * from jsonb_to_recordset(${json}::jsonb) as r(${types})) update ${table} set ${assignments} from x where ${table}.id = x.id and ${table}.id = any(array(select x.id from x)) and `;
  });
  for (let i = 0; i < rows.length; i += BULK_CHUNK) {
    const json = JSON.stringify(
      rows.slice(i, i + BULK_CHUNK).map((row) => {
        const out: Record<string, unknown> = { id: row.id };
        for (const k of keys) out[all[k]!.name] = row[k] instanceof Date ? (row[k] as Date).toISOString() : row[k];
        return out;
      }),
    );
    await tx.execute(sql`${sql.raw(text.before)}${json}${sql.raw(text.after)}${scope}`);
  }
}

/**
 * `any(array[...])` of the given text values in one parameter, for `column = ${anyText(values)}`.
 * An array, not `in (select ...)`: the planner then looks each value up in the column's index,
 * where a semi-join could pick a scan of the whole table while its statistics lag a bulk load.
 */
export function anyText(values: readonly string[]): SQL {
  return sql`any(array(select json_array_elements_text(${JSON.stringify(values)}::json)))`;
}

/** `column = any(values)` in one parameter however many values (anyText); plain `=` for one value. */
export function inTexts(column: PgColumn, values: readonly string[]): SQL {
  return values.length === 1 ? sql`${column} = ${values[0]}` : sql`${column} = ${anyText(values)}`;
}

/** Rows of a raw statement, whichever driver ran it (postgres.js returns the rows, PGlite { rows }). */
export function rowsOf<T>(result: unknown): T[] {
  return (Array.isArray(result) ? result : (result as { rows: T[] }).rows) as T[];
}
