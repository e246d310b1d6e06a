// The Entra connector with the real Graph SDK against the Graph emulator: paging, delta rounds,
// removals, throttling, token refresh and resets. No database: the connector writes nothing.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { EntraConnector, EntraSettings } from "../../connectors/entra/index.js";
import { CredentialsError, CursorExpiredError, isRecordPage, type PullConnector, type VendorRecord } from "../../connectors/types.js";
import { GraphEmulator } from "../emulators/graph/index.js";

let emulator: GraphEmulator;
let url: string;

beforeEach(async () => {
  emulator = new GraphEmulator({ deltaPageSize: 7, deltaLinkCap: 10 });
  url = await emulator.listen();
});
afterEach(() => emulator.close());

function connector(overrides: { secret?: string; sleeps?: number[] } = {}): EntraConnector {
  return new EntraConnector({
    credentials: { tenant_id: emulator.tenantId, client_id: emulator.clientId, client_secret: overrides.secret ?? emulator.clientSecret },
    settings: EntraSettings.parse({ graph_endpoint: url, login_authority: url }),
    now: () => emulator.now(),
    sleep: async (ms) => void overrides.sleeps?.push(ms),
  });
}

async function drain(stream: AsyncIterable<VendorRecord[] | { cursor: string }>): Promise<{ records: VendorRecord[]; cursor: string | null; pages: number }> {
  const records: VendorRecord[] = [];
  let cursor: string | null = null;
  let pages = 0;
  for await (const item of stream) {
    if (isRecordPage(item)) {
      pages += 1;
      records.push(...item);
    } else cursor = item.cursor;
  }
  return { records, cursor, pages };
}

const signal = () => new AbortController().signal;

describe("Entra connector against the Graph emulator", () => {
  it("streams every user, group and membership of a snapshot page by page and ends with a cursor", async () => {
    emulator.tenant.seed({ users: 30, groups: 3, membersPerGroup: 12 });
    const { records, cursor, pages } = await drain(connector().snapshot(signal()));
    expect(records.filter((r) => r.kind === "user")).toHaveLength(30);
    // A group with 12 members over a 10-link cap is split: its id repeats, properties on each slice.
    expect(new Set(records.filter((r) => r.kind === "group").map((r) => (r as { id: string }).id)).size).toBe(3);
    expect(records.filter((r) => r.kind === "membership")).toHaveLength(36);
    expect(pages).toBeGreaterThan(5);
    expect(cursor).toBeTruthy();
    const user = records.find((r) => r.kind === "user") as { raw: Record<string, unknown> };
    // Explicit $select: accountEnabled and the extension attributes are not in Graph's default set.
    expect(user.raw).toHaveProperty("accountEnabled");
    expect(user.raw).toHaveProperty("onPremisesExtensionAttributes");
    const requests = emulator.requests.filter((r) => r.url.includes("/delta"));
    expect(requests.every((r) => r.authorization?.startsWith("Bearer "))).toBe(true);
    expect(requests[0]!.url).toContain("$select=");
  });

  it("reports creates, updates, soft and hard deletes and membership changes since the cursor", async () => {
    emulator.tenant.seed({ users: 5, groups: 1, membersPerGroup: 3 });
    const c = connector();
    const first = await drain(c.snapshot(signal()));
    const [g] = [...emulator.tenant.groups.keys()];
    const ids = [...emulator.tenant.users.keys()];
    const created = emulator.tenant.newUser({ givenName: "New" });
    emulator.tenant.updateUser(ids[0]!, { jobTitle: "CTO" });
    emulator.tenant.softDeleteUser(ids[1]!);
    emulator.tenant.hardDeleteUser(ids[4]!);
    emulator.tenant.addMember(g!, created.id);
    emulator.tenant.removeMember(g!, ids[2]!);
    const { records, cursor } = await drain(c.changes(first.cursor!, signal()));
    expect(records).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: "user", id: created.id }),
        expect.objectContaining({ kind: "user", id: ids[0], raw: expect.objectContaining({ jobTitle: "CTO" }) }),
        { kind: "user_removed", id: ids[1], soft: true },
        { kind: "user_removed", id: ids[4], soft: false },
        { kind: "membership", groupId: g, userId: created.id },
        { kind: "membership_removed", groupId: g, userId: ids[2] },
      ]),
    );
    // Nothing changed since: an empty round that still ends with a cursor.
    const again = await drain(c.changes(cursor!, signal()));
    expect(again.records).toEqual([]);
    expect(again.cursor).toBeTruthy();
  });

  it("flattens nested groups: users inside a nested group are members of every group around it", async () => {
    const [u1, u2, u3, u4] = [1, 2, 3, 4].map(() => emulator.tenant.newUser({}, false).id);
    const inner = emulator.tenant.newGroup({ displayName: "Inner" }, [u2!, u3!], false);
    const outer = emulator.tenant.newGroup({ displayName: "Outer" }, [u1!, inner.id], false);
    const top = emulator.tenant.newGroup({ displayName: "Top" }, [outer.id], false);
    const plain = emulator.tenant.newGroup({ displayName: "Plain" }, [u4!], false);
    const c = connector();
    const { records, cursor } = await drain(c.snapshot(signal()));
    const membersOf = (groupId: string) =>
      [...new Set(records.flatMap((r) => (r.kind === "membership" && r.groupId === groupId ? [r.userId] : [])))].sort();
    expect(membersOf(inner.id)).toEqual([u2, u3].sort());
    expect(membersOf(outer.id)).toEqual([u1, u2, u3].sort());
    expect(membersOf(top.id)).toEqual([u1, u2, u3].sort());
    expect(membersOf(plain.id)).toEqual([u4]);
    // No group ever appears as a user member.
    const groupIds = new Set([inner.id, outer.id, top.id, plain.id]);
    expect(records.some((r) => r.kind === "membership" && groupIds.has(r.userId))).toBe(false);
    expect(emulator.requests.some((r) => r.url.startsWith(`/v1.0/groups/${outer.id}/transitiveMembers/microsoft.graph.user`))).toBe(true);

    // A change in a group outside any nesting stays incremental...
    emulator.tenant.addMember(plain.id, u1!);
    const quiet = await drain(c.changes(cursor!, signal()));
    expect(quiet.records.filter((r) => r.kind !== "group")).toEqual([{ kind: "membership", groupId: plain.id, userId: u1 }]);
    // ...one inside it, or a new nested link, asks for a full run that flattens again.
    emulator.tenant.addMember(inner.id, u4!);
    await expect(drain(c.changes(quiet.cursor!, signal()))).rejects.toThrow(/nested group/);
    emulator.tenant.addMember(plain.id, inner.id);
    const fresh = await drain(c.snapshot(signal()));
    emulator.tenant.addMember(inner.id, u1!);
    await expect(drain(c.changes(fresh.cursor!, signal()))).rejects.toBeInstanceOf(CursorExpiredError);
  });

  it("carries each user's manager as manager: { id }, from manager@delta or, when a later round omits it, from /manager", async () => {
    const [boss, deputy, worker, loner] = [1, 2, 3, 4].map(() => emulator.tenant.newUser({}, false).id);
    emulator.tenant.setManager(worker!, boss!, false);
    emulator.tenant.setManager(deputy!, boss!, false);
    const c = connector();
    const first = await drain(c.snapshot(signal()));
    const managerOf = (records: VendorRecord[], id: string) => (records.find((r) => r.kind === "user" && r.id === id) as { raw: Record<string, unknown> }).raw.manager;
    expect(managerOf(first.records, worker!)).toEqual({ id: boss });
    expect(managerOf(first.records, loner!)).toBeNull();
    expect(first.records.some((r) => r.kind === "user" && "manager@delta" in r.raw)).toBe(false);

    // A title change comes without manager@delta: the manager is read, not dropped.
    emulator.tenant.updateUser(worker!, { jobTitle: "Lead" });
    emulator.tenant.setManager(deputy!, worker!);
    emulator.tenant.setManager(loner!, boss!);
    emulator.tenant.setManager(loner!, null);
    const next = await drain(c.changes(first.cursor!, signal()));
    expect(managerOf(next.records, worker!)).toEqual({ id: boss });
    expect(managerOf(next.records, deputy!)).toEqual({ id: worker });
    expect(managerOf(next.records, loner!)).toBeNull();
    // Read in one JSON batch, only for the user whose delta entry did not carry the link.
    const reads = emulator.requests.filter((r) => /\/users\/[^/]+\/manager/.test(r.url)).map((r) => r.url);
    expect(reads).toEqual([`/v1.0/users/${worker}/manager?$select=id`]);
    expect(emulator.requests.filter((r) => r.method === "POST" && r.url === "/v1.0/$batch")).toHaveLength(1);
  });

  it("reads managers 20 to a $batch and retries a throttled sub-request after its Retry-After", async () => {
    const boss = emulator.tenant.newUser({}, false).id;
    const staff = Array.from({ length: 25 }, () => emulator.tenant.newUser({}, false).id);
    for (const id of staff.slice(0, 20)) emulator.tenant.setManager(id, boss, false);
    const sleeps: number[] = [];
    const c = connector({ sleeps });
    const { cursor } = await drain(c.snapshot(signal()));
    for (const id of staff) emulator.tenant.updateUser(id, { jobTitle: "Renamed" });
    emulator.throttle(1, { status: 429, retryAfter: 2, path: "/manager" });
    const { records } = await drain(c.changes(cursor!, signal()));
    const managers = new Map(records.flatMap((r) => (r.kind === "user" ? [[r.id, r.raw.manager]] : [])));
    for (const id of staff.slice(0, 20)) expect(managers.get(id)).toEqual({ id: boss });
    for (const id of staff.slice(20)) expect(managers.get(id)).toBeNull();
    const batches = emulator.requests.filter((r) => r.method === "POST" && r.url === "/v1.0/$batch");
    // 25 users over pages of 7: four pages, four batches, plus the one sent again after the 429.
    expect(batches).toHaveLength(5);
    expect(sleeps).toEqual([2000]);
  });

  it("turns 410 Gone and an expired delta token into CursorExpiredError", async () => {
    emulator.tenant.seed({ users: 3 });
    const c = connector();
    const { cursor } = await drain(c.snapshot(signal()));
    emulator.forceResync();
    await expect(drain(c.changes(cursor!, signal()))).rejects.toBeInstanceOf(CursorExpiredError);
    emulator.resetCodeCasing = "pascal";
    emulator.advance(8 * 24 * 3600 * 1000);
    await expect(drain(c.changes(cursor!, signal()))).rejects.toBeInstanceOf(CursorExpiredError);
  });

  it("honours Retry-After on 429 and 503 and retries transient 500s with backoff", async () => {
    emulator.tenant.seed({ users: 3 });
    emulator.throttle(1, { status: 429, retryAfter: 1, path: "/users/delta" });
    emulator.throttle(1, { status: 503, retryAfter: 1, path: "/users/delta" });
    emulator.fail(2, { status: 500, path: "/groups/delta" });
    const sleeps: number[] = [];
    const started = Date.now();
    const { records } = await drain(connector({ sleeps }).snapshot(signal()));
    expect(records.filter((r) => r.kind === "user")).toHaveLength(3);
    // The SDK's RetryHandler waited the Retry-After seconds of the 429 and of the 503.
    const delta = emulator.requests.filter((r) => r.url.startsWith("/v1.0/users/delta"));
    expect(delta.length).toBe(3);
    expect(delta[1]!.at - delta[0]!.at).toBeGreaterThanOrEqual(950);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1900);
    // The two 500s went through the connector's own backoff.
    expect(sleeps).toHaveLength(2);
    expect(sleeps[1]!).toBeGreaterThan(0);
  });

  it("fetches a new token when the old one expires", async () => {
    emulator.tenant.seed({ users: 3 });
    const c = connector();
    const { cursor } = await drain(c.snapshot(signal()));
    const before = new Set(emulator.requests.map((r) => r.authorization));
    emulator.advance(2 * 3600 * 1000);
    await drain(c.changes(cursor!, signal()));
    const after = emulator.requests.at(-1)!.authorization;
    expect(before.has(after)).toBe(false);
  });

  it("checks credentials: a wrong secret is a CredentialsError naming the AADSTS reason", async () => {
    await expect(connector().check(signal())).resolves.toBeUndefined();
    const error = await connector({ secret: "wrong" }).check(signal()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CredentialsError);
    expect((error as CredentialsError).reason).toMatch(/invalid_client.*AADSTS7000215/);
  });
});

// Keeps the interface honest: the Entra connector is a PullConnector with a delta feed.
const _typecheck: PullConnector = null as unknown as EntraConnector;
void _typecheck;
