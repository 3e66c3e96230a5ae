/**
 * Target resolvers: each route's path (and, where the API puts it there, query or body)
 * parameters decoded and canonicalized ONCE into a typed target — the resource the pipeline
 * authorizes and the very object the handler acts on. No handler reads a raw parameter again,
 * so `%61dmin` cannot be authorized as one name and acted on as another, and an ARN in a path
 * cannot be authorized in the caller's account and acted on in its own.
 *
 * Rules, as AWS applies them:
 *   - a path parameter is percent-decoded exactly once; bad encoding is 400, never "as sent";
 *   - IAM names (users, roles, policies), secrets and keys live in the caller's account: there
 *     is no syntax that addresses another account's;
 *   - Lambda's FunctionName may be an ARN of another account: the target then belongs to that
 *     account, and the route says whether its resource policy may grant the action
 *     (invoke, get) or the action is refused across accounts whatever the policies say
 *     (permissions, URL configs — AWS refuses those too).
 */
import { NAME_PATTERN } from "../config/function-config.ts";
import { SigilError } from "../errors.ts";
import type { DeployedFunction } from "../functions/registry.ts";
import { type IamPrincipal, isRoot } from "../iam/principal.ts";
import type { AccessKey } from "../store/types.ts";
import type { GatewayContext } from "./context.ts";
import { type FunctionRef, parseFunctionRef } from "./lambda-api.ts";
import type { RouteParams } from "./router.ts";

/** What every target carries: the ARN authorized, and whose it is. */
export interface Target {
	/** The ARN the route's action is authorized on: the resource the handler then acts on. */
	readonly resource: string;
	/** The account owning the resource: its resource policy decides across accounts, its log records. */
	readonly accountId: string;
	/** The deployed function, when the resource is one (its resource policy takes part). */
	readonly fn?: DeployedFunction;
	/** A version or alias of `fn` the resource names: its own resource policy takes part instead. */
	readonly qualifier?: string;
}

/** The facts a resolver may read: the route's raw parameters, the verified caller, the gateway. */
export interface ResolveInput {
	readonly params: RouteParams;
	readonly principal: IamPrincipal;
	readonly ctx: GatewayContext;
	readonly rawQuery: string;
	readonly body: Buffer;
}

export type Resolver<T extends Target> = (input: ResolveInput) => Promise<T>;

/** IAM's name pattern for users, roles (and their paths' last element). */
export const IAM_NAME = /^[\w+=,.@-]{1,64}$/;
export const POLICY_NAME = /^[\w+=,.@-]{1,128}$/;
const ACCESS_KEY_ID = /^[A-Z0-9]{16,128}$/;
const JOB_ID = /^[A-Za-z0-9-]{1,128}$/;
const SID = /^[a-zA-Z0-9-_.]{1,100}$/;

/** Percent-decodes one path parameter exactly once; malformed encoding is the caller's error. */
export function decodeParam(raw: string | undefined, what: string): string {
	if (raw === undefined || raw === "")
		throw new SigilError("BAD_REQUEST", `${what} is required in the path`);
	try {
		return decodeURIComponent(raw);
	} catch {
		throw new SigilError(
			"BAD_REQUEST",
			`${what} is not valid percent-encoding`,
		);
	}
}

function named(value: string, what: string, pattern: RegExp): string {
	// `.` and `..` fit IAM's pattern but are dot segments in a path: no URL could name them.
	if (!pattern.test(value) || /^\.{1,2}$/.test(value))
		throw new SigilError(
			"INVALID_PARAMETER",
			`1 validation error detected: Value '${value.slice(0, 140)}' at '${what}' failed to satisfy constraint: Member must satisfy regular expression pattern: ${pattern.source}`,
		);
	return value;
}

export const iamArn = (accountId: string, path: string) =>
	`arn:aws:iam::${accountId}:${path}`;

/** The caller's own IAM identity: its user, its role, or its account's root. */
export function identityArn(p: IamPrincipal): string {
	if (p.roleArn !== undefined) return p.roleArn;
	if (p.userName !== undefined)
		return iamArn(p.accountId, `user/${p.userName}`);
	return iamArn(p.accountId, "root");
}

// ---------------------------------------------------------------------------------------------
// The caller's account as a whole (lists, creates, the account's own settings).

export interface AccountTarget extends Target {
	readonly kind: "account";
}

/** A target in the caller's account with a fixed resource shape (`function:*`, `user/*`, …). */
export function inCallerAccount(
	resourceOf: (accountId: string, region: string) => string,
): Resolver<AccountTarget> {
	return async ({ principal, ctx }) => ({
		kind: "account",
		accountId: principal.accountId,
		resource: resourceOf(principal.accountId, ctx.region),
	});
}

/** The caller itself (whoami). */
export const callerItself: Resolver<AccountTarget> = async ({ principal }) => ({
	kind: "account",
	accountId: principal.accountId,
	resource: principal.arn,
});

// ---------------------------------------------------------------------------------------------
// Functions.

export interface FunctionTarget extends Target {
	readonly kind: "function";
	readonly name: string;
	readonly region: string;
	/** `$LATEST` or a version/alias name when the caller gave one. */
	readonly qualifier?: string;
	/** True when the ARN named another region than this gateway's: nothing is there. */
	readonly foreignRegion: boolean;
}

export const functionArn = (region: string, accountId: string, name: string) =>
	`arn:aws:lambda:${region}:${accountId}:function:${name}`;

/** `/sigil/v1/functions/NAME…`: a bare Sigil function name, in the caller's account. */
export const ownFunction: Resolver<FunctionTarget> = async ({
	params,
	principal,
	ctx,
}) => {
	const name = decodeParam(params.name, "function name");
	if (!NAME_PATTERN.test(name))
		throw new SigilError(
			"BAD_REQUEST",
			`function name ${JSON.stringify(name.slice(0, 80))} is invalid: use lower-case letters, digits and '-' (1–64)`,
		);
	const fn = await ctx.functions.lookup(name);
	return {
		kind: "function",
		name,
		region: ctx.region,
		accountId: principal.accountId,
		resource: functionArn(ctx.region, principal.accountId, name),
		foreignRegion: false,
		...(fn && fn.accountId === principal.accountId && { fn }),
	};
};

const FUNCTION_NAME_PATTERN =
	"(arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\\d{1}:)?(\\d{12}:)?(function:)?([a-zA-Z0-9-_\\.]+)(:(\\$LATEST|[a-zA-Z0-9-_]+))?";

/** Lambda's FunctionName (bare name, `ACCOUNT:function:NAME`, ARN, with qualifier) from a path. */
export function lambdaFunction(
	opts: {
		qualifierFromQuery?: boolean;
		/** Patterns ending in `/*` whose API has nothing after the name but an optional `/`. */
		nothingAfter?: boolean;
	} = {},
): Resolver<FunctionTarget> {
	return async ({ params, principal, ctx, rawQuery }) => {
		if (opts.nothingAfter && params.rest && params.rest !== "/")
			throw new SigilError("ROUTE_NOT_FOUND", "no route for this path");
		const raw = decodeParam(params.name, "FunctionName");
		const ref = parseFunctionRef(raw);
		if (!ref)
			throw new SigilError(
				"INVALID_PARAMETER",
				`1 validation error detected: Value '${raw.slice(0, 200)}' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern: ${FUNCTION_NAME_PATTERN}`,
			);
		const qualifier = opts.qualifierFromQuery
			? qualifierOf(ref, rawQuery)
			: ref.qualifier;
		return functionTarget(ctx, principal, ref, qualifier);
	};
}

/** Lambda's Qualifier pattern: `$LATEST`, a version number or an alias name. */
const QUALIFIER = /^(\$LATEST|[a-zA-Z0-9_-]{1,128})$/;

function qualifierOf(ref: FunctionRef, rawQuery: string): string | undefined {
	const query = new URLSearchParams(rawQuery).get("Qualifier");
	// Checked before anything is authorized: the qualified ARN must be one Lambda could name.
	if (query !== null && !QUALIFIER.test(query))
		throw new SigilError(
			"INVALID_PARAMETER",
			`1 validation error detected: Value '${query.slice(0, 140)}' at 'qualifier' failed to satisfy constraint: Member must satisfy regular expression pattern: (|[a-zA-Z0-9$_-]+)`,
		);
	if (query !== null && ref.qualifier !== undefined && query !== ref.qualifier)
		throw new SigilError(
			"INVALID_PARAMETER",
			"The derived qualifier from the function name does not match the specified qualifier.",
		);
	return query ?? ref.qualifier;
}

async function functionTarget(
	ctx: GatewayContext,
	principal: IamPrincipal,
	ref: FunctionRef,
	qualifier: string | undefined,
): Promise<FunctionTarget> {
	const accountId = ref.accountId ?? principal.accountId;
	const region = ref.region ?? ctx.region;
	const foreignRegion = region !== ctx.region;
	const fn = foreignRegion ? undefined : await ctx.functions.lookup(ref.name);
	return {
		kind: "function",
		name: ref.name,
		region,
		accountId,
		// A qualified ARN is its own resource in IAM (`function:NAME:QUALIFIER`).
		resource: `${functionArn(region, accountId, ref.name)}${qualifier !== undefined ? `:${qualifier}` : ""}`,
		foreignRegion,
		...(qualifier !== undefined && { qualifier }),
		// The function only counts as the target when it lives in the account the caller named.
		...(fn && fn.accountId === accountId && { fn }),
	};
}

/** The function a target names, or Lambda's ResourceNotFoundException for its ARN. */
export function deployedFunction(t: FunctionTarget): DeployedFunction {
	// Only `$LATEST` exists as a version (versions and aliases arrive with the Lambda control plane).
	const qualified = t.qualifier !== undefined && t.qualifier !== "$LATEST";
	if (!t.fn || t.foreignRegion || qualified)
		throw new SigilError(
			"FUNCTION_NOT_FOUND",
			`Function not found: ${t.resource}`,
		);
	return t.fn;
}

/** A function target plus one statement id (RemovePermission). */
export interface StatementTarget extends FunctionTarget {
	readonly sid: string;
}

export function withStatementId(
	inner: Resolver<FunctionTarget>,
): Resolver<StatementTarget> {
	return async (input) => {
		const target = await inner(input);
		const sid = decodeParam(input.params.sid, "StatementId");
		return { ...target, sid: named(sid, "statementId", SID) };
	};
}

// ---------------------------------------------------------------------------------------------
// IAM users and roles, and their inline policies.

export interface PrincipalTarget extends Target {
	readonly kind: "user" | "role";
	readonly name: string;
}

export interface InlinePolicyTarget extends PrincipalTarget {
	readonly policyName: string;
}

/** `/sigil/v1/users/:name…` or `/sigil/v1/roles/:name…`: a user or role of the caller's account. */
export function iamPrincipal(kind: "user" | "role"): Resolver<PrincipalTarget> {
	return async ({ params, principal }) => {
		const name = named(
			decodeParam(params.name, `${kind} name`),
			`${kind}Name`,
			IAM_NAME,
		);
		return {
			kind,
			name,
			accountId: principal.accountId,
			resource: iamArn(principal.accountId, `${kind}/${name}`),
		};
	};
}

export function iamInlinePolicy(
	kind: "user" | "role",
): Resolver<InlinePolicyTarget> {
	const owner = iamPrincipal(kind);
	return async (input) => {
		const target = await owner(input);
		const policyName = named(
			decodeParam(input.params.policy, "policy name"),
			"policyName",
			POLICY_NAME,
		);
		return { ...target, policyName };
	};
}

// ---------------------------------------------------------------------------------------------
// Access keys: authorized on the ARN of the identity that owns the key.

export interface KeyTarget extends Target {
	readonly kind: "key";
	readonly accessKeyId: string;
	/** The key, when it exists in the caller's account; the handler answers NoSuchEntity otherwise. */
	readonly key?: AccessKey;
	/** The owning user's name, `null` for the account's root identity. */
	readonly userName: string | null;
}

/**
 * `/sigil/v1/keys/:id…`. A key of the caller's account is authorized on its owner's ARN (a
 * user allowed key actions on itself cannot touch root's or another user's keys). A key that
 * does not exist here — or exists in another account — is authorized on the caller's own
 * identity, as IAM does when no UserName is given, and then is NoSuchEntity: nothing tells
 * one account about another's keys.
 */
export const accessKey: Resolver<KeyTarget> = async ({
	params,
	principal,
	ctx,
}) => {
	const accessKeyId = decodeParam(params.id, "access key id");
	if (!ACCESS_KEY_ID.test(accessKeyId))
		throw new SigilError(
			"INVALID_PARAMETER",
			`1 validation error detected: Value '${accessKeyId.slice(0, 40)}' at 'accessKeyId' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w]+`,
		);
	const key = await ctx.store.accessKeys.get(accessKeyId);
	if (!key || key.accountId !== principal.accountId)
		return {
			kind: "key",
			accessKeyId,
			accountId: principal.accountId,
			userName: isRoot(principal) ? null : (principal.userName ?? null),
			resource: identityArn(principal),
		};
	return {
		kind: "key",
		accessKeyId,
		key,
		accountId: key.accountId,
		userName: key.userName,
		resource: iamArn(
			key.accountId,
			key.userName === null ? "root" : `user/${key.userName}`,
		),
	};
};

export interface KeyOwnerTarget extends Target {
	readonly kind: "key-owner";
	/** The user whose keys these are, `null` for the account's root identity. */
	readonly userName: string | null;
}

/**
 * `/sigil/v1/keys` (list, create): the keys of `?user=NAME`, or of the caller's own identity.
 * A role session has no keys of its own (AWS: CreateAccessKey from a role needs a UserName).
 */
export const keyOwner: Resolver<KeyOwnerTarget> = async ({
	principal,
	rawQuery,
}) => {
	const user = new URLSearchParams(rawQuery).get("user");
	if (user !== null) {
		const name = named(user, "userName", IAM_NAME);
		return {
			kind: "key-owner",
			userName: name,
			accountId: principal.accountId,
			resource: iamArn(principal.accountId, `user/${name}`),
		};
	}
	if (principal.roleArn !== undefined)
		throw new SigilError(
			"INVALID_PARAMETER",
			"a role session has no access keys of its own: name the user with ?user=NAME",
		);
	return {
		kind: "key-owner",
		userName: isRoot(principal) ? null : (principal.userName ?? null),
		accountId: principal.accountId,
		resource: identityArn(principal),
	};
};

// ---------------------------------------------------------------------------------------------
// Secrets, jobs, logs.

export interface SecretTarget extends Target {
	readonly kind: "secret";
	readonly name: string;
}

export const secretArn = (region: string, accountId: string, name: string) =>
	`arn:aws:sigil:${region}:${accountId}:secret/${name}`;

export const ownSecret: Resolver<SecretTarget> = async ({
	params,
	principal,
	ctx,
}) => {
	const name = decodeParam(params.name, "secret name");
	if (!NAME_PATTERN.test(name))
		throw new SigilError(
			"BAD_REQUEST",
			`secret name ${JSON.stringify(name.slice(0, 80))} is invalid: use lower-case letters, digits and '-' (1–64)`,
		);
	return {
		kind: "secret",
		name,
		accountId: principal.accountId,
		resource: secretArn(ctx.region, principal.accountId, name),
	};
};

export interface JobTarget extends Target {
	readonly kind: "job";
	readonly id: string;
	/** The job, when it belongs to the caller's account. */
	readonly job?: import("../store/types.ts").Job;
}

/** A job is authorized on the function it invokes; another account's job is not found. */
export const ownJob: Resolver<JobTarget> = async ({
	params,
	principal,
	ctx,
}) => {
	const id = decodeParam(params.id, "job id");
	if (!JOB_ID.test(id))
		throw new SigilError("BAD_REQUEST", "a job id is letters, digits and '-'");
	const job = await ctx.store.jobs.get(id);
	const mine = job && job.accountId === principal.accountId ? job : undefined;
	return {
		kind: "job",
		id,
		accountId: principal.accountId,
		resource: functionArn(
			ctx.region,
			principal.accountId,
			mine?.functionName ?? "*",
		),
		...(mine && { job: mine }),
	};
};

export interface LogTarget extends Target {
	readonly kind: "logs";
	/** `?function=NAME`, when the query names one. */
	readonly functionName?: string;
}

/** `/sigil/v1/logs?function=NAME`: the function's log group, or all of the account's. */
export const ownLogs: Resolver<LogTarget> = async ({
	principal,
	ctx,
	rawQuery,
}) => {
	const fn = new URLSearchParams(rawQuery).get("function");
	if (fn !== null && !NAME_PATTERN.test(fn))
		throw new SigilError(
			"BAD_REQUEST",
			`function ${JSON.stringify(fn.slice(0, 80))} is not a function name`,
		);
	return {
		kind: "logs",
		accountId: principal.accountId,
		resource: `arn:aws:logs:${ctx.region}:${principal.accountId}:log-group:/aws/lambda/${fn ?? "*"}`,
		...(fn !== null && { functionName: fn }),
	};
};
