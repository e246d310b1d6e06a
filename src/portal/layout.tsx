// The page frame every portal page shares: branding, a skip link, the main landmark and a way back
// to the app. hono/jsx escapes every interpolated value, so nothing here builds raw HTML.
import { raw } from "hono/html";
import type { Child } from "hono/jsx";
import type { Branding } from "./branding.js";
import type { PortalSession } from "./sessions.js";

/** What every signed-in page renders with: the operator's branding and the admin's session. */
export interface PageContext {
  branding: Branding;
  session: PortalSession;
}

export interface FrameProps {
  title: string;
  branding: Branding;
  /** Where "Back to <app>" leads; absent on pages reached without a session. */
  returnUrl?: string | null | undefined;
  /** The session's CSRF token, for the sign-out form. */
  csrfToken?: string | undefined;
  children?: Child;
}

export function Frame({ title, branding, returnUrl, csrfToken, children }: FrameProps) {
  return (
    <>
      {raw("<!DOCTYPE html>")}
      <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="referrer" content="no-referrer" />
        <link rel="icon" href="data:," />
        <title>{`${title} · ${branding.app_name}`}</title>
        <link rel="stylesheet" href="/portal/assets/portal.css" />
        <link rel="stylesheet" href="/portal/assets/theme.css" />
        <script src="/portal/assets/portal.js" defer></script>
      </head>
      <body>
        <a class="skip" href="#main">
          Skip to content
        </a>
        <header class="bar">
          <a class="brand" href="/portal">
            {branding.logo_url ? <img src={branding.logo_url} alt="" height="28" /> : null}
            <span>{branding.app_name}</span>
          </a>
          <nav aria-label="Account">
            {returnUrl ? <a href={returnUrl}>Back to {branding.app_name}</a> : null}
            {csrfToken ? (
              <form method="post" action="/portal/logout" class="inline">
                <input type="hidden" name="_csrf" value={csrfToken} />
                <button type="submit" class="link">
                  Sign out
                </button>
              </form>
            ) : null}
          </nav>
        </header>
        <main id="main" tabindex={-1}>
          {children}
        </main>
      </body>
      </html>
    </>
  );
}

/** What each state is called on the pages; the words carry the meaning, the colour only repeats it. */
export const STATE_WORDS: Record<string, string> = {
  linked: "Connected",
  unlinked: "Not connected yet",
  validating: "Ready to activate",
  invalid_credentials: "Credentials refused",
  deleting: "Being deleted",
  active: "Active",
  inactive: "Deactivated",
};

export function StateBadge({ state, id }: { state: string; id?: string }) {
  return (
    <span class={`badge badge-${state}`} id={id}>
      {STATE_WORDS[state] ?? state}
    </span>
  );
}

/** An error message for the admin, announced to screen readers; nothing when there is none. */
export function Alert({ message }: { message?: string | null | undefined }) {
  return message ? (
    <p class="alert" role="alert">
      {message}
    </p>
  ) : null;
}
