// Every user of a directory as the REST API lists them (GET /directory_users, page by page, oldest first).
import type { Harness } from "../harness.js";

export async function listAllUsers(h: Harness, directoryId: string): Promise<any[]> {
  const out: any[] = [];
  let after = "";
  for (;;) {
    const page = await h.json("GET", `/directory_users?directory=${directoryId}&limit=100&order=asc${after ? `&after=${after}` : ""}`);
    out.push(...page.data);
    if (!page.list_metadata.after) return out;
    after = page.list_metadata.after;
  }
}
