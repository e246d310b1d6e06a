// A SCIM client for tests: creates an organization and a SCIM directory through the REST API (which
// returns the base URL and token once) and calls the directory's SCIM endpoints in-process.
import type { Harness } from "../harness.js";

export interface ScimResponse {
  status: number;
  headers: Headers;
  body: any;
}

export interface ScimDirectory {
  scope: { organizationId: string; directoryId: string };
  baseUrl: string;
  token: string;
  /** Calls `<base path><path>` with this directory's token unless `token` is given. */
  call(method: string, path: string, body?: unknown, options?: { token?: string | false; headers?: Record<string, string> }): Promise<ScimResponse>;
}

export const USER = "urn:ietf:params:scim:schemas:core:2.0:User";
export const GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group";
export const ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
export const PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
export const LIST = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
export const ERROR = "urn:ietf:params:scim:api:messages:2.0:Error";

export async function scimDirectory(h: Harness, type = "generic scim v2.0"): Promise<ScimDirectory> {
  const org = await h.json("POST", "/organizations", { name: "Acme" });
  const directory = await h.json("POST", "/directories", { organization_id: org.id, type, name: `${type} directory` });
  const basePath = new URL(directory.scim.base_url).pathname;
  const token: string = directory.scim.token;
  return {
    scope: { organizationId: org.id, directoryId: directory.id },
    baseUrl: directory.scim.base_url,
    token,
    async call(method, path, body, options = {}) {
      const headers: Record<string, string> = { "content-type": "application/scim+json", ...options.headers };
      const res = await h.request(method, `${basePath}${path}`, body, {
        auth: options.token === false ? false : (options.token ?? token),
        headers,
      });
      const text = await res.text();
      return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : null };
    },
  };
}

/** `userName eq "x"` as a query string, encoded as IdPs encode it. */
export const filterQuery = (filter: string, extra = "") => `?filter=${encodeURIComponent(filter)}${extra}`;
