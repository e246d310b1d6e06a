// The Google Directory emulator's public face: tests build a GoogleEmulator in-process, and
// startGoogleEmulator runs one on a real port (the emulator CLI and connector tests use it).
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { GoogleEmulator, type GoogleEmulatorOptions, type GoogleSeed, generateServiceAccount, type GeneratedServiceAccount } from "./emulator.js";
import type { GenerateOptions, GeneratedSummary } from "./generate.js";

export { GoogleEmulator, generateServiceAccount, type GeneratedServiceAccount, type GoogleEmulatorOptions, type GoogleSeed, type RecordedRequest } from "./emulator.js";
export { GoogleDirectory, type GoogleUserSeed, type GoogleGroupSeed, type MemberSeed, type CustomSchemaDef } from "./directory.js";
export { SCOPE, DEFAULT_DELEGATED_SCOPES, type ServiceAccountSeed } from "./auth.js";
export { PAGE_TOKEN_LIFETIME_MS } from "./paging.js";
export type { ThrottleReason } from "./errors.js";
export type { GenerateOptions, GeneratedSummary } from "./generate.js";

export interface StartGoogleEmulatorOptions extends GoogleEmulatorOptions {
  port?: number;
  host?: string;
  seed?: GoogleSeed;
  /** Generate a directory of this shape (deterministic by its seed). */
  generate?: GenerateOptions;
  /**
   * Create a service account key the token endpoint verifies signatures against (unless
   * `serviceAccount` is given). The key is returned so a connector can be configured with it.
   */
  createServiceAccount?: boolean;
}

/** A running emulator: its URL (token endpoint at `${url}/token`, API root `${url}/`). */
export interface StartedGoogleEmulator {
  url: string;
  tokenUrl: string;
  control: GoogleEmulator;
  serviceAccount?: GeneratedServiceAccount;
  generated?: GeneratedSummary;
  close(): Promise<void>;
}

export async function startGoogleEmulator(options: StartGoogleEmulatorOptions = {}): Promise<StartedGoogleEmulator> {
  const { port = 0, host = "127.0.0.1", seed, generate, createServiceAccount, ...emulatorOptions } = options;
  const serviceAccount = createServiceAccount && !emulatorOptions.serviceAccount ? generateServiceAccount() : undefined;
  if (serviceAccount) emulatorOptions.serviceAccount = { email: serviceAccount.key.client_email, publicKeyPem: serviceAccount.publicKeyPem };
  const control = new GoogleEmulator(emulatorOptions);
  const generated = generate ? control.generate(generate) : undefined;
  if (seed) control.seed(seed);
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve({ fetch: control.app.fetch, port, hostname: host }, () => resolve(s));
  });
  const url = `http://${host}:${(server.address() as AddressInfo).port}`;
  // resourceUri values point back at this emulator unless a public URL was given.
  if (!options.publicBaseUrl) control.publicBaseUrl = url;
  return {
    url,
    tokenUrl: `${url}/token`,
    control,
    ...(serviceAccount ? { serviceAccount } : {}),
    ...(generated ? { generated } : {}),
    close: () => new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve()))),
  };
}
