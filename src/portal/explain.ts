// Plain-words explanations of what happened to a logged SCIM request, for IT admins who should not
// need to read HTTP status codes. The raw detail stays one click away on the page.
import type { ScimRequestRecord } from "../scim/index.js";

/** One request as the live log shows it. */
export interface ActivityEntry {
  at: string;
  method: string;
  path: string;
  status: number;
  ok: boolean;
  explanation: string;
  detail: string | null;
}

export function explainScimRequest(request: ScimRequestRecord, idp: string): ActivityEntry {
  return {
    at: request.created_at,
    method: request.method,
    path: request.path,
    status: request.status,
    ok: request.status < 400,
    explanation: explain(request.status, request.method, idp),
    detail: request.error,
  };
}

function explain(status: number, method: string, idp: string): string {
  if (status < 400) {
    if (method === "GET") return `${idp} looked something up.`;
    if (method === "POST") return `${idp} created a user or group.`;
    if (method === "DELETE") return `${idp} deleted a user or group.`;
    return `${idp} updated a user or group.`;
  }
  if (status === 401) return `${idp} sent a wrong or outdated token. Paste the current token into ${idp} again (or make a new one here).`;
  if (status === 404) return `${idp} asked for a user or group that does not exist here, usually one deleted earlier. It normally recovers by itself.`;
  if (status === 409) return `A user with the same user name already exists in this directory, so ${idp}'s new one was refused.`;
  if (status === 413) return `${idp} sent more data in one request than we accept.`;
  if (status === 429) return `${idp} sent requests faster than we accept and was asked to slow down. Nothing was lost; it retries.`;
  if (status >= 500) return `Something failed on our side. ${idp} retries on its own; if this keeps happening, contact support.`;
  return `${idp} sent something we could not accept. The detail below says what.`;
}
