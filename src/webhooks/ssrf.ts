// SSRF guard for webhook URLs: HTTPS only, and no host that resolves to loopback, private,
// link-local, shared (CGNAT) or cloud-metadata addresses, unless DSYNC_ALLOW_PRIVATE_WEBHOOKS is on.
// It only decides; the HTTP client (deliver.ts) calls isForbiddenAddress again on the address it
// actually connects to, so a DNS answer that changes after this check (rebinding) gains nothing.
import { lookup } from "node:dns/promises";
import { BlockList, isIP } from "node:net";

const forbidden = new BlockList();
for (const [net, bits] of [
  ["0.0.0.0", 8], // "this network"; 0.0.0.0 reaches the local host on Linux
  ["10.0.0.0", 8],
  ["100.64.0.0", 10], // shared address space (CGNAT); Alibaba's metadata service is 100.100.100.200
  ["127.0.0.0", 8],
  ["169.254.0.0", 16], // link-local, including 169.254.169.254 (AWS, GCP, Azure, OpenStack metadata)
  ["172.16.0.0", 12],
  ["192.0.0.0", 24],
  ["192.168.0.0", 16],
  ["198.18.0.0", 15],
  ["224.0.0.0", 4], // multicast
  ["240.0.0.0", 4], // reserved and broadcast
] as const) {
  forbidden.addSubnet(net, bits, "ipv4");
}
for (const [net, bits] of [
  ["::", 128],
  ["::1", 128],
  ["fc00::", 7], // unique local, including fd00:ec2::254 (AWS metadata over IPv6)
  ["fe80::", 10], // link-local
  ["ff00::", 8], // multicast
  ["64:ff9b::", 96], // NAT64 can reach any IPv4 address, private ones too
] as const) {
  forbidden.addSubnet(net, bits, "ipv6");
}

/** True for an address a webhook must never be sent to. */
export function isForbiddenAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return forbidden.check(address, "ipv4");
  if (family !== 6) return true;
  // An IPv4-mapped IPv6 address (::ffff:10.0.0.1) reaches the IPv4 host it embeds.
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return forbidden.check(mapped[1]!, "ipv4");
  return forbidden.check(address, "ipv6");
}

/** Resolves a host name to all its addresses; replaced in tests. */
export type Resolve = (host: string) => Promise<string[]>;

export const resolveHost: Resolve = async (host) => (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);

/** Why a URL was refused, for the API's error message; null when it is acceptable. */
export type UrlVerdict = { ok: true; url: URL } | { ok: false; reason: string };

export async function checkWebhookUrl(raw: string, options: { allowPrivate: boolean; resolve?: Resolve }): Promise<UrlVerdict> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, reason: "must be an absolute URL" };
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return { ok: false, reason: "must be an http(s) URL" };
  if (url.username || url.password) return { ok: false, reason: "must not contain credentials" };
  if (options.allowPrivate) return { ok: true, url };
  if (url.protocol !== "https:") return { ok: false, reason: "must use https (set DSYNC_ALLOW_PRIVATE_WEBHOOKS=1 for local development)" };

  const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
  let addresses: string[];
  if (isIP(host)) {
    addresses = [host];
  } else {
    try {
      addresses = await (options.resolve ?? resolveHost)(host);
    } catch {
      return { ok: false, reason: `host ${host} does not resolve` };
    }
  }
  if (addresses.length === 0) return { ok: false, reason: `host ${host} does not resolve` };
  if (addresses.some(isForbiddenAddress)) {
    return { ok: false, reason: "resolves to a private, loopback, link-local or metadata address (refused to prevent SSRF)" };
  }
  return { ok: true, url };
}
