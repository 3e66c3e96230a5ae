/** The store's public surface: the interface, its records and errors, encryption at rest, the SQLite adapter. */
export { isStoreError, StoreError, type StoreErrorCode } from "./errors.ts";
export { ACCESS_KEY_ID, ACCOUNT_ID, iamArn } from "./ids.ts";
export {
	loadOrCreateMasterKey,
	MASTER_KEY_ENV,
	MASTER_KEY_FILE,
	type MasterKey,
	parseMasterKey,
} from "./master-key.ts";
export { SecretBox } from "./secret-box.ts";
export { DEFAULT_AUDIT_RETENTION, MAX_LOG_BYTES } from "./sqlite/audit.ts";
export { KEPT_REVISIONS, MAX_CODE_BYTES } from "./sqlite/functions.ts";
export { MAX_JOB_PAYLOAD_BYTES } from "./sqlite/jobs.ts";
export {
	DATABASE_FILE,
	type OpenSqliteStoreOptions,
	openSqliteStore,
} from "./sqlite/open.ts";
export { MAX_SECRET_BYTES } from "./sqlite/secrets.ts";
export type * from "./store.ts";
export type * from "./types.ts";
