// The Graph emulator's public face: tests start one in-process; the CLI runs one standalone.
export { GraphEmulator, type GraphEmulatorOptions, type RecordedRequest } from "./emulator.js";
export { GraphTenant, type GraphObject, type JournalEntry } from "./store.js";
