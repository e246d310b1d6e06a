// Process-wide settings every entry point applies at start: main.ts, and the benchmarks that run the
// gateway's parts in-process (so that they measure it as it runs).
import { setFlagsFromString } from "node:v8";
import type { Config } from "./config.js";

/**
 * Lets V8's old generation grow to at most 1 + percent/100 times what the last full collection kept
 * before it collects again. V8's own policy grows it up to fourfold wherever memory is plentiful, so a
 * pull sync that holds ~65 MB peaked at 430 MB on a 24 GiB machine; at 100 % it peaks under 300 MB at
 * the same speed (BENCHMARKS.md). V8 reads the setting at every collection, so it applies from here on.
 * 0 leaves V8's own policy.
 */
export function applyRuntimeSettings(config: Pick<Config, "DSYNC_HEAP_GROWTH_PERCENT">): void {
  if (config.DSYNC_HEAP_GROWTH_PERCENT > 0) setFlagsFromString(`--heap-growing-percent=${config.DSYNC_HEAP_GROWTH_PERCENT}`);
}
