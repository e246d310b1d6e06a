// The attribute-mapping and role-mapping editors: forms over the directory's mapping, each with a
// preview of a few users (what would change) before saving. Plain rendering; no database access.
import type { Directory, DirectoryGroup, DirectoryUser } from "../model/index.js";
import { Alert, Frame, type PageContext } from "./layout.js";


/** One row of the attribute editor: a canonical field or custom attribute and its source paths. */
export interface MappingRow {
  /** The form field's name: `field.<name>` or `custom.<name>`. */
  input: string;
  label: string;
  /** The preset's paths, shown as the default. */
  preset: string;
  value: string;
  error?: string | undefined;
}

/** A previewed user: what the proposed mapping would change. */
export interface MappingPreviewRow {
  user: string;
  changes: { field: string; from: string; to: string }[];
}

export interface AttributeMappingPageData {
  directory: Directory;
  presetLabel: string;
  fields: MappingRow[];
  custom: MappingRow[];
  newCustom: { name: string; paths: string; error?: string | undefined };
  preview?: { examined: number; wouldChange: number; rows: MappingPreviewRow[] } | undefined;
  saved?: { users: number; updated: number } | undefined;
  error?: string | undefined;
}

const back = (directory: Directory) => (
  <p>
    <a href={`/portal/directories/${directory.id}`}>Back to {directory.name}</a>
  </p>
);

export function AttributeMappingPage({ ctx, data }: { ctx: PageContext; data: AttributeMappingPageData }) {
  const { directory } = data;
  const row = (r: MappingRow) => (
    <tr>
      <th scope="row">
        <label for={r.input}>{r.label}</label>
      </th>
      <td>
        <input id={r.input} name={r.input} type="text" value={r.value} aria-describedby={`${r.input}-preset${r.error ? ` ${r.input}-error` : ""}`} aria-invalid={r.error ? "true" : undefined} spellcheck={false} />
        <p class="muted hint" id={`${r.input}-preset`}>
          Default: <code>{r.preset || "(none)"}</code>
        </p>
        {r.error ? (
          <p class="field-error" id={`${r.input}-error`}>
            {r.error}
          </p>
        ) : null}
      </td>
    </tr>
  );
  return (
    <Frame title={`Attribute mapping · ${directory.name}`} branding={ctx.branding} returnUrl={ctx.session.returnUrl} csrfToken={ctx.session.csrfToken}>
      {back(directory)}
      <h1>Attribute mapping</h1>
      <p class="lead">
        Which attribute of your identity provider fills each field {ctx.branding.app_name} receives. The defaults are those of {data.presetLabel}. Give one or
        more attribute paths separated by commas (the first one with a value wins), for example <code>department</code> or{" "}
        <code>onPremisesExtensionAttributes.extensionAttribute1</code>.
      </p>
      {data.saved ? (
        <p class="status ok" role="status">
          Saved. {data.saved.users} users were mapped again; {data.saved.updated} changed.
        </p>
      ) : null}
      <Alert message={data.error} />
      <form method="post" action={`/portal/directories/${directory.id}/mapping`} class="stack wide">
        <input type="hidden" name="_csrf" value={ctx.session.csrfToken} />
        <table class="mapping">
          <caption>Fields</caption>
          <tbody>{data.fields.map(row)}</tbody>
        </table>
        <table class="mapping">
          <caption>Custom attributes (empty removes one)</caption>
          <tbody>
            {data.custom.map(row)}
            <tr>
              <th scope="row">
                <label for="new_custom_name">New attribute</label>
              </th>
              <td>
                <input id="new_custom_name" name="new_custom_name" type="text" value={data.newCustom.name} placeholder="badge_number" aria-label="New attribute name" spellcheck={false} />
                <label for="new_custom_paths" class="visually-hidden">
                  New attribute source
                </label>
                <input id="new_custom_paths" name="new_custom_paths" type="text" value={data.newCustom.paths} placeholder="onPremisesExtensionAttributes.extensionAttribute1" spellcheck={false} />
                {data.newCustom.error ? <p class="field-error">{data.newCustom.error}</p> : null}
              </td>
            </tr>
          </tbody>
        </table>
        <div class="actions">
          <button type="submit" name="action" value="preview" class="button secondary">
            Preview
          </button>
          <button type="submit" name="action" value="save" class="button">
            Save mapping
          </button>
        </div>
      </form>
      {data.preview ? <MappingPreview preview={data.preview} /> : null}
    </Frame>
  );
}

function MappingPreview({ preview }: { preview: NonNullable<AttributeMappingPageData["preview"]> }) {
  return (
    <section aria-labelledby="preview-heading" id="preview">
      <h2 id="preview-heading">Preview</h2>
      <p>
        Of the first {preview.examined} users, {preview.wouldChange} would change. Nothing is saved until you select Save mapping.
      </p>
      {preview.rows.length ? (
        <table>
          <caption class="visually-hidden">What would change per user</caption>
          <thead>
            <tr>
              <th scope="col">User</th>
              <th scope="col">Field</th>
              <th scope="col">Now</th>
              <th scope="col">After saving</th>
            </tr>
          </thead>
          <tbody>
            {preview.rows.flatMap((r) =>
              r.changes.map((c, i) => (
                <tr>
                  <td>{i === 0 ? r.user : ""}</td>
                  <td>
                    <code>{c.field}</code>
                  </td>
                  <td>{c.from}</td>
                  <td>{c.to}</td>
                </tr>
              )),
            )}
          </tbody>
        </table>
      ) : null}
    </section>
  );
}

export interface RoleRuleRow {
  group: DirectoryGroup;
  role: string;
  priority: string;
  error?: string | undefined;
}

export interface RoleMappingPageData {
  directory: Directory;
  defaultRole: string;
  rows: RoleRuleRow[];
  preview?: { user: DirectoryUser; now: string | null; next: string | null }[] | undefined;
  saved?: { users: number; updated: number } | undefined;
  error?: string | undefined;
}

export function RoleMappingPage({ ctx, data }: { ctx: PageContext; data: RoleMappingPageData }) {
  const { directory } = data;
  return (
    <Frame title={`Role mapping · ${directory.name}`} branding={ctx.branding} returnUrl={ctx.session.returnUrl} csrfToken={ctx.session.csrfToken}>
      {back(directory)}
      <h1>Role mapping</h1>
      <p class="lead">
        Give the members of a group a role in {ctx.branding.app_name}. A user in several mapped groups gets the role with the lowest priority number; a
        user in none gets the default role.
      </p>
      {data.saved ? (
        <p class="status ok" role="status">
          Saved. {data.saved.users} users were checked; {data.saved.updated} got a new role.
        </p>
      ) : null}
      <Alert message={data.error} />
      {data.rows.length === 0 ? <p class="muted">This directory has no groups yet: roles can be mapped once its groups arrive.</p> : null}
      <form method="post" action={`/portal/directories/${directory.id}/roles`} class="stack wide">
        <input type="hidden" name="_csrf" value={ctx.session.csrfToken} />
        <label for="default_role">Default role (optional)</label>
        <input id="default_role" name="default_role" type="text" value={data.defaultRole} placeholder="member" spellcheck={false} />
        {data.rows.length ? (
          <table class="mapping">
            <caption>Roles by group</caption>
            <thead>
              <tr>
                <th scope="col">Group</th>
                <th scope="col">Role (empty: none)</th>
                <th scope="col">Priority</th>
              </tr>
            </thead>
            <tbody>
              {data.rows.map((r) => (
                <tr>
                  <th scope="row">{r.group.name}</th>
                  <td>
                    <input type="text" name={`role.${r.group.id}`} value={r.role} aria-label={`Role for ${r.group.name}`} aria-invalid={r.error ? "true" : undefined} spellcheck={false} />
                    {r.error ? <p class="field-error">{r.error}</p> : null}
                  </td>
                  <td>
                    <input type="number" min="0" max="1000000" name={`priority.${r.group.id}`} value={r.priority} aria-label={`Priority for ${r.group.name}`} class="narrow" />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : null}
        <div class="actions">
          <button type="submit" name="action" value="preview" class="button secondary">
            Preview
          </button>
          <button type="submit" name="action" value="save" class="button">
            Save roles
          </button>
        </div>
      </form>
      {data.preview ? (
        <section aria-labelledby="preview-heading" id="preview">
          <h2 id="preview-heading">Preview</h2>
          <p>A few users with the role they have now and the role they would get. Nothing is saved until you select Save roles.</p>
          <table>
            <caption class="visually-hidden">Roles before and after</caption>
            <thead>
              <tr>
                <th scope="col">User</th>
                <th scope="col">Groups</th>
                <th scope="col">Role now</th>
                <th scope="col">After saving</th>
              </tr>
            </thead>
            <tbody>
              {data.preview.map((p) => (
                <tr class={p.now !== p.next ? "changed" : ""}>
                  <td>{p.user.name ?? p.user.email ?? p.user.idp_id}</td>
                  <td>{p.user.groups.map((g) => g.name).join(", ") || "—"}</td>
                  <td>{p.now ?? "—"}</td>
                  <td>{p.next ?? "—"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      ) : null}
    </Frame>
  );
}
