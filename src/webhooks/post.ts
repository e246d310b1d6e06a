// The HTTP POST of one webhook: a timeout over the whole exchange, no redirects, a bounded
// response snippet, and the SSRF check applied to the address actually connected to.
import { lookup as dnsLookup, type LookupAddress } from "node:dns";
import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import { isIP, type LookupFunction } from "node:net";
import { isForbiddenAddress } from "./ssrf.js";

/** What came back, or why nothing did. */
export interface PostResult {
  status: number | null;
  latencyMs: number;
  /** The start of the response body (or the error), for the delivery log. */
  snippet: string | null;
  error: string | null;
}

const SNIPPET_CHARS = 1000;
const MAX_READ_BYTES = 64 * 1024;

// Checks each resolved address before the socket connects to it, so DNS rebinding between the
// URL check at creation and this request cannot reach a private address.
const guardedLookup: LookupFunction = (hostname, options, callback) => {
  dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
    if (error) return callback(error, "", 0);
    const list = addresses as unknown as LookupAddress[];
    const bad = list.find((a) => isForbiddenAddress(a.address));
    if (bad) return callback(Object.assign(new Error(`refused private address ${bad.address}`), { code: "EPRIVATE" }), "", 0);
    if ((options as { all?: boolean }).all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, list);
    callback(null, list[0]!.address, list[0]!.family);
  });
};

export function postWebhook(
  url: string,
  headers: Record<string, string>,
  body: string,
  options: { timeoutMs: number; allowPrivate: boolean },
): Promise<PostResult> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  return new Promise((resolve) => {
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    const finish = (result: Omit<PostResult, "latencyMs">) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ ...result, latencyMs: elapsed() });
    };
    const target = new URL(url);
    // Node skips the lookup for an IP literal, so the literal is checked here.
    const literal = target.hostname.replace(/^\[(.*)\]$/, "$1");
    if (!options.allowPrivate && isIP(literal) && isForbiddenAddress(literal)) {
      return finish({ status: null, snippet: null, error: "refused private address" });
    }
    const send = target.protocol === "https:" ? httpsRequest : httpRequest;
    const req = send(
      target,
      {
        method: "POST",
        headers: { ...headers, "content-length": String(Buffer.byteLength(body)), "user-agent": "dsync-gateway-webhooks/1" },
        ...(options.allowPrivate ? {} : { lookup: guardedLookup }),
        agent: false,
      },
      (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on("data", (chunk: Buffer) => {
          size += chunk.length;
          if (size <= MAX_READ_BYTES) chunks.push(chunk);
          else res.destroy();
        });
        const done = () =>
          finish({ status: res.statusCode ?? null, snippet: Buffer.concat(chunks).toString("utf8").slice(0, SNIPPET_CHARS) || null, error: null });
        res.on("end", done);
        res.on("close", done);
        res.on("error", done);
      },
    );
    timer = setTimeout(() => {
      finish({ status: null, snippet: null, error: `timed out after ${options.timeoutMs} ms` });
      req.destroy();
    }, options.timeoutMs);
    req.on("error", (error: NodeJS.ErrnoException) => finish({ status: null, snippet: null, error: error.code ? `${error.code}: ${error.message}` : error.message }));
    req.end(body);
  });
}
