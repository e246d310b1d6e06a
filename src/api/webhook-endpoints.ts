// /webhook_endpoints: create (the secret is returned once), list, get, update, delete, rotate the
// secret, the delivery log, redeliver one event, replay from a cursor. Operator only.
import { z } from "zod";
import { GatewayError, notFound } from "../errors.js";
import { EventType } from "../model/index.js";
import { FEED_START, feedPositionOf, getEventsByIds } from "../sync/index.js";
import { getOrganization } from "../tenancy/organizations.js";
import {
  checkWebhookUrl,
  createEndpoint,
  deleteEndpoint,
  getEndpoint,
  listDeliveryAttempts,
  listEndpoints,
  replayEvents,
  rotateSecret,
  scheduleDeliveries,
  updateEndpoint,
} from "../webhooks/index.js";
import type { ApiEnv } from "./env.js";
import { resourceRouter } from "./router.js";
import { listParams, readJson, readQuery } from "./validate.js";
import type { Context } from "hono";

const fields = {
  url: z.string().trim().min(1, "is required").max(2048),
  /** Event types to deliver; omitted, null or [] means all. */
  events: z.array(EventType).max(EventType.options.length).nullable().optional(),
  organization_id: z.string().min(1).nullable().optional(),
  enabled: z.boolean().optional(),
  workos_signature: z.boolean().optional(),
};
const createBody = z.strictObject(fields);
const updateBody = z.strictObject({ ...fields, url: fields.url.optional() });
const replayBody = z.strictObject({ after: z.string().min(1).optional() });
const logQuery = listParams("desc").and(z.object({ event_id: z.string().min(1).optional() }));

/** Refuses URLs that fail the SSRF rules and organization filters naming no organization. */
async function validateTarget(c: Context<ApiEnv>, body: { url?: string | undefined; organization_id?: string | null | undefined }): Promise<void> {
  const { config, db } = c.var.deps;
  if (body.url !== undefined) {
    const verdict = await checkWebhookUrl(body.url, { allowPrivate: config.DSYNC_ALLOW_PRIVATE_WEBHOOKS });
    if (!verdict.ok) {
      throw new GatewayError("invalid_input", `url: ${verdict.reason}`, { fields: [{ field: "url", code: "invalid_url", message: verdict.reason }] });
    }
  }
  if (body.organization_id && !(await getOrganization(db, c.var.access, body.organization_id))) {
    throw new GatewayError("invalid_input", `organization_id: no such organization: ${body.organization_id}`, {
      fields: [{ field: "organization_id", code: "not_found", message: "no such organization" }],
    });
  }
}

async function update(c: Context<ApiEnv>) {
  const body = await readJson(c, updateBody);
  await validateTarget(c, body);
  const { db, clock } = c.var.deps;
  const endpoint = await updateEndpoint(db, c.req.param("id")!, body, clock.now());
  if (!endpoint) throw notFound("webhook endpoint", c.req.param("id")!);
  return c.json(endpoint);
}

export const webhookEndpointsApi = resourceRouter()
  .post("/", async (c) => {
    const body = await readJson(c, createBody);
    await validateTarget(c, body);
    const { db, clock, encryptionKey } = c.var.deps;
    const { endpoint, secret } = await createEndpoint(db, encryptionKey, body, clock.now());
    c.var.log.info({ endpointId: endpoint.id }, "webhook endpoint created");
    return c.json({ ...endpoint, secret }, 201);
  })
  .get("/", async (c) => {
    const query = readQuery(c, listParams());
    return c.json({ object: "list", ...(await listEndpoints(c.var.deps.db, query)) });
  })
  .get("/:id", async (c) => {
    const endpoint = await getEndpoint(c.var.deps.db, c.req.param("id"));
    if (!endpoint) throw notFound("webhook endpoint", c.req.param("id"));
    return c.json(endpoint);
  })
  .patch("/:id", update)
  .put("/:id", update)
  .delete("/:id", async (c) => {
    if (!(await deleteEndpoint(c.var.deps.db, c.req.param("id")))) throw notFound("webhook endpoint", c.req.param("id"));
    return c.body(null, 204);
  })
  .post("/:id/rotate_secret", async (c) => {
    const { db, clock, encryptionKey } = c.var.deps;
    const rotated = await rotateSecret(db, encryptionKey, c.req.param("id"), clock.now());
    if (!rotated) throw notFound("webhook endpoint", c.req.param("id"));
    c.var.log.info({ endpointId: rotated.endpoint.id }, "webhook secret rotated");
    return c.json({ ...rotated.endpoint, secret: rotated.secret });
  })
  .get("/:id/deliveries", async (c) => {
    const query = readQuery(c, logQuery);
    const { db } = c.var.deps;
    if (!(await getEndpoint(db, c.req.param("id")))) throw notFound("webhook endpoint", c.req.param("id"));
    return c.json({ object: "list", ...(await listDeliveryAttempts(db, c.req.param("id"), { eventId: query.event_id }, query)) });
  })
  .post("/:id/deliveries/:eventId/redeliver", async (c) => {
    const { db, clock } = c.var.deps;
    const { id, eventId } = c.req.param();
    if (!(await getEndpoint(db, id))) throw notFound("webhook endpoint", id);
    const event = (await getEventsByIds(db, [eventId])).get(eventId);
    if (!event) throw notFound("event", eventId);
    await scheduleDeliveries(db, id, [event], clock.now());
    return c.json({ object: "webhook_redelivery", endpoint_id: id, event_id: eventId, state: "pending" }, 202);
  })
  .post("/:id/replay", async (c) => {
    const body = await readJson(c, replayBody);
    const { db, clock } = c.var.deps;
    const id = c.req.param("id");
    if (!(await getEndpoint(db, id))) throw notFound("webhook endpoint", id);
    const after = body.after ? await feedPositionOf(db, body.after) : FEED_START;
    if (!after) {
      throw new GatewayError("invalid_input", `after: no such event: ${body.after}`, {
        fields: [{ field: "after", code: "not_found", message: "cursor must be the id of an event" }],
      });
    }
    const scheduled = await replayEvents(db, id, after, clock.now());
    c.var.log.info({ endpointId: id, scheduled }, "webhook replay scheduled");
    return c.json({ object: "webhook_replay", endpoint_id: id, after: body.after ?? null, scheduled }, 202);
  });
