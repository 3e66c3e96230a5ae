/**
 * Public types of the policy engine. Policies are parsed and validated once
 * (`parsePolicy`), compiled into matchers, and evaluated many times (`evaluate`) without any
 * parsing or regex construction on the hot path.
 */

/** Where a policy document is attached; decides which elements are required or forbidden. */
export type PolicyKind = "identity" | "resource" | "trust";

/** A value in the request context. Arrays are multi-valued keys (for `ForAnyValue:`/`ForAllValues:`). */
export type ContextValue =
	| string
	| number
	| boolean
	| readonly (string | number | boolean)[];

/** Request context keys, e.g. `aws:SourceIp`; looked up case-insensitively as AWS does. */
export type RequestContext = Readonly<Record<string, ContextValue | undefined>>;

/** The resolved context of one evaluation: lower-cased key → values as strings. */
export type ResolvedContext = ReadonlyMap<string, readonly string[]>;

/** `aws:PrincipalType` values (plus `Service` for AWS-service principals). */
export type PrincipalType =
	| "Account"
	| "User"
	| "AssumedRole"
	| "FederatedUser"
	| "Anonymous"
	| "Service";

/** The verified caller, as the authenticator and the STS plumbing produce it. */
export interface RequestPrincipal {
	readonly type: PrincipalType;
	/**
	 * The caller's ARN: `arn:aws:iam::ACCOUNT:root`, `arn:aws:iam::ACCOUNT:user/NAME`,
	 * `arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION`; the service name (`events.amazonaws.com`)
	 * for `Service`; empty for `Anonymous`.
	 */
	readonly arn: string;
	/** 12-digit account id; empty for `Anonymous` and `Service`. */
	readonly accountId: string;
	/** Unique id: `AIDA…` for users, `AROA…:SESSION` for role sessions (`aws:userid`). */
	readonly userId?: string;
	/** IAM user name (`aws:username`); only for `User`. */
	readonly username?: string;
	/** For `AssumedRole`: the role's ARN `arn:aws:iam::ACCOUNT:role/PATH/NAME` (`aws:PrincipalArn`). */
	readonly roleArn?: string;
}

/** One stored policy, compiled, with the name it is known by (inline policy name, `function-policy`, …). */
export interface NamedPolicy {
	readonly name?: string;
	readonly policy: CompiledPolicy;
}

/** Everything one decision needs. The store hands over the relevant compiled policies by key. */
export interface AuthorizationRequest {
	readonly principal: RequestPrincipal;
	/** `service:Action`, e.g. `lambda:InvokeFunctionUrl` (matched case-insensitively). */
	readonly action: string;
	/** The resource ARN, e.g. `arn:aws:lambda:us-east-1:123456789012:function:f`. */
	readonly resource: string;
	/** The account that owns the resource. */
	readonly resourceAccountId: string;
	/** Identity policies of the principal (for a role session: the role's). */
	readonly identityPolicies?: readonly NamedPolicy[];
	/** STS session policies: when present, they intersect with the identity-based allow. */
	readonly sessionPolicies?: readonly NamedPolicy[];
	/** Permissions boundary of the user or role; when present, it intersects with the identity allow. */
	readonly permissionsBoundary?: NamedPolicy;
	/** The resource's policy (the function policy), if any. */
	readonly resourcePolicy?: NamedPolicy;
	/**
	 * Request context (`aws:SourceIp`, `aws:CurrentTime`, …). The principal keys
	 * (`aws:PrincipalArn`, `aws:PrincipalAccount`, `aws:PrincipalType`, `aws:username`,
	 * `aws:userid`) are derived from `principal` and override anything given here.
	 */
	readonly context?: RequestContext;
}

/** Which kind of policy a statement came from. */
export type PolicySource = "identity" | "resource" | "session" | "boundary";

/** A statement that applied to the request (action, resource, principal and condition all matched). */
export interface MatchedStatement {
	readonly policy: PolicySource;
	readonly policyName?: string;
	readonly sid?: string;
	/** Index of the statement within its policy document. */
	readonly index: number;
	readonly effect: "Allow" | "Deny";
	/** For resource policies: how the principal matched (see {@link PrincipalMatch}). */
	readonly principalMatch?: PrincipalMatch;
}

/**
 * How a resource-policy statement's principal matched the caller:
 * `any` (`*`), `account` (account id or `:root`, delegates to the account), `principal` (the user's
 * or the session's role ARN), `session` (the assumed-role session ARN), `service`.
 */
export type PrincipalMatch =
	| "any"
	| "account"
	| "principal"
	| "session"
	| "service";

/** Stable reason codes of a decision. */
export type DecisionReason =
	| "EXPLICIT_DENY_IDENTITY"
	| "EXPLICIT_DENY_RESOURCE"
	| "EXPLICIT_DENY_SESSION"
	| "EXPLICIT_DENY_BOUNDARY"
	| "NO_IDENTITY_ALLOW"
	| "NO_SESSION_ALLOW"
	| "NO_BOUNDARY_ALLOW"
	| "NO_RESOURCE_ALLOW"
	| "NO_RESOURCE_ALLOW_CROSS_ACCOUNT"
	| "ALLOW_IDENTITY"
	| "ALLOW_RESOURCE"
	| "ALLOW_IDENTITY_AND_RESOURCE"
	| "ALLOW_ROOT";

export interface Decision {
	readonly allowed: boolean;
	readonly decision: "Allow" | "ExplicitDeny" | "ImplicitDeny";
	readonly reason: DecisionReason;
	/** Every statement that applied, in evaluation order. */
	readonly matched: readonly MatchedStatement[];
	/** The statement that decided (the deny, or the allow that sufficed); absent for implicit denies. */
	readonly decidedBy?: MatchedStatement;
	/** True when the resource account differs from the caller's (false for anonymous and service callers). */
	readonly crossAccount: boolean;
}

/** A validation problem, with the place in the document (`Statement[2].Condition.StringEquals`). */
export interface PolicyError {
	readonly path: string;
	readonly code: string;
	readonly message: string;
}

export type ParseResult =
	| { readonly ok: true; readonly policy: CompiledPolicy }
	| { readonly ok: false; readonly errors: readonly PolicyError[] };

/** The request's resource, split once per evaluation into its six ARN components. */
export interface ResourceTarget {
	readonly text: string;
	/** Undefined when the resource is not an ARN. */
	readonly parts: readonly string[] | undefined;
}

/** A value compiled from a policy string that may contain policy variables. */
export type StringMatcher = (value: string, ctx: ResolvedContext) => boolean;

/** A compiled statement; opaque to callers except for its descriptive fields. */
export interface CompiledStatement {
	readonly index: number;
	readonly sid?: string;
	readonly effect: "Allow" | "Deny";
	/** Lower-cased actions when Action lists only literal actions (no wildcard, not NotAction). */
	readonly actions?: readonly string[];
	/** Returns true when the statement's Action/NotAction covers the (lower-cased) action. */
	readonly matchAction: (lowerAction: string) => boolean;
	/** Returns true when Resource/NotResource covers the resource (always true in trust policies). */
	readonly matchResource: (
		resource: ResourceTarget,
		ctx: ResolvedContext,
	) => boolean;
	/** Undefined in identity policies; otherwise how the caller matched, or undefined for no match. */
	readonly matchPrincipal?: (
		principal: RequestPrincipal,
	) => PrincipalMatch | undefined;
	/** True when every condition holds. */
	readonly matchCondition: (ctx: ResolvedContext) => boolean;
}

/** A policy validated and compiled once; evaluation reads it, never mutates it. */
export interface CompiledPolicy {
	readonly kind: PolicyKind;
	readonly version: "2012-10-17" | "2008-10-17";
	readonly id?: string;
	readonly statements: readonly CompiledStatement[];
	/** Lower-cased action → the statements that can apply to it, in document order. */
	readonly byAction: ReadonlyMap<string, readonly CompiledStatement[]>;
	/** The statements for any action not in `byAction` (wildcards, NotAction). */
	readonly otherStatements: readonly CompiledStatement[];
}
