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

/** How an operation names its target from the form. */
type TargetOf = (params: URLSearchParams, p: IamPrincipal) => IamTarget;

interface OperationDef {
	/** Form parameters the operation takes, besides Action and Version. */
	readonly params: readonly string[];
	readonly target: TargetOf;
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

const admin = (ctx: GatewayContext) => new IamAdmin(ctx);

/**
 * An operation that only acts: `act` makes its admin call, and the answer is the empty
 * `<ACTIONResponse>`.
 */
function command(
	action: string,
	params: readonly string[],
	target: TargetOf,
	act: (
		a: IamAdmin,
		t: IamTarget,
		q: URLSearchParams,
		principal: IamPrincipal,
	) => Promise<void>,
): IamOperation {
	return operation({
		params,
		target,
		async run({ ex, ctx, principal, target: t }, q) {
			await act(admin(ctx), t, q, principal);
			sendQueryResult(ex, IAM_NS, action);
		},
	});
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
function withBoundary(target: TargetOf, isRequired: boolean) {
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
		[`Put${Kind}PermissionsBoundary`]: command(
			`Put${Kind}PermissionsBoundary`,
			[`${Kind}Name`, "PermissionsBoundary"],
			withBoundary(named(kind), true),
			(a, t) =>
				a.putPermissionsBoundary(t.accountId, kind, nameOf(t), policyOf(t)),
		),
		[`Delete${Kind}PermissionsBoundary`]: command(
			`Delete${Kind}PermissionsBoundary`,
			[`${Kind}Name`],
			named(kind),
			(a, t) => a.deletePermissionsBoundary(t.accountId, kind, nameOf(t)),
		),
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

/** One page of `items` as a listing answers it: `MEMBER` (each item's `xml`), `IsTruncated`, `Marker`. */
function pageXml<T>(
	items: readonly T[],
	q: URLSearchParams,
	keyOf: (item: T) => string,
	member: string,
	xml: (item: T) => XmlValue,
): Record<string, XmlValue> {
	const { items: shown, ...more } = page(items, q, keyOf);
	return { [member]: shown.map((x) => xml(x)), ...more };
}

/**
 * A paged listing (it takes `params` and then IAM's paging): `list` fetches and filters what it
 * lists, and the answer is one page of that, by `keyOf` (see {@link pageXml}).
 */
function listing<T>(
	action: string,
	def: {
		readonly params: readonly string[];
		readonly target: TargetOf;
		readonly list: (
			a: IamAdmin,
			t: IamTarget,
			q: URLSearchParams,
		) => Promise<readonly T[]>;
		readonly keyOf: (item: T) => string;
		readonly member: string;
		readonly xml: (item: T) => XmlValue;
	},
): IamOperation {
	return operation({
		params: [...def.params, ...PAGING],
		target: def.target,
		async run({ ex, ctx, target: t }, q) {
			const items = await def.list(admin(ctx), t, q);
			sendQueryResult(
				ex,
				IAM_NS,
				action,
				pageXml(items, q, def.keyOf, def.member, def.xml),
			);
		},
	});
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
function withTags(target: TargetOf, isRequired: boolean) {
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
		[`Tag${Kind}`]: command(
			`Tag${Kind}`,
			[`${Kind}Name`, "Tags.member"],
			withTags(named(kind), true),
			(a, t) => a.tagPrincipal(t.accountId, kind, nameOf(t), t.tags ?? []),
		),
		[`Untag${Kind}`]: command(
			`Untag${Kind}`,
			[`${Kind}Name`, "TagKeys.member"],
			(q, p) => {
				const t = named(kind)(q, p);
				const keys = tagKeysParam(q);
				return { ...t, context: { "aws:TagKeys": keys } };
			},
			(a, t, q) =>
				a.untagPrincipal(t.accountId, kind, nameOf(t), tagKeysParam(q)),
		),
		[`List${Kind}Tags`]: listing(`List${Kind}Tags`, {
			params: [`${Kind}Name`],
			target: named(kind),
			list: (a, t) => a.listTags(t.accountId, kind, nameOf(t)),
			keyOf: (x) => x.key,
			member: "Tags",
			xml: (x) => ({ Key: x.key, Value: x.value }),
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
	sendQueryResult(
		ex,
		IAM_NS,
		action,
		pageXml(
			keyed,
			q,
			(x) => x.key,
			"EvaluationResults",
			({ r }) => ({
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
			}),
		),
	);
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
		[`Attach${Kind}Policy`]: command(
			`Attach${Kind}Policy`,
			[nameParam, "PolicyArn"],
			attachTarget(kind),
			(a, t) => a.attachPolicy(t.accountId, kind, nameOf(t), policyOf(t)),
		),
		[`Detach${Kind}Policy`]: command(
			`Detach${Kind}Policy`,
			[nameParam, "PolicyArn"],
			attachTarget(kind),
			(a, t) => a.detachPolicy(t.accountId, kind, nameOf(t), policyOf(t)),
		),
		[`ListAttached${Kind}Policies`]: listing(`ListAttached${Kind}Policies`, {
			params: [nameParam, "PathPrefix"],
			target: named(kind),
			list: async (a, t, q) =>
				byPathPrefix(
					await a.listAttachedPolicies(t.accountId, kind, nameOf(t)),
					q,
				),
			keyOf: (m) => m.policyName,
			member: "AttachedPolicies",
			xml: (m) => ({ PolicyName: m.policyName, PolicyArn: m.arn }),
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
			sendQueryResult(ex, IAM_NS, "GetGroup", {
				Group: groupXml(group),
				...pageXml(users, q, (u) => u.userName, "Users", userXml),
			});
		},
	}),
	ListGroups: listing("ListGroups", {
		params: ["PathPrefix"],
		target: allGroups,
		list: async (a, t, q) => byPathPrefix(await a.listGroups(t.accountId), q),
		keyOf: (g) => g.groupName,
		member: "Groups",
		xml: groupXml,
	}),
	DeleteGroup: command("DeleteGroup", ["GroupName"], byGroup, (a, t) =>
		a.deleteGroup(t.accountId, nameOf(t)),
	),
	AddUserToGroup: command(
		"AddUserToGroup",
		["GroupName", "UserName"],
		byGroup,
		(a, t, q) => a.addUserToGroup(t.accountId, nameOf(t), memberName(q)),
	),
	RemoveUserFromGroup: command(
		"RemoveUserFromGroup",
		["GroupName", "UserName"],
		byGroup,
		(a, t, q) => a.removeUserFromGroup(t.accountId, nameOf(t), memberName(q)),
	),
	ListGroupsForUser: listing("ListGroupsForUser", {
		params: ["UserName"],
		target: namedUser,
		list: (a, t) => a.groupsForUser(t.accountId, nameOf(t)),
		keyOf: (g) => g.groupName,
		member: "Groups",
		xml: groupXml,
	}),
	PutGroupPolicy: command(
		"PutGroupPolicy",
		["GroupName", "PolicyName", "PolicyDocument"],
		byGroup,
		(a, t, q) =>
			a.putGroupPolicy(
				t.accountId,
				nameOf(t),
				required(q, "PolicyName"),
				required(q, "PolicyDocument"),
			),
	),
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
	ListGroupPolicies: listing("ListGroupPolicies", {
		params: ["GroupName"],
		target: byGroup,
		list: (a, t) => a.listGroupPolicies(t.accountId, nameOf(t)),
		keyOf: (x) => x.policyName,
		member: "PolicyNames",
		xml: (x) => x.policyName,
	}),
	DeleteGroupPolicy: command(
		"DeleteGroupPolicy",
		["GroupName", "PolicyName"],
		byGroup,
		(a, t, q) =>
			a.deleteGroupPolicy(t.accountId, nameOf(t), required(q, "PolicyName")),
	),
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
	ListPolicies: listing("ListPolicies", {
		params: ["Scope", "OnlyAttached", "PathPrefix", "PolicyUsageFilter"],
		target: allPolicies,
		async list(a, t, q) {
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
				scope === "AWS" ? [] : await a.listManagedPolicies(t.accountId);
			const used = (m: ManagedPolicy) =>
				usage === "PermissionsBoundary"
					? m.permissionsBoundaryUsageCount > 0
					: m.attachmentCount > 0;
			return byPathPrefix(
				all.filter(
					(m) =>
						(!onlyAttached || used(m)) &&
						(usage !== "PermissionsBoundary" ||
							m.permissionsBoundaryUsageCount > 0),
				),
				q,
			);
		},
		keyOf: (m) => m.policyName,
		member: "Policies",
		xml: (m) => policyXml(m, false),
	}),
	DeletePolicy: command("DeletePolicy", ["PolicyArn"], byPolicyArn, (a, t) =>
		a.deleteManagedPolicy(t.accountId, policyOf(t)),
	),
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
	ListPolicyVersions: listing("ListPolicyVersions", {
		params: ["PolicyArn"],
		target: byPolicyArn,
		async list(a, t) {
			const versions = await a.listPolicyVersions(t.accountId, policyOf(t));
			// Newest first; the marker is the version id, compared by number.
			return versions.map((v) => ({
				v,
				key: String(1e9 - Number(v.versionId.slice(1))).padStart(10, "0"),
			}));
		},
		keyOf: (x) => x.key,
		member: "Versions",
		xml: (x) => versionXml(x.v, false),
	}),
	SetDefaultPolicyVersion: command(
		"SetDefaultPolicyVersion",
		["PolicyArn", "VersionId"],
		byPolicyArn,
		(a, t, q) =>
			a.setDefaultPolicyVersion(
				t.accountId,
				policyOf(t),
				required(q, "VersionId"),
			),
	),
	DeletePolicyVersion: command(
		"DeletePolicyVersion",
		["PolicyArn", "VersionId"],
		byPolicyArn,
		(a, t, q) =>
			a.deletePolicyVersion(t.accountId, policyOf(t), required(q, "VersionId")),
	),
};

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
		[`Put${Kind}Policy`]: command(
			`Put${Kind}Policy`,
			[nameParam, "PolicyName", "PolicyDocument"],
			target,
			(a, t, q) =>
				a.putPolicy(
					t.accountId,
					kind,
					nameOf(t),
					policyName(q),
					required(q, "PolicyDocument"),
				),
		),
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
		[`Delete${Kind}Policy`]: command(
			`Delete${Kind}Policy`,
			[nameParam, "PolicyName"],
			target,
			(a, t, q) => a.deletePolicy(t.accountId, kind, nameOf(t), policyName(q)),
		),
		[`List${Kind}Policies`]: listing(`List${Kind}Policies`, {
			params: [nameParam],
			target,
			list: (a, t) => a.listPolicies(t.accountId, kind, nameOf(t)),
			keyOf: (x) => x.policyName,
			member: "PolicyNames",
			xml: (x) => x.policyName,
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
	ListUsers: listing("ListUsers", {
		params: ["PathPrefix"],
		target: allUsers,
		list: async (a, t, q) => byPathPrefix(await a.listUsers(t.accountId), q),
		keyOf: (u) => u.userName,
		member: "Users",
		xml: userXml,
	}),
	DeleteUser: command("DeleteUser", ["UserName"], namedUser, (a, t) =>
		a.deleteUser(t.accountId, nameOf(t)),
	),
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
	UpdateAccessKey: command(
		"UpdateAccessKey",
		["UserName", "AccessKeyId", "Status"],
		byUser,
		(a, t, q, principal) =>
			a.updateAccessKey(
				t.accountId,
				t.name,
				required(q, "AccessKeyId"),
				status(q),
				principal.accessKeyId,
			),
	),
	DeleteAccessKey: command(
		"DeleteAccessKey",
		["UserName", "AccessKeyId"],
		byUser,
		(a, t, q, principal) =>
			a.deleteAccessKey(
				t.accountId,
				t.name,
				required(q, "AccessKeyId"),
				principal.accessKeyId,
			),
	),
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
	ListRoles: listing("ListRoles", {
		params: ["PathPrefix"],
		target: allRoles,
		list: async (a, t, q) => byPathPrefix(await a.listRoles(t.accountId), q),
		keyOf: (r) => r.roleName,
		member: "Roles",
		xml: roleXml,
	}),
	DeleteRole: command("DeleteRole", ["RoleName"], byRole, (a, t) =>
		a.deleteRole(t.accountId, nameOf(t)),
	),
	UpdateAssumeRolePolicy: command(
		"UpdateAssumeRolePolicy",
		["RoleName", "PolicyDocument"],
		byRole,
		(a, t, q) =>
			a.updateTrustPolicy(
				t.accountId,
				nameOf(t),
				required(q, "PolicyDocument"),
			),
	),
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
