/** Which directory a write or read concerns; every query in sync is scoped by one. */
export interface DirectoryScope {
  organizationId: string;
  directoryId: string;
}

/**
 * Who is reading: the operator (every organization) or one organization (a portal session).
 * Reads filter by it, so a missing restriction is a visible choice, not an accident.
 */
export type Access = { kind: "operator" } | { kind: "organization"; organizationId: string };

export const OPERATOR: Access = { kind: "operator" };
