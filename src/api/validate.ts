// Input parsing for REST handlers: every query and body goes through zod here, and a failure
// becomes invalid_input naming each field.
import type { Context } from "hono";
import { z } from "zod";
import { GatewayError, type FieldError } from "../errors.js";

export function invalidInput(error: z.ZodError): GatewayError {
  const fields: FieldError[] = error.issues.map((issue) => ({
    field: issue.path.map(String).join(".") || "body",
    code: issue.code,
    message: issue.message,
  }));
  const summary = fields.map((f) => `${f.field}: ${f.message}`).join("; ");
  return new GatewayError("invalid_input", `invalid request: ${summary}`, { fields });
}

export function parseOrThrow<T extends z.ZodType>(schema: T, value: unknown): z.output<T> {
  const result = schema.safeParse(value);
  if (!result.success) throw invalidInput(result.error);
  return result.data;
}

/** The query string as an object: a parameter given once is a string, given several times an array. */
export function readQuery<T extends z.ZodType>(c: Context, schema: T): z.output<T> {
  const all = c.req.queries();
  const query = Object.fromEntries(Object.entries(all).map(([k, v]) => [k, v.length === 1 ? v[0] : v]));
  return parseOrThrow(schema, query);
}

/** The JSON body; a missing or non-JSON Content-Type and malformed JSON are clear 400s, never `{}`. */
export async function readJson<T extends z.ZodType>(c: Context, schema: T): Promise<z.output<T>> {
  if (!/^application\/([a-z.+-]*\+)?json\b/i.test(c.req.header("content-type") ?? "")) {
    throw new GatewayError("invalid_input", "request body must be JSON (Content-Type: application/json)");
  }
  let body: unknown;
  try {
    body = await c.req.json();
  } catch {
    throw new GatewayError("invalid_input", "request body is not valid JSON");
  }
  return parseOrThrow(schema, body);
}

/** limit / before / after / order, as every list endpoint takes them. */
export const listParams = (defaultOrder: "asc" | "desc" = "desc") =>
  z
    .object({
      limit: z.coerce.number({ message: "must be a number" }).int("must be a whole number").min(1, "must be between 1 and 100").max(100, "must be between 1 and 100").default(10),
      before: z.string().min(1).optional(),
      after: z.string().min(1).optional(),
      order: z.enum(["asc", "desc", "normal"], { message: "must be asc, desc or normal" }).default(defaultOrder),
    })
    .refine((q) => !(q.before && q.after), { message: "give before or after, not both", path: ["before"] });
