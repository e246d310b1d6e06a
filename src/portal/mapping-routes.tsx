// The portal's attribute-mapping and role-mapping editors. Preview and save call the functions the
// REST API's /attribute_mapping and /role_mapping routes call (sync/directory-mappings.ts), so a
// mapping saved here is re-applied to stored users the same way; every save is audited.
import type { Context, Hono } from "hono";
import type { z } from "zod";
import type { Deps } from "../deps.js";
import { GatewayError } from "../errors.js";
import type { Directory } from "../model/index.js";
import { CustomAttributeName, MAPPED_FIELDS, MappingOverride, presetFor, RoleMapping, roleFor, userMappingFor, type FieldMapping } from "../normalize/index.js";
import { listDirectoryGroups, listDirectoryUsers } from "../sync/index.js";
import { previewAttributeMapping, readDirectoryMappings, setAttributeMapping, setRoleMapping, type DirectoryMappings } from "../sync/directory-mappings.js";
import type { WriteRunner } from "../sync/snapshot.js";
import { getDirectory } from "../tenancy/directories.js";
import { recordAudit } from "./audit.js";
import { getBranding } from "./branding.js";
import { accessOf, actor, type PortalEnv } from "./env.js";
import { AttributeMappingPage, RoleMappingPage, type AttributeMappingPageData, type MappingRow, type RoleRuleRow } from "./mapping-pages.js";

const PREVIEW_USERS = 5;
const FIELD_LABELS: Record<(typeof MAPPED_FIELDS)[number], string> = {
  first_name: "First name",
  last_name: "Last name",
  name: "Full name",
  email: "E-mail",
  username: "User name",
  job_title: "Job title",
};

export function registerMappingRoutes(app: Hono<PortalEnv>, deps: Deps): void {
  const writer: WriteRunner = { run: (scope, op) => deps.reconciler.write(scope, op) };
  const ctx = async (c: Context<PortalEnv>) => ({ branding: await getBranding(deps.db), session: c.var.session });

  app.get("/directories/:id/mapping", async (c) => {
    const { directory, mappings } = await load(c);
    const data = attributeView(directory, mappings, null);
    data.saved = savedCounts(c.req.query("saved"));
    return c.html(<AttributeMappingPage ctx={await ctx(c)} data={data} />);
  });

  app.post("/directories/:id/mapping", async (c) => {
    const { directory, mappings } = await load(c);
    const form = await c.req.parseBody();
    const proposal = overrideFromForm(mappings, form);
    const parsed = MappingOverride.safeParse(proposal.override);
    if (!parsed.success || proposal.errors.size > 0) {
      const errors = new Map(proposal.errors);
      for (const issue of parsed.success ? [] : parsed.error.issues) errors.set(inputOf(issue), issue.message);
      const data = attributeView(directory, mappings, form, errors);
      data.error = "Some attributes need attention.";
      return c.html(<AttributeMappingPage ctx={await ctx(c)} data={data} />, 400);
    }
    const scope = scopeOf(directory);
    if (form.action === "save") {
      const outcome = await setAttributeMapping(writer, scope, parsed.data);
      await audit(c, "directory.attribute_mapping.saved", directory, { users: outcome.users, updated: outcome.updated });
      return c.redirect(`/portal/directories/${directory.id}/mapping?saved=${outcome.users}.${outcome.updated}`, 303);
    }
    const preview = await previewAttributeMapping(deps.db, scope, mappings.type, parsed.data, PREVIEW_USERS);
    const names = await userNames(c, directory);
    const data = attributeView(directory, mappings, form);
    data.preview = {
      examined: preview.examined,
      wouldChange: preview.would_change,
      rows: preview.data
        .filter((d) => Object.keys(d.changes).length > 0)
        .map((d) => ({ user: names.get(d.user_id) ?? d.idp_id, changes: Object.entries(d.changes).flatMap(([field, ch]) => changeRows(field, ch.from, ch.to)) })),
    };
    return c.html(<AttributeMappingPage ctx={await ctx(c)} data={data} />);
  });

  app.get("/directories/:id/roles", async (c) => {
    const { directory, mappings } = await load(c);
    const groups = await directoryGroups(c, directory);
    const rules = new Map((mappings.roleMapping?.rules ?? []).map((r) => [r.group_id, r]));
    const rows: RoleRuleRow[] = groups.map((g) => ({ group: g, role: rules.get(g.id)?.role_slug ?? "", priority: String(rules.get(g.id)?.priority ?? "") }));
    const data = { directory, defaultRole: mappings.roleMapping?.default_role ?? "", rows, saved: savedCounts(c.req.query("saved")) };
    return c.html(<RoleMappingPage ctx={await ctx(c)} data={data} />);
  });

  app.post("/directories/:id/roles", async (c) => {
    const { directory, mappings } = await load(c);
    const form = await c.req.parseBody();
    const groups = await directoryGroups(c, directory);
    const text = (key: string) => (typeof form[key] === "string" ? (form[key] as string).trim() : "");
    const rows: RoleRuleRow[] = groups.map((g) => ({ group: g, role: text(`role.${g.id}`), priority: text(`priority.${g.id}`) }));
    const shownIds = new Set(groups.map((g) => g.id));
    // Rules of groups beyond the listed ones are kept as they are.
    const kept = (mappings.roleMapping?.rules ?? []).filter((r) => !shownIds.has(r.group_id));
    const edited = rows.flatMap((r, i) => (r.role ? [{ group_id: r.group.id, role_slug: r.role, priority: r.priority === "" ? i : Number(r.priority) }] : []));
    const candidate = { default_role: text("default_role") || null, rules: [...edited, ...kept] };
    const parsed = RoleMapping.safeParse(candidate);
    if (!parsed.success) {
      let error = "Some roles need attention.";
      for (const issue of parsed.error.issues) {
        const [key, index] = issue.path;
        const row = key === "rules" && typeof index === "number" ? rows.find((r) => r.group.id === candidate.rules[index]?.group_id) : undefined;
        if (row) row.error = issue.message;
        else error += ` ${key === "default_role" ? "Default role" : "Roles"}: ${issue.message}.`;
      }
      return c.html(<RoleMappingPage ctx={await ctx(c)} data={{ directory, defaultRole: text("default_role"), rows, error }} />, 400);
    }
    if (form.action === "save") {
      const empty = parsed.data.rules.length === 0 && parsed.data.default_role === null;
      const outcome = await setRoleMapping(writer, scopeOf(directory), empty ? null : parsed.data);
      await audit(c, "directory.role_mapping.saved", directory, { rules: parsed.data.rules.length, default_role: parsed.data.default_role, users: outcome.users, updated: outcome.updated });
      return c.redirect(`/portal/directories/${directory.id}/roles?saved=${outcome.users}.${outcome.updated}`, 303);
    }
    const users = await listDirectoryUsers(deps.db, accessOf(c.var.session), { directoryId: directory.id }, { limit: 8, order: "asc" });
    const preview = users.data.map((user) => ({ user, now: user.role?.slug ?? null, next: roleFor(parsed.data, user.groups.map((g) => g.id)) }));
    return c.html(<RoleMappingPage ctx={await ctx(c)} data={{ directory, defaultRole: text("default_role"), rows, preview }} />);
  });

  const audit = (c: Context<PortalEnv>, action: string, directory: Directory, detail: Record<string, unknown>) =>
    recordAudit(deps.db, { organizationId: c.var.session.organizationId, actor: actor(c, c.var.session), action, targetId: directory.id, detail }, deps.clock.now());
}

async function load(c: Context<PortalEnv>): Promise<{ directory: Directory; mappings: DirectoryMappings }> {
  const directory = await getDirectory(c.var.deps.db, accessOf(c.var.session), c.req.param("id") ?? "");
  if (!directory) throw new GatewayError("not_found", "There is no such directory in your organization.");
  const mappings = await readDirectoryMappings(c.var.deps.db, scopeOf(directory));
  if (!mappings) throw new GatewayError("not_found", "There is no such directory in your organization.");
  return { directory, mappings };
}

const scopeOf = (directory: Directory) => ({ organizationId: directory.organization_id, directoryId: directory.id });

async function directoryGroups(c: Context<PortalEnv>, directory: Directory) {
  return (await listDirectoryGroups(c.var.deps.db, accessOf(c.var.session), { directoryId: directory.id }, { limit: 100, order: "asc" })).data;
}

async function userNames(c: Context<PortalEnv>, directory: Directory): Promise<Map<string, string>> {
  const users = await listDirectoryUsers(c.var.deps.db, accessOf(c.var.session), { directoryId: directory.id }, { limit: 100, order: "asc" });
  return new Map(users.data.map((u) => [u.id, u.name ?? u.email ?? u.idp_id]));
}

const savedCounts = (value: string | undefined) => {
  const match = /^(\d{1,9})\.(\d{1,9})$/.exec(value ?? "");
  return match ? { users: Number(match[1]), updated: Number(match[2]) } : undefined;
};

const pathsOf = (mapping: FieldMapping | undefined) => mapping?.sources.map((s) => s.path).join(", ") ?? "";
const splitPaths = (value: unknown) => (typeof value === "string" ? value.split(",").map((p) => p.trim()).filter(Boolean) : []);

/** The form's rows: what was submitted, or else the effective mapping. */
function attributeView(directory: Directory, m: DirectoryMappings, form: Record<string, unknown> | null, errors = new Map<string, string>()): AttributeMappingPageData {
  const preset = presetFor(m.type);
  const effective = userMappingFor({ type: m.type, attributeMapping: m.attributeMapping });
  const value = (input: string, fallback: string) => (form && typeof form[input] === "string" ? (form[input] as string) : fallback);
  const fields: MappingRow[] = MAPPED_FIELDS.map((f) => ({
    input: `field.${f}`,
    label: FIELD_LABELS[f],
    preset: pathsOf(preset.user.fields[f]),
    value: value(`field.${f}`, pathsOf(effective.fields[f])),
    error: errors.get(`field.${f}`),
  }));
  const names = [...new Set([...Object.keys(preset.user.custom_attributes), ...Object.keys(effective.custom_attributes)])];
  const custom: MappingRow[] = names.map((name) => ({
    input: `custom.${name}`,
    label: name,
    preset: pathsOf(preset.user.custom_attributes[name]),
    value: value(`custom.${name}`, pathsOf(effective.custom_attributes[name])),
    error: errors.get(`custom.${name}`),
  }));
  const newName = value("new_custom_name", "").trim();
  const newCustom = { name: value("new_custom_name", ""), paths: value("new_custom_paths", ""), error: errors.get("new_custom") ?? (names.includes(newName) ? undefined : errors.get(`custom.${newName}`)) };
  return { directory, presetLabel: preset.label, fields, custom, newCustom };
}

/**
 * The override a submitted form means: each field or attribute whose paths differ from the preset's
 * is overridden (keeping the transforms, kind and flags already in force for the same paths); an
 * empty preset attribute is removed; the state and e-mail list mappings are kept as stored.
 */
function overrideFromForm(m: DirectoryMappings, form: Record<string, unknown>): { override: MappingOverride; errors: Map<string, string> } {
  const preset = presetFor(m.type).user;
  const effective = userMappingFor({ type: m.type, attributeMapping: m.attributeMapping });
  const errors = new Map<string, string>();
  const override: MappingOverride = { ...(m.attributeMapping.state ? { state: m.attributeMapping.state } : {}), ...(m.attributeMapping.emails ? { emails: m.attributeMapping.emails } : {}) };
  const remap = (current: FieldMapping | undefined, paths: string[]): FieldMapping => ({
    ...(current ?? {}),
    sources: paths.map((path) => current?.sources.find((s) => s.path === path) ?? { path }),
  });
  const fields: NonNullable<MappingOverride["fields"]> = {};
  for (const f of MAPPED_FIELDS) {
    const paths = splitPaths(form[`field.${f}`]);
    if (paths.length === 0 || paths.join(", ") === pathsOf(preset.fields[f])) continue;
    fields[f] = remap(effective.fields[f], paths);
  }
  if (Object.keys(fields).length) override.fields = fields;
  const custom: Record<string, FieldMapping | null> = {};
  for (const name of new Set([...Object.keys(preset.custom_attributes), ...Object.keys(effective.custom_attributes)])) {
    const paths = splitPaths(form[`custom.${name}`]);
    const inPreset = name in preset.custom_attributes;
    if (paths.length === 0) {
      if (inPreset) custom[name] = null;
      continue;
    }
    if (inPreset && paths.join(", ") === pathsOf(preset.custom_attributes[name])) continue;
    custom[name] = remap(effective.custom_attributes[name], paths);
  }
  const newName = typeof form.new_custom_name === "string" ? form.new_custom_name.trim() : "";
  const newPaths = splitPaths(form.new_custom_paths);
  if (newName || newPaths.length) {
    const name = CustomAttributeName.safeParse(newName);
    if (!name.success) errors.set("new_custom", `Name ${name.error.issues[0]!.message}.`);
    else if (newPaths.length === 0) errors.set("new_custom", "Give the attribute it comes from.");
    else custom[name.data] = { sources: newPaths.map((path) => ({ path })) };
  }
  if (Object.keys(custom).length) override.custom_attributes = custom;
  return { override, errors };
}

/** The form input a validation issue concerns. */
function inputOf(issue: z.core.$ZodIssue): string {
  const [section, key] = issue.path;
  if (section === "fields") return `field.${String(key)}`;
  if (section === "custom_attributes") return `custom.${String(key)}`;
  return "general";
}

/** One row per changed value; custom attributes are compared key by key, so a row names the attribute. */
function changeRows(field: string, from: unknown, to: unknown): { field: string; from: string; to: string }[] {
  if (field !== "custom_attributes" || !isRecord(from) || !isRecord(to)) return [{ field, from: shown(from), to: shown(to) }];
  return [...new Set([...Object.keys(from), ...Object.keys(to)])]
    .filter((key) => JSON.stringify(from[key] ?? null) !== JSON.stringify(to[key] ?? null))
    .map((key) => ({ field: `custom_attributes.${key}`, from: shown(from[key]), to: shown(to[key]) }));
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);

function shown(value: unknown): string {
  if (value === null || value === undefined || value === "") return "—";
  const text = typeof value === "string" ? value : JSON.stringify(value);
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}
