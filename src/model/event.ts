// Events: one per real change, in a total order per directory, as the feed and webhooks carry them.
import { z } from "zod";

export const EVENT_TYPES = [
  "dsync.activated",
  "dsync.deleted",
  "dsync.user.created",
  "dsync.user.updated",
  "dsync.user.deleted",
  "dsync.group.created",
  "dsync.group.updated",
  "dsync.group.deleted",
  "dsync.group.user_added",
  "dsync.group.user_removed",
] as const;

export const EventType = z.enum(EVENT_TYPES);
export type EventType = z.infer<typeof EventType>;

/** An event as the REST API and webhooks show it. */
export const DirectoryEvent = z.object({
  object: z.literal("event"),
  id: z.string(),
  event: EventType,
  data: z.record(z.string(), z.unknown()),
  created_at: z.string(),
});
export type DirectoryEvent = z.infer<typeof DirectoryEvent>;

/** Events that take access away; webhook delivery puts these in its priority lane. */
export const isDeprovisioning = (type: EventType, data: Record<string, unknown>): boolean =>
  type === "dsync.user.deleted" ||
  type === "dsync.deleted" ||
  (type === "dsync.user.updated" &&
    data.state === "inactive" &&
    (data.previous_attributes as Record<string, unknown> | undefined)?.state !== undefined);
