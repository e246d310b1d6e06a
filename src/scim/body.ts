// Reads a SCIM request body: application/scim+json or application/json only (anything else is a SCIM
// error, never validated as {}), at most the configured size (413), a JSON object (400 otherwise).
import type { Context } from "hono";
import { scimError } from "./errors.js";

const JSON_TYPES = /^application\/(scim\+)?json\s*(;|$)/i;

export async function readScimBody(c: Context, maxBytes: number): Promise<Record<string, unknown>> {
  const type = c.req.header("content-type") ?? "";
  if (!JSON_TYPES.test(type)) {
    throw scimError("invalid_input", "request body must be application/scim+json or application/json", "invalidSyntax");
  }
  const length = c.req.header("content-length");
  const declared = length === undefined ? NaN : Number(length);
  if (Number.isFinite(declared) && declared > maxBytes) throw tooLarge(maxBytes);
  // With a declared length within the limit, the whole body is read at once (the server's fast path,
  // no web stream); a body without one is streamed and cut off at the limit.
  const text = Number.isFinite(declared) ? await c.req.raw.text() : await readLimited(c.req.raw, maxBytes);
  // A body longer than it declared (only possible in-process): still never accepted past the limit.
  if (text.length > maxBytes / 4 && Buffer.byteLength(text) > maxBytes) throw tooLarge(maxBytes);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw scimError("invalid_input", "request body is not valid JSON", "invalidSyntax");
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw scimError("invalid_input", "request body must be a JSON object", "invalidSyntax");
  }
  // Postgres text and jsonb cannot hold U+0000: refuse it here rather than fail the write.
  if (text.includes("\\u0000") && containsNul(body)) {
    throw scimError("invalid_input", "strings must not contain the character U+0000", "invalidValue");
  }
  return body as Record<string, unknown>;
}

function containsNul(value: unknown): boolean {
  if (typeof value === "string") return value.includes("\u0000");
  if (Array.isArray(value)) return value.some(containsNul);
  if (typeof value === "object" && value !== null) return Object.entries(value).some(([k, v]) => k.includes("\u0000") || containsNul(v));
  return false;
}

/** Reads the body stream, stopping as soon as it passes the limit (a chunked body has no length). */
async function readLimited(request: Request, maxBytes: number): Promise<string> {
  if (!request.body) return "";
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => {});
      throw tooLarge(maxBytes);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString("utf8");
}

function tooLarge(maxBytes: number) {
  return scimError("payload_too_large", `request body is larger than the limit of ${maxBytes} bytes`);
}
