// Connecting a pull directory: validate its credentials and settings, store the credentials
// encrypted, prove they work (a token request and one read), and set the directory's state to
// linked (dsync.activated) or invalid_credentials with the reason.
import { z } from "zod";
import { CredentialsError } from "../../connectors/types.js";
import type { Deps } from "../deps.js";
import { GatewayError, type FieldError } from "../errors.js";
import { readPullDirectory, savePullDirectory, sealCredentials } from "./pull-directories.js";
import { pullSourceFor } from "./pull-sources.js";
import type { DirectoryScope } from "./scope.js";

/** Credentials and settings checked against the directory type's schemas, ready to store. */
export interface PreparedPullDirectory {
  type: string;
  credentials: Record<string, unknown> | null;
  settings: Record<string, unknown>;
}

/** How a pull directory stands, for the directory's API object (never its credentials). */
export interface PullStatus {
  state_reason: string | null;
  has_credentials: boolean;
  /** When the credentials or settings were last stored (ISO 8601). */
  connection_saved_at: string;
  settings: Record<string, unknown>;
  next_incremental_sync_at: string | null;
  next_full_sync_at: string | null;
}

const CHECK_TIMEOUT_MS = 30_000;

/** Validates before anything is created; null for directory types that are not pulled. */
export function preparePullDirectory(type: string, credentials: unknown, settings: unknown): PreparedPullDirectory | null {
  const source = pullSourceFor(type);
  if (!source) {
    if (credentials !== undefined || settings !== undefined) {
      throw new GatewayError("invalid_input", `directories of type "${type}" take no credentials or settings`, {
        fields: [{ field: credentials !== undefined ? "credentials" : "settings", code: "unexpected", message: "only pull directories take these" }],
      });
    }
    return null;
  }
  return {
    type,
    credentials: credentials === undefined ? null : parse(source.credentials, credentials, "credentials"),
    settings: parse(source.settings, settings ?? {}, "settings"),
  };
}

/**
 * Stores the connection and, when credentials were given, checks them and sets the state. With
 * `activate: false` working credentials leave the directory `validating` (no dsync.activated, not
 * scheduled) until activatePullDirectory: the portal's admin sees a dry run first.
 */
export async function linkPullDirectory(deps: Deps, scope: DirectoryScope, prepared: PreparedPullDirectory, options: { activate?: boolean } = {}): Promise<void> {
  const { db, clock, encryptionKey } = deps;
  const ciphertext = prepared.credentials ? sealCredentials(encryptionKey, scope.directoryId, prepared.credentials) : null;
  await savePullDirectory(db, scope, { credentialsCiphertext: ciphertext, settings: prepared.settings, stateReason: null }, clock.now());
  if (!prepared.credentials) return;
  const connector = pullSourceFor(prepared.type)!.createConnector(prepared.credentials, prepared.settings);
  try {
    await connector.check(AbortSignal.timeout(CHECK_TIMEOUT_MS));
  } catch (error) {
    const reason = error instanceof CredentialsError ? error.reason : `credentials check failed: ${(error as Error).message}`;
    await savePullDirectory(db, scope, { credentialsCiphertext: ciphertext, settings: prepared.settings, stateReason: reason }, clock.now());
    await deps.reconciler.setDirectoryState(scope, "invalid_credentials");
    deps.log.info({ directoryId: scope.directoryId, reason }, "pull directory credentials refused");
    return;
  }
  await deps.reconciler.setDirectoryState(scope, options.activate === false ? "validating" : "linked");
}

/** Starts scheduled syncs of a directory whose credentials were checked (dsync.activated). */
export async function activatePullDirectory(deps: Deps, scope: DirectoryScope): Promise<void> {
  const row = await readPullDirectory(deps.db, scope.directoryId);
  if (!row?.credentialsCiphertext || row.stateReason) throw new GatewayError("conflict", "the directory has no working credentials to activate");
  await deps.reconciler.setDirectoryState(scope, "linked");
}

export async function pullStatus(deps: Deps, directoryId: string): Promise<PullStatus | null> {
  const row = await readPullDirectory(deps.db, directoryId);
  if (!row) return null;
  return {
    state_reason: row.stateReason,
    has_credentials: row.credentialsCiphertext !== null,
    connection_saved_at: row.connectionSavedAt.toISOString(),
    settings: row.settings,
    next_incremental_sync_at: row.nextIncrementalAt?.toISOString() ?? null,
    next_full_sync_at: row.nextFullAt?.toISOString() ?? null,
  };
}

function parse(schema: z.ZodType<Record<string, unknown>>, value: unknown, field: string): Record<string, unknown> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const fields: FieldError[] = result.error.issues.flatMap(closestBranch).map((issue) => ({
    field: [field, ...issue.path.map(String)].join("."),
    code: issue.code,
    message: issue.message,
  }));
  throw new GatewayError("invalid_input", `invalid request: ${fields.map((f) => `${f.field}: ${f.message}`).join("; ")}`, { fields });
}

/**
 * A union of credential shapes (Okta: API token or service app) fails as one opaque issue; report
 * the issues of the branch the input came closest to, so each bad field is named.
 */
function closestBranch(issue: z.core.$ZodIssue): z.core.$ZodIssue[] {
  if (issue.code !== "invalid_union" || issue.errors.length === 0) return [issue];
  const best = issue.errors.reduce((a, b) => (b.length < a.length ? b : a));
  return best.map((inner) => ({ ...inner, path: [...issue.path, ...inner.path] }));
}
