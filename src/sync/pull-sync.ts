// Applies what a pull connector streams: a full snapshot through SnapshotRun (mark, then sweep what
// was not seen, unless the deletion guard holds the sweep back), or a delta page by page through
// the reconcile ops. Writes go to a WriteRunner: the reconciler, or a dry run's transaction that is
// rolled back at the end (so a dry run executes exactly the diff a real run would).
import { isRecordPage, type PullConnector, type SyncItem, type VendorRecord } from "../../connectors/types.js";
import { and, count, eq, gt } from "drizzle-orm";
import type { Db } from "../db/client.js";
import { events } from "../db/schema.js";
import { GatewayError } from "../errors.js";
import type { CanonicalGroupInput, CanonicalUserInput } from "../model/index.js";
import { userMappingFor, type UserMapping } from "../normalize/index.js";
import { DirectoryWrite } from "./directory-write.js";
import { eventPayload } from "./events.js";
import { addMemberships, deactivateUser, deleteGroups, deleteUsers, ParsedUsers, removeMemberships, upsertGroups, writeUsers, type Change, type MemberChange, type Ref } from "./reconcile.js";
import type { UnseenPreview } from "./reconcile-preview.js";
import type { DirectoryScope } from "./scope.js";
import { readAhead } from "./read-ahead.js";
import { SnapshotRun, type MembershipEdge, type SnapshotPart, type WriteRunner } from "./snapshot.js";

/** Maps vendor records to canonical ones (normalize's job, handed in). */
export interface Normalizer {
  /** `mapping` is the directory's (preset + overrides), read under its lock: userMappingFor(w.directory). */
  normalizeUser(id: string, raw: Record<string, unknown>, mapping: UserMapping): CanonicalUserInput;
  normalizeGroup(id: string, raw: Record<string, unknown>): CanonicalGroupInput;
}

/** Running totals of a run. */
export interface Tally {
  users: Record<Change | "deleted" | "deactivated", number>;
  groups: Record<Change | "deleted", number>;
  memberships: { added: number; removed: number; missing: number };
}

export function emptyTally(): Tally {
  return {
    users: { created: 0, updated: 0, unchanged: 0, deleted: 0, deactivated: 0 },
    groups: { created: 0, updated: 0, unchanged: 0, deleted: 0 },
    memberships: { added: 0, removed: 0, missing: 0 },
  };
}

export interface ApplyOptions {
  signal: AbortSignal;
  /** Called after each applied page (lease renewal); throwing stops the run. */
  afterPage(): Promise<void>;
}

/** The end of a full snapshot: applied, or held because it would delete too much. */
export type FullOutcome =
  | { held: false; tally: Tally; cursor: string | null }
  | { held: true; tally: Tally; cursor: string | null; mark: string; preview: UnseenPreview };

export async function applyFullSnapshot(
  target: WriteRunner,
  scope: DirectoryScope,
  connector: PullConnector,
  normalizer: Normalizer,
  options: ApplyOptions & { deletionThresholdPercent: number },
): Promise<FullOutcome> {
  const run = new SnapshotRun(target, scope);
  const users = new UserPreparer(normalizer);
  const seenGroups = new Set<string>();
  let cursor: string | null = null;
  let batch = new SnapshotBatch();
  // One batch is written while the next is fetched and prepared; batches are applied in order.
  let writing: Promise<void> = Promise.resolve();
  const write = (parts: SnapshotPart[]) => {
    const done = writing.then(async () => {
      await run.apply(parts);
      await options.afterPage();
    });
    // Awaited before the next write and before returning; this only keeps a failure from counting
    // as unhandled while the loop is waiting for a page.
    done.catch(() => {});
    writing = done;
  };
  try {
    for await (const item of readAhead(connector.snapshot(options.signal), READ_AHEAD_PAGES)) {
      if (!isRecordPage(item)) {
        cursor = item.cursor;
        continue;
      }
      const userRecords = item.filter((r) => r.kind === "user");
      const groups = firstSightings(item, seenGroups).map((r) => normalizer.normalizeGroup(r.id, r.raw));
      const edges: MembershipEdge[] = item.flatMap((r) => (r.kind === "membership" ? [{ group_idp_id: r.groupId, user_idp_id: r.userId }] : []));
      // Removal markers in a snapshot need no action: what the snapshot does not list is swept.
      batch.add({ users: await users.prepare(userRecords), userCount: userRecords.length, groups, edges });
      if (batch.size >= SNAPSHOT_BATCH) {
        // The batch before this one must be written first: a batch's edges may name its users.
        await writing;
        write(batch.parts);
        batch = new SnapshotBatch();
      }
    }
    if (batch.size > 0) write(batch.parts);
  } finally {
    // Whatever ends the loop, no write is left running behind the run (its lease, its counts).
    await writing.catch(() => {});
  }
  await writing;
  const preview = await run.unseen();
  const existedBefore = preview.total_users - run.counts.users.created;
  const share = existedBefore > 0 ? (preview.users / existedBefore) * 100 : 0;
  if (share > options.deletionThresholdPercent) {
    return { held: true, tally: tallyOf(run), cursor, mark: run.mark, preview };
  }
  await run.finish();
  return { held: false, tally: tallyOf(run), cursor };
}

/** Resumes a held snapshot's sweep (the operator confirmed the deletions). */
export async function sweepHeldSnapshot(target: WriteRunner, scope: DirectoryScope, mark: string): Promise<Tally> {
  const run = new SnapshotRun(target, scope, mark);
  await run.finish();
  return tallyOf(run);
}

/**
 * Records per snapshot transaction: small pages share one lock, sequence update and commit. Larger
 * batches of users measured no faster (the database's work per row dominates) and held more memory.
 */
const SNAPSHOT_BATCH = 1000;
/**
 * Membership edges that weigh as much as one user or group in a batch: an edge is two ids in memory.
 * 2,500 edges per transaction instead of 1,000 took a 100,000-user Graph sync from 48 s to 44 s, and
 * 5,000 (once their events were sorted in memory, see work_mem in db/client.ts) about 1.5 s less.
 */
const EDGES_PER_RECORD = 5;
/** Users parsed between two chances for I/O (about 1.5 ms of work). */
const PREPARE_SLICE = 50;
/** Connector pages fetched ahead while a batch is written. */
const READ_AHEAD_PAGES = 4;

/** A page's users as the write asks for them: parsed, with the mapping read under the directory's lock. */
type UsersOfWrite = (w: DirectoryWrite) => ParsedUsers;

/**
 * Normalizes and parses users as their pages arrive, before their transaction: a batch is prepared
 * while the one before it is written. The mapping used is the one the last write read under the
 * directory's lock; each write compares it with the directory it has locked and, if the mapping
 * changed meanwhile, normalizes the page again (a mapping change re-normalizes stored users, and a
 * page normalized before it must not bring the old mapping back).
 */
class UserPreparer {
  private known: { source: string; mapping: UserMapping } | null = null;

  constructor(private readonly normalizer: Normalizer) {}

  async prepare(records: { id: string; raw: Record<string, unknown> }[]): Promise<UsersOfWrite> {
    const guess = this.known;
    const early = guess ? await this.parseYielding(records, guess.mapping) : null;
    return (w) => {
      const source = JSON.stringify(w.directory.attributeMapping ?? null);
      if (early && guess!.source === source) return early;
      const mapping = userMappingFor(w.directory);
      this.known = { source, mapping };
      return this.parse(records, mapping);
    };
  }

  /**
   * parse() in slices, letting I/O in between: the write in flight is answered by the database
   * while a page is being prepared, and its next statement should not wait for the whole page.
   */
  private async parseYielding(records: { id: string; raw: Record<string, unknown> }[], mapping: UserMapping): Promise<ParsedUsers> {
    const parts: ParsedUsers[] = [];
    for (let i = 0; i < records.length; i += PREPARE_SLICE) {
      await new Promise((resolve) => setImmediate(resolve));
      parts.push(this.parse(records.slice(i, i + PREPARE_SLICE), mapping));
    }
    return ParsedUsers.join(parts);
  }

  private parse(records: { id: string; raw: Record<string, unknown> }[], mapping: UserMapping): ParsedUsers {
    return ParsedUsers.of(records.map((r) => this.normalizer.normalizeUser(r.id, r.raw, mapping)));
  }
}

/**
 * Pages gathered for one transaction, applied as three parts: their users, then their groups, then
 * their memberships. An edge names a user and a group of this batch or an earlier one, and nothing
 * else in a snapshot depends on order, so each kind is written once per transaction, in one call.
 */
class SnapshotBatch {
  private readonly userPages: UsersOfWrite[] = [];
  private readonly groups: CanonicalGroupInput[] = [];
  private readonly edges: MembershipEdge[] = [];
  /** Records held, membership edges weighing 1 / EDGES_PER_RECORD each. */
  size = 0;

  add(page: { users: UsersOfWrite; userCount: number; groups: CanonicalGroupInput[]; edges: MembershipEdge[] }): void {
    if (page.userCount > 0) this.userPages.push(page.users);
    this.groups.push(...page.groups);
    this.edges.push(...page.edges);
    this.size += page.userCount + page.groups.length + page.edges.length / EDGES_PER_RECORD;
  }

  get parts(): SnapshotPart[] {
    const pages = this.userPages;
    const parts: SnapshotPart[] = [];
    if (pages.length > 0) parts.push({ kind: "users", users: (w) => ParsedUsers.join(pages.map((page) => page(w))) });
    if (this.groups.length > 0) parts.push({ kind: "groups", groups: this.groups });
    if (this.edges.length > 0) parts.push({ kind: "memberships", edges: this.edges });
    return parts;
  }
}

/**
 * Group records not seen earlier in this run: a large group repeats on several pages (one slice of
 * members each), and its properties need applying once. Groups are few enough to remember.
 */
function firstSightings(records: VendorRecord[], seen: Set<string>): { id: string; raw: Record<string, unknown> }[] {
  const out: { id: string; raw: Record<string, unknown> }[] = [];
  for (const r of records) {
    if (r.kind !== "group" || seen.has(r.id)) continue;
    seen.add(r.id);
    out.push(r);
  }
  return out;
}

function tallyOf(run: SnapshotRun): Tally {
  const c = run.counts;
  return { users: { ...c.users, deactivated: 0 }, groups: { ...c.groups }, memberships: { ...c.memberships } };
}

/** Applies a connector's changes since `cursor`, one transaction per page; returns the next cursor. */
export async function applyChanges(
  target: WriteRunner,
  scope: DirectoryScope,
  stream: AsyncIterable<SyncItem>,
  normalizer: Normalizer,
  options: ApplyOptions,
): Promise<{ tally: Tally; cursor: string | null }> {
  const tally = emptyTally();
  const seenGroups = new Set<string>();
  let cursor: string | null = null;
  for await (const item of readAhead(stream)) {
    if (!isRecordPage(item)) {
      cursor = item.cursor;
      continue;
    }
    const records = item.filter((r) => r.kind !== "group" || !seenGroups.has(r.id));
    for (const r of records) if (r.kind === "group") seenGroups.add(r.id);
    await target.run(scope, (w) => applyChangePage(w, records, normalizer, tally));
    await options.afterPage();
  }
  return { tally, cursor };
}

/**
 * One page of changes, in an order that keeps references valid: users first (memberships may name
 * them), then groups, membership adds and removes, and group deletions last. Replays are harmless:
 * every op compares with stored state first.
 */
async function applyChangePage(w: DirectoryWrite, records: VendorRecord[], normalizer: Normalizer, tally: Tally): Promise<void> {
  const mapping = userMappingFor(w.directory);
  const users = records.flatMap((r) => (r.kind === "user" ? [normalizer.normalizeUser(r.id, r.raw, mapping)] : []));
  for (const change of await writeUsers(w, users)) tally.users[change] += 1;

  const hard = records.flatMap((r) => (r.kind === "user_removed" && !r.soft ? [{ idp_id: r.id }] : []));
  if (hard.length) tally.users.deleted += (await deleteUsers(w, hard)).length;
  // A soft-deleted user can come back within 30 days: keep it, inactive.
  for (const r of records) {
    if (r.kind !== "user_removed" || !r.soft) continue;
    const result = await ignoreMissing(() => deactivateUser(w, { idp_id: r.id }));
    if (result?.change === "updated") tally.users.deactivated += 1;
  }

  const groups = records.flatMap((r) => (r.kind === "group" ? [normalizer.normalizeGroup(r.id, r.raw)] : []));
  for (const result of await upsertGroups(w, groups)) tally.groups[result.change] += 1;

  // A change naming a group we do not hold comes back as null and is skipped (its users counted missing).
  const adds = memberChanges(records, "membership");
  if (adds.length) {
    (await addMemberships(w, adds)).forEach((result, i) => {
      tally.memberships.added += result?.added.length ?? 0;
      tally.memberships.missing += result ? result.missing.length : adds[i]!.users.length;
    });
  }
  const removes = memberChanges(records, "membership_removed");
  if (removes.length) for (const result of await removeMemberships(w, removes)) tally.memberships.removed += result?.removed.length ?? 0;

  const goneGroups = records.flatMap((r) => (r.kind === "group_removed" ? [{ idp_id: r.id }] : []));
  if (goneGroups.length) tally.groups.deleted += (await deleteGroups(w, goneGroups)).length;
}

/** The page's membership records of one kind, as one change per group (IdP ids). */
function memberChanges(records: VendorRecord[], kind: "membership" | "membership_removed"): MemberChange[] {
  const out = new Map<string, Ref[]>();
  for (const r of records) {
    if (r.kind !== kind) continue;
    let users = out.get(r.groupId);
    if (!users) out.set(r.groupId, (users = []));
    users.push({ idp_id: r.userId });
  }
  return [...out].map(([idp_id, users]) => ({ group: { idp_id }, users }));
}

/**
 * A change naming a user or group we do not hold (deleted meanwhile, or filtered) is skipped.
 * The not_found is thrown before any statement fails, so the transaction stays usable.
 */
async function ignoreMissing<T>(op: () => Promise<T>): Promise<T | null> {
  try {
    return await op();
  } catch (error) {
    if (error instanceof GatewayError && error.code === "not_found") return null;
    throw error;
  }
}

// ---------------------------------------------------------------- dry runs

/** What a dry run would have emitted: totals per type and the first events in full. */
export interface EventPreview {
  total: number;
  by_type: Record<string, number>;
  sample: { event: string; data: Record<string, unknown> }[];
}

const ROLLBACK = Symbol("dry run rollback");

/**
 * Runs `body` against one transaction on the directory and rolls it back: the same reconcile code
 * runs and writes its events as a real run would; they are read back before the rollback, so
 * nothing is kept and no event is delivered. The directory stays locked meanwhile.
 */
export async function dryRun<T>(db: Db, scope: DirectoryScope, now: Date, body: (target: WriteRunner) => Promise<T>, sampleSize = 50): Promise<{ result: T; events: EventPreview }> {
  let outcome: { result: T; events: EventPreview } | null = null;
  try {
    await db.transaction(async (tx) => {
      const w = await DirectoryWrite.begin(tx, scope, now);
      const result = await body({ run: (_scope, op) => op(w) });
      await w.flush();
      outcome = { result, events: await emittedSince(tx, scope, w.directory.eventSeq, sampleSize) };
      throw ROLLBACK;
    });
  } catch (error) {
    if (error !== ROLLBACK) throw error;
  }
  return outcome!;
}

/** The events of `scope` after sequence number `seq`: totals per type and the first ones in full. */
async function emittedSince(tx: Db, scope: DirectoryScope, seq: number, sampleSize: number): Promise<EventPreview> {
  const after = and(eq(events.directoryId, scope.directoryId), gt(events.directorySeq, seq));
  const [totals, sample] = await Promise.all([
    tx.select({ event: events.event, count: count() }).from(events).where(after).groupBy(events.event),
    tx.select({ event: events.event, data: eventPayload }).from(events).where(after).orderBy(events.directorySeq).limit(sampleSize),
  ]);
  const by_type = Object.fromEntries(totals.map((t) => [t.event, t.count]));
  return { total: totals.reduce((n, t) => n + t.count, 0), by_type, sample };
}
