/**
 * IAM over the query protocol (IAM API Reference, version 2010-05-08), as `aws iam …` calls it:
 * users, access keys, inline user and role policies, roles. Every operation acts in the
 * caller's own account. Each declares the parameters it takes (any other — a permissions
 * boundary, tags — is refused, never stored and ignored) and resolves its target from the form
 * once; query-api.ts authorizes `iam:ACTION` on that target and runs the operation on the same
 * object. The rules themselves (ownership, quotas, conflicts) are iam/admin.ts's.
 */
import { SigilError } from "../errors.ts";
import { IamAdmin } from "../iam/admin.ts";
import { type IamPrincipal, isRoot } from "../iam/principal.ts";
import type { AccessKey, Role, User } from "../store/types.ts";
import type { GatewayContext } from "./context.ts";
import type { Exchange } from "./exchange.ts";
import { IAM_NS, sendQueryResult, type XmlValue } from "./query-protocol.ts";
import type { Call } from "./route.ts";
import { IAM_NAME, iamArn, type Target } from "./targets.ts";

/** The IAM entity an operation acts on, named once from the form. */
export interface IamTarget extends Target {
	/** The user (`null`: the account's root identity) or role the operation names or implies. */
	readonly name: string | null;
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

/** An operation that refuses parameters it does not take, and runs on the target it was authorized for. */
function operation(def: OperationDef): IamOperation {
	const accepted = new Set(["Action", "Version", ...def.params]);
	return {
		bind(params, p) {
			for (const key of params.keys())
				if (!accepted.has(key))
					throw new SigilError(
						"INVALID_PARAMETER",
						`${unsupportedName(key)} is not supported by this gateway's IAM; the operation takes ${def.params.join(", ") || "no parameters"}`,
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
function named(kind: "user" | "role") {
	const param = kind === "user" ? "UserName" : "RoleName";
	return (params: URLSearchParams, p: IamPrincipal): IamTarget => {
		const name = valid(required(params, param), `${kind}Name`);
		return {
			name,
			accountId: p.accountId,
			resource: iamArn(p.accountId, `${kind}/${name}`),
		};
	};
}
const namedUser = named("user");
const byRole = named("role");

const allUsers = (_q: URLSearchParams, p: IamPrincipal): IamTarget => ({
	name: null,
	accountId: p.accountId,
	resource: iamArn(p.accountId, "user/*"),
});

/** The target's user name, for operations whose target is always a named user or role. */
const nameOf = (t: IamTarget): string => t.name as string;

function userXml(u: User): XmlValue {
	return {
		Path: u.path,
		UserName: u.userName,
		UserId: u.userId,
		Arn: u.arn,
		CreateDate: iso(u.createdAt),
	};
}

function roleXml(r: Role): XmlValue {
	return {
		Path: r.path,
		RoleName: r.roleName,
		RoleId: r.roleId,
		Arn: r.arn,
		CreateDate: iso(r.createdAt),
		// IAM returns policy documents URL-encoded; the CLI decodes them.
		AssumeRolePolicyDocument: encodeURIComponent(r.trustPolicy),
		MaxSessionDuration: r.maxSessionDuration,
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
		params: ["UserName", "Path"],
		target: namedUser,
		async run({ ex, ctx, target: t }, q) {
			const path = q.get("Path") ?? undefined;
			const user = await admin(ctx).createUser(t.accountId, nameOf(t), path);
			sendQueryResult(ex, IAM_NS, "CreateUser", { User: userXml(user) });
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
			const user = await admin(ctx).getUser(t.accountId, t.name);
			sendQueryResult(ex, IAM_NS, "GetUser", { User: userXml(user) });
		},
	}),
	ListUsers: operation({
		params: ["PathPrefix", ...PAGING],
		target: allUsers,
		async run({ ex, ctx, target: t }, q) {
			const users = byPathPrefix(await admin(ctx).listUsers(t.accountId), q);
			const { items, ...more } = page(users, q, (u) => u.userName);
			sendQueryResult(ex, IAM_NS, "ListUsers", {
				Users: items.map(userXml),
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
		],
		target: byRole,
		async run({ ex, ctx, target: t }, q) {
			const max = q.get("MaxSessionDuration");
			const path = q.get("Path");
			const role = await admin(ctx).createRole({
				accountId: t.accountId,
				roleName: nameOf(t),
				trustPolicy: required(q, "AssumeRolePolicyDocument"),
				...(path !== null && { path }),
				...(max !== null && { maxSessionDuration: Number(max) }),
			});
			sendQueryResult(ex, IAM_NS, "CreateRole", { Role: roleXml(role) });
		},
	}),
	GetRole: operation({
		params: ["RoleName"],
		target: byRole,
		async run({ ex, ctx, target: t }) {
			const role = await admin(ctx).getRole(t.accountId, nameOf(t));
			sendQueryResult(ex, IAM_NS, "GetRole", { Role: roleXml(role) });
		},
	}),
	ListRoles: operation({
		params: ["PathPrefix", ...PAGING],
		target: allRoles,
		async run({ ex, ctx, target: t }, q) {
			const roles = byPathPrefix(await admin(ctx).listRoles(t.accountId), q);
			const { items, ...more } = page(roles, q, (r) => r.roleName);
			sendQueryResult(ex, IAM_NS, "ListRoles", {
				Roles: items.map(roleXml),
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
};
