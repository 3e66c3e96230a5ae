/**
 * IAM over the query protocol (IAM API Reference, version 2010-05-08), as `aws iam …` calls it:
 * users, access keys, inline user and role policies, roles. Every operation acts in the
 * caller's own account and is authorized first (`iam:ACTION` on the user or role ARN); the
 * root identity may do everything in its account. Answers in IAM's XML shapes.
 */
import { SigilError } from "../errors.ts";
import { IamAdmin } from "../iam/admin.ts";
import { type IamPrincipal, isRoot } from "../iam/principal.ts";
import type { AccessKey, Role, User } from "../store/types.ts";
import type { GatewayContext } from "./context.ts";
import type { Exchange } from "./exchange.ts";
import { IAM_NS, sendQueryResult, type XmlValue } from "./query-protocol.ts";

export interface IamOperation {
	/** The resource the operation acts on, for authorization. */
	resource(params: URLSearchParams, p: IamPrincipal): string;
	run(
		ex: Exchange,
		params: URLSearchParams,
		ctx: GatewayContext,
		p: IamPrincipal,
	): Promise<void>;
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

/** `UserName` when given; else the caller itself (a user's own name, or the root identity). */
function targetUser(params: URLSearchParams, p: IamPrincipal): string | null {
	return params.get("UserName") ?? (isRoot(p) ? null : (p.userName ?? null));
}

function userArn(p: IamPrincipal, name: string | null): string {
	return name === null
		? `arn:aws:iam::${p.accountId}:root`
		: `arn:aws:iam::${p.accountId}:user/${name}`;
}

const byUser = (params: URLSearchParams, p: IamPrincipal) =>
	userArn(p, targetUser(params, p));
const byRole = (params: URLSearchParams, p: IamPrincipal) =>
	`arn:aws:iam::${p.accountId}:role/${params.get("RoleName") ?? ""}`;

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

const admin = (ctx: GatewayContext) => new IamAdmin(ctx);

/**
 * Put/Get/List/Delete of inline policies: the same four operations for users (`…UserPolicy`,
 * keyed by `UserName`) and roles (`…RolePolicy`, keyed by `RoleName`). Roles have no
 * ListRolePolicies here, as before.
 */
function inlinePolicyOperations(
	kind: "user" | "role",
): Record<string, IamOperation> {
	const Kind = kind === "user" ? "User" : "Role";
	const nameParam = `${Kind}Name`;
	const resource = kind === "user" ? byUser : byRole;
	const ops: Record<string, IamOperation> = {
		[`Put${Kind}Policy`]: {
			resource,
			async run(ex, q, ctx, p) {
				await admin(ctx).putPolicy(
					p.accountId,
					kind,
					required(q, nameParam),
					required(q, "PolicyName"),
					required(q, "PolicyDocument"),
				);
				sendQueryResult(ex, IAM_NS, `Put${Kind}Policy`);
			},
		},
		[`Get${Kind}Policy`]: {
			resource,
			async run(ex, q, ctx, p) {
				const name = required(q, nameParam);
				const policy = await admin(ctx).getPolicy(
					p.accountId,
					kind,
					name,
					required(q, "PolicyName"),
				);
				sendQueryResult(ex, IAM_NS, `Get${Kind}Policy`, {
					[nameParam]: name,
					PolicyName: policy.policyName,
					PolicyDocument: encodeURIComponent(policy.document),
				});
			},
		},
		[`Delete${Kind}Policy`]: {
			resource,
			async run(ex, q, ctx, p) {
				await admin(ctx).deletePolicy(
					p.accountId,
					kind,
					required(q, nameParam),
					required(q, "PolicyName"),
				);
				sendQueryResult(ex, IAM_NS, `Delete${Kind}Policy`);
			},
		},
	};
	if (kind === "user")
		ops.ListUserPolicies = {
			resource,
			async run(ex, q, ctx, p) {
				const list = await admin(ctx).listPolicies(
					p.accountId,
					"user",
					required(q, "UserName"),
				);
				sendQueryResult(ex, IAM_NS, "ListUserPolicies", {
					PolicyNames: list.map((x) => x.policyName),
					IsTruncated: false,
				});
			},
		};
	return ops;
}

/** Every IAM operation Sigil serves, by query `Action`. */
export const IAM_OPERATIONS: Readonly<Record<string, IamOperation>> = {
	CreateUser: {
		resource: (q, p) => userArn(p, q.get("UserName") ?? ""),
		async run(ex, q, ctx, p) {
			const path = q.get("Path") ?? undefined;
			const user = await admin(ctx).createUser(
				p.accountId,
				required(q, "UserName"),
				path,
			);
			sendQueryResult(ex, IAM_NS, "CreateUser", { User: userXml(user) });
		},
	},
	GetUser: {
		resource: byUser,
		async run(ex, q, ctx, p) {
			const name = targetUser(q, p);
			if (name === null) {
				// The root identity, as IAM describes it to itself.
				sendQueryResult(ex, IAM_NS, "GetUser", {
					User: {
						UserId: p.accountId,
						Arn: userArn(p, null),
						CreateDate: iso(0),
					},
				});
				return;
			}
			const user = await admin(ctx).getUser(p.accountId, name);
			sendQueryResult(ex, IAM_NS, "GetUser", { User: userXml(user) });
		},
	},
	ListUsers: {
		resource: (_q, p) => `arn:aws:iam::${p.accountId}:user/*`,
		async run(ex, _q, ctx, p) {
			const users = await admin(ctx).listUsers(p.accountId);
			sendQueryResult(ex, IAM_NS, "ListUsers", {
				Users: users.map(userXml),
				IsTruncated: false,
			});
		},
	},
	DeleteUser: {
		resource: byUser,
		async run(ex, q, ctx, p) {
			await admin(ctx).deleteUser(p.accountId, required(q, "UserName"));
			sendQueryResult(ex, IAM_NS, "DeleteUser");
		},
	},
	CreateAccessKey: {
		resource: byUser,
		async run(ex, q, ctx, p) {
			const name = targetUser(q, p);
			const key = await admin(ctx).createAccessKey(p.accountId, name);
			sendQueryResult(ex, IAM_NS, "CreateAccessKey", {
				AccessKey: {
					...(name !== null && { UserName: name }),
					AccessKeyId: key.accessKeyId,
					Status: key.status,
					SecretAccessKey: key.secretAccessKey,
					CreateDate: iso(key.createdAt),
				},
			});
		},
	},
	ListAccessKeys: {
		resource: byUser,
		async run(ex, q, ctx, p) {
			const name = targetUser(q, p);
			const keys = await admin(ctx).listAccessKeys(p.accountId, name);
			sendQueryResult(ex, IAM_NS, "ListAccessKeys", {
				...(name !== null && { UserName: name }),
				AccessKeyMetadata: keys.map((k) => keyXml(k, name)),
				IsTruncated: false,
			});
		},
	},
	UpdateAccessKey: {
		resource: byUser,
		async run(ex, q, ctx, p) {
			const id = required(q, "AccessKeyId");
			if (id === p.accessKeyId && q.get("Status") === "Inactive")
				throw new SigilError(
					"KEY_IN_USE_BY_CALLER",
					`access key ${id} signed this request; disable it with another key`,
				);
			await admin(ctx).updateAccessKey(
				p.accountId,
				targetUser(q, p),
				id,
				status(q),
			);
			sendQueryResult(ex, IAM_NS, "UpdateAccessKey");
		},
	},
	DeleteAccessKey: {
		resource: byUser,
		async run(ex, q, ctx, p) {
			const id = required(q, "AccessKeyId");
			if (id === p.accessKeyId)
				throw new SigilError(
					"KEY_IN_USE_BY_CALLER",
					`access key ${id} signed this request; delete it with another key`,
				);
			await admin(ctx).deleteAccessKey(p.accountId, targetUser(q, p), id);
			sendQueryResult(ex, IAM_NS, "DeleteAccessKey");
		},
	},
	CreateRole: {
		resource: byRole,
		async run(ex, q, ctx, p) {
			const max = q.get("MaxSessionDuration");
			const path = q.get("Path");
			const role = await admin(ctx).createRole({
				accountId: p.accountId,
				roleName: required(q, "RoleName"),
				trustPolicy: required(q, "AssumeRolePolicyDocument"),
				...(path !== null && { path }),
				...(max !== null && { maxSessionDuration: Number(max) }),
			});
			sendQueryResult(ex, IAM_NS, "CreateRole", { Role: roleXml(role) });
		},
	},
	GetRole: {
		resource: byRole,
		async run(ex, q, ctx, p) {
			const role = await admin(ctx).getRole(
				p.accountId,
				required(q, "RoleName"),
			);
			sendQueryResult(ex, IAM_NS, "GetRole", { Role: roleXml(role) });
		},
	},
	...inlinePolicyOperations("user"),
	...inlinePolicyOperations("role"),
};
