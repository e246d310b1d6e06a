// Builds the Graph SDK client for one directory: the SDK's retry (429/503/504 honouring
// Retry-After) and telemetry handlers, with an auth handler that sends the bearer token only to
// the directory's own Graph endpoint. The SDK's AuthenticationHandler only recognises https Graph
// hosts, which would strip the token for a plain-http emulator and for hosts it does not list.
import {
  Client,
  HTTPMessageHandler,
  RetryHandler,
  RetryHandlerOptions,
  TelemetryHandler,
  type Context,
  type Middleware,
} from "@microsoft/microsoft-graph-client";
import type { ClientCredentialsTokenProvider } from "./token-provider.js";

/** SDK retries per request for 429 / 503 / 504 before the connector's own backoff takes over. */
const SDK_MAX_RETRIES = 3;
const SDK_DELAY_SECONDS = 3;

class EndpointAuthHandler implements Middleware {
  private next: Middleware | undefined;

  constructor(
    private readonly origin: string,
    private readonly tokens: ClientCredentialsTokenProvider,
  ) {}

  setNext(next: Middleware): void {
    this.next = next;
  }

  async execute(context: Context): Promise<void> {
    const url = typeof context.request === "string" ? context.request : context.request.url;
    // A link pointing anywhere else never receives the directory's token.
    if (new URL(url).origin === this.origin) {
      const token = await this.tokens.getAccessToken();
      context.options ??= {};
      const headers = new Headers(context.options.headers as ConstructorParameters<typeof Headers>[0]);
      headers.set("Authorization", `Bearer ${token}`);
      context.options.headers = Object.fromEntries(headers);
    }
    await this.next!.execute(context);
  }
}

export function createGraphClient(endpoint: string, tokens: ClientCredentialsTokenProvider): Client {
  return Client.initWithMiddleware({
    baseUrl: endpoint,
    defaultVersion: "v1.0",
    middleware: [
      new EndpointAuthHandler(new URL(endpoint).origin, tokens),
      new RetryHandler(new RetryHandlerOptions(SDK_DELAY_SECONDS, SDK_MAX_RETRIES)),
      new TelemetryHandler(),
      new HTTPMessageHandler(),
    ],
  });
}
