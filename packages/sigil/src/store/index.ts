/** The store's public surface: the interface, its records and errors, encryption at rest, the SQLite adapter. */
export { isStoreError, StoreError, type StoreErrorCode } from "./errors.ts";
export { ACCESS_KEY_ID, ACCOUNT_ID, iamArn } from "./ids.ts";
export * from "./limits.ts";
export {
	loadOrCreateMasterKey,
	MASTER_KEY_ENV,
	MASTER_KEY_FILE,
	type MasterKey,
	parseMasterKey,
} from "./master-key.ts";
export { SecretBox } from "./secret-box.ts";
export {
	DATABASE_FILE,
	type OpenSqliteStoreOptions,
	openSqliteStore,
} from "./sqlite/open.ts";
export type * from "./store.ts";
export type * from "./types.ts";
