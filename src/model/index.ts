// The canonical model: zod schemas and types shared by every module, with no I/O.
export * from "./directory.js";
export * from "./user.js";
export * from "./event.js";
export * from "./ids.js";
