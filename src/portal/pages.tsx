// The portal's pages. Each takes plain data and renders it; none reads the database.
import type { Directory, DirectoryGroup, DirectoryUser } from "../model/index.js";
import type { ListMetadata } from "../db/paginate.js";
import type { Branding } from "./branding.js";
import type { Activity } from "./activity.js";
import { IDP_CHOICES, idpChoice } from "./idps.js";
import { SCIM_INSTRUCTIONS } from "./instructions.js";
import { Alert, Frame, StateBadge, type PageContext } from "./layout.js";
import { LiveLog } from "./live-log.js";
import { PullSections, type PullView } from "./pull-pages.js";

const frame = (ctx: PageContext) => ({ branding: ctx.branding, returnUrl: ctx.session.returnUrl, csrfToken: ctx.session.csrfToken });

export function OverviewPage({ ctx, organizationName, directories }: { ctx: PageContext; organizationName: string; directories: Directory[] }) {
  return (
    <Frame title="Directory sync" {...frame(ctx)}>
      <h1>Directory sync for {organizationName}</h1>
      <p class="lead">
        Connect your identity provider once, and {ctx.branding.app_name} keeps its accounts in step with it: new hires get access the
        day they start, and leavers lose it at once.
      </p>
      {directories.length === 0 ? (
        <section class="card">
          <h2>No directory connected yet</h2>
          <p>Choose your identity provider to get step-by-step instructions.</p>
          <a class="button" href="/portal/directories/new">
            Connect a directory
          </a>
        </section>
      ) : (
        <section>
          <h2>Your directories</h2>
          <ul class="list">
            {directories.map((d) => (
              <li>
                <a href={`/portal/directories/${d.id}`}>{d.name}</a> <span class="muted">{idpChoice(d.type)?.label ?? d.type}</span>{" "}
                <StateBadge state={d.state} />
              </li>
            ))}
          </ul>
          <a class="button secondary" href="/portal/directories/new">
            Connect another directory
          </a>
        </section>
      )}
    </Frame>
  );
}

export function NewDirectoryPage({ ctx, error, values }: { ctx: PageContext; error?: string | undefined; values?: { type?: string; name?: string } }) {
  return (
    <Frame title="Connect a directory" {...frame(ctx)}>
      <h1>Connect a directory</h1>
      <Alert message={error} />
      <form method="post" action="/portal/directories" class="stack">
        <input type="hidden" name="_csrf" value={ctx.session.csrfToken} />
        <fieldset>
          <legend>Which identity provider do you use?</legend>
          {IDP_CHOICES.map((choice, i) => (
            <label class="choice">
              <input type="radio" name="type" value={choice.type} required checked={values?.type ? values.type === choice.type : i === 0} />
              <span>
                <strong>{choice.label}</strong>
                <span class="muted">{choice.hint}</span>
              </span>
            </label>
          ))}
        </fieldset>
        <label for="name">Name for this connection</label>
        <input id="name" name="name" type="text" required maxlength={200} value={values?.name ?? "Company directory"} />
        <button type="submit" class="button">
          Continue
        </button>
      </form>
    </Frame>
  );
}

/** The SCIM part of a directory page: the URL always, the token only right after it was made. */
export interface ScimSetup {
  baseUrl: string;
  token?: string | undefined;
}

export interface DirectoryPageData {
  directory: Directory;
  scim?: ScimSetup | undefined;
  pull?: PullView | undefined;
  activity: Activity;
  counts: { users: number; active_users: number; groups: number };
  users: { data: DirectoryUser[]; list_metadata: ListMetadata };
  groups: { data: DirectoryGroup[]; list_metadata: ListMetadata };
  search: string;
  groupSearch: string;
}

export function DirectoryPage({ ctx, data }: { ctx: PageContext; data: DirectoryPageData }) {
  const { directory, counts, users, groups, search, groupSearch } = data;
  const base = `/portal/directories/${directory.id}`;
  const query = (extra: Record<string, string>) => `${base}?${new URLSearchParams({ ...(search ? { q: search } : {}), ...(groupSearch ? { gq: groupSearch } : {}), ...extra })}`;
  return (
    <Frame title={directory.name} {...frame(ctx)}>
      <p>
        <a href="/portal">All directories</a>
      </p>
      <h1>{directory.name}</h1>
      <dl class="facts">
        <dt>Identity provider</dt>
        <dd>{idpChoice(directory.type)?.label ?? directory.type}</dd>
        <dt>State</dt>
        <dd>
          <StateBadge state={directory.state} id="directory-state" />
        </dd>
        <dt>Users</dt>
        <dd id="count-users">
          {counts.users} ({counts.active_users} active)
        </dd>
        <dt>Groups</dt>
        <dd id="count-groups">{counts.groups}</dd>
      </dl>

      {data.scim ? <ScimSection ctx={ctx} directory={directory} scim={data.scim} /> : null}
      {data.pull ? <PullSections ctx={ctx} directory={directory} pull={data.pull} /> : null}
      <LiveLog directoryId={directory.id} activity={data.activity} />

      <section aria-labelledby="mapping-heading">
        <h2 id="mapping-heading">Mapping</h2>
        <ul class="list">
          <li>
            <a href={`${base}/mapping`}>Attribute mapping</a>: which of your identity provider's attributes fill each field.
          </li>
          <li>
            <a href={`${base}/roles`}>Role mapping</a>: the role members of each group get in {ctx.branding.app_name}.
          </li>
        </ul>
      </section>

      <section aria-labelledby="users-heading">
        <h2 id="users-heading">Users</h2>
        <form method="get" action={base} class="search" role="search">
          <label for="q">Search users</label>
          <input id="q" name="q" type="search" value={search} placeholder="Name or e-mail" />
          {groupSearch ? <input type="hidden" name="gq" value={groupSearch} /> : null}
          <button type="submit" class="button secondary">
            Search
          </button>
        </form>
        {users.data.length === 0 ? (
          <p class="muted">{search ? `No user matches “${search}”.` : "No users yet: they appear here as soon as your identity provider sends them."}</p>
        ) : (
          <table>
            <caption class="visually-hidden">Users of {directory.name}</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">E-mail</th>
                <th scope="col">Groups</th>
                <th scope="col">State</th>
              </tr>
            </thead>
            <tbody>
              {users.data.map((u) => (
                <tr>
                  <td>{u.name ?? u.username ?? u.idp_id}</td>
                  <td>{u.email ?? "—"}</td>
                  <td>{u.groups.map((g) => g.name).join(", ") || "—"}</td>
                  <td>
                    <StateBadge state={u.state} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        <nav class="pager" aria-label="Users pages">
          {users.list_metadata.before ? <a href={query({ before: users.list_metadata.before })}>Previous</a> : null}
          {users.list_metadata.after ? <a href={query({ after: users.list_metadata.after })}>Next</a> : null}
        </nav>
      </section>

      <section aria-labelledby="groups-heading">
        <h2 id="groups-heading">Groups</h2>
        <form method="get" action={base} class="search" role="search">
          <label for="gq">Search groups</label>
          <input id="gq" name="gq" type="search" value={groupSearch} placeholder="Group name" />
          {search ? <input type="hidden" name="q" value={search} /> : null}
          <button type="submit" class="button secondary">
            Search groups
          </button>
        </form>
        {groups.data.length === 0 ? (
          <p class="muted">{groupSearch ? `No group matches “${groupSearch}”.` : "No groups yet."}</p>
        ) : (
          <ul class="list" id="groups">
            {groups.data.map((g) => (
              <li>{g.name}</li>
            ))}
          </ul>
        )}
        <nav class="pager" aria-label="Groups pages">
          {groups.list_metadata.after ? <a href={query({ gafter: groups.list_metadata.after })}>More groups</a> : null}
        </nav>
      </section>
    </Frame>
  );
}

function ScimSection({ ctx, directory, scim }: { ctx: PageContext; directory: Directory; scim: ScimSetup }) {
  const guide = SCIM_INSTRUCTIONS[directory.type] ?? SCIM_INSTRUCTIONS["generic scim v2.0"]!;
  return (
    <section aria-labelledby="setup-heading">
      <h2 id="setup-heading">Connect {guide.idp}</h2>
      <div class="card stack">
        <label for="scim-url">{guide.urlField}</label>
        <div class="copy">
          <input id="scim-url" type="text" readonly value={scim.baseUrl} />
          <button type="button" class="button secondary" data-copy="scim-url">
            Copy
          </button>
        </div>
        <label for="scim-token">{guide.tokenField}</label>
        {scim.token ? (
          <>
            <div class="copy">
              <input id="scim-token" type="text" readonly value={scim.token} />
              <button type="button" class="button secondary" data-copy="scim-token">
                Copy
              </button>
            </div>
            <p class="alert" role="status">
              Copy the token now: for your security it is shown only this once.
            </p>
          </>
        ) : (
          <p class="muted" id="scim-token">
            Hidden. It was shown once when it was made. If it is lost, make a new one: the old one stops working at once.
          </p>
        )}
        <form method="post" action={`/portal/directories/${directory.id}/scim_token`}>
          <input type="hidden" name="_csrf" value={ctx.session.csrfToken} />
          <button type="submit" class="button secondary">
            {scim.token ? "Make another token" : "Make a new token"}
          </button>
        </form>
      </div>

      <h3>Steps in {guide.idp}</h3>
      <ol class="steps">
        {guide.steps.map((step) => (
          <li>{step}</li>
        ))}
      </ol>
      {guide.note ? <p class="muted">{guide.note}</p> : null}

      <h3>Test the connection</h3>
      <p>
        Use {guide.idp}'s own test button (such as Test Connection): its request appears in the live sync log below within seconds, marked OK or
        Failed with the reason.
      </p>
    </section>
  );
}

/** A friendly page for a link that cannot be used, or anything else that went wrong. */
export function ProblemPage({ branding, title, message, returnUrl }: { branding: Branding; title: string; message: string; returnUrl?: string | null }) {
  return (
    <Frame title={title} branding={branding}>
      <h1>{title}</h1>
      <p class="lead">{message}</p>
      {returnUrl ? (
        <a class="button" href={returnUrl}>
          Back to {branding.app_name}
        </a>
      ) : null}
    </Frame>
  );
}
