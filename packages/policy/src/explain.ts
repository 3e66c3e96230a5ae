/**
 * Human texts for a decision: `accessDeniedMessage` in AWS's wording (IAM User Guide,
 * "Troubleshoot access denied error messages": "User: ARN is not authorized to perform: ACTION
 * on resource: ARN because no identity-based policy allows the ACTION action" / "… with an
 * explicit deny in a resource-based policy"), and `explain` for `sigil policy simulate`.
 */
import type {
	AuthorizationRequest,
	Decision,
	DecisionReason,
	MatchedStatement,
} from "./types.ts";

const WHY: Record<DecisionReason, (action: string) => string> = {
	EXPLICIT_DENY_IDENTITY: () =>
		"with an explicit deny in an identity-based policy",
	EXPLICIT_DENY_RESOURCE: () =>
		"with an explicit deny in a resource-based policy",
	EXPLICIT_DENY_SESSION: () => "with an explicit deny in a session policy",
	EXPLICIT_DENY_BOUNDARY: () =>
		"with an explicit deny in a permissions boundary",
	NO_IDENTITY_ALLOW: (a) =>
		`because no identity-based policy allows the ${a} action`,
	NO_SESSION_ALLOW: (a) => `because no session policy allows the ${a} action`,
	NO_BOUNDARY_ALLOW: (a) =>
		`because no permissions boundary allows the ${a} action`,
	NO_RESOURCE_ALLOW: (a) =>
		`because no resource-based policy allows the ${a} action`,
	NO_RESOURCE_ALLOW_CROSS_ACCOUNT: (a) =>
		`because no resource-based policy allows the ${a} action`,
	ALLOW_IDENTITY: () => "",
	ALLOW_RESOURCE: () => "",
	ALLOW_IDENTITY_AND_RESOURCE: () => "",
	ALLOW_ROOT: () => "",
};

const SUMMARY: Record<DecisionReason, string> = {
	EXPLICIT_DENY_IDENTITY: "an identity-based policy explicitly denies it",
	EXPLICIT_DENY_RESOURCE: "the resource-based policy explicitly denies it",
	EXPLICIT_DENY_SESSION: "a session policy explicitly denies it",
	EXPLICIT_DENY_BOUNDARY: "the permissions boundary explicitly denies it",
	NO_IDENTITY_ALLOW:
		"no identity-based policy allows it (and no resource-policy statement names the caller directly)",
	NO_SESSION_ALLOW:
		"the identity-based policies allow it but no session policy does (session policies intersect)",
	NO_BOUNDARY_ALLOW:
		"the identity-based policies allow it but the permissions boundary does not",
	NO_RESOURCE_ALLOW: "no resource-based policy statement allows this caller",
	NO_RESOURCE_ALLOW_CROSS_ACCOUNT:
		"cross-account: the identity side allows it but the resource-based policy does not",
	ALLOW_IDENTITY: "an identity-based policy allows it (same account)",
	ALLOW_RESOURCE: "the resource-based policy allows this caller directly",
	ALLOW_IDENTITY_AND_RESOURCE:
		"cross-account: both the identity-based and the resource-based policy allow it",
	ALLOW_ROOT: "the account's root user has every permission in its own account",
};

function callerName(request: AuthorizationRequest): string {
	return request.principal.type === "Anonymous"
		? "anonymous"
		: request.principal.arn;
}

/**
 * AWS's `AccessDeniedException` message for a denied decision (Lambda API, STS, IAM).
 * Function-URL callers get AWS's plain `Forbidden` instead; this text is for the API dialects.
 */
export function accessDeniedMessage(
	decision: Decision,
	request: AuthorizationRequest,
): string {
	return `User: ${callerName(request)} is not authorized to perform: ${request.action} on resource: ${request.resource} ${WHY[decision.reason](request.action)}`;
}

function describe(m: MatchedStatement): string {
	const name = m.policyName !== undefined ? ` "${m.policyName}"` : "";
	const sid = m.sid !== undefined ? ` Sid "${m.sid}"` : "";
	const how =
		m.principalMatch !== undefined
			? ` (principal matched: ${m.principalMatch})`
			: "";
	return `${m.effect} — ${m.policy} policy${name}, Statement[${m.index}]${sid}${how}`;
}

function scope(decision: Decision, request: AuthorizationRequest): string {
	const type = request.principal.type;
	if (type === "Anonymous" || type === "Service")
		return `${type.toLowerCase()} caller`;
	return decision.crossAccount ? "cross-account" : "same account";
}

/** A multi-line explanation: the decision, why, every statement that applied, and which one decided. */
export function explain(
	decision: Decision,
	request: AuthorizationRequest,
): string {
	const lines = [
		`${decision.decision} (${decision.reason}): ${request.principal.type} ${callerName(request)} → ${request.action} on ${request.resource}`,
		`${scope(decision, request)}; ${SUMMARY[decision.reason]}.`,
	];
	if (decision.matched.length === 0) lines.push("No statement applied.");
	else {
		lines.push("Statements that applied:");
		for (const m of decision.matched)
			lines.push(`  ${m === decision.decidedBy ? "*" : "-"} ${describe(m)}`);
	}
	if (decision.decidedBy !== undefined)
		lines.push(`Decided by: ${describe(decision.decidedBy)}`);
	if (!decision.allowed) lines.push(accessDeniedMessage(decision, request));
	return lines.join("\n");
}
