/**
 * The one owner of IAM's rules. Every mutation of users, roles, inline policies and access
 * keys — from the AWS query API (`aws iam …`), Sigil's control plane (`sigil user …`, `sigil
 * key …`), the CLI, the console — goes through this class, so the rules hold whatever the front
 * door: key ownership (a key is acted on only as its owner's), the two-keys quota, "not the key
 * that signed this request", DeleteConflict while a user still has keys or policies. Policies
 * are validated by the engine when written (MalformedPolicyDocument with the place in the
 * document); every write invalidates the caches that hold what it changed.
 *
 * The caller's authorization (the action on the target's ARN) is decided before any of this
 * runs, by the pipeline or the query endpoint, on the same target these methods act on.
 */
import { type PolicyKind, parsePolicy } from "@sigil/policy";
import { SigilError } from "../errors.ts";
import type { CredentialCache } from "../gateway/credentials.ts";
import { isStoreError } from "../store/errors.ts";
import type { Store } from "../store/store.ts";
import type {
	AccessKey,
	AccessKeyStatus,
	AccessKeyWithSecret,
	InlinePolicy,
	PrincipalKind,
	Role,
	User,
} from "../store/types.ts";
import type { Authorizer } from "./authorizer.ts";

/** IAM quota "Access keys per user": 2. */
export const ACCESS_KEYS_PER_USER = 2;
const NAME = /^[\w+=,.@-]{1,64}$/;
const POLICY_NAME = /^[\w+=,.@-]{1,128}$/;

export interface IamAdminDeps {
	readonly store: Store;
	readonly authorizer: Authorizer;
	readonly credentials: CredentialCache;
}

/** Throws MALFORMED_POLICY naming every problem with its place, or returns the text. */
export function validatePolicy(text: string, kind: PolicyKind): string {
	const parsed = parsePolicy(text, kind);
	if (!parsed.ok)
		throw new SigilError(
			"MALFORMED_POLICY",
			parsed.errors
				.map((e) => `${e.path || "(document)"}: ${e.message}`)
				.join("; "),
		);
	return text;
}

function checkName(value: string | undefined, what: string, re = NAME): string {
	if (value === undefined || !re.test(value))
		throw new SigilError(
			"INVALID_PARAMETER",
			`1 validation error detected: Value '${(value ?? "null").slice(0, 140)}' at '${what}' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+`,
		);
	return value;
}

/** Store errors in IAM's words. */
async function iam<T>(
	what: string,
	run: () => Promise<T>,
	notFound?: string,
): Promise<T> {
	try {
		return await run();
	} catch (err) {
		if (isStoreError(err, "STORE_CONFLICT"))
			throw new SigilError("ENTITY_ALREADY_EXISTS", `${what} already exists.`);
		if (isStoreError(err, "STORE_NOT_FOUND"))
			throw new SigilError(
				"NO_SUCH_ENTITY",
				notFound ?? `${what} cannot be found.`,
			);
		if (isStoreError(err, "STORE_INVALID"))
			throw new SigilError("INVALID_PARAMETER", (err as Error).message);
		throw err;
	}
}

/** The IAM operations of one gateway. */
export class IamAdmin {
	readonly #d: IamAdminDeps;
	constructor(deps: IamAdminDeps) {
		this.#d = deps;
	}

	async createUser(accountId: string, userName: string, path?: string) {
		checkName(userName, "userName");
		return iam(`User with name ${userName}`, () =>
			this.#d.store.users.create({
				accountId,
				userName,
				...(path && { path }),
			}),
		);
	}

	async getUser(accountId: string, userName: string): Promise<User> {
		const user = await this.#d.store.users.get(accountId, userName);
		if (!user)
			throw new SigilError(
				"NO_SUCH_ENTITY",
				`The user with name ${userName} cannot be found.`,
			);
		return user;
	}

	listUsers(accountId: string): Promise<User[]> {
		return this.#d.store.users.list(accountId);
	}

	/** IAM's DeleteUser: refused with DeleteConflict while the user has keys or inline policies. */
	async deleteUser(accountId: string, userName: string): Promise<void> {
		await this.getUser(accountId, userName);
		const keys = await this.#d.store.accessKeys.list(accountId, userName);
		if (keys.length > 0)
			throw new SigilError(
				"DELETE_CONFLICT",
				"Cannot delete entity, must delete access keys first.",
			);
		const policies = await this.#d.store.policies.list(
			accountId,
			"user",
			userName,
		);
		if (policies.length > 0)
			throw new SigilError(
				"DELETE_CONFLICT",
				"Cannot delete entity, must delete policies first.",
			);
		await iam(`User ${userName}`, () =>
			this.#d.store.users.delete(accountId, userName),
		);
		// Its keys are gone: drop every cached resolution rather than hunt for them.
		this.#d.credentials.invalidate();
		this.#d.authorizer.invalidatePrincipal(accountId, "user", userName);
	}

	async createRole(input: {
		accountId: string;
		roleName: string;
		trustPolicy: string;
		path?: string;
		maxSessionDuration?: number;
	}): Promise<Role> {
		checkName(input.roleName, "roleName");
		validatePolicy(input.trustPolicy, "trust");
		const max = input.maxSessionDuration;
		if (
			max !== undefined &&
			!(Number.isInteger(max) && max >= 3600 && max <= 43200)
		)
			throw new SigilError(
				"INVALID_PARAMETER",
				`1 validation error detected: Value '${max}' at 'maxSessionDuration' failed to satisfy constraint: Member must have value between 3600 and 43200`,
			);
		return iam(`Role with name ${input.roleName}`, () =>
			this.#d.store.roles.create(input),
		);
	}

	async getRole(accountId: string, roleName: string): Promise<Role> {
		const role = await this.#d.store.roles.get(accountId, roleName);
		if (!role)
			throw new SigilError(
				"NO_SUCH_ENTITY",
				`The role with name ${roleName} cannot be found.`,
			);
		return role;
	}

	listRoles(accountId: string): Promise<Role[]> {
		return this.#d.store.roles.list(accountId);
	}

	/** IAM's UpdateAssumeRolePolicy: the new trust policy, validated by the engine first. */
	async updateTrustPolicy(
		accountId: string,
		roleName: string,
		trustPolicy: string,
	): Promise<void> {
		validatePolicy(trustPolicy, "trust");
		await this.getRole(accountId, roleName);
		await iam(
			`Role ${roleName}`,
			() =>
				this.#d.store.roles.setTrustPolicy(accountId, roleName, trustPolicy),
			`The role with name ${roleName} cannot be found.`,
		);
	}

	/**
	 * IAM's DeleteRole: refused with DeleteConflict while the role has inline or attached
	 * policies. The role's STS sessions end at once (they are bound to its unique id, and the
	 * cached "still exists" answer is dropped here).
	 */
	async deleteRole(accountId: string, roleName: string): Promise<void> {
		const role = await this.getRole(accountId, roleName);
		const inline = await this.#d.store.policies.list(
			accountId,
			"role",
			roleName,
		);
		if (inline.length > 0)
			throw new SigilError(
				"DELETE_CONFLICT",
				"Cannot delete entity, must delete policies first.",
			);
		await iam(
			`Role ${roleName}`,
			() => this.#d.store.roles.delete(accountId, roleName),
			`The role with name ${roleName} cannot be found.`,
		);
		for (const name of new Set([role.roleName, roleName])) {
			this.#d.credentials.invalidatePrincipal(accountId, "role", name);
			this.#d.authorizer.invalidatePrincipal(accountId, "role", name);
		}
	}

	async putPolicy(
		accountId: string,
		kind: PrincipalKind,
		principalName: string,
		policyName: string,
		document: string,
	): Promise<void> {
		checkName(policyName, "policyName", POLICY_NAME);
		validatePolicy(document, "identity");
		await this.#exists(accountId, kind, principalName);
		await iam(`Policy ${policyName}`, () =>
			this.#d.store.policies.put(
				accountId,
				kind,
				principalName,
				policyName,
				document,
			),
		);
		this.#d.authorizer.invalidatePrincipal(accountId, kind, principalName);
	}

	async getPolicy(
		accountId: string,
		kind: PrincipalKind,
		principalName: string,
		policyName: string,
	): Promise<InlinePolicy> {
		await this.#exists(accountId, kind, principalName);
		const p = await this.#d.store.policies.get(
			accountId,
			kind,
			principalName,
			policyName,
		);
		if (!p)
			throw new SigilError(
				"NO_SUCH_ENTITY",
				`The ${kind} policy with name ${policyName} cannot be found.`,
			);
		return p;
	}

	async listPolicies(
		accountId: string,
		kind: PrincipalKind,
		principalName: string,
	): Promise<InlinePolicy[]> {
		await this.#exists(accountId, kind, principalName);
		return this.#d.store.policies.list(accountId, kind, principalName);
	}

	async deletePolicy(
		accountId: string,
		kind: PrincipalKind,
		principalName: string,
		policyName: string,
	): Promise<void> {
		await this.getPolicy(accountId, kind, principalName, policyName);
		await iam(`The ${kind} policy with name ${policyName}`, () =>
			this.#d.store.policies.delete(accountId, kind, principalName, policyName),
		);
		this.#d.authorizer.invalidatePrincipal(accountId, kind, principalName);
	}

	/** A new key for a user (or, with `null`, the account's root identity), within the quota. */
	async createAccessKey(
		accountId: string,
		userName: string | null,
	): Promise<AccessKeyWithSecret> {
		if (userName !== null) await this.getUser(accountId, userName);
		const keys = await this.#d.store.accessKeys.list(accountId, userName);
		if (keys.length >= ACCESS_KEYS_PER_USER)
			throw new SigilError(
				"LIMIT_EXCEEDED",
				`Cannot exceed quota for AccessKeysPerUser: ${ACCESS_KEYS_PER_USER}`,
			);
		return this.#d.store.accessKeys.create({ accountId, userName });
	}

	async listAccessKeys(
		accountId: string,
		userName: string | null,
	): Promise<AccessKey[]> {
		if (userName !== null) await this.getUser(accountId, userName);
		return this.#d.store.accessKeys.list(accountId, userName);
	}

	/** The key, when it belongs to `userName` in `accountId`; NoSuchEntity otherwise (as IAM says). */
	async #ownKey(
		accountId: string,
		userName: string | null,
		accessKeyId: string,
	): Promise<AccessKey> {
		const key = await this.#d.store.accessKeys.get(accessKeyId);
		if (!key || key.accountId !== accountId || key.userName !== userName)
			throw new SigilError(
				"NO_SUCH_ENTITY",
				`The Access Key with id ${accessKeyId} cannot be found.`,
			);
		return key;
	}

	/**
	 * `signedWith` is the key that signed the request: it may not disable itself (the caller
	 * would lock itself out mid-request; IAM users do that with another key).
	 */
	async updateAccessKey(
		accountId: string,
		userName: string | null,
		accessKeyId: string,
		status: AccessKeyStatus,
		signedWith: string,
	): Promise<void> {
		await this.#ownKey(accountId, userName, accessKeyId);
		if (status === "Inactive" && accessKeyId === signedWith)
			throw new SigilError(
				"KEY_IN_USE_BY_CALLER",
				`access key ${accessKeyId} signed this request; disable it with another key`,
			);
		await this.#d.store.accessKeys.setStatus(accessKeyId, status);
		this.#d.credentials.invalidate(accessKeyId);
	}

	async deleteAccessKey(
		accountId: string,
		userName: string | null,
		accessKeyId: string,
		signedWith: string,
	): Promise<void> {
		await this.#ownKey(accountId, userName, accessKeyId);
		if (accessKeyId === signedWith)
			throw new SigilError(
				"KEY_IN_USE_BY_CALLER",
				`access key ${accessKeyId} signed this request; delete it with another key`,
			);
		await this.#d.store.accessKeys.delete(accessKeyId);
		this.#d.credentials.invalidate(accessKeyId);
	}

	async #exists(
		accountId: string,
		kind: PrincipalKind,
		name: string,
	): Promise<void> {
		if (kind === "user") await this.getUser(accountId, name);
		else await this.getRole(accountId, name);
	}
}
