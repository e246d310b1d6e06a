// A transient database failure (a lost connection, a server restarting, a deadlock victim) reaches a
// client as 503 with Retry-After, in the SCIM and in the REST error format, so an IdP retries instead
// of recording a failed provisioning step; any other unknown error stays a plain 500.
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { renderApiError } from "../src/api/errors.js";
import { isTransientDatabaseError, outlivingLostConnections } from "../src/db/errors.js";
import { GatewayError } from "../src/errors.js";
import { renderScimError } from "../src/scim/errors.js";

/** An error as postgres.js raises it (code on the error), wrapped as drizzle wraps it (the driver's error as cause). */
function driverError(code: string, message = `database error ${code}`): Error {
  const error = Object.assign(new Error(message), { code });
  return new Error(`Failed query: insert into "directory_users" …`, { cause: error });
}

describe("isTransientDatabaseError", () => {
  it.each([
    ["CONNECTION_CLOSED", true],
    ["CONNECTION_DESTROYED", true],
    ["ECONNREFUSED", true],
    ["57P01", true], // admin_shutdown: a terminated backend
    ["57P03", true], // cannot_connect_now: the server is starting
    ["08006", true], // connection_failure
    ["40P01", true], // deadlock_detected
    ["40001", true], // serialization_failure
    ["23505", false], // unique_violation: the request's own problem
    ["22P02", false], // invalid_text_representation
    ["42P01", false], // undefined_table: a bug, not a blip
  ])("%s -> %s", (code, transient) => {
    expect(isTransientDatabaseError(driverError(code))).toBe(transient);
  });

  it("is false for errors without a database code", () => {
    expect(isTransientDatabaseError(new Error("boom"))).toBe(false);
    expect(isTransientDatabaseError(new GatewayError("not_found", "user not found: x"))).toBe(false);
    expect(isTransientDatabaseError(null)).toBe(false);
  });
});

describe("rendered", () => {
  const failing = (render: typeof renderScimError | typeof renderApiError, error: Error) => {
    const app = new Hono();
    app.get("/", () => {
      throw error;
    });
    app.onError(render as never);
    return app.request("/");
  };

  it("as a SCIM 503 with Retry-After", async () => {
    const res = await failing(renderScimError, driverError("CONNECTION_CLOSED"));
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("1");
    expect(res.headers.get("content-type")).toMatch(/^application\/scim\+json/);
    const body = (await res.json()) as { detail: string };
    expect(body).toMatchObject({ schemas: ["urn:ietf:params:scim:api:messages:2.0:Error"], status: "503" });
    expect(body.detail).toMatch(/retry/);
  });

  it("as a REST 503 with Retry-After", async () => {
    const res = await failing(renderApiError, driverError("57P01"));
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("1");
    expect(await res.json()).toMatchObject({ code: "unavailable" });
  });

  it("leaves other unknown errors a 500 without Retry-After", async () => {
    for (const render of [renderScimError, renderApiError]) {
      const res = await failing(render, driverError("42P01"));
      expect(res.status).toBe(500);
      expect(res.headers.get("retry-after")).toBeNull();
    }
  });
});

describe("outlivingLostConnections", () => {
  it("reports a lost connection the driver left unhandled, and rethrows anything else", () => {
    const lost: unknown[] = [];
    const listener = outlivingLostConnections((error) => lost.push(error));
    const fatal = Object.assign(new Error("terminating connection due to administrator command"), { code: "57P01" });
    expect(() => listener(fatal)).not.toThrow();
    expect(lost).toEqual([fatal]);
    const bug = new TypeError("x is undefined");
    expect(() => listener(bug)).toThrow(bug);
    expect(lost).toHaveLength(1);
  });
});
