/**
 * The durable state of Sigil behind one async interface, so that the embedded SQLite adapter and
 * a PostgreSQL adapter run the same contract suite (packages/sigil/test/store-contract.ts).
 *
 * Conventions, the same in every group:
 * - reads (`get…`) resolve `undefined` when the row does not exist;
 * - mutations of a missing row reject with `StoreError` `STORE_NOT_FOUND`;
 * - creates that collide reject with `STORE_CONFLICT` (IAM names collide case-insensitively);
 * - times are milliseconds since the epoch.
 */
import type {
	AccessKey,
	AccessKeyStatus,
	AccessKeyWithSecret,
	Account,
	AliasRouting,
	AliasUrlConfig,
	AttachedPolicyDocument,
	AttachmentKind,
	AuditInput,
	AuditRecord,
	FunctionAliasRecord,
	FunctionCode,
	FunctionConfig,
	FunctionPolicy,
	FunctionRecord,
	FunctionVersionRecord,
	Group,
	GroupPolicy,
	InlinePolicy,
	Job,
	JobCallback,
	JobInput,
	JobStatus,
	ManagedPolicy,
	ManagedPolicyVersion,
	PrincipalKind,
	Role,
	SecretInfo,
	Tag,
	User,
} from "./types.ts";

export interface AccountStore {
	/** Creates an account (12-digit id generated unless given). The first one becomes the root. */
	create(input: { name: string; accountId?: string }): Promise<Account>;
	get(accountId: string): Promise<Account | undefined>;
	/** The root account, once one exists. */
	root(): Promise<Account | undefined>;
	list(): Promise<Account[]>;
}

export interface UserStore {
	create(input: {
		accountId: string;
		userName: string;
		path?: string;
	}): Promise<User>;
	get(accountId: string, userName: string): Promise<User | undefined>;
	list(accountId: string): Promise<User[]>;
	/** Deletes the user with its inline policies and access keys (revoking them at once). */
	delete(accountId: string, userName: string): Promise<void>;
}

export interface RoleStore {
	create(input: {
		accountId: string;
		roleName: string;
		trustPolicy: string;
		path?: string;
		maxSessionDuration?: number;
	}): Promise<Role>;
	get(accountId: string, roleName: string): Promise<Role | undefined>;
	list(accountId: string): Promise<Role[]>;
	setTrustPolicy(
		accountId: string,
		roleName: string,
		trustPolicy: string,
	): Promise<void>;
	/** Deletes the role with its inline policies. */
	delete(accountId: string, roleName: string): Promise<void>;
}

/** Inline policies of users and roles, keyed by (account, principal kind + name, policy name). */
export interface InlinePolicyStore {
	/** Creates or replaces. The principal must exist. */
	put(
		accountId: string,
		kind: PrincipalKind,
		principalName: string,
		policyName: string,
		document: string,
	): Promise<void>;
	get(
		accountId: string,
		kind: PrincipalKind,
		principalName: string,
		policyName: string,
	): Promise<InlinePolicy | undefined>;
	/** Every inline policy of one principal, by policy name. */
	list(
		accountId: string,
		kind: PrincipalKind,
		principalName: string,
	): Promise<InlinePolicy[]>;
	delete(
		accountId: string,
		kind: PrincipalKind,
		principalName: string,
		policyName: string,
	): Promise<void>;
}

/**
 * IAM groups, their members and their inline policies (attached managed policies are the
 * {@link ManagedPolicyStore}'s, kind `group`). Names collide case-insensitively. Deleting a
 * group, or a user, drops the memberships, inline policies and attachments that name it.
 */
export interface GroupStore {
	create(input: {
		accountId: string;
		groupName: string;
		path?: string;
	}): Promise<Group>;
	get(accountId: string, groupName: string): Promise<Group | undefined>;
	/** Every group of the account, by name. */
	list(accountId: string): Promise<Group[]>;
	delete(accountId: string, groupName: string): Promise<void>;
	/** Adds the user (a no-op when already a member); `STORE_NOT_FOUND` when either is missing. */
	addUser(
		accountId: string,
		groupName: string,
		userName: string,
	): Promise<void>;
	/** `STORE_NOT_FOUND` when the user is not a member. */
	removeUser(
		accountId: string,
		groupName: string,
		userName: string,
	): Promise<void>;
	/** The members, by name. */
	listUsers(accountId: string, groupName: string): Promise<User[]>;
	/** The groups a user belongs to, by name. */
	listGroupsForUser(accountId: string, userName: string): Promise<Group[]>;
	/** Creates or replaces an inline policy; the group must exist. */
	putPolicy(
		accountId: string,
		groupName: string,
		policyName: string,
		document: string,
	): Promise<void>;
	getPolicy(
		accountId: string,
		groupName: string,
		policyName: string,
	): Promise<GroupPolicy | undefined>;
	/** By policy name. */
	listPolicies(accountId: string, groupName: string): Promise<GroupPolicy[]>;
	deletePolicy(
		accountId: string,
		groupName: string,
		policyName: string,
	): Promise<void>;
	/** The inline policies of every group the user belongs to, in one read (the authorizer's). */
	policiesForUser(accountId: string, userName: string): Promise<GroupPolicy[]>;
}

/** IAM's quota of tags per user or role. */
export const TAGS_PER_PRINCIPAL = 50;

/** Tags of users and roles. Deleting the principal drops its tags. */
export interface PrincipalTagStore {
	/**
	 * Adds or updates (a key already there, in any case, keeps its spelling and takes the new
	 * value); `STORE_NOT_FOUND` when the principal is missing, `STORE_TOO_LARGE` when it would
	 * end with more than {@link TAGS_PER_PRINCIPAL}. All or nothing.
	 */
	put(
		accountId: string,
		kind: PrincipalKind,
		principalName: string,
		tags: readonly Tag[],
	): Promise<void>;
	/** Removes the keys (any case; absent ones are ignored). */
	remove(
		accountId: string,
		kind: PrincipalKind,
		principalName: string,
		keys: readonly string[],
	): Promise<void>;
	/** By key. */
	list(
		accountId: string,
		kind: PrincipalKind,
		principalName: string,
	): Promise<Tag[]>;
}

/** IAM's quota of versions per managed policy. */
export const MANAGED_POLICY_VERSIONS = 5;

/**
 * Customer managed policies, keyed by (account, policy name; names collide case-insensitively),
 * with their versions and attachments. Deleting a user or role drops its attachments.
 */
export interface ManagedPolicyStore {
	/** Creates the policy with `document` as its version `v1`, the default. */
	create(input: {
		accountId: string;
		policyName: string;
		document: string;
		path?: string;
		description?: string;
	}): Promise<ManagedPolicy>;
	get(
		accountId: string,
		policyName: string,
	): Promise<ManagedPolicy | undefined>;
	/** Every policy of the account, by name. */
	list(accountId: string): Promise<ManagedPolicy[]>;
	/**
	 * Deletes the policy with its versions. `STORE_CONFLICT` while it is attached to anyone, is
	 * anyone's permissions boundary, or has versions besides the default (IAM's order: detach,
	 * delete the versions, then this).
	 */
	delete(accountId: string, policyName: string): Promise<void>;
	/**
	 * Adds the next version (optionally making it the default). `STORE_TOO_LARGE` when the
	 * policy already has {@link MANAGED_POLICY_VERSIONS}.
	 */
	createVersion(
		accountId: string,
		policyName: string,
		document: string,
		setAsDefault: boolean,
	): Promise<ManagedPolicyVersion>;
	getVersion(
		accountId: string,
		policyName: string,
		versionId: string,
	): Promise<ManagedPolicyVersion | undefined>;
	/** Newest first. */
	listVersions(
		accountId: string,
		policyName: string,
	): Promise<ManagedPolicyVersion[]>;
	/** `STORE_NOT_FOUND` unless the version exists. */
	setDefaultVersion(
		accountId: string,
		policyName: string,
		versionId: string,
	): Promise<void>;
	/** `STORE_CONFLICT` for the default version (it goes with the policy). */
	deleteVersion(
		accountId: string,
		policyName: string,
		versionId: string,
	): Promise<void>;
	/** Attaches (a no-op when already attached); `STORE_NOT_FOUND` when either side is missing. */
	attach(
		accountId: string,
		kind: AttachmentKind,
		principalName: string,
		policyName: string,
	): Promise<void>;
	/** `STORE_NOT_FOUND` when the policy is not attached to the principal. */
	detach(
		accountId: string,
		kind: AttachmentKind,
		principalName: string,
		policyName: string,
	): Promise<void>;
	/** The policies attached to one principal, by name. */
	listAttached(
		accountId: string,
		kind: AttachmentKind,
		principalName: string,
	): Promise<ManagedPolicy[]>;
	/** The principals a policy is attached to, by kind then name. */
	listEntities(
		accountId: string,
		policyName: string,
	): Promise<{ kind: AttachmentKind; name: string }[]>;
	/** The default version of every policy attached to one principal, in one read. */
	attachedDocuments(
		accountId: string,
		kind: AttachmentKind,
		principalName: string,
	): Promise<AttachedPolicyDocument[]>;
	/** The default version of every policy attached to any group the user belongs to. */
	groupDocumentsForUser(
		accountId: string,
		userName: string,
	): Promise<AttachedPolicyDocument[]>;
	/**
	 * Makes the policy the user's or role's permissions boundary (replacing any other);
	 * `STORE_NOT_FOUND` when either is missing. Deleting the principal drops it.
	 */
	putBoundary(
		accountId: string,
		kind: PrincipalKind,
		principalName: string,
		policyName: string,
	): Promise<void>;
	/** `STORE_NOT_FOUND` when the principal has no boundary. */
	deleteBoundary(
		accountId: string,
		kind: PrincipalKind,
		principalName: string,
	): Promise<void>;
	/** The boundary policy's ARN and version in force, when the principal has one. */
	getBoundary(
		accountId: string,
		kind: PrincipalKind,
		principalName: string,
	): Promise<AttachedPolicyDocument | undefined>;
	/** The users and roles whose boundary the policy is. */
	boundaryEntities(
		accountId: string,
		policyName: string,
	): Promise<{ kind: PrincipalKind; name: string }[]>;
}

export interface AccessKeyStore {
	/**
	 * Creates an active key; the only time the secret leaves the store other than `get`. The id and
	 * secret are generated unless given (importing a known pair, e.g. from the environment);
	 * a given id that exists rejects with `STORE_CONFLICT`.
	 */
	create(input: {
		accountId: string;
		userName?: string | null;
		accessKeyId?: string;
		secretAccessKey?: string;
	}): Promise<AccessKeyWithSecret>;
	/** The verifier's hot path: one primary-key lookup and one decryption. */
	get(accessKeyId: string): Promise<AccessKeyWithSecret | undefined>;
	/** Keys of an account; with `userName` only that user's (`null`: the root identity's). */
	list(accountId: string, userName?: string | null): Promise<AccessKey[]>;
	setStatus(accessKeyId: string, status: AccessKeyStatus): Promise<void>;
	delete(accessKeyId: string): Promise<void>;
	/**
	 * Notes a successful use. Coalesced in memory and written with the next flush, so it costs a
	 * map write on the request path; `get`/`list` already show the pending value.
	 */
	recordUse(
		accessKeyId: string,
		use: { at: number; scheme: string; service: string },
	): Promise<void>;
}

export interface FunctionStore {
	/**
	 * Creates or updates a function and returns its new revision. `code` may be omitted on an
	 * update to keep the current bundle; `expectedRevision` (0 = must not exist) turns the put
	 * into a compare-and-set that rejects with `STORE_CONFLICT`.
	 */
	put(input: {
		accountId: string;
		name: string;
		config: FunctionConfig;
		code?: Buffer;
		expectedRevision?: number;
	}): Promise<{ revision: number; created: boolean }>;
	get(accountId: string, name: string): Promise<FunctionRecord | undefined>;
	/**
	 * The function called `name` in whichever account holds it. Names are unique across accounts
	 * (one URL namespace per gateway), so this is one probe of a unique index: the lookup every
	 * trigger request makes before anyone is authenticated. A `put` of a name another account
	 * holds rejects with `STORE_CONFLICT`.
	 */
	findByName(name: string): Promise<FunctionRecord | undefined>;
	/** Without code blobs, by name. */
	list(accountId: string): Promise<FunctionRecord[]>;
	/** The current revision's code, or an older kept revision's (the last few are kept). */
	getCode(
		accountId: string,
		name: string,
		revision?: number,
	): Promise<FunctionCode | undefined>;
	delete(accountId: string, name: string): Promise<void>;
	getPolicy(
		accountId: string,
		name: string,
	): Promise<FunctionPolicy | undefined>;
	/** Sets (or with `null` removes) the resource policy; returns the new policy revision. */
	putPolicy(
		accountId: string,
		name: string,
		document: string | null,
		expectedPolicyRevision?: number,
	): Promise<number>;
}

/**
 * Published versions and aliases of functions (Lambda's PublishVersion, CreateAlias, …) and the
 * resource policy each of them has of its own. They belong to their function: deleting the
 * function deletes them. A version keeps its code bundle for as long as it exists.
 */
export interface FunctionVersionStore {
	/**
	 * Publishes the function's current config and code as its next version. When neither changed
	 * since the newest version, that version is returned (`created: false`) and nothing is
	 * written. `expectedRevision` pins the function's revision (STORE_CONFLICT otherwise);
	 * an unknown function is STORE_NOT_FOUND; past MAX_VERSIONS, STORE_TOO_LARGE.
	 */
	publish(input: {
		accountId: string;
		name: string;
		description: string;
		expectedRevision?: number;
	}): Promise<{ version: FunctionVersionRecord; created: boolean }>;
	get(
		accountId: string,
		name: string,
		version: number,
	): Promise<FunctionVersionRecord | undefined>;
	/** Versions numbered above `after` (default 0), oldest first, at most `limit`. */
	list(
		accountId: string,
		name: string,
		page: { after?: number; limit: number },
	): Promise<FunctionVersionRecord[]>;
	/** The code bundle a version was published with. */
	getCode(
		accountId: string,
		name: string,
		version: number,
	): Promise<FunctionCode | undefined>;
	/**
	 * Deletes a version; `false` when it did not exist. An alias pointing at it (as its version
	 * or its routing's) makes it STORE_CONFLICT naming those aliases.
	 */
	delete(accountId: string, name: string, version: number): Promise<boolean>;
	/**
	 * Creates an alias. STORE_NOT_FOUND for an unknown function, STORE_CONFLICT when the alias
	 * exists, STORE_INVALID when a version it names is not published, STORE_TOO_LARGE past
	 * MAX_ALIASES.
	 */
	createAlias(input: {
		accountId: string;
		name: string;
		alias: string;
		functionVersion: string;
		description: string;
		routing?: AliasRouting;
	}): Promise<FunctionAliasRecord>;
	getAlias(
		accountId: string,
		name: string,
		alias: string,
	): Promise<FunctionAliasRecord | undefined>;
	/** Aliases by name; with `functionVersion`, only those pointing at it. */
	listAliases(
		accountId: string,
		name: string,
		functionVersion?: string,
	): Promise<FunctionAliasRecord[]>;
	/**
	 * Changes the fields given (`routing: null` removes the routing). STORE_NOT_FOUND for an
	 * unknown alias, STORE_CONFLICT when `expectedRevision` is not the alias's, STORE_INVALID
	 * when a version it names is not published.
	 */
	updateAlias(input: {
		accountId: string;
		name: string;
		alias: string;
		functionVersion?: string;
		description?: string;
		routing?: AliasRouting | null;
		expectedRevision?: number;
	}): Promise<FunctionAliasRecord>;
	/** `false` when the alias did not exist. */
	deleteAlias(accountId: string, name: string, alias: string): Promise<boolean>;
	/** Sets (or with `null` removes) an alias's function URL; STORE_NOT_FOUND for an unknown alias. */
	putAliasUrl(
		accountId: string,
		name: string,
		alias: string,
		url: AliasUrlConfig | null,
	): Promise<FunctionAliasRecord>;
	/** The resource policy of a version (`"1"`) or alias (`"prod"`), `undefined` when it does not exist. */
	getPolicy(
		accountId: string,
		name: string,
		qualifier: string,
	): Promise<FunctionPolicy | undefined>;
	/** Sets (or with `null` removes) a version's or alias's policy; returns its new policy revision. */
	putPolicy(
		accountId: string,
		name: string,
		qualifier: string,
		document: string | null,
		expectedPolicyRevision?: number,
	): Promise<number>;
}

export interface SecretStore {
	/** Creates or replaces; the value is encrypted at rest. */
	put(accountId: string, name: string, value: Buffer): Promise<SecretInfo>;
	/** The decrypted value. */
	get(accountId: string, name: string): Promise<Buffer | undefined>;
	/** Names and dates only, never values. */
	list(accountId: string): Promise<SecretInfo[]>;
	delete(accountId: string, name: string): Promise<void>;
}

export interface AuditQuery {
	accountId: string;
	functionName?: string;
	/** Records with an id greater than this, oldest first. Without it: the newest `limit`. */
	after?: number;
	/** Default 100, at most 1000. */
	limit?: number;
	/** Only records at or after this time (ms since the epoch). */
	since?: number;
	/** Only the records of this request. */
	requestId?: string;
	/** Only the records of this access key (signed with it, or refused naming it). */
	accessKeyId?: string;
	/** Only records whose outcome is (`is`) or is not (`isNot`) this code (`OK`, `SIGNATURE_MISMATCH`, …). */
	outcome?: { readonly is: string } | { readonly isNot: string };
}

export interface AuditLog {
	/** Buffers the record (resolves at once); it is written within ~20 ms or 200 records. */
	append(record: AuditInput): Promise<void>;
	/** Writes everything buffered (audit records and coalesced key uses). */
	flush(): Promise<void>;
	/** Oldest first. `next` is the cursor for the following poll (the last id, or `after`). */
	query(query: AuditQuery): Promise<{ records: AuditRecord[]; next: number }>;
	/** Deletes all but the newest `retention` records of each account; returns how many. */
	prune(): Promise<number>;
}

/**
 * A job's payload, headers, callback URL and result are what a caller sent and a function
 * answered (signatures, tokens, personal data): an adapter keeps them encrypted at rest under
 * the master key, bound to the job's row, like secrets.
 */
export interface JobQueue {
	/** Durable when it resolves. Rejects with `STORE_CONFLICT` when the id exists. */
	enqueue(input: JobInput): Promise<Job>;
	/**
	 * Atomically takes up to `limit` due jobs, oldest first, and marks them `running` with a lease
	 * until `now + leaseMs`. Expired leases are requeued first (or made `dead` when the attempts
	 * are spent), so a worker killed mid-job loses nothing. Two concurrent claims never get the
	 * same job.
	 */
	claim(now: number, limit: number, leaseMs: number): Promise<Job[]>;
	/**
	 * Marks a running job `succeeded`, with the outcome of its callback when one was attempted;
	 * `STORE_LEASE_LOST` when the lease is no longer this one.
	 */
	complete(
		id: string,
		leaseToken: string,
		result: Buffer | null,
		now: number,
		callback?: JobCallback,
	): Promise<void>;
	/**
	 * Reports a failed attempt: with `retryAt` the job is queued again (or `dead` when attempts are
	 * spent); without it the failure is final (`failed`). `callback`: the outcome of the callback
	 * sent for a final failure.
	 */
	fail(
		id: string,
		leaseToken: string,
		failure: { error: string; retryAt?: number; callback?: JobCallback },
		now: number,
	): Promise<JobStatus>;
	/** Requeues (or kills) the jobs whose lease ended before `now`; returns how many. */
	requeueExpired(now: number): Promise<number>;
	/** Jobs waiting to run (status `queued`), to bound the queue. */
	countQueued(filter?: {
		accountId?: string;
		functionName?: string;
	}): Promise<number>;
	get(id: string): Promise<Job | undefined>;
	/** Oldest first; `after` is the id of the last job of the previous page. */
	list(filter: {
		accountId: string;
		functionName?: string;
		status?: JobStatus;
		after?: string;
		limit?: number;
	}): Promise<Job[]>;
}

/**
 * Ids of one-shot requests already accepted (Standard Webhooks `webhook-id`s), each kept until its
 * tolerance window has passed, so a captured request cannot be replayed inside it — not even
 * after a restart, nor at another gateway sharing the store.
 */
export interface ReplayLog {
	/**
	 * Records `id` under `scope` until `expiresAt` and resolves `true`, atomically, unless the id is
	 * already recorded there and its record has not expired by `now` (a replay: `false`). Of two
	 * concurrent sightings exactly one is first. Durable when it resolves `true`. Rejects with
	 * `STORE_TOO_LARGE` when the log holds its bound of live ids (refusing, never forgetting one).
	 */
	firstSighting(
		scope: string,
		id: string,
		expiresAt: number,
		now: number,
	): Promise<boolean>;
	/** Deletes the records expired by `now`; returns how many (also runs by itself, periodically). */
	prune(now: number): Promise<number>;
}

/** Facts about the data directory itself. */
export interface StoreMeta {
	readonly schemaVersion: number;
	readonly installationId: string;
	readonly createdAt: number;
}

/** The whole store. */
export interface Store {
	readonly meta: StoreMeta;
	readonly accounts: AccountStore;
	readonly users: UserStore;
	readonly roles: RoleStore;
	readonly policies: InlinePolicyStore;
	readonly managedPolicies: ManagedPolicyStore;
	readonly groups: GroupStore;
	readonly tags: PrincipalTagStore;
	readonly accessKeys: AccessKeyStore;
	readonly functions: FunctionStore;
	readonly versions: FunctionVersionStore;
	readonly secrets: SecretStore;
	readonly audit: AuditLog;
	readonly jobs: JobQueue;
	readonly replay: ReplayLog;
	/** Flushes buffered writes and releases the database. Later calls reject with `STORE_CLOSED`. */
	close(): Promise<void>;
}
