// Portal sessions for in-process tests: open a setup link as a browser would, then GET and POST
// forms with the session cookie and its CSRF token.
import { expect } from "vitest";
import type { Harness } from "../harness.js";

export interface PortalClient {
  cookie: string;
  csrf: string;
  get(path: string): Promise<Response>;
  /** Posts a form; the session's CSRF token is added unless `csrf: false`. */
  post(path: string, form?: Record<string, string>, options?: { csrf?: boolean }): Promise<Response>;
}

export async function setupLinkPath(h: Harness, organization: string, extra: Record<string, string> = {}): Promise<string> {
  const { link } = await h.json("POST", "/portal/generate_link", { organization, intent: "dsync", ...extra });
  const url = new URL(link);
  return url.pathname + url.search;
}

export async function signIn(h: Harness, organization: string): Promise<PortalClient> {
  const res = await h.request("GET", await setupLinkPath(h, organization), undefined, { auth: false });
  expect(res.status).toBe(303);
  const cookie = res.headers.get("set-cookie")!.split(";")[0]!;
  const get = (path: string) => h.request("GET", path, undefined, { auth: false, headers: { cookie } });
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await (await get("/portal")).text())![1]!;
  return {
    cookie,
    csrf,
    get,
    post: (path, form = {}, options = {}) =>
      h.request("POST", path, new URLSearchParams({ ...(options.csrf === false ? {} : { _csrf: csrf }), ...form }).toString(), {
        auth: false,
        headers: { cookie, "content-type": "application/x-www-form-urlencoded" },
      }),
  };
}
