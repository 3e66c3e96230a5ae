/**
 * Checks a policy document as it is typed, pointing at the line and column of the first
 * problem: JSON syntax first, then the IAM grammar's shape (Version, Statement, Effect,
 * Action/NotAction, Resource/NotResource, Principal, Condition). The gateway validates again on
 * save (MALFORMED_POLICY); this is for the person typing, not a security boundary.
 */
import {
	type JsonNode,
	lineColumn,
	parseJsonWithPositions,
	toValue,
} from "./json-positions.ts";

export interface PolicyProblem {
	readonly message: string;
	readonly line: number;
	readonly column: number;
}

export type PolicyCheck =
	| { ok: true; document: Record<string, unknown> }
	| { ok: false; problem: PolicyProblem };

export type PolicyKind = "identity" | "resource" | "trust";

const VERSIONS = ["2012-10-17", "2008-10-17"];
const TOP_KEYS = ["Version", "Id", "Statement"];
const STATEMENT_KEYS = [
	"Sid",
	"Effect",
	"Action",
	"NotAction",
	"Resource",
	"NotResource",
	"Principal",
	"NotPrincipal",
	"Condition",
];
const ACTION = /^(?:\*|[a-zA-Z0-9-]+:[a-zA-Z0-9*?]+)$/;

class Problem {
	readonly at: number;
	readonly message: string;
	constructor(at: number, message: string) {
		this.at = at;
		this.message = message;
	}
}

function stringOrList(node: JsonNode, what: string): JsonNode[] {
	const items = node.kind === "array" ? node.items : [node];
	if (node.kind === "array" && items.length === 0)
		throw new Problem(node.at, `${what} must not be an empty list`);
	for (const item of items)
		if (item.kind !== "string")
			throw new Problem(
				item.at,
				`${what} must be a string or a list of strings`,
			);
	return items;
}

function checkStatement(node: JsonNode, kind: PolicyKind, n: number): void {
	const where = `Statement ${n + 1}`;
	if (node.kind !== "object")
		throw new Problem(node.at, `${where} must be an object`);
	const byKey = new Map<string, { keyAt: number; value: JsonNode }>();
	for (const e of node.entries) {
		if (!STATEMENT_KEYS.includes(e.key))
			throw new Problem(
				e.keyAt,
				`${where}: unknown key ${JSON.stringify(e.key)} (allowed: ${STATEMENT_KEYS.join(", ")})`,
			);
		if (byKey.has(e.key))
			throw new Problem(e.keyAt, `${where}: ${e.key} appears twice`);
		byKey.set(e.key, e);
	}
	const effect = byKey.get("Effect");
	if (!effect) throw new Problem(node.at, `${where} needs an Effect`);
	if (
		effect.value.kind !== "string" ||
		(effect.value.value !== "Allow" && effect.value.value !== "Deny")
	)
		throw new Problem(
			effect.value.at,
			`${where}: Effect must be "Allow" or "Deny"`,
		);
	const action = byKey.get("Action") ?? byKey.get("NotAction");
	if (!action)
		throw new Problem(node.at, `${where} needs an Action or a NotAction`);
	if (byKey.has("Action") && byKey.has("NotAction"))
		throw new Problem(
			byKey.get("NotAction")?.keyAt ?? node.at,
			`${where}: use Action or NotAction, not both`,
		);
	for (const a of stringOrList(action.value, `${where}: Action`))
		if (a.kind === "string" && !ACTION.test(a.value))
			throw new Problem(
				a.at,
				`${where}: ${JSON.stringify(a.value)} is not an action (service:Action, e.g. lambda:InvokeFunction, or *)`,
			);
	const resource = byKey.get("Resource") ?? byKey.get("NotResource");
	if (byKey.has("Resource") && byKey.has("NotResource"))
		throw new Problem(
			byKey.get("NotResource")?.keyAt ?? node.at,
			`${where}: use Resource or NotResource, not both`,
		);
	if (resource) stringOrList(resource.value, `${where}: Resource`);
	else if (kind !== "trust")
		throw new Problem(node.at, `${where} needs a Resource or a NotResource`);
	const principal = byKey.get("Principal") ?? byKey.get("NotPrincipal");
	if (kind === "identity" && principal)
		throw new Problem(
			principal.keyAt,
			`${where}: an identity policy has no Principal (the user or role it is attached to is the principal)`,
		);
	if (kind !== "identity" && !principal)
		throw new Problem(node.at, `${where} needs a Principal`);
	if (principal) {
		const p = principal.value;
		if (p.kind === "string") {
			if (p.value !== "*")
				throw new Problem(p.at, `${where}: Principal as a string must be "*"`);
		} else if (p.kind === "object") {
			for (const e of p.entries) {
				if (!["AWS", "Service", "Federated", "CanonicalUser"].includes(e.key))
					throw new Problem(
						e.keyAt,
						`${where}: Principal keys are AWS, Service, Federated or CanonicalUser`,
					);
				stringOrList(e.value, `${where}: Principal ${e.key}`);
			}
		} else
			throw new Problem(p.at, `${where}: Principal must be "*" or an object`);
	}
	const condition = byKey.get("Condition");
	if (condition) {
		if (condition.value.kind !== "object")
			throw new Problem(
				condition.value.at,
				`${where}: Condition must be an object`,
			);
		for (const op of condition.value.entries) {
			if (op.value.kind !== "object")
				throw new Problem(
					op.value.at,
					`${where}: Condition ${op.key} must map condition keys to values`,
				);
		}
	}
	const sid = byKey.get("Sid");
	if (
		sid &&
		(sid.value.kind !== "string" || !/^[A-Za-z0-9]*$/.test(sid.value.value))
	)
		throw new Problem(sid.value.at, `${where}: Sid must be letters and digits`);
}

function checkDocument(root: JsonNode, kind: PolicyKind): void {
	if (root.kind !== "object")
		throw new Problem(root.at, "a policy document is a JSON object");
	for (const e of root.entries)
		if (!TOP_KEYS.includes(e.key))
			throw new Problem(
				e.keyAt,
				`unknown key ${JSON.stringify(e.key)} (a policy has Version, Id and Statement)`,
			);
	const version = root.entries.find((e) => e.key === "Version");
	if (!version)
		throw new Problem(root.at, 'the policy needs "Version": "2012-10-17"');
	if (
		version.value.kind !== "string" ||
		!VERSIONS.includes(version.value.value)
	)
		throw new Problem(
			version.value.at,
			'Version must be "2012-10-17" (or "2008-10-17")',
		);
	const statement = root.entries.find((e) => e.key === "Statement");
	if (!statement) throw new Problem(root.at, "the policy needs a Statement");
	const list =
		statement.value.kind === "array"
			? statement.value.items
			: [statement.value];
	if (list.length === 0)
		throw new Problem(statement.value.at, "Statement must not be empty");
	list.forEach((s, n) => {
		checkStatement(s, kind, n);
	});
}

export function checkPolicy(text: string, kind: PolicyKind): PolicyCheck {
	const parsed = parseJsonWithPositions(text);
	if (!parsed.ok)
		return {
			ok: false,
			problem: {
				message: `JSON: ${parsed.message}`,
				...lineColumn(text, parsed.at),
			},
		};
	try {
		checkDocument(parsed.node, kind);
	} catch (err) {
		if (!(err instanceof Problem)) throw err;
		return {
			ok: false,
			problem: { message: err.message, ...lineColumn(text, err.at) },
		};
	}
	return {
		ok: true,
		document: toValue(parsed.node) as Record<string, unknown>,
	};
}
