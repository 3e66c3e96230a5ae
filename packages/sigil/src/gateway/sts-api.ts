/**
 * STS over the query protocol (AWS STS API Reference, version 2011-06-15): AssumeRole,
 * GetSessionToken, GetCallerIdentity, signed with service `sts`. Credentials are stateless
 * session tokens (iam/session-token.ts); nothing is stored.
 */
import { accessDeniedMessage, parsePolicy } from "@sigil/policy";
import { SigilError } from "../errors.ts";
import { type IamPrincipal, isRoot } from "../iam/principal.ts";
import { requestContext } from "../iam/request-context.ts";
import type { IssuedSession } from "../iam/session-token.ts";
import type { GatewayContext } from "./context.ts";
import type { Exchange } from "./exchange.ts";
import { STS_NS, sendQueryResult } from "./query-protocol.ts";

/** Session policy quota: 2,048 characters (AssumeRole "Policy"). */
const SESSION_POLICY_CHARS = 2048;
const SESSION_NAME = /^[\w+=,.@-]{2,64}$/;
const EXTERNAL_ID = /^[\w+=,.@:/-]{2,1224}$/;
const ROLE_ARN =
	/^arn:aws:iam::(\d{12}):role\/(?:[\x21-\x7e]*\/)?([\w+=,.@-]{1,64})$/;

function validation(field: string, value: string, constraint: string): never {
	throw new SigilError(
		"INVALID_PARAMETER",
		`1 validation error detected: Value '${value.slice(0, 100)}' at '${field}' failed to satisfy constraint: ${constraint}`,
	);
}

function iso(ms: number): string {
	return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}

function credentialsXml(s: IssuedSession) {
	return {
		AccessKeyId: s.accessKeyId,
		SecretAccessKey: s.secretAccessKey,
		SessionToken: s.sessionToken,
		Expiration: iso(s.expiresAt),
	};
}

function duration(
	raw: string | null,
	fallback: number,
	min: number,
	max: number,
	tooLong: string,
): number {
	if (raw === null) return Math.min(fallback, max);
	if (!/^\d{1,9}$/.test(raw))
		validation("durationSeconds", raw, "Member must be an integer");
	const n = Number(raw);
	if (n < min)
		validation(
			"durationSeconds",
			raw,
			`Member must have value greater than or equal to ${min}`,
		);
	if (n > max)
		throw new SigilError("INVALID_PARAMETER", tooLong.replace("%d", String(n)));
	return n;
}

/** `GetCallerIdentity`: who signed; needs no permission (as in AWS). */
export async function getCallerIdentity(
	ex: Exchange,
	p: IamPrincipal,
): Promise<void> {
	sendQueryResult(ex, STS_NS, "GetCallerIdentity", {
		Arn: p.arn,
		UserId: p.userId,
		Account: p.accountId,
	});
}

/** `GetSessionToken`: temporary credentials for the calling user or root identity. */
export async function getSessionToken(
	ex: Exchange,
	params: URLSearchParams,
	ctx: GatewayContext,
	p: IamPrincipal,
): Promise<void> {
	if (p.expiresAt !== undefined)
		throw new SigilError(
			"ACCESS_DENIED",
			"Cannot call GetSessionToken with session credentials",
		);
	const root = isRoot(p);
	// STS API Reference, GetSessionToken: 900–129,600 s (root: at most 3,600), default 43,200.
	const seconds = duration(
		params.get("DurationSeconds"),
		43_200,
		900,
		root ? 3600 : 129_600,
		root
			? "The requested DurationSeconds exceeds the 1 hour session limit for root accounts."
			: "1 validation error detected: Value '%d' at 'durationSeconds' failed to satisfy constraint: Member must have value less than or equal to 129600",
	);
	const now = ctx.now();
	const session = ctx.sessions.issue(
		{
			accountId: p.accountId,
			arn: p.arn,
			userId: p.userId,
			// The session lives while this user (or account) does, under this very id.
			principalId: root ? p.accountId : p.userId,
			type: root ? "Account" : "User",
			...(p.userName !== undefined && { userName: p.userName }),
			sourceAccessKeyId: p.accessKeyId,
			expiresAt: now + seconds * 1000,
		},
		now,
	);
	sendQueryResult(ex, STS_NS, "GetSessionToken", {
		Credentials: credentialsXml(session),
	});
}

/**
 * `AssumeRole`: the role's trust policy must allow the caller (a trust-policy Allow is required
 * even in the role's own account; naming only the account also needs the caller's identity
 * allow, cross-account always does), evaluated by the engine with `sts:ExternalId` and
 * `sts:RoleSessionName` in the context. The optional session `Policy` intersects with the role's
 * policies on every later request.
 */
export async function assumeRole(
	ex: Exchange,
	params: URLSearchParams,
	ctx: GatewayContext,
	p: IamPrincipal,
): Promise<void> {
	const roleArn = params.get("RoleArn") ?? "";
	const sessionName = params.get("RoleSessionName") ?? "";
	if (!roleArn) validation("roleArn", "null", "Member must not be null");
	if (!SESSION_NAME.test(sessionName))
		validation(
			"roleSessionName",
			sessionName || "null",
			"Member must satisfy regular expression pattern: [\\w+=,.@-]* and have length between 2 and 64",
		);
	const externalId = params.get("ExternalId");
	if (externalId !== null && !EXTERNAL_ID.test(externalId))
		validation(
			"externalId",
			externalId,
			"Member must satisfy regular expression pattern: [\\w+=,.@:\\/-]* and have length between 2 and 1224",
		);
	const sessionPolicy = params.get("Policy") ?? undefined;
	if (sessionPolicy !== undefined) {
		if (sessionPolicy.replace(/\s/g, "").length > SESSION_POLICY_CHARS)
			throw new SigilError(
				"INVALID_PARAMETER",
				"Packed policy consumes more than 100 percent of the allotted size.",
			);
		const parsed = parsePolicy(sessionPolicy, "identity");
		if (!parsed.ok)
			throw new SigilError(
				"MALFORMED_POLICY",
				parsed.errors
					.map((e) => `${e.path || "(document)"}: ${e.message}`)
					.join("; "),
			);
	}
	const m = ROLE_ARN.exec(roleArn);
	const roleAccount = m?.[1] ?? "";
	const role = m
		? await ctx.store.roles.get(roleAccount, m[2] as string)
		: undefined;
	const denied = (why: string) =>
		new SigilError(
			"ACCESS_DENIED",
			`User: ${p.arn} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}${why}`,
		);
	// An unknown role is denied like a forbidden one: the caller learns nothing about the account.
	if (!role || role.arn !== roleArn) throw denied("");
	const trust = ctx.authorizer.compile(
		role.trustPolicy,
		"trust",
		"trust-policy",
	);
	const context = {
		...requestContext(ex, ctx.now(), ctx.region),
		"sts:RoleSessionName": sessionName,
		...(externalId !== null && { "sts:ExternalId": externalId }),
	};
	const { decision, request } = await ctx.authorizer.authorize({
		principal: p,
		action: "sts:AssumeRole",
		resource: role.arn,
		resourceAccountId: role.accountId,
		...(trust && { resourcePolicy: trust }),
		context,
	});
	const trusted = decision.matched.some(
		(s) => s.policy === "resource" && s.effect === "Allow",
	);
	if (!decision.allowed || !trusted) {
		const text = decision.allowed
			? `User: ${p.arn} is not authorized to perform: sts:AssumeRole on resource: ${roleArn} because the role's trust policy does not allow it`
			: accessDeniedMessage(decision, request);
		throw new SigilError("ACCESS_DENIED", text);
	}
	const chained = p.roleArn !== undefined;
	const seconds = duration(
		params.get("DurationSeconds"),
		3600,
		900,
		chained ? 3600 : role.maxSessionDuration,
		chained
			? "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining."
			: "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
	);
	const now = ctx.now();
	const arn = `arn:aws:sts::${role.accountId}:assumed-role/${role.roleName}/${sessionName}`;
	const assumedRoleId = `${role.roleId}:${sessionName}`;
	const session = ctx.sessions.issue(
		{
			accountId: role.accountId,
			arn,
			userId: assumedRoleId,
			// The role's own id: deleting the role, or re-creating it, ends this session.
			principalId: role.roleId,
			type: "AssumedRole",
			roleName: role.roleName,
			roleArn: role.arn,
			...(sessionPolicy !== undefined && { sessionPolicy }),
			sourceAccessKeyId: p.accessKeyId,
			expiresAt: now + seconds * 1000,
		},
		now,
	);
	sendQueryResult(ex, STS_NS, "AssumeRole", {
		Credentials: credentialsXml(session),
		AssumedRoleUser: { AssumedRoleId: assumedRoleId, Arn: arn },
		...(sessionPolicy !== undefined && {
			PackedPolicySize: Math.ceil(
				(sessionPolicy.replace(/\s/g, "").length / SESSION_POLICY_CHARS) * 100,
			),
		}),
	});
}
