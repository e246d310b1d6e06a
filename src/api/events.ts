// /events: the event feed, oldest first by default, with type, organization and time filters.
import { z } from "zod";
import { GatewayError } from "../errors.js";
import { EventType } from "../model/index.js";
import { isVisibleEvent, listEvents } from "../sync/index.js";
import { resourceRouter } from "./router.js";
import { listParams, readQuery } from "./validate.js";

/** Event types as `events=a,b`, `events=a&events=b` or `events[]=a` (the SDK joins an array with commas). */
const eventTypes = z
  .union([z.string(), z.array(z.string())])
  .transform((v) => [v].flat().flatMap((s) => s.split(",")).map((s) => s.trim()).filter(Boolean))
  .pipe(z.array(EventType));

const timestamp = z.iso.datetime({ offset: true, message: "must be an ISO 8601 timestamp" }).transform((s) => new Date(s));

const listQuery = listParams("asc").and(
  z.object({
    events: eventTypes.optional(),
    "events[]": eventTypes.optional(),
    organization_id: z.string().min(1).optional(),
    directory_id: z.string().min(1).optional(),
    range_start: timestamp.optional(),
    range_end: timestamp.optional(),
  }),
);

export const eventsApi = resourceRouter().get("/", async (c) => {
  const query = readQuery(c, listQuery);
  const { db } = c.var.deps;
  for (const field of ["after", "before"] as const) {
    const cursor = query[field];
    if (cursor && !(await isVisibleEvent(db, c.var.access, cursor))) {
      throw new GatewayError("invalid_input", `${field}: no such event: ${cursor}`, {
        fields: [{ field, code: "not_found", message: "cursor must be the id of an event" }],
      });
    }
  }
  const types = [...(query.events ?? []), ...(query["events[]"] ?? [])];
  const filter = {
    types: types.length ? types : undefined,
    organizationId: query.organization_id,
    directoryId: query.directory_id,
    rangeStart: query.range_start,
    rangeEnd: query.range_end,
  };
  return c.json({ object: "list", ...(await listEvents(db, c.var.access, filter, query)) });
});
