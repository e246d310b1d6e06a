import { describe, expect, it } from "vitest";
import { baseUrl, loadConfig } from "./config.js";

describe("loadConfig", () => {
  it("applies defaults for an empty environment", () => {
    expect(loadConfig({})).toMatchObject({ PORT: 8080, DSYNC_DATA_DIR: "./.data", LOG_LEVEL: "info", DSYNC_HEAP_GROWTH_PERCENT: 100 });
    expect(loadConfig({}).DATABASE_URL).toBeUndefined();
  });

  it("treats an empty variable as unset", () => {
    const config = loadConfig({ PORT: "", DATABASE_URL: "" });
    expect(config.PORT).toBe(8080);
    expect(config.DATABASE_URL).toBeUndefined();
  });

  it.each([
    [{ PORT: "eighty" }, /^invalid configuration: PORT must be a number \(got "eighty"\)$/],
    [{ PORT: "70000" }, /^invalid configuration: PORT must be between 0 and 65535/],
    [{ DATABASE_URL: "mysql://x" }, /^invalid configuration: DATABASE_URL must be a postgres:\/\/ or postgresql:\/\/ URL$/],
    [{ DSYNC_API_KEY: "short" }, /^invalid configuration: DSYNC_API_KEY must be at least 16 characters$/],
    [{ LOG_LEVEL: "loud" }, /^invalid configuration: LOG_LEVEL /],
    [{ DSYNC_BASE_URL: "ftp://x" }, /^invalid configuration: DSYNC_BASE_URL /],
    [{ DSYNC_HEAP_GROWTH_PERCENT: "-5" }, /^invalid configuration: DSYNC_HEAP_GROWTH_PERCENT /],
    [{ DSYNC_HEAP_GROWTH_PERCENT: "lots" }, /^invalid configuration: DSYNC_HEAP_GROWTH_PERCENT /],
  ])("stops on %j with one line naming the variable", (env, message) => {
    expect(() => loadConfig(env)).toThrow(message);
  });

  it("never echoes a secret or URL in the error", () => {
    expect(() => loadConfig({ DSYNC_API_KEY: "tiny" })).toThrow(/^(?!.*tiny).*$/);
    expect(() => loadConfig({ DATABASE_URL: "mysql://user:hunter2@x" })).toThrow(/^(?!.*hunter2).*$/);
  });
});

describe("baseUrl", () => {
  it("prefers DSYNC_BASE_URL and otherwise names localhost and the port", () => {
    expect(baseUrl(loadConfig({ DSYNC_BASE_URL: "https://dsync.example.com/" }))).toBe("https://dsync.example.com");
    expect(baseUrl(loadConfig({ PORT: "9000" }))).toBe("http://localhost:9000");
  });
});
