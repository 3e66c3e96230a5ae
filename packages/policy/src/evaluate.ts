/**
 * `evaluate`: the authorization decision, following the IAM User Guide, "Policy evaluation
 * logic" — "Policy evaluation for requests within a single account" and "Cross-account policy
 * evaluation logic":
 * 1. Every applicable statement is collected (action, resource, principal, condition all match).
 * 2. An explicit Deny in any policy wins ("explicit deny overrides any allow").
 * 3. Anonymous and service callers have no identity: only a resource statement whose principal
 *    is `*` (or, for a service, names the service) can allow.
 * 4. Same account: a resource-policy Allow naming the caller allows alone ("Within the same
 *    account, resource-based policies that grant permissions to an IAM user ARN or to an IAM role
 *    session ARN … do not require an explicit allow in an identity-based policy"); one naming a
 *    role ARN is still limited by the role's permissions boundary and session policies; one
 *    naming only the account delegates to the account, so an identity-based Allow is needed.
 *    Otherwise the identity-based Allow, intersected with the permissions boundary and the
 *    session policies, decides.
 * 5. Cross account: the identity side (with boundary and session policies) AND the resource
 *    policy must both allow.
 * The root user (`Account`) has every permission in its own account unless explicitly denied.
 */
import { splitArn } from "./arn.ts";
import { resolveContext } from "./context.ts";
import type {
	AuthorizationRequest,
	Decision,
	DecisionReason,
	MatchedStatement,
	NamedPolicy,
	PolicySource,
	RequestPrincipal,
	ResolvedContext,
	ResourceTarget,
} from "./types.ts";

interface Scan {
	readonly principal: RequestPrincipal;
	readonly action: string;
	readonly target: ResourceTarget;
	readonly ctx: ResolvedContext;
	readonly matched: MatchedStatement[];
}

/** Appends every applicable statement of `named` to `scan.matched`; returns whether any applied. */
function collect(scan: Scan, source: PolicySource, named: NamedPolicy): void {
	const { policy } = named;
	for (const s of policy.byAction.get(scan.action) ?? policy.otherStatements) {
		if (!s.matchAction(scan.action)) continue;
		if (!s.matchResource(scan.target, scan.ctx)) continue;
		let principalMatch: MatchedStatement["principalMatch"];
		if (s.matchPrincipal !== undefined) {
			principalMatch = s.matchPrincipal(scan.principal);
			if (principalMatch === undefined) continue;
		}
		if (!s.matchCondition(scan.ctx)) continue;
		// Constant shape (absent fields undefined) keeps consumers' property reads monomorphic.
		scan.matched.push({
			policy: source,
			policyName: named.name,
			sid: s.sid,
			index: s.index,
			effect: s.effect,
			principalMatch,
		});
	}
}

const DENY_REASON: Record<PolicySource, DecisionReason> = {
	identity: "EXPLICIT_DENY_IDENTITY",
	boundary: "EXPLICIT_DENY_BOUNDARY",
	session: "EXPLICIT_DENY_SESSION",
	resource: "EXPLICIT_DENY_RESOURCE",
};

/**
 * Decides whether `request.principal` may perform `request.action` on `request.resource`.
 * Pure and allocation-light: no parsing, no RegExp construction, no clock.
 */
export function evaluate(request: AuthorizationRequest): Decision {
	const { principal } = request;
	const scan: Scan = {
		principal,
		action: request.action.toLowerCase(),
		target: { text: request.resource, parts: splitArn(request.resource) },
		ctx: resolveContext(principal, request.context),
		matched: [],
	};
	const hasIdentity =
		principal.type !== "Anonymous" && principal.type !== "Service";
	if (hasIdentity) {
		for (const p of request.identityPolicies ?? [])
			collect(scan, "identity", p);
		if (request.permissionsBoundary !== undefined)
			collect(scan, "boundary", request.permissionsBoundary);
		for (const p of request.sessionPolicies ?? []) collect(scan, "session", p);
	}
	if (request.resourcePolicy !== undefined)
		collect(scan, "resource", request.resourcePolicy);
	const { matched } = scan;
	// Anonymous and service callers belong to no account: never "cross-account".
	const crossAccount =
		hasIdentity && principal.accountId !== request.resourceAccountId;
	const done = (
		allowed: boolean,
		reason: DecisionReason,
		decidedBy?: MatchedStatement,
	): Decision => ({
		allowed,
		decision: allowed
			? "Allow"
			: decidedBy?.effect === "Deny"
				? "ExplicitDeny"
				: "ImplicitDeny",
		reason,
		matched,
		crossAccount,
		...(decidedBy !== undefined ? { decidedBy } : {}),
	});

	// Step 2: explicit deny anywhere wins.
	const deny = matched.find((m) => m.effect === "Deny");
	if (deny !== undefined) return done(false, DENY_REASON[deny.policy], deny);

	const resourceAllows = matched.filter((m) => m.policy === "resource");
	// Step 3: no identity, so only the resource policy can allow.
	if (!hasIdentity) {
		const ok = resourceAllows.find(
			(m) =>
				m.principalMatch === "any" ||
				(principal.type === "Service" && m.principalMatch === "service"),
		);
		return ok !== undefined
			? done(true, "ALLOW_RESOURCE", ok)
			: done(false, "NO_RESOURCE_ALLOW");
	}

	const identityAllow = matched.find((m) => m.policy === "identity");
	const isRoot = principal.type === "Account";
	const boundaryOk =
		request.permissionsBoundary === undefined ||
		matched.some((m) => m.policy === "boundary");
	const sessionOk =
		(request.sessionPolicies ?? []).length === 0 ||
		matched.some((m) => m.policy === "session");
	const identityOk =
		(isRoot || identityAllow !== undefined) && boundaryOk && sessionOk;
	const identityReason: DecisionReason = !(
		isRoot || identityAllow !== undefined
	)
		? "NO_IDENTITY_ALLOW"
		: !boundaryOk
			? "NO_BOUNDARY_ALLOW"
			: "NO_SESSION_ALLOW";

	if (!crossAccount) {
		// Step 4: a resource Allow naming the session (or the root user) suffices on its own.
		const direct = resourceAllows.find(
			(m) =>
				m.principalMatch === "session" ||
				(isRoot && m.principalMatch === "principal"),
		);
		if (direct !== undefined) return done(true, "ALLOW_RESOURCE", direct);
		// Naming the user ARN or everyone (`*`): not limited by a permissions boundary; naming a
		// role ARN: limited by the role's boundary; all of them are limited by session policies
		// (IAM User Guide, "Policy evaluation logic" → "Session policies", "Permissions boundaries").
		const byArn = resourceAllows.find((m) => {
			if (m.principalMatch === "any") return sessionOk;
			if (m.principalMatch !== "principal") return false;
			const isRoleArn =
				principal.type === "AssumedRole" || principal.type === "FederatedUser";
			return sessionOk && (boundaryOk || !isRoleArn);
		});
		if (byArn !== undefined) return done(true, "ALLOW_RESOURCE", byArn);
		// A role's trust policy must allow sts:AssumeRole* even within the account (IAM User Guide,
		// "Cross-account resource access": roles are the exception where an identity allow alone
		// is not enough); naming only the account still needs the identity allow as well.
		if (
			request.resourcePolicy?.policy.kind === "trust" &&
			resourceAllows.length === 0
		)
			return done(false, "NO_RESOURCE_ALLOW");
		if (identityOk)
			return done(
				true,
				isRoot ? "ALLOW_ROOT" : "ALLOW_IDENTITY",
				identityAllow,
			);
		return done(false, identityReason);
	}

	// Step 5: cross account — both sides must allow.
	if (!identityOk) return done(false, identityReason);
	const resourceAllow = resourceAllows[0];
	if (resourceAllow === undefined)
		return done(false, "NO_RESOURCE_ALLOW_CROSS_ACCOUNT");
	return done(true, "ALLOW_IDENTITY_AND_RESOURCE", resourceAllow);
}
