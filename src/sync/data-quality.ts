// The data-quality report of a directory, computed on read by SQL over the stored users, so writes
// pay nothing for it: records with a missing or malformed e-mail, e-mails or usernames shared by
// several users, and required mapped fields without a value. Such records are stored like any other
// (never dropped); the report lists each problem with the reason and what the IdP sent.
import { inArray, sql, type SQL } from "drizzle-orm";
import type { Db } from "../db/client.js";
import { directoryUsers } from "../db/schema.js";
import { EMAIL_PATTERN, rawValuesOf, type FieldMapping, type MappedField, type UserMapping } from "../normalize/index.js";
import { GatewayError } from "../errors.js";
import { rowsOf } from "./bulk.js";
import type { DirectoryScope } from "./scope.js";

export const DATA_QUALITY_REASONS = ["missing_email", "invalid_email", "duplicate_email", "duplicate_username", "missing_required_field"] as const;
export type DataQualityReason = (typeof DATA_QUALITY_REASONS)[number];

/** One problem of one stored user. */
export interface DataQualityIssue {
  object: "data_quality_issue";
  reason: DataQualityReason;
  user_id: string;
  idp_id: string;
  /** The canonical field (or custom_attributes.<name>) concerned. */
  field: string;
  /** The canonical value as stored (null when missing). */
  value: unknown;
  /** What the IdP sent at the mapping's source paths (null when nothing). */
  raw_value: unknown;
  detail: string;
}

export interface DataQualityReport {
  object: "data_quality_report";
  directory_id: string;
  summary: { users: number; issues: number; by_reason: Record<DataQualityReason, number> };
  data: DataQualityIssue[];
  list_metadata: { after: string | null };
}

export interface DataQualityQuery {
  reason?: DataQualityReason | undefined;
  limit: number;
  /** Cursor from a previous page's list_metadata.after. */
  after?: string | undefined;
}

const COLUMNS: Record<Exclude<MappedField, "email">, SQL> = {
  first_name: sql`u.first_name`,
  last_name: sql`u.last_name`,
  name: sql`u.name`,
  username: sql`u.username`,
  job_title: sql`u.job_title`,
};

/** Builds the report; `mapping` is the directory's effective mapping (which fields are required, where values come from). */
export async function dataQualityReport(db: Db, scope: DirectoryScope, mapping: UserMapping, query: DataQualityQuery): Promise<DataQualityReport> {
  const dir = scope.directoryId;
  const required: { field: string; missing: SQL }[] = [
    ...Object.entries(COLUMNS)
      .filter(([field]) => mapping.fields[field as MappedField]?.required)
      .map(([field, column]) => ({ field, missing: sql`${column} is null` })),
    ...Object.entries(mapping.custom_attributes)
      .filter(([, field]) => field.required)
      .map(([name]) => ({ field: `custom_attributes.${name}`, missing: sql`u.custom_attributes -> ${name}::text is null` })),
  ];
  const issues = sql`
    with dup_email as (
      select lower(email) as k, count(*) as n from directory_users where directory_id = ${dir} and email is not null group by 1 having count(*) > 1
    ), dup_username as (
      select lower(username) as k, count(*) as n from directory_users where directory_id = ${dir} and username is not null group by 1 having count(*) > 1
    ), issues as (
      select 1 as ord, 'missing_email' as reason, 'email' as field, u.id as user_id, null::bigint as n
        from directory_users u where u.directory_id = ${dir} and u.email is null
      union all
      select 2, 'invalid_email', 'email', u.id, null
        from directory_users u where u.directory_id = ${dir} and u.email is not null and u.email !~ ${EMAIL_PATTERN}
      union all
      select 3, 'duplicate_email', 'email', u.id, d.n
        from directory_users u join dup_email d on d.k = lower(u.email) where u.directory_id = ${dir}
      union all
      select 4, 'duplicate_username', 'username', u.id, d.n
        from directory_users u join dup_username d on d.k = lower(u.username) where u.directory_id = ${dir}
      ${sql.join(
        required.map((r) => sql`union all select 5, 'missing_required_field', ${r.field}::text, u.id, null from directory_users u where u.directory_id = ${dir} and ${r.missing}`),
        sql` `,
      )}
    )`;

  const counts = rowsOf<{ reason: DataQualityReason; n: number | string }>(await db.execute(sql`${issues} select reason, count(*) as n from issues group by reason`));
  const byReason = Object.fromEntries(DATA_QUALITY_REASONS.map((r) => [r, 0])) as Record<DataQualityReason, number>;
  for (const c of counts) byReason[c.reason] = Number(c.n);
  const [total] = rowsOf<{ n: number | string }>(await db.execute(sql`select count(*) as n from directory_users where directory_id = ${dir}`));

  const cursor = decodeCursor(query.after);
  const page = rowsOf<{ ord: number; reason: DataQualityReason; field: string; user_id: string; n: number | string | null }>(
    await db.execute(sql`${issues}
      select ord, reason, field, user_id, n from issues
      where true ${query.reason ? sql`and reason = ${query.reason}` : sql``}
        ${cursor ? sql`and (ord, field, user_id) > (${cursor.ord}::int, ${cursor.field}::text, ${cursor.userId}::text)` : sql``}
      order by ord, field, user_id
      limit ${query.limit + 1}`),
  );
  const more = page.length > query.limit;
  const rows = page.slice(0, query.limit);
  const users = new Map(
    rows.length === 0
      ? []
      : (await db.select().from(directoryUsers).where(inArray(directoryUsers.id, [...new Set(rows.map((r) => r.user_id))]))).map((u) => [u.id, u]),
  );
  const data = rows.flatMap((r): DataQualityIssue[] => {
    const user = users.get(r.user_id);
    if (!user || user.directoryId !== dir) return [];
    const custom = r.field.startsWith("custom_attributes.") ? r.field.slice("custom_attributes.".length) : null;
    const source: FieldMapping | undefined = custom ? mapping.custom_attributes[custom] : mapping.fields[r.field as MappedField];
    const value = custom ? (user.customAttributes[custom] ?? null) : r.field === "email" ? user.email : r.field === "username" ? user.username : (user[camel(r.field)] ?? null);
    return [
      {
        object: "data_quality_issue",
        reason: r.reason,
        user_id: user.id,
        idp_id: user.idpId,
        field: r.field,
        value,
        raw_value: source ? rawValuesOf(user.rawAttributes, source) : null,
        detail: detailOf(r.reason, r.field, source, Number(r.n ?? 0)),
      },
    ];
  });
  const last = rows.at(-1);
  return {
    object: "data_quality_report",
    directory_id: dir,
    summary: { users: Number(total?.n ?? 0), issues: Object.values(byReason).reduce((a, b) => a + b, 0), by_reason: byReason },
    data,
    list_metadata: { after: more && last ? `${last.ord}:${last.field}:${last.user_id}` : null },
  };
}

function detailOf(reason: DataQualityReason, field: string, source: FieldMapping | undefined, shared: number): string {
  const tried = source ? ` (mapped from ${source.sources.map((s) => s.path).join(", ")})` : "";
  switch (reason) {
    case "missing_email":
      return `no e-mail address could be mapped${tried}`;
    case "invalid_email":
      return "the e-mail address is not well-formed (local@domain.tld)";
    case "duplicate_email":
      return `${shared} users of this directory share this e-mail address (compared without case)`;
    case "duplicate_username":
      return `${shared} users of this directory share this username (compared without case)`;
    case "missing_required_field":
      return `required field ${field} has no value${tried}`;
  }
}

type TextColumn = "firstName" | "lastName" | "name" | "jobTitle";
function camel(field: string): TextColumn {
  return field.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()) as TextColumn;
}

function decodeCursor(after: string | undefined): { ord: number; field: string; userId: string } | null {
  if (!after) return null;
  const [ord, field, userId, extra] = after.split(":");
  if (!ord || !field || !userId || extra !== undefined || !/^\d$/.test(ord)) {
    throw new GatewayError("invalid_input", "invalid request: after: not a cursor from this report", { fields: [{ field: "after", code: "invalid", message: "not a cursor from this report" }] });
  }
  return { ord: Number(ord), field, userId };
}
