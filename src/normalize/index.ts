// normalize's public face: provider presets and directory mappings turn SCIM resources and vendor
// records into canonical users and groups. Pure, no I/O.
export * from "./scim.js";
export * from "./mapping.js";
export * from "./presets.js";
export * from "./role-mapping.js";
export { parseSourcePath, readSourcePath } from "./path.js";
