// The operator's branding of the portal (app name, logo, accent colour). Owns portal_branding.
import { eq } from "drizzle-orm";
import { z } from "zod";
import type { Db } from "../db/client.js";
import { portalBranding } from "../db/schema.js";

export const Branding = z.strictObject({
  app_name: z.string().trim().min(1, "is required").max(80),
  /** Shown in the portal header; https only, so the page never loads mixed content. */
  logo_url: z.url({ protocol: /^https$/, message: "must be an https:// URL" }).max(2000).nullable(),
  accent_color: z.string().regex(/^#[0-9a-fA-F]{6}$/, "must be a colour such as #4f46e5").transform((c) => c.toLowerCase()),
});
export type Branding = z.infer<typeof Branding>;

export const DEFAULT_BRANDING: Branding = { app_name: "Directory sync", logo_url: null, accent_color: "#3b4fd8" };
const ROW = "default";

export async function getBranding(db: Db): Promise<Branding> {
  const [row] = await db.select().from(portalBranding).where(eq(portalBranding.id, ROW));
  return row ? { app_name: row.appName, logo_url: row.logoUrl, accent_color: row.accentColor } : DEFAULT_BRANDING;
}

export async function setBranding(db: Db, branding: Branding, now: Date): Promise<Branding> {
  const values = { appName: branding.app_name, logoUrl: branding.logo_url, accentColor: branding.accent_color, updatedAt: now };
  await db.insert(portalBranding).values({ id: ROW, ...values }).onConflictDoUpdate({ target: portalBranding.id, set: values });
  return branding;
}

/**
 * Text colour that keeps at least WCAG AA contrast on the accent colour: white on dark accents,
 * near-black on light ones.
 */
export function textOn(accent: string): string {
  const channel = (hex: string) => {
    const c = parseInt(hex, 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  const luminance = 0.2126 * channel(accent.slice(1, 3)) + 0.7152 * channel(accent.slice(3, 5)) + 0.0722 * channel(accent.slice(5, 7));
  return (1.05 / (luminance + 0.05)) >= 4.5 ? "#ffffff" : "#111111";
}
