/**
 * The Principal / NotPrincipal elements of resource and trust policies (IAM User Guide, "AWS
 * JSON policy elements: Principal"): `"*"`, `{"AWS": …}` with account ids, `…:root`, user, role,
 * assumed-role session and federated-user ARNs, `{"Service": …}`, `{"Federated": …}`,
 * `{"CanonicalUser": …}`. Wildcards inside a principal are not allowed ("You cannot use a
 * wildcard to match part of a principal name or ARN"), so matching is plain equality.
 */
import type { PolicyError, PrincipalMatch, RequestPrincipal } from "./types.ts";

const ACCOUNT_ID = /^\d{12}$/;
const PRINCIPAL_ARN =
	/^arn:aws[a-z-]*:(iam::\d{12}:(root|user\/[\w+=,.@/-]+|role\/[\w+=,.@/-]+)|sts::\d{12}:(assumed-role\/[\w+=,.@-]+\/[\w+=,.@-]+|federated-user\/[\w+=,.@-]+))$/;
const ROOT_ARN = /^arn:aws[a-z-]*:iam::\d{12}:root$/;
const SERVICE = /^[a-z0-9][a-z0-9.-]*\.[a-z0-9.-]+$/;
const PRINCIPAL_TYPES = new Set([
	"AWS",
	"Service",
	"Federated",
	"CanonicalUser",
]);

/** Sets of normalized entries; `any` when the element is `"*"` or `{"AWS": "*"}`. */
interface PrincipalSet {
	readonly any: boolean;
	readonly aws: ReadonlySet<string>;
	readonly services: ReadonlySet<string>;
	/** Account ids named by a 12-digit id or an `arn:aws:iam::ID:root` entry. */
	readonly accounts: ReadonlySet<string>;
}

function toList(raw: unknown): unknown[] {
	return Array.isArray(raw) ? raw : [raw];
}

/** Validates and normalizes a Principal/NotPrincipal element; account ids become `…:root` ARNs. */
function compileSet(
	raw: unknown,
	path: string,
	errors: PolicyError[],
): PrincipalSet {
	const aws = new Set<string>();
	const services = new Set<string>();
	const accounts = new Set<string>();
	if (raw === "*") return { any: true, aws, services, accounts };
	if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
		errors.push({
			path,
			code: "INVALID_PRINCIPAL",
			message:
				'Principal must be "*" or an object such as {"AWS": "arn:aws:iam::123456789012:root"}',
		});
		return { any: false, aws, services, accounts };
	}
	let any = false;
	for (const [type, value] of Object.entries(raw)) {
		const typePath = `${path}.${type}`;
		if (!PRINCIPAL_TYPES.has(type)) {
			errors.push({
				path: typePath,
				code: "UNKNOWN_PRINCIPAL_TYPE",
				message: `unknown principal type "${type}" (AWS, Service, Federated, CanonicalUser)`,
			});
			continue;
		}
		const list = toList(value);
		if (list.length === 0)
			errors.push({
				path: typePath,
				code: "INVALID_PRINCIPAL",
				message: "empty principal list",
			});
		for (const [i, entry] of list.entries()) {
			const at = Array.isArray(value) ? `${typePath}[${i}]` : typePath;
			if (typeof entry !== "string") {
				errors.push({
					path: at,
					code: "INVALID_PRINCIPAL",
					message: "principal entries must be strings",
				});
			} else if (type === "AWS") {
				if (entry === "*") any = true;
				else if (ACCOUNT_ID.test(entry)) accounts.add(entry);
				else if (ROOT_ARN.test(entry))
					accounts.add(entry.split(":")[4] as string);
				else if (PRINCIPAL_ARN.test(entry)) aws.add(entry);
				else if (entry.includes("*") || entry.includes("?"))
					errors.push({
						path: at,
						code: "PRINCIPAL_WILDCARD",
						message: `"${entry}": wildcards are only allowed as the whole principal "*"`,
					});
				else
					errors.push({
						path: at,
						code: "INVALID_PRINCIPAL",
						message: `"${entry}" is not an account id or an IAM/STS principal ARN`,
					});
			} else if (type === "Service") {
				if (SERVICE.test(entry)) services.add(entry);
				else
					errors.push({
						path: at,
						code: "INVALID_PRINCIPAL",
						message: `"${entry}" is not a service principal such as lambda.amazonaws.com`,
					});
			} else if (entry === "") {
				errors.push({
					path: at,
					code: "INVALID_PRINCIPAL",
					message: "empty principal",
				});
			}
			// Federated and CanonicalUser principals are accepted but never match a Sigil caller.
		}
	}
	return { any, aws, services, accounts };
}

/** How `p` matches the set: the strongest way any entry names it, or undefined. */
function matchSet(
	set: PrincipalSet,
	p: RequestPrincipal,
): PrincipalMatch | undefined {
	// Naming the session outranks "*": it is not limited by session policies.
	if (set.any)
		return (p.type === "AssumedRole" || p.type === "FederatedUser") &&
			set.aws.has(p.arn)
			? "session"
			: "any";
	switch (p.type) {
		case "Service":
			return set.services.has(p.arn) ? "service" : undefined;
		case "Anonymous":
			return undefined;
		case "Account":
			return set.accounts.has(p.accountId) ? "principal" : undefined;
		case "AssumedRole":
		case "FederatedUser":
			if (set.aws.has(p.arn)) return "session";
			if (p.roleArn !== undefined && set.aws.has(p.roleArn)) return "principal";
			return set.accounts.has(p.accountId) ? "account" : undefined;
		default:
			if (set.aws.has(p.arn)) return "principal";
			return set.accounts.has(p.accountId) ? "account" : undefined;
	}
}

/**
 * Whether a NotPrincipal list names every identity of the caller. IAM User Guide,
 * "NotPrincipal": with Deny, a principal is excluded only when its account is listed too, and an
 * assumed-role session only when both the role ARN and the session ARN (and the account) are.
 */
function namesEveryIdentity(set: PrincipalSet, p: RequestPrincipal): boolean {
	switch (p.type) {
		case "Anonymous":
			return false;
		case "Service":
			return set.services.has(p.arn);
		case "Account":
			return set.accounts.has(p.accountId);
		case "AssumedRole":
		case "FederatedUser":
			return (
				set.aws.has(p.arn) &&
				(p.roleArn === undefined || set.aws.has(p.roleArn)) &&
				set.accounts.has(p.accountId)
			);
		default:
			return set.aws.has(p.arn) && set.accounts.has(p.accountId);
	}
}

/**
 * Compiles Principal (`negate` false) or NotPrincipal (`negate` true). NotPrincipal applies to
 * every caller it does not fully name (see {@link namesEveryIdentity}); it then matches as `any`.
 */
export function compilePrincipal(
	raw: unknown,
	negate: boolean,
	path: string,
	errors: PolicyError[],
): (p: RequestPrincipal) => PrincipalMatch | undefined {
	const set = compileSet(raw, path, errors);
	if (!negate) return (p) => matchSet(set, p);
	return (p) => (set.any || namesEveryIdentity(set, p) ? undefined : "any");
}
