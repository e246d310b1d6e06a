// Webhook bodies, secrets and signatures. Pure: no database, no clock of its own.
// Standard Webhooks headers come from svix's own Webhook.sign, so svix's verifier and every
// Standard Webhooks library accept them; WorkOS-Signature follows @workos-inc/node's verifier.
import { createHmac, randomBytes } from "node:crypto";
import { Webhook } from "svix";
import type { DirectoryEvent } from "../model/index.js";

/** A new signing secret in the Standard Webhooks form: "whsec_" + base64 of 24 random bytes. */
export function generateSigningSecret(): string {
  return `whsec_${randomBytes(24).toString("base64")}`;
}

/**
 * The request body: compact JSON, keys in this order. The WorkOS SDK verifies
 * JSON.stringify(JSON.parse(body)), which equals the body only when it has no spacing.
 */
export function webhookBody(event: DirectoryEvent): string {
  return JSON.stringify({ object: "event", id: event.id, event: event.event, data: event.data, created_at: event.created_at });
}

/** What a delivery is signed with. */
export interface SigningInput {
  /** webhook-id: the event id, the same on every retry and redelivery, so receivers can deduplicate. */
  messageId: string;
  body: string;
  timestamp: Date;
  /** Current secret first; after a rotation the previous one too, until it expires. */
  secrets: string[];
  /** Also send WorkOS-Signature, for apps migrating from WorkOS. */
  workosSignature: boolean;
}

export function signDelivery(input: SigningInput): Record<string, string> {
  // Standard Webhooks: several signatures are space-separated; a verifier accepts any that matches.
  const signatures = input.secrets.map((secret) => new Webhook(secret).sign(input.messageId, input.timestamp, input.body));
  const headers: Record<string, string> = {
    "content-type": "application/json",
    "webhook-id": input.messageId,
    "webhook-timestamp": String(Math.floor(input.timestamp.getTime() / 1000)),
    "webhook-signature": signatures.join(" "),
  };
  if (input.workosSignature) headers["workos-signature"] = workosSignature(input.secrets[0]!, input.timestamp, input.body);
  return headers;
}

/**
 * "t=<unix ms>, v1=<hex HMAC-SHA256 of `${t}.${body}`>", keyed with the secret string as-is
 * (@workos-inc/node SignatureProvider: it splits on "," then "=", and compares t in milliseconds).
 * The SDK reads one v1 only, so only the current secret signs it.
 */
export function workosSignature(secret: string, timestamp: Date, body: string): string {
  const t = timestamp.getTime();
  const hex = createHmac("sha256", secret).update(`${t}.${body}`).digest("hex");
  return `t=${t}, v1=${hex}`;
}
