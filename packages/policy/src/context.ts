/**
 * Builds the request context of one evaluation: condition keys are case-insensitive (IAM User
 * Guide, "AWS global condition context keys": "Condition key names are not case-sensitive"), so
 * keys are lower-cased once here and values turned into strings. The principal keys come from
 * the verified principal and override anything the caller passed, so a request cannot claim
 * another identity through its context.
 */
import type {
	ContextValue,
	RequestContext,
	RequestPrincipal,
	ResolvedContext,
} from "./types.ts";

function asStrings(value: ContextValue): string[] {
	if (Array.isArray(value)) return value.map((v) => String(v));
	return [String(value)];
}

/** The principal-derived global keys for `p` (`aws:PrincipalArn` is the role ARN for a role session). */
export function principalContext(p: RequestPrincipal): Record<string, string> {
	const out: Record<string, string> = { "aws:PrincipalType": p.type };
	switch (p.type) {
		case "Anonymous":
			out["aws:userid"] = "anonymous";
			return out;
		case "Service":
			out["aws:PrincipalServiceName"] = p.arn;
			return out;
		case "AssumedRole":
			out["aws:PrincipalArn"] = p.roleArn ?? p.arn;
			break;
		case "User":
			out["aws:PrincipalArn"] = p.arn;
			if (p.username !== undefined) out["aws:username"] = p.username;
			break;
		default:
			out["aws:PrincipalArn"] = p.arn;
	}
	out["aws:PrincipalAccount"] = p.accountId;
	const userId = p.userId ?? (p.type === "Account" ? p.accountId : undefined);
	if (userId !== undefined) out["aws:userid"] = userId;
	return out;
}

const PRINCIPAL_KEYS = new Set([
	"aws:principaltype",
	"aws:principalarn",
	"aws:principalaccount",
	"aws:username",
	"aws:userid",
	"aws:principalservicename",
]);

/** Lower-cased key → string values; principal keys win over the caller's context. */
export function resolveContext(
	p: RequestPrincipal,
	context: RequestContext | undefined,
): ResolvedContext {
	const map = new Map<string, readonly string[]>();
	if (context !== undefined) {
		for (const key in context) {
			const value = context[key];
			if (value === undefined) continue;
			const lower = key.toLowerCase();
			if (PRINCIPAL_KEYS.has(lower)) continue;
			map.set(lower, typeof value === "string" ? [value] : asStrings(value));
		}
	}
	// The same keys as principalContext, written directly in lower case (decision hot path).
	map.set("aws:principaltype", [p.type]);
	if (p.type === "Anonymous") {
		map.set("aws:userid", ["anonymous"]);
		return map;
	}
	if (p.type === "Service") {
		map.set("aws:principalservicename", [p.arn]);
		return map;
	}
	map.set("aws:principalarn", [
		p.type === "AssumedRole" ? (p.roleArn ?? p.arn) : p.arn,
	]);
	if (p.type === "User" && p.username !== undefined)
		map.set("aws:username", [p.username]);
	map.set("aws:principalaccount", [p.accountId]);
	const userId = p.userId ?? (p.type === "Account" ? p.accountId : undefined);
	if (userId !== undefined) map.set("aws:userid", [userId]);
	return map;
}
