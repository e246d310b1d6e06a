// A real local webhook receiver for tests: records every request and answers as scripted
// (2xx by default; 500, 410 or hanging past the sender's timeout on command).
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** One request as received. */
export interface SinkRequest {
  headers: IncomingHttpHeaders;
  body: string;
  /** The parsed body ({ id, event, data, ... }). */
  json: { object: string; id: string; event: string; data: Record<string, any>; created_at: string };
  /** What the sink answered: a status, or "hang" (no answer until the sender gives up). */
  answer: number | "hang";
  receivedAt: number;
}

/** Decides the answer to a request; return undefined to fall through to the default (200). */
export type Responder = (request: Omit<SinkRequest, "answer">) => number | "hang" | undefined;

export class WebhookSink {
  readonly requests: SinkRequest[] = [];
  private responders: Responder[] = [];
  private hanging = new Set<() => void>();
  /** Milliseconds to wait before answering (to keep a batch in flight). */
  delayMs = 0;

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(path = "/hooks"): Promise<WebhookSink> {
    let sink!: WebhookSink;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => void sink.answer(req.headers, Buffer.concat(chunks).toString("utf8"), res));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    sink = new WebhookSink(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`);
    return sink;
  }

  private async answer(headers: IncomingHttpHeaders, body: string, res: import("node:http").ServerResponse): Promise<void> {
    let json: SinkRequest["json"];
    try {
      json = JSON.parse(body);
    } catch {
      json = { object: "", id: "", event: "", data: {}, created_at: "" };
    }
    const seen = { headers, body, json, receivedAt: Date.now() };
    let answer: number | "hang" = 200;
    for (const responder of this.responders) {
      const a = responder(seen);
      if (a !== undefined) {
        answer = a;
        break;
      }
    }
    this.requests.push({ ...seen, answer });
    if (this.delayMs) await new Promise((r) => setTimeout(r, this.delayMs));
    if (answer === "hang") {
      // Answer only when the test closes the sink; the sender's timeout fires first.
      const release = () => res.destroy();
      this.hanging.add(release);
      res.on("close", () => this.hanging.delete(release));
      return;
    }
    res.writeHead(answer, { "content-type": "text/plain" }).end(answer < 300 ? "ok" : `failure ${answer}`);
  }

  /** Adds a scripted answer; earlier responders win. */
  respond(responder: Responder): void {
    this.responders.push(responder);
  }

  /** Answers the next `count` requests (matching `where`, if given) with `answer`. */
  failNext(count: number, answer: number | "hang", where: (r: Omit<SinkRequest, "answer">) => boolean = () => true): void {
    let left = count;
    this.respond((r) => {
      if (left > 0 && where(r)) {
        left -= 1;
        return answer;
      }
      return undefined;
    });
  }

  /** Answers every request with `answer` until reset(). */
  failAll(answer: number | "hang"): void {
    this.respond(() => answer);
  }

  reset(): void {
    this.responders = [];
  }

  /** Requests answered with 2xx. */
  get delivered(): SinkRequest[] {
    return this.requests.filter((r) => typeof r.answer === "number" && r.answer < 300);
  }

  async waitFor(condition: () => boolean, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      if (Date.now() > deadline) throw new Error(`sink: condition not met within ${timeoutMs} ms (${this.requests.length} requests)`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  async close(): Promise<void> {
    for (const release of this.hanging) release();
    await new Promise((resolve) => this.server.close(resolve));
  }
}
