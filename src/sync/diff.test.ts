import { describe, expect, it } from "vitest";
import { previousAttributes } from "./diff.js";

type Rec = { a: unknown; raw_attributes: Record<string, unknown>; custom_attributes: Record<string, unknown> };
const keys = ["a", "raw_attributes", "custom_attributes"] as const;
const rec = (a: unknown, raw: Record<string, unknown> = {}, custom: Record<string, unknown> = {}): Rec => ({ a, raw_attributes: raw, custom_attributes: custom });

describe("previousAttributes", () => {
  it.each<[string, Rec, Rec, Record<string, unknown> | null]>([
    ["nothing changed", rec(1, { x: 1 }), rec(1, { x: 1 }), null],
    ["key order inside objects does not matter", rec(1, { x: 1, y: { p: 1, q: 2 } }), rec(1, { y: { q: 2, p: 1 }, x: 1 }), null],
    ["a top-level value changed", rec("old"), rec("new"), { a: "old" }],
    ["a value appeared where there was null", rec(null), rec("set"), { a: null }],
    ["an inner raw attribute changed", rec(1, { x: 1, y: 2 }), rec(1, { x: 9, y: 2 }), { raw_attributes: { x: 1 } }],
    ["an inner raw attribute was added", rec(1, { x: 1 }), rec(1, { x: 1, z: 3 }), { raw_attributes: { z: null } }],
    ["an inner raw attribute was removed", rec(1, { x: 1, z: 3 }), rec(1, { x: 1 }), { raw_attributes: { z: 3 } }],
    ["a custom attribute changed", rec(1, {}, { dept: "R&D" }), rec(1, {}, { dept: "Sales" }), { custom_attributes: { dept: "R&D" } }],
    ["array order matters", rec([1, 2]), rec([2, 1]), { a: [1, 2] }],
  ])("%s", (_, before, after, expected) => {
    expect(previousAttributes(before, after, keys)).toEqual(expected);
  });
});
