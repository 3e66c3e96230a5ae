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
import {
	type AuthorizationRequest,
	evaluate,
	type NamedPolicy,
	type PolicyKind,
	parsePolicy,
	principalContext,
	type RequestContext,
	type RequestPrincipal,
} from "@sigil/policy";
import { SigilError } from "../errors.ts";
import type { CredentialCache } from "../gateway/credentials.ts";
import { isStoreError } from "../store/errors.ts";
import { type Store, TAGS_PER_PRINCIPAL } from "../store/store.ts";
import type {
	AccessKey,
	AccessKeyStatus,
	AccessKeyWithSecret,
	AttachmentKind,
	Group,
	GroupPolicy,
	InlinePolicy,
	ManagedPolicy,
	ManagedPolicyVersion,
	PrincipalKind,
	Role,
	Tag,
	User,
} from "../store/types.ts";
import type { Authorizer, PolicyText } from "./authorizer.ts";

/** IAM quota "Access keys per user": 2. */
export const ACCESS_KEYS_PER_USER = 2;
/** IAM quota "Managed policies per user / role / group" (the default): 10. */
export const MANAGED_POLICIES_PER_PRINCIPAL = 10;
/** IAM quota "Groups an IAM user can be a member of": 10. */
export const GROUPS_PER_USER = 10;
/** IAM quota "Managed policy length": 6,144 characters, white space not counted. */
export const MANAGED_POLICY_CHARS = 6144;

/** A managed policy named by its ARN: `arn:aws:iam::ACCOUNT:policy/PATH/NAME`. */
export interface PolicyRef {
	readonly arn: string;
	/** A 12-digit id, or `aws` for AWS managed policies (which this gateway has none of). */
	readonly accountId: string;
	readonly path: string;
	readonly policyName: string;
}

const POLICY_ARN =
	/^arn:aws:iam::(\d{12}|aws):policy(\/(?:[\x21-\x7e]*\/)?)([\w+=,.@-]{1,128})$/;

/** Parses a policy ARN; INVALID_PARAMETER ("ARN … is not valid.") otherwise, as IAM says. */
export function parsePolicyArn(arn: string): PolicyRef {
	const m = POLICY_ARN.exec(arn);
	if (!m || arn.length > 2048)
		throw new SigilError(
			"INVALID_PARAMETER",
			`ARN ${arn.slice(0, 200)} is not valid.`,
		);
	return {
		arn,
		accountId: m[1] as string,
		path: m[2] as string,
		policyName: m[3] as string,
	};
}
const NAME = /^[\w+=,.@-]{1,64}$/;
const POLICY_NAME = /^[\w+=,.@-]{1,128}$/;
const GROUP_NAME = /^[\w+=,.@-]{1,128}$/;

/** What IAM's CreateUser / CreateRole take besides the principal itself. */
export interface CreateOptions {
	/** The managed policy to set as the permissions boundary. */
	readonly boundary?: PolicyRef;
	readonly tags?: readonly Tag[];
}

const TAG_KEY = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,128}$/u;
const TAG_VALUE = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]{0,256}$/u;

function checkTagKey(key: string): void {
	if (!TAG_KEY.test(key))
		throw new SigilError(
			"INVALID_PARAMETER",
			`1 validation error detected: Value '${key.slice(0, 140)}' at 'tags.key' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+ and have length between 1 and 128`,
		);
	if (key.toLowerCase().startsWith("aws:"))
		throw new SigilError(
			"INVALID_PARAMETER",
			"Tag keys beginning with 'aws:' are reserved for AWS use and cannot be set.",
		);
}

/** IAM's rules for the tags of one request: shapes, no `aws:` keys, no key twice, at most 50. */
export function checkTags(tags: readonly Tag[]): readonly Tag[] {
	if (tags.length > TAGS_PER_PRINCIPAL)
		throw new SigilError(
			"LIMIT_EXCEEDED",
			"The number of tags has reached the maximum limit.",
		);
	const seen = new Set<string>();
	for (const { key, value } of tags) {
		checkTagKey(key);
		if (!TAG_VALUE.test(value))
			throw new SigilError(
				"INVALID_PARAMETER",
				"1 validation error detected: Value at 'tags.value' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]* and have length less than or equal to 256",
			);
		if (seen.has(key.toLowerCase()))
			throw new SigilError(
				"INVALID_PARAMETER",
				"Duplicate tag keys found. Please note that Tag keys are case insensitive.",
			);
		seen.add(key.toLowerCase());
	}
	return tags;
}

/** What IAM's SimulatePrincipalPolicy / SimulateCustomPolicy evaluate. */
export interface SimulationInput {
	/** The user, role or group whose policies are simulated (none: SimulateCustomPolicy). */
	readonly source?: { readonly kind: AttachmentKind; readonly name: string };
	/** Identity policies added to the source's (`PolicyInputList`). */
	readonly policyInputs: readonly string[];
	/** A boundary replacing the source's (`PermissionsBoundaryPolicyInputList`, at most one). */
	readonly boundaryInputs: readonly string[];
	readonly actions: readonly string[];
	/** Default `*`. */
	readonly resources: readonly string[];
	readonly resourcePolicy?: string;
	/** The account that owns the resources: a 12-digit id or `arn:aws:iam::ID:root`. */
	readonly resourceOwner?: string;
	/** The IAM user to simulate as (its ARN), for a resource policy's `Principal`. */
	readonly callerArn?: string;
	readonly context: RequestContext;
}

/** Where a matched statement came from, in the simulator's words (`PolicySourceType`). */
export type SimulatedSource =
	| "user"
	| "group"
	| "role"
	| "user-managed"
	| "resource"
	| "none";

export interface SimulationResult {
	readonly action: string;
	readonly resource: string;
	readonly decision: "allowed" | "explicitDeny" | "implicitDeny";
	/** The statements that decided: the Denies of an explicit deny, the Allows of an allow. */
	readonly matched: readonly {
		readonly sourcePolicyId: string;
		readonly sourcePolicyType: SimulatedSource;
	}[];
	/** Condition keys the applicable statements use that the simulation was not given. */
	readonly missingContextValues: readonly string[];
	/** Whether the permissions boundary allowed the action (only when there is one). */
	readonly allowedByBoundary?: boolean;
}

/** Bounds of one simulation (its results are paged; its work is not). */
const SIMULATION_ACTIONS = 100;
const SIMULATION_RESOURCES = 100;
const USER_ARN =
	/^arn:aws:iam::(\d{12}):user\/(?:[\x21-\x7e]*\/)?([\w+=,.@-]{1,64})$/;
const ACTION_NAME = /^[\w-]{1,64}:[\w*?-]{1,128}$/;

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

/** A managed policy's document: valid for the engine, within IAM's size quota. */
function checkManagedDocument(text: string): void {
	if (text.replace(/\s/g, "").length > MANAGED_POLICY_CHARS)
		throw quotaExceeded("PolicySize", MANAGED_POLICY_CHARS);
	validatePolicy(text, "identity");
}

/**
 * The condition keys of the statements that apply to `action` (by Action/NotAction) which the
 * simulation was not given — IAM's `MissingContextValues`.
 */
function missingKeys(
	policies: readonly NamedPolicy[],
	names: ReadonlyMap<string, { document: string }>,
	action: string,
	known: ReadonlySet<string>,
): string[] {
	const lower = action.toLowerCase();
	const missing = new Map<string, string>();
	for (const p of policies) {
		const text = names.get(p.name ?? "")?.document;
		if (text === undefined) continue;
		const raw = (JSON.parse(text) as { Statement?: unknown }).Statement;
		const statements = Array.isArray(raw) ? raw : [raw];
		for (const st of p.policy.statements) {
			if (!st.matchAction(lower)) continue;
			const condition = (statements[st.index] as { Condition?: unknown })
				?.Condition;
			if (condition === null || typeof condition !== "object") continue;
			for (const block of Object.values(condition as Record<string, unknown>))
				if (block !== null && typeof block === "object")
					for (const key of Object.keys(block))
						if (!known.has(key.toLowerCase()))
							missing.set(key.toLowerCase(), key);
		}
	}
	return [...missing.values()].sort();
}

function checkName(value: string | undefined, what: string, re = NAME): string {
	if (value === undefined || !re.test(value))
		throw new SigilError(
			"INVALID_PARAMETER",
			`1 validation error detected: Value '${(value ?? "null").slice(0, 140)}' at '${what}' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+`,
		);
	return value;
}

/** IAM's NoSuchEntity message: "The user with name alice cannot be found." */
function notFoundMessage(what: string, name: string): string {
	return `The ${what} with name ${name} cannot be found.`;
}

/** `entity`, or NoSuchEntity in IAM's words (see {@link notFoundMessage}) when there is none. */
function found<T>(entity: T | undefined, what: string, name: string): T {
	if (!entity)
		throw new SigilError("NO_SUCH_ENTITY", notFoundMessage(what, name));
	return entity;
}

/** IAM's words for a policy ARN that names no policy of the account one may attach or set. */
function notAttachable(policy: { readonly arn: string }): string {
	return `Policy ${policy.arn} does not exist or is not attachable.`;
}

/** IAM's words for a version id the policy `ref` names does not have. */
function noSuchVersion(ref: PolicyRef, versionId: string): string {
	return `Policy ${ref.arn} version ${versionId.slice(0, 20)} does not exist or is not attachable.`;
}

/** IAM's DeleteConflict while an entity still has something: "…, must `mustFirst` first." */
function deleteConflict(mustFirst: string): SigilError {
	return new SigilError(
		"DELETE_CONFLICT",
		`Cannot delete entity, must ${mustFirst} first.`,
	);
}

/** IAM's LimitExceeded for one of its quotas: "Cannot exceed quota for GroupsPerUser: 10". */
function quotaExceeded(quota: string, limit: number): SigilError {
	return new SigilError(
		"LIMIT_EXCEEDED",
		`Cannot exceed quota for ${quota}: ${limit}`,
	);
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

	/**
	 * IAM's CreateUser; with `options.boundary`, the user is created with that permissions
	 * boundary or not at all (the policy is checked first; should setting it fail anyway, the
	 * new user is deleted again).
	 */
	async createUser(
		accountId: string,
		userName: string,
		path?: string,
		options: CreateOptions = {},
	): Promise<User> {
		checkName(userName, "userName");
		const tags = checkTags(options.tags ?? []);
		const boundary = await this.#boundaryPolicy(accountId, options.boundary);
		const user = await iam(`User with name ${userName}`, () =>
			this.#d.store.users.create({
				accountId,
				userName,
				...(path && { path }),
			}),
		);
		await this.#completeCreate(
			accountId,
			"user",
			user.userName,
			boundary,
			tags,
			() => this.#d.store.users.delete(accountId, user.userName),
		);
		return user;
	}

	/** The boundary policy a create names, checked before anything is created. */
	async #boundaryPolicy(
		accountId: string,
		ref: PolicyRef | undefined,
	): Promise<ManagedPolicy | undefined> {
		if (ref === undefined) return undefined;
		return this.#attachable(accountId, ref);
	}

	/** The policy `ref` names, for attaching or setting as a boundary; else NoSuchEntity. */
	#attachable(accountId: string, ref: PolicyRef): Promise<ManagedPolicy> {
		return this.getManagedPolicy(accountId, ref, notAttachable(ref));
	}

	/** Sets what a create was given besides the principal; on failure, undoes the create. */
	async #completeCreate(
		accountId: string,
		kind: PrincipalKind,
		name: string,
		boundary: ManagedPolicy | undefined,
		tags: readonly Tag[],
		undo: () => Promise<void>,
	): Promise<void> {
		if (boundary === undefined && tags.length === 0) return;
		try {
			if (boundary !== undefined)
				await this.#d.store.managedPolicies.putBoundary(
					accountId,
					kind,
					name,
					boundary.policyName,
				);
			if (tags.length > 0)
				await this.#d.store.tags.put(accountId, kind, name, tags);
		} catch (err) {
			await undo().catch(() => {});
			if (isStoreError(err, "STORE_NOT_FOUND") && boundary !== undefined)
				throw new SigilError("NO_SUCH_ENTITY", notAttachable(boundary));
			throw err;
		} finally {
			this.#d.authorizer.invalidatePrincipal(accountId, kind, name);
		}
	}

	// -- Policy simulation -----------------------------------------------------------------

	/**
	 * IAM's policy simulator: the engine's decision for every action × resource, with the
	 * source's stored policies (user: with its groups' and its boundary; role; group: its own)
	 * plus the given ones, exactly as a real request of that principal would be decided — but
	 * with only the context the caller supplies (and the principal's tags). Nothing is stored.
	 */
	async simulate(
		accountId: string,
		input: SimulationInput,
	): Promise<SimulationResult[]> {
		if (input.actions.length === 0 || input.actions.length > SIMULATION_ACTIONS)
			throw new SigilError(
				"INVALID_PARAMETER",
				`ActionNames must name 1 to ${SIMULATION_ACTIONS} actions`,
			);
		for (const a of input.actions)
			if (!ACTION_NAME.test(a))
				throw new SigilError(
					"INVALID_PARAMETER",
					`Action ${a.slice(0, 140)} is not of the form service:Action`,
				);
		const resources = input.resources.length > 0 ? input.resources : ["*"];
		if (resources.length > SIMULATION_RESOURCES)
			throw new SigilError(
				"INVALID_PARAMETER",
				`ResourceArns must name at most ${SIMULATION_RESOURCES} resources`,
			);
		if (input.boundaryInputs.length > 1)
			throw new SigilError(
				"INVALID_PARAMETER",
				"PermissionsBoundaryPolicyInputList takes one policy",
			);
		const inputs: (PolicyText & { kind: PolicyKind })[] = [
			...input.policyInputs.map((document, i) => ({
				label: `PolicyInputList.${i + 1}`,
				source: "user" as const,
				id: `PolicyInputList.${i + 1}`,
				document: validatePolicy(document, "identity"),
				kind: "identity" as const,
			})),
		];
		const boundaryInput = input.boundaryInputs[0];
		if (boundaryInput !== undefined) validatePolicy(boundaryInput, "identity");
		if (input.resourcePolicy !== undefined)
			validatePolicy(input.resourcePolicy, "resource");

		// The source's own policies, as its real requests get them.
		const source = input.source;
		let stored: readonly PolicyText[] = [];
		let storedBoundary: PolicyText | undefined;
		let tags: readonly Tag[] = [];
		let principal: RequestPrincipal;
		if (source === undefined || source.kind === "group") {
			if (source) {
				await this.getGroup(accountId, source.name);
				stored = await this.#d.authorizer.groupDocuments(
					accountId,
					source.name,
				);
			}
			if (input.resourcePolicy !== undefined && input.callerArn === undefined)
				throw new SigilError(
					"INVALID_PARAMETER",
					"CallerArn is required when a ResourcePolicy is given without a user or role to simulate",
				);
			principal = {
				type: "User",
				arn: `arn:aws:iam::${accountId}:user/simulated-caller`,
				accountId,
				username: "simulated-caller",
			};
		} else {
			const docs = await this.#d.authorizer.principalDocuments(
				accountId,
				source.kind,
				source.name,
			);
			stored = docs.identity;
			storedBoundary = docs.boundary;
			tags = docs.tags;
			if (source.kind === "user") {
				const u = await this.getUser(accountId, source.name);
				principal = {
					type: "User",
					arn: u.arn,
					accountId,
					userId: u.userId,
					username: u.userName,
				};
			} else {
				const r = await this.getRole(accountId, source.name);
				principal = {
					type: "AssumedRole",
					arn: `arn:aws:sts::${accountId}:assumed-role/${r.roleName}/simulation`,
					accountId,
					userId: `${r.roleId}:simulation`,
					roleArn: r.arn,
				};
			}
		}
		if (input.callerArn !== undefined) {
			const m = USER_ARN.exec(input.callerArn);
			if (!m)
				throw new SigilError(
					"INVALID_PARAMETER",
					"CallerArn must be the ARN of an IAM user",
				);
			principal = {
				type: "User",
				arn: input.callerArn,
				accountId: m[1] as string,
				username: m[2] as string,
			};
		}
		let resourceAccountId = accountId;
		if (input.resourceOwner !== undefined) {
			const m = /^(?:arn:aws:iam::)?(\d{12})(?::root)?$/.exec(
				input.resourceOwner,
			);
			if (!m)
				throw new SigilError(
					"INVALID_PARAMETER",
					"ResourceOwner must be an account id or arn:aws:iam::ACCOUNT:root",
				);
			resourceAccountId = m[1] as string;
		}

		// Compile everything once, remembering how the simulator names each policy.
		const names = new Map<
			string,
			{ id: string; type: SimulatedSource; document: string }
		>();
		const identity: NamedPolicy[] = [];
		for (const t of [...stored, ...inputs]) {
			const compiled = this.#d.authorizer.compile(
				t.document,
				"identity",
				t.label,
			);
			if (!compiled) continue;
			identity.push(compiled);
			names.set(t.label, {
				id: t.id,
				type: t.label.startsWith("PolicyInputList.")
					? "none"
					: t.source === "managed"
						? "user-managed"
						: t.source,
				document: t.document,
			});
		}
		const boundaryText: PolicyText | undefined =
			boundaryInput !== undefined
				? {
						label: "PermissionsBoundaryPolicyInputList.1",
						source: "managed",
						id: "PermissionsBoundaryPolicyInputList.1",
						document: boundaryInput,
					}
				: storedBoundary;
		const boundary =
			boundaryText &&
			this.#d.authorizer.compileBoundary(
				boundaryText.document,
				boundaryText.label,
			);
		if (boundaryText)
			names.set(boundaryText.label, {
				id: boundaryText.id,
				type: boundaryInput !== undefined ? "none" : "user-managed",
				document: boundaryText.document,
			});
		const resourcePolicy =
			input.resourcePolicy === undefined
				? undefined
				: this.#d.authorizer.compile(
						input.resourcePolicy,
						"resource",
						"ResourcePolicy",
					);
		if (input.resourcePolicy !== undefined)
			names.set("ResourcePolicy", {
				id: "ResourcePolicy",
				type: "resource",
				document: input.resourcePolicy,
			});

		const context: RequestContext = {
			...Object.fromEntries(
				tags.map((t) => [`aws:PrincipalTag/${t.key}`, t.value]),
			),
			...input.context,
		};
		const known = new Set(
			[
				...Object.keys(context),
				...Object.keys(principalContext(principal)),
			].map((k) => k.toLowerCase()),
		);
		const all: NamedPolicy[] = [
			...identity,
			...(boundary ? [boundary] : []),
			...(resourcePolicy ? [resourcePolicy] : []),
		];
		const results: SimulationResult[] = [];
		for (const action of input.actions)
			for (const resource of resources) {
				const request: AuthorizationRequest = {
					principal,
					action,
					resource,
					resourceAccountId,
					identityPolicies: identity,
					...(boundary && { permissionsBoundary: boundary }),
					...(resourcePolicy && { resourcePolicy }),
					context,
				};
				const d = evaluate(request);
				const decision =
					d.decision === "Allow"
						? "allowed"
						: d.decision === "ExplicitDeny"
							? "explicitDeny"
							: "implicitDeny";
				const deciding = d.matched.filter((m) =>
					decision === "explicitDeny"
						? m.effect === "Deny"
						: decision === "allowed" &&
							m.effect === "Allow" &&
							m.policy !== "boundary",
				);
				results.push({
					action,
					resource,
					decision,
					matched: deciding.map((m) => {
						const n = names.get(m.policyName ?? "");
						return {
							sourcePolicyId: n?.id ?? m.policyName ?? "",
							sourcePolicyType: n?.type ?? "none",
						};
					}),
					missingContextValues: missingKeys(all, names, action, known),
					...(boundary && {
						allowedByBoundary:
							d.matched.some(
								(m) => m.policy === "boundary" && m.effect === "Allow",
							) &&
							!d.matched.some(
								(m) => m.policy === "boundary" && m.effect === "Deny",
							),
					}),
				});
			}
		return results;
	}

	// -- Tags ------------------------------------------------------------------------------

	/** Tag{User,Role}: adds or updates; the principal's next decisions see `aws:PrincipalTag/…`. */
	async tagPrincipal(
		accountId: string,
		kind: PrincipalKind,
		name: string,
		tags: readonly Tag[],
	): Promise<void> {
		checkTags(tags);
		await this.#exists(accountId, kind, name);
		try {
			await this.#d.store.tags.put(accountId, kind, name, tags);
		} catch (err) {
			if (isStoreError(err, "STORE_TOO_LARGE"))
				throw new SigilError(
					"LIMIT_EXCEEDED",
					"The number of tags has reached the maximum limit.",
				);
			if (isStoreError(err, "STORE_NOT_FOUND"))
				throw new SigilError("NO_SUCH_ENTITY", notFoundMessage(kind, name));
			throw err;
		}
		this.#d.authorizer.invalidatePrincipal(accountId, kind, name);
	}

	async untagPrincipal(
		accountId: string,
		kind: PrincipalKind,
		name: string,
		keys: readonly string[],
	): Promise<void> {
		for (const key of keys) checkTagKey(key);
		await this.#exists(accountId, kind, name);
		await this.#d.store.tags.remove(accountId, kind, name, keys);
		this.#d.authorizer.invalidatePrincipal(accountId, kind, name);
	}

	async listTags(
		accountId: string,
		kind: PrincipalKind,
		name: string,
	): Promise<Tag[]> {
		await this.#exists(accountId, kind, name);
		return this.#d.store.tags.list(accountId, kind, name);
	}

	// -- Permissions boundaries ------------------------------------------------------------

	/** Put{User,Role}PermissionsBoundary: the principal's next decisions are bounded by it. */
	async putPermissionsBoundary(
		accountId: string,
		kind: PrincipalKind,
		name: string,
		ref: PolicyRef,
	): Promise<void> {
		await this.#exists(accountId, kind, name);
		const policy = await this.#attachable(accountId, ref);
		await iam(
			`Policy ${ref.arn}`,
			() =>
				this.#d.store.managedPolicies.putBoundary(
					accountId,
					kind,
					name,
					policy.policyName,
				),
			notAttachable(ref),
		);
		this.#d.authorizer.invalidatePrincipal(accountId, kind, name);
	}

	async deletePermissionsBoundary(
		accountId: string,
		kind: PrincipalKind,
		name: string,
	): Promise<void> {
		await this.#exists(accountId, kind, name);
		await iam(
			"Permissions boundary",
			() => this.#d.store.managedPolicies.deleteBoundary(accountId, kind, name),
			`The ${kind} with name ${name} has no permissions boundary.`,
		);
		this.#d.authorizer.invalidatePrincipal(accountId, kind, name);
	}

	/** The ARN of the principal's permissions boundary, if it has one. */
	async permissionsBoundaryOf(
		accountId: string,
		kind: PrincipalKind,
		name: string,
	): Promise<string | undefined> {
		return (
			await this.#d.store.managedPolicies.getBoundary(accountId, kind, name)
		)?.arn;
	}

	async getUser(accountId: string, userName: string): Promise<User> {
		const user = await this.#d.store.users.get(accountId, userName);
		return found(user, "user", userName);
	}

	listUsers(accountId: string): Promise<User[]> {
		return this.#d.store.users.list(accountId);
	}

	/**
	 * IAM's DeleteUser: refused with DeleteConflict while the user has keys, inline or attached
	 * policies, or group memberships.
	 */
	async deleteUser(accountId: string, userName: string): Promise<void> {
		await this.getUser(accountId, userName);
		const keys = await this.#d.store.accessKeys.list(accountId, userName);
		if (keys.length > 0) throw deleteConflict("delete access keys");
		const policies = await this.#d.store.policies.list(
			accountId,
			"user",
			userName,
		);
		if (policies.length > 0) throw deleteConflict("delete policies");
		await this.#noAttachedPolicies(accountId, "user", userName);
		if (
			(await this.#d.store.groups.listGroupsForUser(accountId, userName)).length
		)
			throw deleteConflict("remove user from all groups");
		await iam(`User ${userName}`, () =>
			this.#d.store.users.delete(accountId, userName),
		);
		// Its keys are gone: drop every cached resolution rather than hunt for them.
		this.#d.credentials.invalidate();
		this.#d.authorizer.invalidatePrincipal(accountId, "user", userName);
	}

	/** IAM's CreateRole; `options` as for {@link createUser}. */
	async createRole(
		input: {
			accountId: string;
			roleName: string;
			trustPolicy: string;
			path?: string;
			maxSessionDuration?: number;
		},
		options: CreateOptions = {},
	): Promise<Role> {
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
		const tags = checkTags(options.tags ?? []);
		const boundary = await this.#boundaryPolicy(
			input.accountId,
			options.boundary,
		);
		const role = await iam(`Role with name ${input.roleName}`, () =>
			this.#d.store.roles.create(input),
		);
		await this.#completeCreate(
			input.accountId,
			"role",
			role.roleName,
			boundary,
			tags,
			() => this.#d.store.roles.delete(input.accountId, role.roleName),
		);
		return role;
	}

	async getRole(accountId: string, roleName: string): Promise<Role> {
		const role = await this.#d.store.roles.get(accountId, roleName);
		return found(role, "role", roleName);
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
			notFoundMessage("role", roleName),
		);
	}

	/**
	 * IAM's DeleteRole: refused with DeleteConflict while the role has inline or attached
	 * (managed) policies. The role's STS sessions end at once (they are bound to its unique id, and the
	 * cached "still exists" answer is dropped here).
	 */
	async deleteRole(accountId: string, roleName: string): Promise<void> {
		const role = await this.getRole(accountId, roleName);
		const inline = await this.#d.store.policies.list(
			accountId,
			"role",
			roleName,
		);
		if (inline.length > 0) throw deleteConflict("delete policies");
		await this.#noAttachedPolicies(accountId, "role", roleName);
		await iam(
			`Role ${roleName}`,
			() => this.#d.store.roles.delete(accountId, roleName),
			notFoundMessage("role", roleName),
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
		return found(p, `${kind} policy`, policyName);
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

	// -- Customer managed policies ---------------------------------------------------------

	/** IAM's CreatePolicy: the document validated by the engine and within the size quota. */
	async createManagedPolicy(input: {
		accountId: string;
		policyName: string;
		document: string;
		path?: string;
		description?: string;
	}): Promise<ManagedPolicy> {
		checkName(input.policyName, "policyName", POLICY_NAME);
		checkManagedDocument(input.document);
		if (input.description !== undefined && input.description.length > 1000)
			throw new SigilError(
				"INVALID_PARAMETER",
				"1 validation error detected: Value at 'description' failed to satisfy constraint: Member must have length less than or equal to 1000",
			);
		return iam(`A policy called ${input.policyName}`, () =>
			this.#d.store.managedPolicies.create(input),
		).catch((err: unknown) => {
			if (err instanceof SigilError && err.code === "ENTITY_ALREADY_EXISTS")
				throw new SigilError(
					"ENTITY_ALREADY_EXISTS",
					`A policy called ${input.policyName} already exists. Duplicate names are not allowed.`,
				);
			throw err;
		});
	}

	/** The caller's account's policy `ref` names; NoSuchEntity for any other (AWS's own included). */
	async getManagedPolicy(
		accountId: string,
		ref: PolicyRef,
		notFound = `Policy ${ref.arn} was not found.`,
	): Promise<ManagedPolicy> {
		const policy =
			ref.accountId === accountId
				? await this.#d.store.managedPolicies.get(accountId, ref.policyName)
				: undefined;
		if (!policy || policy.path !== ref.path)
			throw new SigilError("NO_SUCH_ENTITY", notFound);
		return policy;
	}

	listManagedPolicies(accountId: string): Promise<ManagedPolicy[]> {
		return this.#d.store.managedPolicies.list(accountId);
	}

	async getPolicyVersion(
		accountId: string,
		ref: PolicyRef,
		versionId: string,
	): Promise<ManagedPolicyVersion> {
		const policy = await this.getManagedPolicy(accountId, ref);
		const version = await this.#d.store.managedPolicies.getVersion(
			accountId,
			policy.policyName,
			versionId,
		);
		if (!version)
			throw new SigilError("NO_SUCH_ENTITY", noSuchVersion(ref, versionId));
		return version;
	}

	async listPolicyVersions(
		accountId: string,
		ref: PolicyRef,
	): Promise<ManagedPolicyVersion[]> {
		const policy = await this.getManagedPolicy(accountId, ref);
		return this.#d.store.managedPolicies.listVersions(
			accountId,
			policy.policyName,
		);
	}

	/** IAM's CreatePolicyVersion: at most five versions; the new default applies at once. */
	async createPolicyVersion(
		accountId: string,
		ref: PolicyRef,
		document: string,
		setAsDefault: boolean,
	): Promise<ManagedPolicyVersion> {
		checkManagedDocument(document);
		const policy = await this.getManagedPolicy(accountId, ref);
		let version: ManagedPolicyVersion;
		try {
			version = await this.#d.store.managedPolicies.createVersion(
				accountId,
				policy.policyName,
				document,
				setAsDefault,
			);
		} catch (err) {
			if (isStoreError(err, "STORE_TOO_LARGE"))
				throw new SigilError(
					"LIMIT_EXCEEDED",
					"A managed policy can have up to 5 versions. Before you create a new version, you must delete an existing version.",
				);
			throw err;
		}
		if (setAsDefault) await this.#policyChanged(accountId, policy.policyName);
		return version;
	}

	async setDefaultPolicyVersion(
		accountId: string,
		ref: PolicyRef,
		versionId: string,
	): Promise<void> {
		const policy = await this.getManagedPolicy(accountId, ref);
		await iam(
			"Policy version",
			() =>
				this.#d.store.managedPolicies.setDefaultVersion(
					accountId,
					policy.policyName,
					versionId,
				),
			noSuchVersion(ref, versionId),
		);
		await this.#policyChanged(accountId, policy.policyName);
	}

	async deletePolicyVersion(
		accountId: string,
		ref: PolicyRef,
		versionId: string,
	): Promise<void> {
		const policy = await this.getManagedPolicy(accountId, ref);
		if (policy.defaultVersionId === versionId)
			throw new SigilError(
				"DELETE_CONFLICT",
				"Cannot delete the default version of a policy.",
			);
		await iam(
			"Policy version",
			() =>
				this.#d.store.managedPolicies.deleteVersion(
					accountId,
					policy.policyName,
					versionId,
				),
			noSuchVersion(ref, versionId),
		);
	}

	/** IAM's DeletePolicy: DeleteConflict while attached, or with versions besides the default. */
	async deleteManagedPolicy(accountId: string, ref: PolicyRef): Promise<void> {
		const policy = await this.getManagedPolicy(accountId, ref);
		if (policy.attachmentCount > 0 || policy.permissionsBoundaryUsageCount > 0)
			throw new SigilError(
				"DELETE_CONFLICT",
				"Cannot delete a policy attached to entities.",
			);
		const versions = await this.#d.store.managedPolicies.listVersions(
			accountId,
			policy.policyName,
		);
		if (versions.length > 1)
			throw new SigilError(
				"DELETE_CONFLICT",
				"This policy has more than one version. Before you delete a policy, you must delete the policy's versions. The default version is deleted with the policy.",
			);
		try {
			await this.#d.store.managedPolicies.delete(accountId, policy.policyName);
		} catch (err) {
			// Attached, or given a version, between the checks above and the delete.
			if (isStoreError(err, "STORE_CONFLICT"))
				throw new SigilError(
					"DELETE_CONFLICT",
					"Cannot delete a policy attached to entities.",
				);
			if (isStoreError(err, "STORE_NOT_FOUND"))
				throw new SigilError(
					"NO_SUCH_ENTITY",
					`Policy ${ref.arn} was not found.`,
				);
			throw err;
		}
	}

	/** Attach{User,Role,Group}Policy: the principal's (members') decisions include it from now on. */
	async attachPolicy(
		accountId: string,
		kind: AttachmentKind,
		principalName: string,
		ref: PolicyRef,
	): Promise<void> {
		await this.#exists(accountId, kind, principalName);
		const policy = await this.#attachable(accountId, ref);
		const attached = await this.#d.store.managedPolicies.listAttached(
			accountId,
			kind,
			principalName,
		);
		const already = attached.some((p) => p.policyId === policy.policyId);
		if (!already && attached.length >= MANAGED_POLICIES_PER_PRINCIPAL)
			throw quotaExceeded(
				`PoliciesPer${kind === "user" ? "User" : kind === "role" ? "Role" : "Group"}`,
				MANAGED_POLICIES_PER_PRINCIPAL,
			);
		await iam(
			`Policy ${ref.arn}`,
			() =>
				this.#d.store.managedPolicies.attach(
					accountId,
					kind,
					principalName,
					policy.policyName,
				),
			notAttachable(ref),
		);
		await this.#invalidate(accountId, kind, principalName);
	}

	async detachPolicy(
		accountId: string,
		kind: AttachmentKind,
		principalName: string,
		ref: PolicyRef,
	): Promise<void> {
		await this.#exists(accountId, kind, principalName);
		const policy = await this.getManagedPolicy(accountId, ref);
		await iam(
			`Policy ${ref.arn}`,
			() =>
				this.#d.store.managedPolicies.detach(
					accountId,
					kind,
					principalName,
					policy.policyName,
				),
			`Policy ${ref.arn} was not found.`,
		);
		await this.#invalidate(accountId, kind, principalName);
	}

	async listAttachedPolicies(
		accountId: string,
		kind: AttachmentKind,
		principalName: string,
	): Promise<ManagedPolicy[]> {
		await this.#exists(accountId, kind, principalName);
		return this.#d.store.managedPolicies.listAttached(
			accountId,
			kind,
			principalName,
		);
	}

	/** The version in force changed: every principal it is attached to decides anew. */
	async #policyChanged(accountId: string, policyName: string): Promise<void> {
		const entities = await this.#d.store.managedPolicies.listEntities(
			accountId,
			policyName,
		);
		for (const e of entities) await this.#invalidate(accountId, e.kind, e.name);
		const bounded = await this.#d.store.managedPolicies.boundaryEntities(
			accountId,
			policyName,
		);
		for (const e of bounded)
			this.#d.authorizer.invalidatePrincipal(accountId, e.kind, e.name);
	}

	/** Drops the cached policies of a user or role, or of every member of a group. */
	async #invalidate(
		accountId: string,
		kind: AttachmentKind,
		name: string,
	): Promise<void> {
		if (kind !== "group") {
			this.#d.authorizer.invalidatePrincipal(accountId, kind, name);
			return;
		}
		for (const u of await this.#d.store.groups.listUsers(accountId, name))
			this.#d.authorizer.invalidatePrincipal(accountId, "user", u.userName);
	}

	// -- Groups ---------------------------------------------------------------------------

	async createGroup(
		accountId: string,
		groupName: string,
		path?: string,
	): Promise<Group> {
		checkName(groupName, "groupName", GROUP_NAME);
		return iam(`Group with name ${groupName}`, () =>
			this.#d.store.groups.create({
				accountId,
				groupName,
				...(path !== undefined && { path }),
			}),
		);
	}

	async getGroup(accountId: string, groupName: string): Promise<Group> {
		const group = await this.#d.store.groups.get(accountId, groupName);
		return found(group, "group", groupName);
	}

	listGroups(accountId: string): Promise<Group[]> {
		return this.#d.store.groups.list(accountId);
	}

	async groupUsers(accountId: string, groupName: string): Promise<User[]> {
		await this.getGroup(accountId, groupName);
		return this.#d.store.groups.listUsers(accountId, groupName);
	}

	async groupsForUser(accountId: string, userName: string): Promise<Group[]> {
		await this.getUser(accountId, userName);
		return this.#d.store.groups.listGroupsForUser(accountId, userName);
	}

	/** IAM's DeleteGroup: DeleteConflict while it has members, inline or attached policies. */
	async deleteGroup(accountId: string, groupName: string): Promise<void> {
		await this.getGroup(accountId, groupName);
		if ((await this.#d.store.groups.listUsers(accountId, groupName)).length)
			throw deleteConflict("remove users from group");
		if ((await this.#d.store.groups.listPolicies(accountId, groupName)).length)
			throw deleteConflict("delete policies");
		await this.#noAttachedPolicies(accountId, "group", groupName);
		await iam(
			`Group ${groupName}`,
			() => this.#d.store.groups.delete(accountId, groupName),
			notFoundMessage("group", groupName),
		);
	}

	/** The user's decisions include the group's policies from now on (at most 10 groups). */
	async addUserToGroup(
		accountId: string,
		groupName: string,
		userName: string,
	): Promise<void> {
		const group = await this.getGroup(accountId, groupName);
		await this.getUser(accountId, userName);
		const groups = await this.#d.store.groups.listGroupsForUser(
			accountId,
			userName,
		);
		if (
			!groups.some((g) => g.groupId === group.groupId) &&
			groups.length >= GROUPS_PER_USER
		)
			throw quotaExceeded("GroupsPerUser", GROUPS_PER_USER);
		await iam(`Group ${groupName}`, () =>
			this.#d.store.groups.addUser(accountId, groupName, userName),
		);
		this.#d.authorizer.invalidatePrincipal(accountId, "user", userName);
	}

	async removeUserFromGroup(
		accountId: string,
		groupName: string,
		userName: string,
	): Promise<void> {
		await this.getGroup(accountId, groupName);
		await this.getUser(accountId, userName);
		await iam(
			`User ${userName}`,
			() => this.#d.store.groups.removeUser(accountId, groupName, userName),
			`The user with name ${userName} is not in group ${groupName}.`,
		);
		this.#d.authorizer.invalidatePrincipal(accountId, "user", userName);
	}

	async putGroupPolicy(
		accountId: string,
		groupName: string,
		policyName: string,
		document: string,
	): Promise<void> {
		checkName(policyName, "policyName", POLICY_NAME);
		validatePolicy(document, "identity");
		await this.getGroup(accountId, groupName);
		await iam(`Policy ${policyName}`, () =>
			this.#d.store.groups.putPolicy(
				accountId,
				groupName,
				policyName,
				document,
			),
		);
		await this.#invalidate(accountId, "group", groupName);
	}

	async getGroupPolicy(
		accountId: string,
		groupName: string,
		policyName: string,
	): Promise<GroupPolicy> {
		await this.getGroup(accountId, groupName);
		const p = await this.#d.store.groups.getPolicy(
			accountId,
			groupName,
			policyName,
		);
		return found(p, "group policy", policyName);
	}

	async listGroupPolicies(
		accountId: string,
		groupName: string,
	): Promise<GroupPolicy[]> {
		await this.getGroup(accountId, groupName);
		return this.#d.store.groups.listPolicies(accountId, groupName);
	}

	async deleteGroupPolicy(
		accountId: string,
		groupName: string,
		policyName: string,
	): Promise<void> {
		await this.getGroupPolicy(accountId, groupName, policyName);
		await iam(`The group policy with name ${policyName}`, () =>
			this.#d.store.groups.deletePolicy(accountId, groupName, policyName),
		);
		await this.#invalidate(accountId, "group", groupName);
	}

	async #noAttachedPolicies(
		accountId: string,
		kind: AttachmentKind,
		name: string,
	): Promise<void> {
		const attached = await this.#d.store.managedPolicies.listAttached(
			accountId,
			kind,
			name,
		);
		if (attached.length > 0) throw deleteConflict("detach all policies");
	}

	/** A new key for a user (or, with `null`, the account's root identity), within the quota. */
	async createAccessKey(
		accountId: string,
		userName: string | null,
	): Promise<AccessKeyWithSecret> {
		if (userName !== null) await this.getUser(accountId, userName);
		const keys = await this.#d.store.accessKeys.list(accountId, userName);
		if (keys.length >= ACCESS_KEYS_PER_USER)
			throw quotaExceeded("AccessKeysPerUser", ACCESS_KEYS_PER_USER);
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
		kind: AttachmentKind,
		name: string,
	): Promise<void> {
		if (kind === "user") await this.getUser(accountId, name);
		else if (kind === "role") await this.getRole(accountId, name);
		else await this.getGroup(accountId, name);
	}
}
