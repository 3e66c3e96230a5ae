/**
 * The records the store holds. Shapes of ids and ARNs follow AWS IAM so that policies and tools
 * from that ecosystem work verbatim. Every time is milliseconds since the epoch (a `number`),
 * in the API and on disk alike.
 */

/** An account: 12 digits, like AWS. The first account created is the root account. */
export interface Account {
	readonly accountId: string;
	readonly name: string;
	readonly isRoot: boolean;
	readonly createdAt: number;
}

/** An IAM user (`arn:aws:iam::ACCOUNT:user/PATH/NAME`, id `AIDA…`). */
export interface User {
	readonly accountId: string;
	readonly userName: string;
	readonly userId: string;
	readonly arn: string;
	/** IAM path: starts and ends with `/` (default `/`). */
	readonly path: string;
	readonly createdAt: number;
}

/** An IAM role (`arn:aws:iam::ACCOUNT:role/PATH/NAME`, id `AROA…`). */
export interface Role {
	readonly accountId: string;
	readonly roleName: string;
	readonly roleId: string;
	readonly arn: string;
	readonly path: string;
	/** The trust policy document, as JSON text (the policy package parses it). */
	readonly trustPolicy: string;
	/** Seconds, 3600–43200 as in IAM. */
	readonly maxSessionDuration: number;
	readonly createdAt: number;
}

export type PrincipalKind = "user" | "role";

/** An inline policy attached to a user or a role. */
export interface InlinePolicy {
	readonly accountId: string;
	readonly principalKind: PrincipalKind;
	readonly principalName: string;
	readonly policyName: string;
	/** The policy document, as JSON text. */
	readonly document: string;
	readonly updatedAt: number;
}

/** An IAM group (`arn:aws:iam::ACCOUNT:group/PATH/NAME`, id `AGPA…`): users share its policies. */
export interface Group {
	readonly accountId: string;
	readonly groupName: string;
	readonly groupId: string;
	readonly arn: string;
	readonly path: string;
	readonly createdAt: number;
}

/** An inline policy of a group. */
export interface GroupPolicy {
	readonly accountId: string;
	readonly groupName: string;
	readonly policyName: string;
	/** The policy document, as JSON text. */
	readonly document: string;
	readonly updatedAt: number;
}

/** What a managed policy attaches to (IAM: users, roles and groups). */
export type AttachmentKind = "user" | "role" | "group";

/**
 * A customer managed policy (`arn:aws:iam::ACCOUNT:policy/PATH/NAME`, id `ANPA…`): a named,
 * versioned document attached to any number of principals; the default version is the one in
 * force.
 */
export interface ManagedPolicy {
	readonly accountId: string;
	readonly policyName: string;
	readonly policyId: string;
	readonly arn: string;
	readonly path: string;
	readonly description: string | null;
	/** `v1`, `v2`, …: never reused, even after the version is deleted. */
	readonly defaultVersionId: string;
	/** Principals it is attached to. */
	readonly attachmentCount: number;
	/** Users and roles whose permissions boundary it is. */
	readonly permissionsBoundaryUsageCount: number;
	readonly createdAt: number;
	/** When the default version last changed (set or created). */
	readonly updatedAt: number;
}

/** One version of a managed policy. */
export interface ManagedPolicyVersion {
	readonly versionId: string;
	/** The policy document, as JSON text. */
	readonly document: string;
	readonly isDefault: boolean;
	readonly createdAt: number;
}

/** The version in force of one policy attached to a principal: what the authorizer evaluates. */
export interface AttachedPolicyDocument {
	readonly policyName: string;
	readonly arn: string;
	readonly versionId: string;
	readonly document: string;
}

/** A tag of a user or role: keys are unique per principal regardless of case (IAM's rule). */
export interface Tag {
	readonly key: string;
	readonly value: string;
}

export type AccessKeyStatus = "Active" | "Inactive";

/** An access key without its secret: what listings show. */
export interface AccessKey {
	readonly accessKeyId: string;
	readonly accountId: string;
	/** `null`: the key of the account's root (admin) identity. */
	readonly userName: string | null;
	readonly status: AccessKeyStatus;
	readonly createdAt: number;
	readonly lastUsedAt: number | null;
	/** Which scheme last verified a request with this key (`sigv4`, `acs3`, …). */
	readonly lastUsedScheme: string | null;
	/** Which service the last request addressed (`lambda`, `sigil`, …). */
	readonly lastUsedService: string | null;
}

/** An access key with its decrypted secret: what the verifier reads, and `create` returns once. */
export interface AccessKeyWithSecret extends AccessKey {
	readonly secretAccessKey: string;
}

/** A function's deploy config: validated JSON owned by the gateway (the store keeps it opaque). */
export type FunctionConfig = Record<string, unknown>;

/** A function without its code: what listings show. */
export interface FunctionRecord {
	readonly accountId: string;
	readonly name: string;
	readonly config: FunctionConfig;
	/** Increments on every deploy (put), starting at 1. */
	readonly revision: number;
	/** Hex sha256 of the current code bundle. */
	readonly codeSha256: string;
	readonly codeSize: number;
	/** Increments on every resource-policy change, starting at 0 (no policy yet). */
	readonly policyRevision: number;
	readonly createdAt: number;
	readonly updatedAt: number;
}

/** One revision's code bundle. */
export interface FunctionCode {
	readonly revision: number;
	readonly sha256: string;
	readonly code: Buffer;
}

/** A function's resource policy (JSON text, or `null` when none) and its revision. */
export interface FunctionPolicy {
	readonly document: string | null;
	readonly policyRevision: number;
}

/**
 * A published version of a function (Lambda's PublishVersion): an immutable snapshot of the
 * config and code bundle the function had when it was published. Numbered 1, 2, … per
 * function; a number is never given out twice, even after its version is deleted.
 */
export interface FunctionVersionRecord {
	readonly accountId: string;
	readonly name: string;
	readonly version: number;
	readonly config: FunctionConfig;
	readonly codeSha256: string;
	readonly codeSize: number;
	readonly description: string;
	/** The function's revision it was published from. */
	readonly fromRevision: number;
	/** Increments on every change of this version's own resource policy, from 0. */
	readonly policyRevision: number;
	readonly createdAt: number;
}

/** An alias's weighted second version (Lambda's RoutingConfig.AdditionalVersionWeights). */
export interface AliasRouting {
	/** A published version number, as text. */
	readonly version: string;
	/** The share of invocations it gets, 0.0–1.0. */
	readonly weight: number;
}

/** An alias's own function URL (Lambda's CreateFunctionUrlConfig with Qualifier=ALIAS). */
export interface AliasUrlConfig {
	readonly authType: "NONE" | "AWS_IAM";
	/** Lambda's Cors object, as the URL config API takes it (validated by the gateway). */
	readonly cors?: Readonly<Record<string, unknown>>;
	readonly createdAt: number;
	readonly updatedAt: number;
}

/** A named pointer to a version of a function (Lambda's CreateAlias). */
export interface FunctionAliasRecord {
	readonly accountId: string;
	readonly name: string;
	readonly alias: string;
	/** `$LATEST` or a published version number, as text. */
	readonly functionVersion: string;
	readonly description: string;
	readonly routing?: AliasRouting;
	/** The alias's function URL, when one was created. */
	readonly url?: AliasUrlConfig;
	/** Increments on every update, from 1. */
	readonly revision: number;
	/** Increments on every change of this alias's own resource policy, from 0. */
	readonly policyRevision: number;
	readonly createdAt: number;
	readonly updatedAt: number;
}

/** A named secret, without its value. */
export interface SecretInfo {
	readonly accountId: string;
	readonly name: string;
	readonly createdAt: number;
	readonly updatedAt: number;
}

/** What the gateway records about one request: the decision, never a secret. */
export interface AuditInput {
	readonly requestId: string;
	readonly time: number;
	readonly accountId: string;
	readonly functionName: string | null;
	readonly principalArn: string | null;
	readonly accessKeyId: string | null;
	readonly scheme: string;
	/** Decision or outcome code: `ALLOWED`, `SIGNATURE_MISMATCH`, `FUNCTION_TIMEOUT`, … */
	readonly outcome: string;
	readonly httpStatus: number;
	readonly durationMs: number;
	/** Diagnosis for the key's owner (canonical request, likely cause). JSON-serialisable. */
	readonly detail: unknown;
	/** The function's log output (the gateway bounds it at 64 KB, marked when cut; redacted). */
	readonly logs: string;
}

/** A stored audit record: the input plus its ordered id (the cursor of `logs --follow`). */
export interface AuditRecord extends AuditInput {
	readonly id: number;
}

/**
 * Life of an async job: `queued` → `running` (claimed with a lease) → `succeeded`; or back to
 * `queued` for a retry; `failed` when the worker says the failure is final; `dead` when the
 * attempts are spent (including leases that expired because a worker died).
 */
export type JobStatus = "queued" | "running" | "succeeded" | "failed" | "dead";

export interface JobInput {
	/** Defaults to a random UUID (Lambda's async request id). */
	readonly id?: string;
	readonly accountId: string;
	readonly functionName: string;
	readonly payload: Buffer;
	readonly headers?: Record<string, string>;
	/** Default 3 (Lambda: one try plus two retries). */
	readonly maxAttempts?: number;
	/** Earliest time to run; default now. */
	readonly notBefore?: number;
	readonly callbackUrl?: string | null;
}

export interface Job {
	readonly id: string;
	readonly accountId: string;
	readonly functionName: string;
	readonly payload: Buffer;
	readonly headers: Record<string, string>;
	readonly status: JobStatus;
	readonly attempts: number;
	readonly maxAttempts: number;
	readonly nextAttemptAt: number;
	/** Set while `running`: the lease ends here unless the worker completes or fails the job. */
	readonly leaseUntil: number | null;
	/** Set while `running`: the fencing token the worker passes back to complete/fail. */
	readonly leaseToken: string | null;
	readonly lastError: string | null;
	readonly callbackUrl: string | null;
	/** How the delivery to `callbackUrl` ended, once it was attempted. */
	readonly callback: JobCallback | null;
	readonly result: Buffer | null;
	readonly createdAt: number;
	readonly updatedAt: number;
}

/** The async worker's record of a job's callback delivery; nothing secret in it. */
export interface JobCallback {
	/** `delivered`: the receiver answered 2xx; `refused`: nothing was sent (not a public address, unresolvable); `failed`: no 2xx after every attempt. */
	readonly outcome: "delivered" | "refused" | "failed";
	/** The callback URL without user information and with query values masked. */
	readonly target: string;
	/** The address connected (or tried) last, or null when nothing was sent. */
	readonly address: string | null;
	/** The receiver's last HTTP status, when it answered. */
	readonly httpStatus: number | null;
	/** POSTs attempted (0 when refused). */
	readonly attempts: number;
	readonly error: string | null;
	/** When the delivery ended (epoch ms). */
	readonly at: number;
}
