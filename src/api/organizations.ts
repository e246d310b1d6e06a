// /organizations: create, list, get, delete.
import { z } from "zod";
import { notFound } from "../errors.js";
import { createOrganization, deleteOrganization, getOrganization, listOrganizations } from "../tenancy/organizations.js";
import { resourceRouter } from "./router.js";
import { listParams, readJson, readQuery } from "./validate.js";

const domainName = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, "must be a domain name such as example.com");

const createBody = z.strictObject({
  name: z.string().trim().min(1, "is required").max(200),
  external_id: z.string().min(1).max(200).nullish(),
  metadata: z.record(z.string().max(40), z.string().max(600)).optional(),
  domain_data: z.array(z.strictObject({ domain: domainName, state: z.enum(["verified", "pending"]) })).max(100).optional(),
  /** Older WorkOS clients send plain domain names; they are stored as verified. */
  domains: z.array(domainName).max(100).optional(),
});

const listQuery = listParams().and(
  z.object({
    domains: z.union([domainName, z.array(domainName)]).optional(),
    search: z.string().min(1).max(200).optional(),
  }),
);

export const organizationsApi = resourceRouter()
  .post("/", async (c) => {
    const body = await readJson(c, createBody);
    const { db, clock } = c.var.deps;
    const domains = [...(body.domain_data ?? []), ...(body.domains ?? []).map((domain) => ({ domain, state: "verified" as const }))];
    const organization = await createOrganization(db, { ...body, domains }, clock.now());
    return c.json(organization, 201);
  })
  .get("/", async (c) => {
    const query = readQuery(c, listQuery);
    const domains = query.domains === undefined ? undefined : [query.domains].flat();
    return c.json({ object: "list", ...(await listOrganizations(c.var.deps.db, c.var.access, { domains, search: query.search }, query)) });
  })
  .get("/:id", async (c) => {
    const organization = await getOrganization(c.var.deps.db, c.var.access, c.req.param("id"));
    if (!organization) throw notFound("organization", c.req.param("id"));
    return c.json(organization);
  })
  .delete("/:id", async (c) => {
    const { db, reconciler } = c.var.deps;
    if (!(await deleteOrganization(db, reconciler, c.var.access, c.req.param("id")))) throw notFound("organization", c.req.param("id"));
    return c.body(null, 204);
  });
