/** The store's public surface: the interface, its records and errors, encryption at rest, the SQLite and PostgreSQL adapters. */
import type {
	PostgresChangeFeed,
	PostgresChangeFeedOptions,
} from "./postgres/change-feed.ts";
import type { OpenPostgresStoreOptions } from "./postgres/open.ts";
import type { Store } from "./store.ts";

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
export type {
	PostgresChangeFeed,
	PostgresChangeFeedOptions,
} from "./postgres/change-feed.ts";
export type { OpenPostgresStoreOptions } from "./postgres/open.ts";
export { SecretBox } from "./secret-box.ts";
export {
	DATABASE_FILE,
	type OpenSqliteStoreOptions,
	openSqliteStore,
} from "./sqlite/open.ts";
export type * from "./store.ts";
export type * from "./types.ts";

/** Opens the PostgreSQL store; `pg` loads on first use, so the embedded default never pays for it. */
export async function openPostgresStore(
	options: OpenPostgresStoreOptions,
): Promise<Store> {
	const { openPostgresStore: open } = await import("./postgres/open.ts");
	return open(options);
}

/** Opens the PostgreSQL LISTEN/NOTIFY change feed (the `ChangeFeed` port); `pg` loads on first use. */
export async function openPostgresChangeFeed(
	options: PostgresChangeFeedOptions,
): Promise<PostgresChangeFeed> {
	const { openPostgresChangeFeed: open } = await import(
		"./postgres/change-feed.ts"
	);
	return open(options);
}
