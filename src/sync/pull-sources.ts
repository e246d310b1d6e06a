// Which connector and which normalizer serve each pull directory type, plus the scheduler settings
// every pull directory shares. Adding a vendor is one entry here and one folder in connectors/.
import { z } from "zod";
import { EntraConnector, EntraCredentials, EntraSettings } from "../../connectors/entra/index.js";
import { GoogleConnector, GoogleCredentials, GoogleSettings } from "../../connectors/google/index.js";
import { OktaConnector, OktaCredentials } from "../../connectors/okta/index.js";
import type { PullConnector } from "../../connectors/types.js";
import type { CanonicalGroupInput, CanonicalUserInput } from "../model/index.js";
import { normalizeEntraGroup, normalizeEntraUser } from "../normalize/entra-graph.js";
import { normalizeGoogleGroup, normalizeGoogleUser } from "../normalize/google-admin.js";
import { normalizeOktaGroup, normalizeOktaUser } from "../normalize/okta-api.js";

/** Schedule and safety settings of any pull directory. */
export const SchedulerSettings = z.object({
  incremental_interval_minutes: z.number().int().min(1).max(7 * 24 * 60).default(15),
  full_interval_hours: z.number().min(1).max(30 * 24).default(24),
  /** A full snapshot deleting more than this share of the directory's users waits for confirmation. */
  deletion_threshold_percent: z.number().min(0).max(100).default(20),
});
export type SchedulerSettings = z.infer<typeof SchedulerSettings>;

/** One vendor's connector, credential and settings schemas, and normalizers. */
export interface PullSource {
  credentials: z.ZodType<Record<string, unknown>>;
  /** The connector's settings together with SchedulerSettings; every key has a default. */
  settings: z.ZodType<Record<string, unknown>>;
  createConnector(credentials: unknown, settings: Record<string, unknown>): PullConnector;
  normalizeUser(id: string, raw: Record<string, unknown>): CanonicalUserInput;
  normalizeGroup(id: string, raw: Record<string, unknown>): CanonicalGroupInput;
}

const entraSettings = z.strictObject({ ...EntraSettings.shape, ...SchedulerSettings.shape });
const googleSettings = z.strictObject({ ...GoogleSettings.shape, ...SchedulerSettings.shape });
// Okta's org URL is part of its credentials: only the schedule is a setting.
const oktaSettings = z.strictObject({ ...SchedulerSettings.shape });

const sources: Record<string, PullSource> = {
  "azure graph": {
    credentials: EntraCredentials,
    settings: entraSettings,
    createConnector: (credentials, settings) =>
      new EntraConnector({ credentials: EntraCredentials.parse(credentials), settings: EntraSettings.parse(pick(settings, Object.keys(EntraSettings.shape))) }),
    normalizeUser: normalizeEntraUser,
    normalizeGroup: normalizeEntraGroup,
  },
  "gsuite directory": {
    credentials: GoogleCredentials as z.ZodType<Record<string, unknown>>,
    settings: googleSettings,
    createConnector: (credentials, settings) =>
      new GoogleConnector({ credentials: GoogleCredentials.parse(credentials), settings: GoogleSettings.parse(pick(settings, Object.keys(GoogleSettings.shape))) }),
    normalizeUser: normalizeGoogleUser,
    normalizeGroup: normalizeGoogleGroup,
  },
  "okta api": {
    credentials: OktaCredentials as z.ZodType<Record<string, unknown>>,
    settings: oktaSettings,
    createConnector: (credentials) => new OktaConnector({ credentials: OktaCredentials.parse(credentials) }),
    normalizeUser: normalizeOktaUser,
    normalizeGroup: normalizeOktaGroup,
  },
};

/** The source for a directory type, or null when the gateway cannot pull that type (yet). */
export function pullSourceFor(type: string): PullSource | null {
  return sources[type] ?? null;
}

export function schedulerSettings(settings: Record<string, unknown>): SchedulerSettings {
  return SchedulerSettings.parse(pick(settings, Object.keys(SchedulerSettings.shape)));
}

function pick(record: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(keys.filter((k) => record[k] !== undefined).map((k) => [k, record[k]]));
}
