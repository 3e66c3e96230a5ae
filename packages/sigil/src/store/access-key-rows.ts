/**
 * What both store adapters (SQLite, PostgreSQL) share about access keys: the columns read for a
 * key's metadata, the row → AccessKey mapping (with last-use times still waiting in the
 * write-behind batch), the associated data that binds a sealed secret to its row, and the checks
 * on a new key. One copy, so the two adapters cannot drift apart.
 */
import { StoreError } from "./errors.ts";
import {
	ACCESS_KEY_ID,
	check,
	newAccessKeyId,
	newSecretAccessKey,
	SECRET_ACCESS_KEY,
} from "./ids.ts";
import type { AccessKey, AccessKeyStatus } from "./types.ts";

/** A key's row without its sealed secret. */
export interface KeyMetaRow {
	access_key_id: string;
	account_id: string;
	user_name: string | null;
	status: AccessKeyStatus;
	created_at: number;
	last_used_at: number | null;
	last_used_scheme: string | null;
	last_used_service: string | null;
}

/** A last use recorded in memory, not yet written. */
export interface KeyUse {
	at: number;
	scheme: string;
	service: string;
}

export const KEY_META_COLUMNS =
	"access_key_id, account_id, user_name, status, created_at, last_used_at, last_used_scheme, last_used_service";

/** The associated data that binds a key's sealed secret to its row. */
export function accessKeyAad(
	accessKeyId: string,
	accountId: string,
	userName: string | null,
): string {
	return `access-key:${accessKeyId}:${accountId}:${userName ?? ""}`;
}

/** The key a row describes; a newer last use still pending in memory wins over the row's. */
export function keyFromRow(
	row: KeyMetaRow,
	pending: KeyUse | undefined,
): AccessKey {
	const usedLater =
		pending !== undefined &&
		(row.last_used_at === null || pending.at >= row.last_used_at);
	return {
		accessKeyId: row.access_key_id,
		accountId: row.account_id,
		userName: row.user_name,
		status: row.status,
		createdAt: row.created_at,
		lastUsedAt: usedLater ? pending.at : row.last_used_at,
		lastUsedScheme: usedLater ? pending.scheme : row.last_used_scheme,
		lastUsedService: usedLater ? pending.service : row.last_used_service,
	};
}

/** The id and secret of a key to create, generated where not given, checked where given. */
export function newKeyPair(input: {
	accessKeyId?: string;
	secretAccessKey?: string;
}): { accessKeyId: string; secretAccessKey: string } {
	const accessKeyId = input.accessKeyId ?? newAccessKeyId();
	const secretAccessKey = input.secretAccessKey ?? newSecretAccessKey();
	check(accessKeyId, ACCESS_KEY_ID, "access key id");
	if (!SECRET_ACCESS_KEY.test(secretAccessKey))
		throw new StoreError(
			"STORE_INVALID",
			"a secret access key must be 16–128 printable ASCII characters",
		);
	return { accessKeyId, secretAccessKey };
}
