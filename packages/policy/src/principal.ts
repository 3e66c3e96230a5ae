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
	if (raw === "*") return { any: true, aws, services };
	if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
		errors.push({
			path,
			code: "INVALID_PRINCIPAL",
			message:
				'Principal must be "*" or an object such as {"AWS": "arn:aws:iam::123456789012:root"}',
		});
		return { any: false, aws, services };
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
				else if (ACCOUNT_ID.test(entry)) aws.add(`arn:aws:iam::${entry}:root`);
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
	return { any, aws, services };
}

const RANK: Record<PrincipalMatch, number> = {
	session: 5,
	any: 4,
	principal: 3,
	service: 2,
	account: 1,
};

/** How `p` matches the set: the strongest way any entry names it, or undefined. */
function matchSet(
	set: PrincipalSet,
	p: RequestPrincipal,
): PrincipalMatch | undefined {
	if (set.any) return "any";
	let best: PrincipalMatch | undefined;
	const consider = (m: PrincipalMatch) => {
		if (best === undefined || RANK[m] > RANK[best]) best = m;
	};
	switch (p.type) {
		case "Service":
			if (set.services.has(p.arn)) consider("service");
			break;
		case "Anonymous":
			break;
		case "AssumedRole":
		case "FederatedUser":
			if (set.aws.has(p.arn)) consider("session");
			if (p.roleArn !== undefined && set.aws.has(p.roleArn))
				consider("principal");
			if (set.aws.has(`arn:aws:iam::${p.accountId}:root`)) consider("account");
			break;
		default:
			if (set.aws.has(p.arn)) consider("principal");
			else if (set.aws.has(`arn:aws:iam::${p.accountId}:root`))
				consider("account");
	}
	return best;
}

/**
 * The identities a NotPrincipal list must all name to exclude the caller. IAM User Guide,
 * "NotPrincipal": with Deny, a principal is excluded only when its account is listed too, and an
 * assumed-role session only when both the role ARN and the session ARN (and the account) are.
 */
function identitiesOf(p: RequestPrincipal): string[] | undefined {
	const root = `arn:aws:iam::${p.accountId}:root`;
	switch (p.type) {
		case "Anonymous":
		case "Service":
			return undefined;
		case "Account":
			return [root];
		case "AssumedRole":
		case "FederatedUser":
			return p.roleArn !== undefined ? [p.arn, p.roleArn, root] : [p.arn, root];
		default:
			return [p.arn, root];
	}
}

/**
 * Compiles Principal (`negate` false) or NotPrincipal (`negate` true). NotPrincipal applies to
 * every caller it does not fully name (see {@link identitiesOf}); it then matches as `any`.
 */
export function compilePrincipal(
	raw: unknown,
	negate: boolean,
	path: string,
	errors: PolicyError[],
): (p: RequestPrincipal) => PrincipalMatch | undefined {
	const set = compileSet(raw, path, errors);
	if (!negate) return (p) => matchSet(set, p);
	return (p) => {
		if (set.any) return undefined;
		if (p.type === "Service")
			return set.services.has(p.arn) ? undefined : "any";
		const ids = identitiesOf(p);
		const excluded = ids?.every((id) => set.aws.has(id)) === true;
		return excluded ? undefined : "any";
	};
}
