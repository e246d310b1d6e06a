// users.watch push channels (idp-apis.md §2.5): records channels, expires them on the fake clock,
// stops them, and delivers notifications with Google's X-Goog-* headers and a thin user stub (a
// `sync` message first on each channel). It only posts to addresses tests registered.
import { randomBytes } from "node:crypto";

export const USER_WATCH_EVENTS = ["add", "delete", "update", "makeAdmin", "undelete"] as const;
export type UserWatchEvent = (typeof USER_WATCH_EVENTS)[number];

/** A recorded watch channel. */
export interface WatchChannel {
  id: string;
  resourceId: string;
  resourceUri: string;
  token?: string;
  address: string;
  /** null: the watch named no event, so every event is delivered. */
  event: UserWatchEvent | null;
  expiration: number;
  messageNumber: number;
  synced: boolean;
  stopped: boolean;
}

/** One notification the emulator attempted, with the receiver's status (or the network error). */
export interface DeliveredNotification {
  channelId: string;
  state: string;
  status: number | string;
}

/** Google caps directory channels at about 6 hours when no expiration is asked for [D/O]. */
const DEFAULT_CHANNEL_TTL_MS = 6 * 3600_000;

export class ChannelRegistry {
  readonly channels = new Map<string, WatchChannel>();

  constructor(
    private readonly now: () => number,
    private readonly fetchFn: typeof fetch = fetch,
  ) {}

  open(input: { id: string; address: string; token?: string; expiration?: number; event: UserWatchEvent | null; resourceUri: string }): WatchChannel {
    const channel: WatchChannel = {
      id: input.id,
      resourceId: randomBytes(18).toString("base64url"),
      resourceUri: input.resourceUri,
      address: input.address,
      event: input.event,
      expiration: Math.min(input.expiration ?? Infinity, this.now() + DEFAULT_CHANNEL_TTL_MS),
      messageNumber: 0,
      synced: false,
      stopped: false,
    };
    if (input.token !== undefined) channel.token = input.token;
    this.channels.set(channel.id, channel);
    return channel;
  }

  /** Returns false when no such channel exists (the route answers 404). */
  stop(id: string, resourceId: string): boolean {
    const channel = this.channels.get(id);
    if (!channel || channel.resourceId !== resourceId) return false;
    channel.stopped = true;
    return true;
  }

  live(): WatchChannel[] {
    const now = this.now();
    return [...this.channels.values()].filter((c) => !c.stopped && c.expiration > now);
  }

  /** Posts `event` for a user to every live channel watching it; a channel's first message is `sync`. */
  async notify(event: UserWatchEvent, user: { id: string; etag: string; primaryEmail: string }): Promise<DeliveredNotification[]> {
    const out: DeliveredNotification[] = [];
    for (const channel of this.live().filter((c) => c.event === null || c.event === event)) {
      if (!channel.synced) {
        channel.synced = true;
        out.push(await this.post(channel, "sync", undefined));
      }
      out.push(await this.post(channel, event, { kind: "admin#directory#user", id: user.id, etag: user.etag, primaryEmail: user.primaryEmail }));
    }
    return out;
  }

  private async post(channel: WatchChannel, state: string, body: unknown): Promise<DeliveredNotification> {
    channel.messageNumber++;
    const headers: Record<string, string> = {
      "X-Goog-Channel-ID": channel.id,
      "X-Goog-Channel-Expiration": new Date(channel.expiration).toUTCString(),
      "X-Goog-Resource-ID": channel.resourceId,
      "X-Goog-Resource-URI": channel.resourceUri,
      "X-Goog-Resource-State": state,
      "X-Goog-Message-Number": String(channel.messageNumber),
      "Content-Type": "application/json; charset=UTF-8",
    };
    if (channel.token !== undefined) headers["X-Goog-Channel-Token"] = channel.token;
    try {
      const res = await this.fetchFn(channel.address, { method: "POST", headers, body: body === undefined ? "" : JSON.stringify(body) });
      await res.body?.cancel();
      return { channelId: channel.id, state, status: res.status };
    } catch (err) {
      return { channelId: channel.id, state, status: String(err) };
    }
  }
}
