/**
 * IAM over the query protocol (IAM API Reference, version 2010-05-08), as `aws iam …` calls it:
 * users, access keys, inline user and role policies, roles, groups (members, inline policies),
 * customer managed policies and their attachments, permissions boundaries, tags, and the policy
 * simulator. Every operation acts in the caller's own account. Each declares the parameters it takes (any other — a role's
 * description, a policy's tags — is refused, never stored and ignored) and resolves its target
 * from the form once; query-api.ts authorizes `iam:ACTION` on that target and runs the operation
 * on the same object. The rules themselves (ownership, quotas, conflicts) are iam/admin.ts's.
 */
import type { RequestContext } from "@sigil/policy";
import { SigilError } from "../errors.ts";
import {
	IamAdmin,
	type PolicyRef,
	parsePolicyArn,
	type SimulationInput,
	type SimulationResult,
} from "../iam/admin.ts";
import { type IamPrincipal, isRoot } from "../iam/principal.ts";
import type {
	AccessKey,
	AttachmentKind,
	Group,
	ManagedPolicy,
	ManagedPolicyVersion,
	PrincipalKind,
	Role,
	Tag,
	User,
} from "../store/types.ts";
import type { GatewayContext } from "./context.ts";
import type { Exchange } from "./exchange.ts";
import { IAM_NS, sendQueryResult, type XmlValue } from "./query-protocol.ts";
import type { Call } from "./route.ts";
import { IAM_NAME, iamArn, POLICY_NAME, type Target } from "./targets.ts";

/** The IAM entity an operation acts on, named once from the form. */
export interface IamTarget extends Target {
	/**
	 * The user (`null`: the account's root identity), role or managed policy the operation names
	 * or implies.
	 */
	readonly name: string | null;
	/** The managed policy the operation names by `PolicyArn` (the target, or what it attaches). */
	readonly policy?: PolicyRef;
	/** Condition keys the operation adds to the decision (`iam:PolicyARN`, `aws:TagKeys`). */
	readonly context?: RequestContext;
	/** The tags the operation writes (`Tags.member.N`), parsed once at bind. */
	readonly tags?: readonly Tag[];
	/** SimulatePrincipalPolicy: the user, role or group `PolicySourceArn` names. */
	readonly source?: {
		readonly accountId: string;
		readonly kind: AttachmentKind;
		readonly name: string;
	};
}

/** One IAM operation bound to its target: authorize `target`, then `run`. */
export interface BoundOperation {
	readonly target: IamTarget;
	run(ex: Exchange, ctx: GatewayContext, p: IamPrincipal): Promise<void>;
}

export interface IamOperation {
	bind(params: URLSearchParams, p: IamPrincipal): BoundOperation;
}

interface OperationDef {
	/** Form parameters the operation takes, besides Action and Version. */
	readonly params: readonly string[];
	readonly target: (params: URLSearchParams, p: IamPrincipal) => IamTarget;
	readonly run: (
		call: Call<IamTarget>,
		params: URLSearchParams,
	) => Promise<void>;
}

/** The fields of a structure list's members, as the wire spells them after `…member.N`. */
const LIST_MEMBER_FIELDS: Record<string, string> = {
	"Tags.member": "\\.(?:Key|Value)",
	"ContextEntries.member":
		"\\.(?:ContextKeyName|ContextKeyType|ContextKeyValues\\.member\\.[1-9]\\d{0,2})",
};

/** An operation that refuses parameters it does not take, and runs on the target it was authorized for. */
function operation(def: OperationDef): IamOperation {
	const accepted = new Set(["Action", "Version", ...def.params]);
	// List parameters (`Tags.member`): the wire's `Tags.member.N.Key`, `TagKeys.member.N`.
	const lists = def.params
		.filter((p) => p.endsWith(".member"))
		.map(
			(p) =>
				new RegExp(
					`^${p.replace(".", "\\.")}\\.[1-9]\\d{0,2}${LIST_MEMBER_FIELDS[p] ?? ""}$`,
				),
		);
	const names = def.params.map((p) => p.replace(/\.member$/, ""));
	return {
		bind(params, p) {
			for (const key of params.keys())
				if (
					(!accepted.has(key) || key.endsWith(".member")) &&
					!lists.some((re) => re.test(key))
				)
					throw new SigilError(
						"INVALID_PARAMETER",
						`${unsupportedName(key)} is not supported by this gateway's IAM; the operation takes ${names.join(", ") || "no parameters"}`,
					);
			const target = def.target(params, p);
			return {
				target,
				run: (ex, ctx, principal) =>
					def.run({ ex, ctx, principal, target }, params),
			};
		},
	};
}

/** `Tags.member.1.Key` → `Tags`: name the parameter the caller wrote, not its wire expansion. */
function unsupportedName(key: string): string {
	return key.split(".")[0]?.slice(0, 64) ?? key;
}

function iso(ms: number): string {
	return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}

function required(params: URLSearchParams, name: string): string {
	const v = params.get(name);
	if (v === null || v === "")
		throw new SigilError(
			"INVALID_PARAMETER",
			`1 validation error detected: Value null at '${name[0]?.toLowerCase()}${name.slice(1)}' failed to satisfy constraint: Member must not be null`,
		);
	return v;
}

function valid(value: string, member: string): string {
	if (!IAM_NAME.test(value))
		throw new SigilError(
			"INVALID_PARAMETER",
			`1 validation error detected: Value '${value.slice(0, 140)}' at '${member}' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+`,
		);
	return value;
}

/**
 * `UserName` when given; else the caller itself (a user's own name, or the root identity), as
 * IAM implies it from the signing key. A role session must name the user.
 */
function byUser(params: URLSearchParams, p: IamPrincipal): IamTarget {
	const given = params.get("UserName");
	if (given === null && p.roleArn !== undefined)
		throw new SigilError(
			"INVALID_PARAMETER",
			"Must specify userName when calling with non-User credentials",
		);
	const name =
		given !== null
			? valid(given, "userName")
			: isRoot(p)
				? null
				: (p.userName ?? null);
	return {
		name,
		accountId: p.accountId,
		resource: iamArn(p.accountId, name === null ? "root" : `user/${name}`),
	};
}

/** A user or role the operation must name (`UserName` / `RoleName` required). */
function named(kind: AttachmentKind) {
	const param =
		kind === "user" ? "UserName" : kind === "role" ? "RoleName" : "GroupName";
	return (params: URLSearchParams, p: IamPrincipal): IamTarget => {
		const given = required(params, param);
		const name =
			kind === "group" ? validGroupName(given) : valid(given, `${kind}Name`);
		return {
			name,
			accountId: p.accountId,
			resource: iamArn(p.accountId, `${kind}/${name}`),
		};
	};
}
const namedUser = named("user");
const byRole = named("role");
const byGroup = named("group");

/** Group names: 1–128 of `[\w+=,.@-]`. */
function validGroupName(value: string): string {
	if (!/^[\w+=,.@-]{1,128}$/.test(value))
		throw new SigilError(
			"INVALID_PARAMETER",
			`1 validation error detected: Value '${value.slice(0, 140)}' at 'groupName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+`,
		);
	return value;
}

const allUsers = (_q: URLSearchParams, p: IamPrincipal): IamTarget => ({
	name: null,
	accountId: p.accountId,
	resource: iamArn(p.accountId, "user/*"),
});

/** The target's user name, for operations whose target is always a named user or role. */
const nameOf = (t: IamTarget): string => t.name as string;

/** `<PermissionsBoundary>` of GetUser / GetRole / Create…, when the principal has one. */
function boundaryXml(arn: string | undefined): Record<string, XmlValue> {
	return arn === undefined
		? {}
		: {
				PermissionsBoundary: {
					PermissionsBoundaryType: "Policy",
					PermissionsBoundaryArn: arn,
				},
			};
}

function userXml(
	u: User,
	boundary?: string,
	tags: readonly Tag[] = [],
): XmlValue {
	return {
		Path: u.path,
		UserName: u.userName,
		UserId: u.userId,
		Arn: u.arn,
		CreateDate: iso(u.createdAt),
		...boundaryXml(boundary),
		...tagsXml(tags),
	};
}

function roleXml(
	r: Role,
	boundary?: string,
	tags: readonly Tag[] = [],
): XmlValue {
	return {
		Path: r.path,
		RoleName: r.roleName,
		RoleId: r.roleId,
		Arn: r.arn,
		CreateDate: iso(r.createdAt),
		// IAM returns policy documents URL-encoded; the CLI decodes them.
		AssumeRolePolicyDocument: encodeURIComponent(r.trustPolicy),
		MaxSessionDuration: r.maxSessionDuration,
		...boundaryXml(boundary),
		...tagsXml(tags),
	};
}

/**
 * The target of an operation that takes `PermissionsBoundary` (required or not): the policy is
 * parsed at bind and offered to the decision as `iam:PermissionsBoundary`, so an administrator
 * can be allowed to create users only with a given boundary.
 */
function withBoundary(
	target: (q: URLSearchParams, p: IamPrincipal) => IamTarget,
	isRequired: boolean,
) {
	return (q: URLSearchParams, p: IamPrincipal): IamTarget => {
		const t = target(q, p);
		const raw = isRequired
			? required(q, "PermissionsBoundary")
			: q.get("PermissionsBoundary");
		if (raw === null) return t;
		const policy = parsePolicyArn(raw);
		return {
			...t,
			policy,
			context: { ...t.context, "iam:PermissionsBoundary": policy.arn },
		};
	};
}

/** Put/Delete…PermissionsBoundary for users (`UserName`) and roles (`RoleName`). */
function boundaryOperations(kind: PrincipalKind): Record<string, IamOperation> {
	const Kind = kind === "user" ? "User" : "Role";
	return {
		[`Put${Kind}PermissionsBoundary`]: operation({
			params: [`${Kind}Name`, "PermissionsBoundary"],
			target: withBoundary(named(kind), true),
			async run({ ex, ctx, target: t }) {
				await admin(ctx).putPermissionsBoundary(
					t.accountId,
					kind,
					nameOf(t),
					policyOf(t),
				);
				sendQueryResult(ex, IAM_NS, `Put${Kind}PermissionsBoundary`);
			},
		}),
		[`Delete${Kind}PermissionsBoundary`]: operation({
			params: [`${Kind}Name`],
			target: named(kind),
			async run({ ex, ctx, target: t }) {
				await admin(ctx).deletePermissionsBoundary(
					t.accountId,
					kind,
					nameOf(t),
				);
				sendQueryResult(ex, IAM_NS, `Delete${Kind}PermissionsBoundary`);
			},
		}),
	};
}

function keyXml(k: AccessKey, userName: string | null): XmlValue {
	return {
		...(userName !== null && { UserName: userName }),
		AccessKeyId: k.accessKeyId,
		Status: k.status,
		CreateDate: iso(k.createdAt),
	};
}

function status(params: URLSearchParams): "Active" | "Inactive" {
	const s = required(params, "Status");
	if (s !== "Active" && s !== "Inactive")
		throw new SigilError(
			"INVALID_PARAMETER",
			`1 validation error detected: Value '${s.slice(0, 20)}' at 'status' failed to satisfy constraint: Member must satisfy enum value set: [Active, Inactive]`,
		);
	return s;
}

/** IAM's list paging: `MaxItems` (1–1000, default 100) and an opaque `Marker`. */
const PAGING = ["Marker", "MaxItems"] as const;

/**
 * One page of `items` (sorted by `keyOf`), as IAM's listings return them: `IsTruncated` and,
 * when truncated, the `Marker` of the next page (the last key returned, encoded).
 */
function page<T>(
	items: readonly T[],
	q: URLSearchParams,
	keyOf: (item: T) => string,
): { items: T[]; IsTruncated: boolean; Marker?: string } {
	const rawMax = q.get("MaxItems");
	let max = 100;
	if (rawMax !== null) {
		max = /^\d{1,4}$/.test(rawMax) ? Number(rawMax) : 0;
		if (max < 1 || max > 1000)
			throw new SigilError(
				"INVALID_PARAMETER",
				`1 validation error detected: Value '${rawMax.slice(0, 20)}' at 'maxItems' failed to satisfy constraint: Member must have value between 1 and 1000`,
			);
	}
	const marker = q.get("Marker");
	let start = 0;
	if (marker !== null) {
		const after = Buffer.from(marker, "base64url").toString("utf8");
		if (!after || Buffer.from(after).toString("base64url") !== marker)
			throw new SigilError("INVALID_PARAMETER", "Invalid Marker.");
		start = items.findIndex(
			(i) => keyOf(i).toLowerCase() > after.toLowerCase(),
		);
		if (start < 0) start = items.length;
	}
	const out = items.slice(start, start + max);
	const truncated = start + max < items.length;
	const last = out[out.length - 1];
	return {
		items: out,
		IsTruncated: truncated,
		...(truncated &&
			last !== undefined && {
				Marker: Buffer.from(keyOf(last)).toString("base64url"),
			}),
	};
}

/** `PathPrefix` (default `/`): only entities whose path starts with it. */
function byPathPrefix<T extends { path: string }>(
	items: readonly T[],
	q: URLSearchParams,
): T[] {
	const prefix = q.get("PathPrefix") ?? "/";
	if (!/^\/[\x21-\x7f]{0,511}$/.test(prefix))
		throw new SigilError(
			"INVALID_PARAMETER",
			`1 validation error detected: Value '${prefix.slice(0, 64)}' at 'pathPrefix' failed to satisfy constraint: Member must satisfy regular expression pattern: \\u002F[\\u0021-\\u007F]*`,
		);
	return items.filter((i) => i.path.startsWith(prefix));
}

const allRoles = (_q: URLSearchParams, p: IamPrincipal): IamTarget => ({
	name: null,
	accountId: p.accountId,
	resource: iamArn(p.accountId, "role/*"),
});

const allPolicies = (_q: URLSearchParams, p: IamPrincipal): IamTarget => ({
	name: null,
	accountId: p.accountId,
	resource: iamArn(p.accountId, "policy/*"),
});

/** The managed policy `PolicyArn` names: authorized on that ARN, acted on in the caller's account only. */
function byPolicyArn(q: URLSearchParams, p: IamPrincipal): IamTarget {
	const policy = parsePolicyArn(required(q, "PolicyArn"));
	return {
		name: policy.policyName,
		policy,
		accountId: p.accountId,
		resource: policy.arn,
	};
}

/** A new policy, `PolicyName` under `Path`. */
function newPolicy(q: URLSearchParams, p: IamPrincipal): IamTarget {
	const name = required(q, "PolicyName");
	if (!POLICY_NAME.test(name))
		throw new SigilError(
			"INVALID_PARAMETER",
			`1 validation error detected: Value '${name.slice(0, 140)}' at 'policyName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+ and have length less than or equal to 128`,
		);
	const path = q.get("Path") ?? "/";
	if (!/^\/(?:[\x21-\x7e]*\/)?$/.test(path) || path.length > 512)
		throw new SigilError(
			"INVALID_PARAMETER",
			`1 validation error detected: Value '${path.slice(0, 64)}' at 'path' failed to satisfy constraint: Member must satisfy regular expression pattern: (\\u002F)|(\\u002F[\\u0021-\\u007E]+\\u002F)`,
		);
	return {
		name,
		accountId: p.accountId,
		resource: iamArn(p.accountId, `policy${path}${name}`),
	};
}

/** A user or role (by `UserName` / `RoleName`) and the managed policy `PolicyArn` names. */
function attachTarget(kind: AttachmentKind) {
	const owner = named(kind);
	return (q: URLSearchParams, p: IamPrincipal): IamTarget => {
		const policy = parsePolicyArn(required(q, "PolicyArn"));
		return {
			...owner(q, p),
			policy,
			context: { "iam:PolicyARN": policy.arn },
		};
	};
}

const policyOf = (t: IamTarget): PolicyRef => t.policy as PolicyRef;

function policyXml(m: ManagedPolicy, withDescription: boolean): XmlValue {
	return {
		PolicyName: m.policyName,
		PolicyId: m.policyId,
		Arn: m.arn,
		Path: m.path,
		DefaultVersionId: m.defaultVersionId,
		AttachmentCount: m.attachmentCount,
		PermissionsBoundaryUsageCount: m.permissionsBoundaryUsageCount,
		IsAttachable: true,
		...(withDescription &&
			m.description !== null && { Description: m.description }),
		CreateDate: iso(m.createdAt),
		UpdateDate: iso(m.updatedAt),
	};
}

function versionXml(v: ManagedPolicyVersion, withDocument: boolean): XmlValue {
	return {
		...(withDocument && { Document: encodeURIComponent(v.document) }),
		VersionId: v.versionId,
		IsDefaultVersion: v.isDefault,
		CreateDate: iso(v.createdAt),
	};
}

/** `Tags.member.N.Key`/`.Value` in order; a member without its key or value is refused. */
function tagsParam(q: URLSearchParams, isRequired: boolean): Tag[] {
	const byIndex = new Map<number, { key?: string; value?: string }>();
	for (const [k, v] of q) {
		const m = /^Tags\.member\.([1-9]\d{0,2})\.(Key|Value)$/.exec(k);
		if (!m) continue;
		const i = Number(m[1]);
		const entry = byIndex.get(i) ?? {};
		if (m[2] === "Key") entry.key = v;
		else entry.value = v;
		byIndex.set(i, entry);
	}
	if (isRequired && byIndex.size === 0)
		throw new SigilError(
			"INVALID_PARAMETER",
			"1 validation error detected: Value null at 'tags' failed to satisfy constraint: Member must not be null",
		);
	return [...byIndex.entries()]
		.sort(([a], [b]) => a - b)
		.map(([i, t]) => {
			if (t.key === undefined || t.value === undefined)
				throw new SigilError(
					"INVALID_PARAMETER",
					`1 validation error detected: Value null at 'tags.${i}.member.${t.key === undefined ? "key" : "value"}' failed to satisfy constraint: Member must not be null`,
				);
			return { key: t.key, value: t.value };
		});
}

/** `TagKeys.member.N`, in order. */
function tagKeysParam(q: URLSearchParams): string[] {
	const keys = [...q]
		.map(([k, v]) => [/^TagKeys\.member\.([1-9]\d{0,2})$/.exec(k), v] as const)
		.filter((e): e is [RegExpExecArray, string] => e[0] !== null)
		.sort(([a], [b]) => Number(a[1]) - Number(b[1]))
		.map(([, v]) => v);
	if (keys.length === 0)
		throw new SigilError(
			"INVALID_PARAMETER",
			"1 validation error detected: Value null at 'tagKeys' failed to satisfy constraint: Member must not be null",
		);
	return keys;
}

/**
 * The request-tag condition keys of an operation that writes tags (`aws:RequestTag/KEY`,
 * `aws:TagKeys`), so a policy can say which tags a caller may set.
 */
function tagRequestContext(tags: readonly Tag[]): RequestContext {
	return {
		...Object.fromEntries(
			tags.map((t) => [`aws:RequestTag/${t.key}`, t.value]),
		),
		"aws:TagKeys": tags.map((t) => t.key),
	};
}

/** A target with the request's tags (`Tags.member.N`) parsed and offered to the decision. */
function withTags(
	target: (q: URLSearchParams, p: IamPrincipal) => IamTarget,
	isRequired: boolean,
) {
	return (q: URLSearchParams, p: IamPrincipal): IamTarget => {
		const t = target(q, p);
		const tags = tagsParam(q, isRequired);
		if (tags.length === 0) return t;
		return {
			...t,
			tags,
			context: { ...t.context, ...tagRequestContext(tags) },
		};
	};
}

function tagsXml(tags: readonly Tag[]): Record<string, XmlValue> {
	return tags.length === 0
		? {}
		: { Tags: tags.map((t) => ({ Key: t.key, Value: t.value })) };
}

/** Tag/Untag/List…Tags for users (`UserName`) and roles (`RoleName`). */
function tagOperations(kind: PrincipalKind): Record<string, IamOperation> {
	const Kind = kind === "user" ? "User" : "Role";
	return {
		[`Tag${Kind}`]: operation({
			params: [`${Kind}Name`, "Tags.member"],
			target: withTags(named(kind), true),
			async run({ ex, ctx, target: t }) {
				await admin(ctx).tagPrincipal(
					t.accountId,
					kind,
					nameOf(t),
					t.tags ?? [],
				);
				sendQueryResult(ex, IAM_NS, `Tag${Kind}`);
			},
		}),
		[`Untag${Kind}`]: operation({
			params: [`${Kind}Name`, "TagKeys.member"],
			target: (q, p) => {
				const t = named(kind)(q, p);
				const keys = tagKeysParam(q);
				return { ...t, context: { "aws:TagKeys": keys } };
			},
			async run({ ex, ctx, target: t }, q) {
				await admin(ctx).untagPrincipal(
					t.accountId,
					kind,
					nameOf(t),
					tagKeysParam(q),
				);
				sendQueryResult(ex, IAM_NS, `Untag${Kind}`);
			},
		}),
		[`List${Kind}Tags`]: operation({
			params: [`${Kind}Name`, ...PAGING],
			target: named(kind),
			async run({ ex, ctx, target: t }, q) {
				const tags = await admin(ctx).listTags(t.accountId, kind, nameOf(t));
				const { items, ...more } = page(tags, q, (x) => x.key);
				sendQueryResult(ex, IAM_NS, `List${Kind}Tags`, {
					Tags: items.map((x) => ({ Key: x.key, Value: x.value })),
					...more,
				});
			},
		}),
	};
}

/** `NAME.member.N` values, in order. */
function listParam(q: URLSearchParams, name: string): string[] {
	const re = new RegExp(`^${name}\\.member\\.([1-9]\\d{0,2})$`);
	return [...q]
		.map(([k, v]) => [re.exec(k), v] as const)
		.filter((e): e is [RegExpExecArray, string] => e[0] !== null)
		.sort(([a], [b]) => Number(a[1]) - Number(b[1]))
		.map(([, v]) => v);
}

const CONTEXT_TYPES = new Set([
	"string",
	"stringList",
	"numeric",
	"numericList",
	"boolean",
	"booleanList",
	"ip",
	"ipList",
	"binary",
	"binaryList",
	"date",
	"dateList",
]);

/** `ContextEntries.member.N.{ContextKeyName,ContextKeyValues.member.M,ContextKeyType}` as engine context. */
function contextEntries(q: URLSearchParams): RequestContext {
	const out: Record<
		string,
		string | number | boolean | (string | number | boolean)[]
	> = {};
	const indexes = new Set<number>();
	for (const k of q.keys()) {
		const m = /^ContextEntries\.member\.([1-9]\d{0,2})\./.exec(k);
		if (m) indexes.add(Number(m[1]));
	}
	for (const i of [...indexes].sort((a, b) => a - b)) {
		const base = `ContextEntries.member.${i}`;
		const name = q.get(`${base}.ContextKeyName`);
		const type = q.get(`${base}.ContextKeyType`) ?? "string";
		if (!name || !/^[\w:/.+=@-]{5,256}$/.test(name))
			throw new SigilError(
				"INVALID_PARAMETER",
				`ContextEntries.member.${i}.ContextKeyName must name a condition key`,
			);
		if (!CONTEXT_TYPES.has(type))
			throw new SigilError(
				"INVALID_PARAMETER",
				`1 validation error detected: Value '${type.slice(0, 20)}' at 'contextEntries.${i}.member.contextKeyType' failed to satisfy constraint: Member must satisfy enum value set: [${[...CONTEXT_TYPES].join(", ")}]`,
			);
		const raw = listParam(q, `${base}.ContextKeyValues`);
		const scalar = type.replace(/List$/, "");
		const values = raw.map((v) => {
			if (scalar === "numeric") {
				const n = Number(v);
				if (!Number.isFinite(n))
					throw new SigilError(
						"INVALID_PARAMETER",
						`ContextKeyValues of ${name}: '${v.slice(0, 40)}' is not a number`,
					);
				return n;
			}
			if (scalar === "boolean") {
				if (v !== "true" && v !== "false")
					throw new SigilError(
						"INVALID_PARAMETER",
						`ContextKeyValues of ${name}: '${v.slice(0, 40)}' is not true or false`,
					);
				return v === "true";
			}
			return v;
		});
		if (values.length === 0) continue;
		out[name] = type.endsWith("List") ? values : (values[0] as string);
	}
	return out;
}

const SIMULATION_PARAMS = [
	"PolicyInputList.member",
	"PermissionsBoundaryPolicyInputList.member",
	"ActionNames.member",
	"ResourceArns.member",
	"ResourcePolicy",
	"ResourceOwner",
	"CallerArn",
	"ContextEntries.member",
	...PAGING,
];

/** What both simulate operations take from the form. */
function simulationInput(q: URLSearchParams): Omit<SimulationInput, "source"> {
	const resourcePolicy = q.get("ResourcePolicy");
	const resourceOwner = q.get("ResourceOwner");
	const callerArn = q.get("CallerArn");
	return {
		policyInputs: listParam(q, "PolicyInputList"),
		boundaryInputs: listParam(q, "PermissionsBoundaryPolicyInputList"),
		actions: listParam(q, "ActionNames"),
		resources: listParam(q, "ResourceArns"),
		...(resourcePolicy !== null && { resourcePolicy }),
		...(resourceOwner !== null && { resourceOwner }),
		...(callerArn !== null && { callerArn }),
		context: contextEntries(q),
	};
}

/** The simulator's answer, paged, in IAM's `EvaluationResults` shape. */
function sendSimulation(
	ex: Exchange,
	action: string,
	results: readonly SimulationResult[],
	q: URLSearchParams,
): void {
	const keyed = results.map((r, i) => ({ r, key: String(i).padStart(6, "0") }));
	const { items, ...more } = page(keyed, q, (x) => x.key);
	const detail = (r: SimulationResult) => ({
		MatchedStatements: r.matched.map((m) => ({
			SourcePolicyId: m.sourcePolicyId,
			SourcePolicyType: m.sourcePolicyType,
		})),
		MissingContextValues: r.missingContextValues,
		...(r.allowedByBoundary !== undefined && {
			PermissionsBoundaryDecisionDetail: {
				AllowedByPermissionsBoundary: r.allowedByBoundary,
			},
		}),
	});
	sendQueryResult(ex, IAM_NS, action, {
		EvaluationResults: items.map(({ r }) => ({
			EvalActionName: r.action,
			EvalResourceName: r.resource,
			EvalDecision: r.decision,
			...detail(r),
			ResourceSpecificResults: [
				{
					EvalResourceName: r.resource,
					EvalResourceDecision: r.decision,
					...detail(r),
				},
			],
		})),
		...more,
	});
}

const SOURCE_ARN =
	/^arn:aws:iam::(\d{12}):(user|role|group)\/(?:[\x21-\x7e]*\/)?([\w+=,.@-]{1,128})$/;

/** The principal `PolicySourceArn` names: authorized on that ARN. */
function simulationSource(q: URLSearchParams, p: IamPrincipal): IamTarget {
	const arn = required(q, "PolicySourceArn");
	const m = SOURCE_ARN.exec(arn);
	if (!m)
		throw new SigilError(
			"INVALID_PARAMETER",
			`PolicySourceArn ${arn.slice(0, 200)} is not the ARN of a user, role or group.`,
		);
	return {
		name: m[3] as string,
		accountId: p.accountId,
		resource: arn,
		source: {
			accountId: m[1] as string,
			kind: m[2] as AttachmentKind,
			name: m[3] as string,
		},
	};
}

const SIMULATE_OPERATIONS: Record<string, IamOperation> = {
	SimulatePrincipalPolicy: operation({
		params: ["PolicySourceArn", ...SIMULATION_PARAMS],
		target: simulationSource,
		async run({ ex, ctx, target: t }, q) {
			const src = t.source as NonNullable<IamTarget["source"]>;
			// Only the caller's own account's principals exist for it.
			if (src.accountId !== t.accountId)
				throw new SigilError(
					"NO_SUCH_ENTITY",
					`The ${src.kind} with name ${src.name} cannot be found.`,
				);
			const results = await admin(ctx).simulate(t.accountId, {
				...simulationInput(q),
				source: { kind: src.kind, name: src.name },
			});
			sendSimulation(ex, "SimulatePrincipalPolicy", results, q);
		},
	}),
	SimulateCustomPolicy: operation({
		params: SIMULATION_PARAMS,
		target: (_q, p) => ({ name: null, accountId: p.accountId, resource: "*" }),
		async run({ ex, ctx, target: t }, q) {
			const input = simulationInput(q);
			if (input.policyInputs.length === 0)
				throw new SigilError(
					"INVALID_PARAMETER",
					"1 validation error detected: Value null at 'policyInputList' failed to satisfy constraint: Member must not be null",
				);
			const results = await admin(ctx).simulate(t.accountId, input);
			sendSimulation(ex, "SimulateCustomPolicy", results, q);
		},
	}),
};

/** `true`/`false` as the query protocol spells booleans; anything else is a validation error. */
function bool(q: URLSearchParams, name: string): boolean {
	const v = q.get(name);
	if (v === null) return false;
	if (v === "true" || v === "false") return v === "true";
	throw new SigilError(
		"INVALID_PARAMETER",
		`1 validation error detected: Value '${v.slice(0, 20)}' at '${name[0]?.toLowerCase()}${name.slice(1)}' failed to satisfy constraint: Member must be a boolean`,
	);
}

/** Attach/Detach/ListAttached…Policies for users, roles and groups (`UserName`, …). */
function attachmentOperations(
	kind: AttachmentKind,
): Record<string, IamOperation> {
	const Kind = kind === "user" ? "User" : kind === "role" ? "Role" : "Group";
	const nameParam = `${Kind}Name`;
	return {
		[`Attach${Kind}Policy`]: operation({
			params: [nameParam, "PolicyArn"],
			target: attachTarget(kind),
			async run({ ex, ctx, target: t }) {
				await admin(ctx).attachPolicy(
					t.accountId,
					kind,
					nameOf(t),
					policyOf(t),
				);
				sendQueryResult(ex, IAM_NS, `Attach${Kind}Policy`);
			},
		}),
		[`Detach${Kind}Policy`]: operation({
			params: [nameParam, "PolicyArn"],
			target: attachTarget(kind),
			async run({ ex, ctx, target: t }) {
				await admin(ctx).detachPolicy(
					t.accountId,
					kind,
					nameOf(t),
					policyOf(t),
				);
				sendQueryResult(ex, IAM_NS, `Detach${Kind}Policy`);
			},
		}),
		[`ListAttached${Kind}Policies`]: operation({
			params: [nameParam, "PathPrefix", ...PAGING],
			target: named(kind),
			async run({ ex, ctx, target: t }, q) {
				const list = byPathPrefix(
					await admin(ctx).listAttachedPolicies(t.accountId, kind, nameOf(t)),
					q,
				);
				const { items, ...more } = page(list, q, (m) => m.policyName);
				sendQueryResult(ex, IAM_NS, `ListAttached${Kind}Policies`, {
					AttachedPolicies: items.map((m) => ({
						PolicyName: m.policyName,
						PolicyArn: m.arn,
					})),
					...more,
				});
			},
		}),
	};
}

function groupXml(g: Group): XmlValue {
	return {
		Path: g.path,
		GroupName: g.groupName,
		GroupId: g.groupId,
		Arn: g.arn,
		CreateDate: iso(g.createdAt),
	};
}

const allGroups = (_q: URLSearchParams, p: IamPrincipal): IamTarget => ({
	name: null,
	accountId: p.accountId,
	resource: iamArn(p.accountId, "group/*"),
});

/** The user `UserName` names, as an extra of a group operation (AddUserToGroup, …). */
const memberName = (q: URLSearchParams): string =>
	valid(required(q, "UserName"), "userName");

/** Groups, their members and their inline policies. */
const GROUP_OPERATIONS: Record<string, IamOperation> = {
	CreateGroup: operation({
		params: ["GroupName", "Path"],
		target: byGroup,
		async run({ ex, ctx, target: t }, q) {
			const group = await admin(ctx).createGroup(
				t.accountId,
				nameOf(t),
				q.get("Path") ?? undefined,
			);
			sendQueryResult(ex, IAM_NS, "CreateGroup", { Group: groupXml(group) });
		},
	}),
	GetGroup: operation({
		params: ["GroupName", ...PAGING],
		target: byGroup,
		async run({ ex, ctx, target: t }, q) {
			const a = admin(ctx);
			const group = await a.getGroup(t.accountId, nameOf(t));
			const users = await a.groupUsers(t.accountId, group.groupName);
			const { items, ...more } = page(users, q, (u) => u.userName);
			sendQueryResult(ex, IAM_NS, "GetGroup", {
				Group: groupXml(group),
				Users: items.map((u) => userXml(u)),
				...more,
			});
		},
	}),
	ListGroups: operation({
		params: ["PathPrefix", ...PAGING],
		target: allGroups,
		async run({ ex, ctx, target: t }, q) {
			const groups = byPathPrefix(await admin(ctx).listGroups(t.accountId), q);
			const { items, ...more } = page(groups, q, (g) => g.groupName);
			sendQueryResult(ex, IAM_NS, "ListGroups", {
				Groups: items.map(groupXml),
				...more,
			});
		},
	}),
	DeleteGroup: operation({
		params: ["GroupName"],
		target: byGroup,
		async run({ ex, ctx, target: t }) {
			await admin(ctx).deleteGroup(t.accountId, nameOf(t));
			sendQueryResult(ex, IAM_NS, "DeleteGroup");
		},
	}),
	AddUserToGroup: operation({
		params: ["GroupName", "UserName"],
		target: byGroup,
		async run({ ex, ctx, target: t }, q) {
			await admin(ctx).addUserToGroup(t.accountId, nameOf(t), memberName(q));
			sendQueryResult(ex, IAM_NS, "AddUserToGroup");
		},
	}),
	RemoveUserFromGroup: operation({
		params: ["GroupName", "UserName"],
		target: byGroup,
		async run({ ex, ctx, target: t }, q) {
			await admin(ctx).removeUserFromGroup(
				t.accountId,
				nameOf(t),
				memberName(q),
			);
			sendQueryResult(ex, IAM_NS, "RemoveUserFromGroup");
		},
	}),
	ListGroupsForUser: operation({
		params: ["UserName", ...PAGING],
		target: namedUser,
		async run({ ex, ctx, target: t }, q) {
			const groups = await admin(ctx).groupsForUser(t.accountId, nameOf(t));
			const { items, ...more } = page(groups, q, (g) => g.groupName);
			sendQueryResult(ex, IAM_NS, "ListGroupsForUser", {
				Groups: items.map(groupXml),
				...more,
			});
		},
	}),
	PutGroupPolicy: operation({
		params: ["GroupName", "PolicyName", "PolicyDocument"],
		target: byGroup,
		async run({ ex, ctx, target: t }, q) {
			await admin(ctx).putGroupPolicy(
				t.accountId,
				nameOf(t),
				required(q, "PolicyName"),
				required(q, "PolicyDocument"),
			);
			sendQueryResult(ex, IAM_NS, "PutGroupPolicy");
		},
	}),
	GetGroupPolicy: operation({
		params: ["GroupName", "PolicyName"],
		target: byGroup,
		async run({ ex, ctx, target: t }, q) {
			const policy = await admin(ctx).getGroupPolicy(
				t.accountId,
				nameOf(t),
				required(q, "PolicyName"),
			);
			sendQueryResult(ex, IAM_NS, "GetGroupPolicy", {
				GroupName: nameOf(t),
				PolicyName: policy.policyName,
				PolicyDocument: encodeURIComponent(policy.document),
			});
		},
	}),
	ListGroupPolicies: operation({
		params: ["GroupName", ...PAGING],
		target: byGroup,
		async run({ ex, ctx, target: t }, q) {
			const list = await admin(ctx).listGroupPolicies(t.accountId, nameOf(t));
			const { items, ...more } = page(list, q, (x) => x.policyName);
			sendQueryResult(ex, IAM_NS, "ListGroupPolicies", {
				PolicyNames: items.map((x) => x.policyName),
				...more,
			});
		},
	}),
	DeleteGroupPolicy: operation({
		params: ["GroupName", "PolicyName"],
		target: byGroup,
		async run({ ex, ctx, target: t }, q) {
			await admin(ctx).deleteGroupPolicy(
				t.accountId,
				nameOf(t),
				required(q, "PolicyName"),
			);
			sendQueryResult(ex, IAM_NS, "DeleteGroupPolicy");
		},
	}),
};

/** CreatePolicy … DeletePolicy: customer managed policies and their versions. */
const MANAGED_POLICY_OPERATIONS: Record<string, IamOperation> = {
	CreatePolicy: operation({
		params: ["PolicyName", "PolicyDocument", "Path", "Description"],
		target: newPolicy,
		async run({ ex, ctx, target: t }, q) {
			const path = q.get("Path");
			const description = q.get("Description");
			const policy = await admin(ctx).createManagedPolicy({
				accountId: t.accountId,
				policyName: nameOf(t),
				document: required(q, "PolicyDocument"),
				...(path !== null && { path }),
				...(description !== null && { description }),
			});
			sendQueryResult(ex, IAM_NS, "CreatePolicy", {
				Policy: policyXml(policy, true),
			});
		},
	}),
	GetPolicy: operation({
		params: ["PolicyArn"],
		target: byPolicyArn,
		async run({ ex, ctx, target: t }) {
			const policy = await admin(ctx).getManagedPolicy(
				t.accountId,
				policyOf(t),
			);
			sendQueryResult(ex, IAM_NS, "GetPolicy", {
				Policy: policyXml(policy, true),
			});
		},
	}),
	ListPolicies: operation({
		params: [
			"Scope",
			"OnlyAttached",
			"PathPrefix",
			"PolicyUsageFilter",
			...PAGING,
		],
		target: allPolicies,
		async run({ ex, ctx, target: t }, q) {
			const scope = q.get("Scope") ?? "All";
			if (!["All", "AWS", "Local"].includes(scope))
				throw new SigilError(
					"INVALID_PARAMETER",
					`1 validation error detected: Value '${scope.slice(0, 20)}' at 'scope' failed to satisfy constraint: Member must satisfy enum value set: [All, AWS, Local]`,
				);
			const usage = q.get("PolicyUsageFilter");
			if (
				usage !== null &&
				!["PermissionsPolicy", "PermissionsBoundary"].includes(usage)
			)
				throw new SigilError(
					"INVALID_PARAMETER",
					`1 validation error detected: Value '${usage.slice(0, 30)}' at 'policyUsageFilter' failed to satisfy constraint: Member must satisfy enum value set: [PermissionsPolicy, PermissionsBoundary]`,
				);
			const onlyAttached = bool(q, "OnlyAttached");
			// This gateway has no AWS managed policies: every policy is the account's own (Local).
			const all =
				scope === "AWS"
					? []
					: await admin(ctx).listManagedPolicies(t.accountId);
			const used = (m: ManagedPolicy) =>
				usage === "PermissionsBoundary"
					? m.permissionsBoundaryUsageCount > 0
					: m.attachmentCount > 0;
			const list = byPathPrefix(
				all.filter(
					(m) =>
						(!onlyAttached || used(m)) &&
						(usage !== "PermissionsBoundary" ||
							m.permissionsBoundaryUsageCount > 0),
				),
				q,
			);
			const { items, ...more } = page(list, q, (m) => m.policyName);
			sendQueryResult(ex, IAM_NS, "ListPolicies", {
				Policies: items.map((m) => policyXml(m, false)),
				...more,
			});
		},
	}),
	DeletePolicy: operation({
		params: ["PolicyArn"],
		target: byPolicyArn,
		async run({ ex, ctx, target: t }) {
			await admin(ctx).deleteManagedPolicy(t.accountId, policyOf(t));
			sendQueryResult(ex, IAM_NS, "DeletePolicy");
		},
	}),
	CreatePolicyVersion: operation({
		params: ["PolicyArn", "PolicyDocument", "SetAsDefault"],
		target: byPolicyArn,
		async run({ ex, ctx, target: t }, q) {
			const version = await admin(ctx).createPolicyVersion(
				t.accountId,
				policyOf(t),
				required(q, "PolicyDocument"),
				bool(q, "SetAsDefault"),
			);
			sendQueryResult(ex, IAM_NS, "CreatePolicyVersion", {
				PolicyVersion: versionXml(version, false),
			});
		},
	}),
	GetPolicyVersion: operation({
		params: ["PolicyArn", "VersionId"],
		target: byPolicyArn,
		async run({ ex, ctx, target: t }, q) {
			const version = await admin(ctx).getPolicyVersion(
				t.accountId,
				policyOf(t),
				required(q, "VersionId"),
			);
			sendQueryResult(ex, IAM_NS, "GetPolicyVersion", {
				PolicyVersion: versionXml(version, true),
			});
		},
	}),
	ListPolicyVersions: operation({
		params: ["PolicyArn", ...PAGING],
		target: byPolicyArn,
		async run({ ex, ctx, target: t }, q) {
			const versions = await admin(ctx).listPolicyVersions(
				t.accountId,
				policyOf(t),
			);
			// Newest first; the marker is the version id, compared by number.
			const keyed = versions.map((v) => ({
				v,
				key: String(1e9 - Number(v.versionId.slice(1))).padStart(10, "0"),
			}));
			const { items, ...more } = page(keyed, q, (x) => x.key);
			sendQueryResult(ex, IAM_NS, "ListPolicyVersions", {
				Versions: items.map((x) => versionXml(x.v, false)),
				...more,
			});
		},
	}),
	SetDefaultPolicyVersion: operation({
		params: ["PolicyArn", "VersionId"],
		target: byPolicyArn,
		async run({ ex, ctx, target: t }, q) {
			await admin(ctx).setDefaultPolicyVersion(
				t.accountId,
				policyOf(t),
				required(q, "VersionId"),
			);
			sendQueryResult(ex, IAM_NS, "SetDefaultPolicyVersion");
		},
	}),
	DeletePolicyVersion: operation({
		params: ["PolicyArn", "VersionId"],
		target: byPolicyArn,
		async run({ ex, ctx, target: t }, q) {
			await admin(ctx).deletePolicyVersion(
				t.accountId,
				policyOf(t),
				required(q, "VersionId"),
			);
			sendQueryResult(ex, IAM_NS, "DeletePolicyVersion");
		},
	}),
};

const admin = (ctx: GatewayContext) => new IamAdmin(ctx);

/**
 * Put/Get/List/Delete of inline policies: the same four operations for users (`…UserPolicy`,
 * keyed by `UserName`) and roles (`…RolePolicy`, keyed by `RoleName`).
 */
function inlinePolicyOperations(
	kind: "user" | "role",
): Record<string, IamOperation> {
	const Kind = kind === "user" ? "User" : "Role";
	const nameParam = `${Kind}Name`;
	const target = kind === "user" ? namedUser : byRole;
	const policyName = (q: URLSearchParams) => required(q, "PolicyName");
	return {
		[`Put${Kind}Policy`]: operation({
			params: [nameParam, "PolicyName", "PolicyDocument"],
			target,
			async run({ ex, ctx, target: t }, q) {
				await admin(ctx).putPolicy(
					t.accountId,
					kind,
					nameOf(t),
					policyName(q),
					required(q, "PolicyDocument"),
				);
				sendQueryResult(ex, IAM_NS, `Put${Kind}Policy`);
			},
		}),
		[`Get${Kind}Policy`]: operation({
			params: [nameParam, "PolicyName"],
			target,
			async run({ ex, ctx, target: t }, q) {
				const policy = await admin(ctx).getPolicy(
					t.accountId,
					kind,
					nameOf(t),
					policyName(q),
				);
				sendQueryResult(ex, IAM_NS, `Get${Kind}Policy`, {
					[nameParam]: nameOf(t),
					PolicyName: policy.policyName,
					PolicyDocument: encodeURIComponent(policy.document),
				});
			},
		}),
		[`Delete${Kind}Policy`]: operation({
			params: [nameParam, "PolicyName"],
			target,
			async run({ ex, ctx, target: t }, q) {
				await admin(ctx).deletePolicy(
					t.accountId,
					kind,
					nameOf(t),
					policyName(q),
				);
				sendQueryResult(ex, IAM_NS, `Delete${Kind}Policy`);
			},
		}),
		[`List${Kind}Policies`]: operation({
			params: [nameParam, ...PAGING],
			target,
			async run({ ex, ctx, target: t }, q) {
				const list = await admin(ctx).listPolicies(
					t.accountId,
					kind,
					nameOf(t),
				);
				const { items, ...more } = page(list, q, (x) => x.policyName);
				sendQueryResult(ex, IAM_NS, `List${Kind}Policies`, {
					PolicyNames: items.map((x) => x.policyName),
					...more,
				});
			},
		}),
	};
}

/** Every IAM operation Sigil serves, by query `Action`. */
export const IAM_OPERATIONS: Readonly<Record<string, IamOperation>> = {
	CreateUser: operation({
		params: ["UserName", "Path", "PermissionsBoundary", "Tags.member"],
		target: withTags(withBoundary(namedUser, false), false),
		async run({ ex, ctx, target: t }, q) {
			const path = q.get("Path") ?? undefined;
			const user = await admin(ctx).createUser(t.accountId, nameOf(t), path, {
				...(t.policy && { boundary: t.policy }),
				...(t.tags && { tags: t.tags }),
			});
			sendQueryResult(ex, IAM_NS, "CreateUser", {
				User: userXml(user, t.policy?.arn, t.tags),
			});
		},
	}),
	GetUser: operation({
		params: ["UserName"],
		target: byUser,
		async run({ ex, ctx, target: t }) {
			if (t.name === null) {
				// The root identity, as IAM describes it to itself.
				sendQueryResult(ex, IAM_NS, "GetUser", {
					User: {
						UserId: t.accountId,
						Arn: t.resource,
						CreateDate: iso(0),
					},
				});
				return;
			}
			const a = admin(ctx);
			const user = await a.getUser(t.accountId, t.name);
			const boundary = await a.permissionsBoundaryOf(
				t.accountId,
				"user",
				user.userName,
			);
			const tags = await a.listTags(t.accountId, "user", user.userName);
			sendQueryResult(ex, IAM_NS, "GetUser", {
				User: userXml(user, boundary, tags),
			});
		},
	}),
	ListUsers: operation({
		params: ["PathPrefix", ...PAGING],
		target: allUsers,
		async run({ ex, ctx, target: t }, q) {
			const users = byPathPrefix(await admin(ctx).listUsers(t.accountId), q);
			const { items, ...more } = page(users, q, (u) => u.userName);
			sendQueryResult(ex, IAM_NS, "ListUsers", {
				Users: items.map((u) => userXml(u)),
				...more,
			});
		},
	}),
	DeleteUser: operation({
		params: ["UserName"],
		target: namedUser,
		async run({ ex, ctx, target: t }) {
			await admin(ctx).deleteUser(t.accountId, nameOf(t));
			sendQueryResult(ex, IAM_NS, "DeleteUser");
		},
	}),
	CreateAccessKey: operation({
		params: ["UserName"],
		target: byUser,
		async run({ ex, ctx, target: t }) {
			const key = await admin(ctx).createAccessKey(t.accountId, t.name);
			sendQueryResult(ex, IAM_NS, "CreateAccessKey", {
				AccessKey: {
					...(t.name !== null && { UserName: t.name }),
					AccessKeyId: key.accessKeyId,
					Status: key.status,
					SecretAccessKey: key.secretAccessKey,
					CreateDate: iso(key.createdAt),
				},
			});
		},
	}),
	ListAccessKeys: operation({
		params: ["UserName"],
		target: byUser,
		async run({ ex, ctx, target: t }) {
			const keys = await admin(ctx).listAccessKeys(t.accountId, t.name);
			sendQueryResult(ex, IAM_NS, "ListAccessKeys", {
				...(t.name !== null && { UserName: t.name }),
				AccessKeyMetadata: keys.map((k) => keyXml(k, t.name)),
				IsTruncated: false,
			});
		},
	}),
	UpdateAccessKey: operation({
		params: ["UserName", "AccessKeyId", "Status"],
		target: byUser,
		async run({ ex, ctx, principal, target: t }, q) {
			await admin(ctx).updateAccessKey(
				t.accountId,
				t.name,
				required(q, "AccessKeyId"),
				status(q),
				principal.accessKeyId,
			);
			sendQueryResult(ex, IAM_NS, "UpdateAccessKey");
		},
	}),
	DeleteAccessKey: operation({
		params: ["UserName", "AccessKeyId"],
		target: byUser,
		async run({ ex, ctx, principal, target: t }, q) {
			await admin(ctx).deleteAccessKey(
				t.accountId,
				t.name,
				required(q, "AccessKeyId"),
				principal.accessKeyId,
			);
			sendQueryResult(ex, IAM_NS, "DeleteAccessKey");
		},
	}),
	CreateRole: operation({
		params: [
			"RoleName",
			"AssumeRolePolicyDocument",
			"Path",
			"MaxSessionDuration",
			"PermissionsBoundary",
			"Tags.member",
		],
		target: withTags(withBoundary(byRole, false), false),
		async run({ ex, ctx, target: t }, q) {
			const max = q.get("MaxSessionDuration");
			const path = q.get("Path");
			const role = await admin(ctx).createRole(
				{
					accountId: t.accountId,
					roleName: nameOf(t),
					trustPolicy: required(q, "AssumeRolePolicyDocument"),
					...(path !== null && { path }),
					...(max !== null && { maxSessionDuration: Number(max) }),
				},
				{
					...(t.policy && { boundary: t.policy }),
					...(t.tags && { tags: t.tags }),
				},
			);
			sendQueryResult(ex, IAM_NS, "CreateRole", {
				Role: roleXml(role, t.policy?.arn, t.tags),
			});
		},
	}),
	GetRole: operation({
		params: ["RoleName"],
		target: byRole,
		async run({ ex, ctx, target: t }) {
			const a = admin(ctx);
			const role = await a.getRole(t.accountId, nameOf(t));
			const boundary = await a.permissionsBoundaryOf(
				t.accountId,
				"role",
				role.roleName,
			);
			const tags = await a.listTags(t.accountId, "role", role.roleName);
			sendQueryResult(ex, IAM_NS, "GetRole", {
				Role: roleXml(role, boundary, tags),
			});
		},
	}),
	ListRoles: operation({
		params: ["PathPrefix", ...PAGING],
		target: allRoles,
		async run({ ex, ctx, target: t }, q) {
			const roles = byPathPrefix(await admin(ctx).listRoles(t.accountId), q);
			const { items, ...more } = page(roles, q, (r) => r.roleName);
			sendQueryResult(ex, IAM_NS, "ListRoles", {
				Roles: items.map((r) => roleXml(r)),
				...more,
			});
		},
	}),
	DeleteRole: operation({
		params: ["RoleName"],
		target: byRole,
		async run({ ex, ctx, target: t }) {
			await admin(ctx).deleteRole(t.accountId, nameOf(t));
			sendQueryResult(ex, IAM_NS, "DeleteRole");
		},
	}),
	UpdateAssumeRolePolicy: operation({
		params: ["RoleName", "PolicyDocument"],
		target: byRole,
		async run({ ex, ctx, target: t }, q) {
			await admin(ctx).updateTrustPolicy(
				t.accountId,
				nameOf(t),
				required(q, "PolicyDocument"),
			);
			sendQueryResult(ex, IAM_NS, "UpdateAssumeRolePolicy");
		},
	}),
	...inlinePolicyOperations("user"),
	...inlinePolicyOperations("role"),
	...MANAGED_POLICY_OPERATIONS,
	...attachmentOperations("user"),
	...attachmentOperations("role"),
	...GROUP_OPERATIONS,
	...attachmentOperations("group"),
	...boundaryOperations("user"),
	...boundaryOperations("role"),
	...tagOperations("user"),
	...tagOperations("role"),
	...SIMULATE_OPERATIONS,
};
