// The audit log of admin actions taken in the portal: who (which session, from where), what, when.
// Owns audit_events; read by the operator through GET /audit_events.
import { and, asc, desc, eq, gt, lt } from "drizzle-orm";
import type { Db } from "../db/client.js";
import { fetchPage, type Keyset, type PageRequest } from "../db/paginate.js";
import { auditEvents } from "../db/schema.js";
import { newId } from "../model/index.js";
import type { Page } from "../sync/index.js";

/** An audit entry as the REST API shows it. */
export interface AuditEvent {
  object: "audit_event";
  id: string;
  organization_id: string;
  actor: { type: "portal_session"; id: string; ip: string | null; user_agent: string | null };
  action: string;
  target_id: string | null;
  detail: Record<string, unknown>;
  created_at: string;
}

export interface AuditEntry {
  organizationId: string;
  actor: AuditEvent["actor"];
  action: string;
  targetId?: string | null;
  detail?: Record<string, unknown>;
}

export async function recordAudit(db: Db, entry: AuditEntry, now: Date): Promise<void> {
  await db.insert(auditEvents).values({
    id: newId("audit_event"),
    organizationId: entry.organizationId,
    actor: entry.actor,
    action: entry.action,
    targetId: entry.targetId ?? null,
    detail: entry.detail ?? {},
    createdAt: now,
  });
}

const keyset: Keyset = {
  greater: (c) => gt(auditEvents.id, c),
  less: (c) => lt(auditEvents.id, c),
  ascending: [asc(auditEvents.id)],
  descending: [desc(auditEvents.id)],
};

export async function listAuditEvents(db: Db, filter: { organizationId?: string | undefined }, request: PageRequest): Promise<Page<AuditEvent>> {
  const { rows, list_metadata } = await fetchPage(request, keyset, (cursor, orderBy, limit) =>
    db
      .select()
      .from(auditEvents)
      .where(and(filter.organizationId ? eq(auditEvents.organizationId, filter.organizationId) : undefined, cursor))
      .orderBy(...orderBy)
      .limit(limit),
  );
  return {
    data: rows.map((r) => ({
      object: "audit_event",
      id: r.id,
      organization_id: r.organizationId,
      actor: r.actor,
      action: r.action,
      target_id: r.targetId,
      detail: r.detail,
      created_at: r.createdAt.toISOString(),
    })),
    list_metadata,
  };
}
