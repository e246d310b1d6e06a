// normalize's public face: vendor and SCIM records -> canonical users and groups. Pure, no I/O.
export * from "./scim.js";
export * from "./scim-mapping.js";
