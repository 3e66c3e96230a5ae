/**
 * First start: the root account and its admin access key. Automation sets the key through
 * SIGIL_ROOT_ACCESS_KEY_ID / SIGIL_ROOT_SECRET_ACCESS_KEY; otherwise one is generated and
 * handed back once, for the CLI to print and store in the credentials file.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { SigilError } from "../errors.ts";
import type { Store } from "../store/store.ts";

export interface RootInfo {
	readonly accountId: string;
	readonly createdKey?: {
		readonly accessKeyId: string;
		readonly secretAccessKey: string;
	};
}

export async function ensureRoot(
	store: Store,
	env: Record<string, string | undefined>,
): Promise<RootInfo> {
	const account =
		(await store.accounts.root()) ??
		(await store.accounts.create({ name: "root" }));
	const givenId = env.SIGIL_ROOT_ACCESS_KEY_ID;
	const givenSecret = env.SIGIL_ROOT_SECRET_ACCESS_KEY;
	if ((givenId === undefined) !== (givenSecret === undefined)) {
		throw new SigilError(
			"INVALID_CONFIG",
			"set both SIGIL_ROOT_ACCESS_KEY_ID and SIGIL_ROOT_SECRET_ACCESS_KEY, or neither",
		);
	}
	if (givenId !== undefined && givenSecret !== undefined) {
		const existing = await store.accessKeys.get(givenId);
		if (existing && existing.accountId !== account.accountId)
			throw new SigilError(
				"CONFLICT",
				`SIGIL_ROOT_ACCESS_KEY_ID ${givenId} belongs to another account`,
			);
		if (existing && !sameSecret(existing.secretAccessKey, givenSecret)) {
			throw new SigilError(
				"CONFLICT",
				`root key ${givenId} already exists with a different secret; delete it (sigil key delete) or use the stored secret`,
			);
		}
		if (!existing)
			await store.accessKeys.create({
				accountId: account.accountId,
				userName: null,
				accessKeyId: givenId,
				secretAccessKey: givenSecret,
			});
		return { accountId: account.accountId };
	}
	const keys = await store.accessKeys.list(account.accountId, null);
	if (keys.length > 0) return { accountId: account.accountId };
	const key = await store.accessKeys.create({
		accountId: account.accountId,
		userName: null,
	});
	return {
		accountId: account.accountId,
		createdKey: {
			accessKeyId: key.accessKeyId,
			secretAccessKey: key.secretAccessKey,
		},
	};
}

/** Constant-time equality of two secrets of any length (compares their SHA-256 digests). */
function sameSecret(a: string, b: string): boolean {
	return timingSafeEqual(
		createHash("sha256").update(a).digest(),
		createHash("sha256").update(b).digest(),
	);
}
