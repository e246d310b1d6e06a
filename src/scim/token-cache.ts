// A short-lived, in-process cache of verified SCIM tokens: (directory, SHA-256 of the presented token)
// -> the directory it authenticates, so a request does not query scim_tokens each time. Rotating a token
// or deleting a directory in this process forgets the directory at once; other processes re-verify every
// entry after TTL_MS, so there the old token stops working within that time. Only successful checks are
// cached: a wrong token always goes to the database (and cannot fill the cache).
import type { Db } from "../db/client.js";
import type { DirectoryScope } from "../sync/index.js";

/** How long a verified token is trusted without asking the database again. */
export const TOKEN_CACHE_TTL_MS = 1000;
/** Entries kept at most; past it the cache starts over (a bound, not an eviction policy). */
const MAX_ENTRIES = 10_000;

/** A directory a token authenticates, with its state (to mark it linked on first use). */
export interface ScimPrincipal {
  scope: DirectoryScope;
  state: string;
}

/** What a token check found: the directory (when it has a SCIM token) and whether the token matched. */
export interface CheckResult {
  directory: ScimPrincipal | null;
  authenticated: boolean;
}

interface Entry {
  principal: ScimPrincipal;
  tokenHash: string;
  expiresAt: number;
}

export class ScimTokenCache {
  private readonly entries = new Map<string, Entry>();
  private readonly checking = new Map<string, Promise<CheckResult>>();
  /** Bumped by forget(), so a check that started before a rotation is not cached after it. */
  private readonly generations = new Map<string, number>();

  constructor(private readonly now: () => number = () => performance.now()) {}

  /** The principal `tokenHash` was verified for, while that verification is fresh. */
  get(directoryId: string, tokenHash: string): ScimPrincipal | null {
    const entry = this.entries.get(directoryId);
    if (!entry || entry.tokenHash !== tokenHash) return null;
    if (entry.expiresAt <= this.now()) {
      this.entries.delete(directoryId);
      return null;
    }
    return entry.principal;
  }

  set(directoryId: string, tokenHash: string, principal: ScimPrincipal): void {
    if (this.entries.size >= MAX_ENTRIES) this.entries.clear();
    this.entries.set(directoryId, { principal, tokenHash, expiresAt: this.now() + TOKEN_CACHE_TTL_MS });
  }

  /** Records a new directory state (e.g. linked) on the cached principal, if there is one. */
  setState(directoryId: string, state: string): void {
    const entry = this.entries.get(directoryId);
    if (entry) entry.principal = { ...entry.principal, state };
  }

  /** Forgets the directory: its next request is checked against the database. */
  forget(directoryId: string): void {
    this.entries.delete(directoryId);
    // A check already running may have read the old token: its result must not be cached.
    this.generations.set(directoryId, (this.generations.get(directoryId) ?? 0) + 1);
    for (const key of this.checking.keys()) if (key.startsWith(`${directoryId} `)) this.checking.delete(key);
  }

  /**
   * Runs `check` for (directory, token hash), sharing it with concurrent callers presenting the same
   * token (they all miss at once when an entry expires), and caches a successful result unless the
   * directory was forgotten while the check ran.
   */
  checkOnce(directoryId: string, tokenHash: string, check: () => Promise<CheckResult>): Promise<CheckResult> {
    const key = `${directoryId} ${tokenHash}`;
    let running = this.checking.get(key);
    if (!running) {
      const generation = this.generations.get(directoryId) ?? 0;
      const started: Promise<CheckResult> = check()
        .then((result) => {
          if (result.authenticated && result.directory && (this.generations.get(directoryId) ?? 0) === generation) {
            this.set(directoryId, tokenHash, result.directory);
          }
          return result;
        })
        .finally(() => {
          if (this.checking.get(key) === started) this.checking.delete(key);
        });
      running = started;
      this.checking.set(key, running);
    }
    return running;
  }
}

// One cache per open database (the REST API rotates tokens and SCIM checks them through the same handle),
// so separate gateways in one process, such as test harnesses, never share entries.
const caches = new WeakMap<Db, ScimTokenCache>();

export function tokenCacheOf(db: Db): ScimTokenCache {
  let cache = caches.get(db);
  if (!cache) {
    cache = new ScimTokenCache();
    caches.set(db, cache);
  }
  return cache;
}
