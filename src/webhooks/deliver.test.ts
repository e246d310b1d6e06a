import { describe, expect, it } from "vitest";
import { nextAttemptAt } from "./deliver.js";

const now = new Date("2026-01-01T00:00:00Z");
const delay = (attempts: number, random: number) => nextAttemptAt(attempts, now, () => random).getTime() - now.getTime();

describe("nextAttemptAt", () => {
  it.each([
    [1, 10_000],
    [2, 20_000],
    [3, 40_000],
    [8, 1_280_000],
    [13, 40_960_000],
    [14, 12 * 3_600_000],
    [17, 12 * 3_600_000],
  ])("after %i failed attempts waits about %i ms, give or take a quarter", (attempts, base) => {
    expect(delay(attempts, 0.5)).toBe(base);
    expect(delay(attempts, 0)).toBe(base * 0.75);
    expect(delay(attempts, 0.999)).toBeLessThan(base * 1.25);
  });

  it("spreads the default 18 attempts over about three days", () => {
    let total = 0;
    for (let attempts = 1; attempts < 18; attempts++) total += delay(attempts, 0.5);
    expect(total / 3_600_000).toBeGreaterThan(60);
    expect(total / 3_600_000).toBeLessThan(84);
  });
});
