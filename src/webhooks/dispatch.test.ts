import { describe, expect, it } from "vitest";
import type { FeedEvent } from "../sync/index.js";
import { priorityOf, resourceKeyOf, wants } from "./dispatch.js";

const event = (type: string, data: Record<string, unknown>): FeedEvent =>
  ({ object: "event", id: "event_1", event: type, data, created_at: "", organization_id: "org_1", directory_id: "directory_1", directory_seq: 1, feed: { txid: "1", position: 1 } }) as FeedEvent;

describe("resourceKeyOf and priorityOf", () => {
  it.each([
    ["dsync.user.created", { id: "directory_user_1" }, "directory_user_1", 1],
    ["dsync.user.updated", { id: "directory_user_1", state: "active", previous_attributes: { name: "x" } }, "directory_user_1", 1],
    ["dsync.user.updated", { id: "directory_user_1", state: "inactive", previous_attributes: { state: "active" } }, "directory_user_1", 0],
    ["dsync.user.deleted", { id: "directory_user_1" }, "directory_user_1", 0],
    ["dsync.group.created", { id: "directory_group_1" }, "directory_group_1", 1],
    ["dsync.group.user_added", { directory_id: "directory_1", user: { id: "directory_user_1" }, group: { id: "directory_group_1" } }, "directory_user_1", 1],
    ["dsync.group.user_removed", { directory_id: "directory_1", user: { id: "directory_user_1" }, group: { id: "directory_group_1" } }, "directory_user_1", 1],
    ["dsync.activated", { id: "directory_1" }, "directory_1", 1],
    ["dsync.deleted", { id: "directory_1" }, "directory_1", 0],
  ])("%s %j -> %s, priority %i", (type, data, key, priority) => {
    expect(resourceKeyOf(event(type, data))).toBe(key);
    expect(priorityOf(event(type, data))).toBe(priority);
  });
});

describe("wants", () => {
  const target = { id: "we_1", createdAt: new Date(0) };
  it.each([
    [{ events: null, organizationId: null }, true],
    [{ events: ["dsync.user.created"], organizationId: null }, true],
    [{ events: ["dsync.user.deleted"], organizationId: null }, false],
    [{ events: null, organizationId: "org_1" }, true],
    [{ events: null, organizationId: "org_2" }, false],
  ])("%j -> %s", (filters, wanted) => {
    expect(wants({ ...target, ...filters }, event("dsync.user.created", { id: "u" }))).toBe(wanted);
  });
});
