/**
 * Sigil's own control-plane routes for identity and access (`sigil account|user|role|policy|
 * permission …`): the same operations as the IAM query API (iam/admin.ts), in Sigil's JSON.
 * Accounts are made and listed only by the root account's root identity; `simulate` runs the
 * authorizer without acting and answers the engine's explanation.
 */
import { explain } from "@sigil/policy";
import { SigilError } from "../errors.ts";
import { IamAdmin } from "../iam/admin.ts";
import { type IamPrincipal, isRoot } from "../iam/principal.ts";
import type {
	AccessKey,
	InlinePolicy,
	PrincipalKind,
	Role,
	User,
} from "../store/types.ts";
import { policyTarget } from "./authorize.ts";
import type { GatewayContext } from "./context.ts";
import type { Exchange } from "./exchange.ts";
import { send, sendJson } from "./respond.ts";
import type { RouteParams } from "./router.ts";

const iso = (ms: number) => new Date(ms).toISOString();

function caller(ex: Exchange): IamPrincipal {
	const p = ex.principal as IamPrincipal | undefined;
	if (!p || p.scheme === "none")
		throw new SigilError(
			"INTERNAL",
			"IAM route reached without a verified principal",
		);
	return p;
}

function body(ex: Exchange): Record<string, unknown> {
	try {
		const v = JSON.parse(ex.body.toString("utf8") || "{}") as unknown;
		if (v && typeof v === "object" && !Array.isArray(v))
			return v as Record<string, unknown>;
	} catch {
		// Answered below.
	}
	throw new SigilError("BAD_REQUEST", "the request body must be a JSON object");
}

function text(b: Record<string, unknown>, name: string): string {
	const v = b[name];
	if (typeof v === "string" && v !== "") return v;
	// Policies may be sent as JSON objects for convenience.
	if (v && typeof v === "object") return JSON.stringify(v);
	throw new SigilError("BAD_REQUEST", `the body must hold "${name}"`);
}

function param(params: RouteParams, name: string): string {
	try {
		return decodeURIComponent(params[name] ?? "");
	} catch {
		throw new SigilError(
			"BAD_REQUEST",
			`${name} is not valid percent-encoding`,
		);
	}
}

const userView = (u: User) => ({
	userName: u.userName,
	userId: u.userId,
	arn: u.arn,
	path: u.path,
	createdAt: iso(u.createdAt),
});
const roleView = (r: Role) => ({
	roleName: r.roleName,
	roleId: r.roleId,
	arn: r.arn,
	path: r.path,
	maxSessionDuration: r.maxSessionDuration,
	trustPolicy: JSON.parse(r.trustPolicy) as unknown,
	createdAt: iso(r.createdAt),
});
const policyView = (p: InlinePolicy) => ({
	policyName: p.policyName,
	document: JSON.parse(p.document) as unknown,
	updatedAt: iso(p.updatedAt),
});
const keyView = (k: AccessKey) => ({
	AccessKeyId: k.accessKeyId,
	Status: k.status,
	CreateDate: iso(k.createdAt),
});

async function requireRootOfRoot(ex: Exchange, ctx: GatewayContext) {
	const p = caller(ex);
	const root = await ctx.store.accounts.root();
	if (!isRoot(p) || p.accountId !== root?.accountId)
		throw new SigilError(
			"ACCESS_DENIED",
			`User: ${p.arn} is not authorized to perform: sigil:ManageAccounts: only the root account's root identity may create or list accounts`,
		);
}

export async function createAccount(
	ex: Exchange,
	_p: RouteParams,
	ctx: GatewayContext,
) {
	await requireRootOfRoot(ex, ctx);
	const b = body(ex);
	const name = typeof b.name === "string" && b.name ? b.name : "account";
	const account = await ctx.store.accounts.create({ name });
	const key = await ctx.store.accessKeys.create({
		accountId: account.accountId,
		userName: null,
	});
	sendJson(ex, 201, {
		accountId: account.accountId,
		name: account.name,
		arn: `arn:aws:iam::${account.accountId}:root`,
		accessKey: { ...keyView(key), SecretAccessKey: key.secretAccessKey },
	});
}

export async function listAccounts(
	ex: Exchange,
	_p: RouteParams,
	ctx: GatewayContext,
) {
	await requireRootOfRoot(ex, ctx);
	const accounts = await ctx.store.accounts.list();
	sendJson(ex, 200, {
		accounts: accounts.map((a) => ({
			accountId: a.accountId,
			name: a.name,
			isRoot: a.isRoot,
			createdAt: iso(a.createdAt),
		})),
	});
}

export async function listUsers(
	ex: Exchange,
	_p: RouteParams,
	ctx: GatewayContext,
) {
	const users = await new IamAdmin(ctx).listUsers(caller(ex).accountId);
	sendJson(ex, 200, { users: users.map(userView) });
}

export async function createUser(
	ex: Exchange,
	_p: RouteParams,
	ctx: GatewayContext,
) {
	const b = body(ex);
	const path = typeof b.path === "string" ? b.path : undefined;
	const user = await new IamAdmin(ctx).createUser(
		caller(ex).accountId,
		text(b, "userName"),
		path,
	);
	sendJson(ex, 201, { user: userView(user) });
}

export async function deleteUser(
	ex: Exchange,
	params: RouteParams,
	ctx: GatewayContext,
) {
	await new IamAdmin(ctx).deleteUser(
		caller(ex).accountId,
		param(params, "name"),
	);
	send(ex, 204, Buffer.alloc(0));
}

export async function createUserKey(
	ex: Exchange,
	params: RouteParams,
	ctx: GatewayContext,
) {
	const key = await new IamAdmin(ctx).createAccessKey(
		caller(ex).accountId,
		param(params, "name"),
	);
	sendJson(ex, 201, {
		AccessKey: { ...keyView(key), SecretAccessKey: key.secretAccessKey },
	});
}

export async function listRoles(
	ex: Exchange,
	_p: RouteParams,
	ctx: GatewayContext,
) {
	const roles = await new IamAdmin(ctx).listRoles(caller(ex).accountId);
	sendJson(ex, 200, { roles: roles.map(roleView) });
}

export async function createRole(
	ex: Exchange,
	_p: RouteParams,
	ctx: GatewayContext,
) {
	const b = body(ex);
	const role = await new IamAdmin(ctx).createRole({
		accountId: caller(ex).accountId,
		roleName: text(b, "roleName"),
		trustPolicy: text(b, "trustPolicy"),
		...(typeof b.path === "string" && { path: b.path }),
		...(typeof b.maxSessionDuration === "number" && {
			maxSessionDuration: b.maxSessionDuration,
		}),
	});
	sendJson(ex, 201, { role: roleView(role) });
}

/** Inline-policy handlers for users (`kind` user) or roles. */
export function policyRoutes(kind: PrincipalKind) {
	return {
		async list(ex: Exchange, params: RouteParams, ctx: GatewayContext) {
			const list = await new IamAdmin(ctx).listPolicies(
				caller(ex).accountId,
				kind,
				param(params, "name"),
			);
			sendJson(ex, 200, { policies: list.map(policyView) });
		},
		async get(ex: Exchange, params: RouteParams, ctx: GatewayContext) {
			const p = await new IamAdmin(ctx).getPolicy(
				caller(ex).accountId,
				kind,
				param(params, "name"),
				param(params, "policy"),
			);
			sendJson(ex, 200, { policy: policyView(p) });
		},
		async put(ex: Exchange, params: RouteParams, ctx: GatewayContext) {
			const doc = text(body(ex), "document");
			await new IamAdmin(ctx).putPolicy(
				caller(ex).accountId,
				kind,
				param(params, "name"),
				param(params, "policy"),
				doc,
			);
			sendJson(ex, 200, { policyName: param(params, "policy") });
		},
		async remove(ex: Exchange, params: RouteParams, ctx: GatewayContext) {
			await new IamAdmin(ctx).deletePolicy(
				caller(ex).accountId,
				kind,
				param(params, "name"),
				param(params, "policy"),
			);
			send(ex, 204, Buffer.alloc(0));
		},
	};
}

const ASSUMED =
	/^arn:aws:sts::(\d{12}):assumed-role\/([\w+=,.@-]+)\/([\w+=,.@-]+)$/;
const IAM_ARN = /^arn:aws:iam::(\d{12}):(root|user\/(?:.*\/)?([\w+=,.@-]+))$/;

/** The principal an ARN names, as the authenticator would have produced it. */
async function principalFor(
	ctx: GatewayContext,
	arn: string,
): Promise<IamPrincipal> {
	const base = { accessKeyId: "", scheme: "sigv4" as const };
	if (arn === "*" || arn === "anonymous")
		return {
			...base,
			accountId: "",
			arn: "anonymous",
			userId: "anonymous",
			scheme: "none",
		};
	const assumed = ASSUMED.exec(arn);
	if (assumed) {
		const [, accountId = "", roleName = "", session = ""] = assumed;
		const role = await ctx.store.roles.get(accountId, roleName);
		if (!role)
			throw new SigilError(
				"NO_SUCH_ENTITY",
				`The role with name ${roleName} cannot be found.`,
			);
		return {
			...base,
			accountId,
			arn,
			userId: `${role.roleId}:${session}`,
			roleName,
			roleArn: role.arn,
		};
	}
	const m = IAM_ARN.exec(arn);
	if (!m)
		throw new SigilError(
			"BAD_REQUEST",
			`principal ${JSON.stringify(arn)} is not a root, user or assumed-role ARN (or * for anonymous)`,
		);
	const accountId = m[1] as string;
	if (m[2] === "root") return { ...base, accountId, arn, userId: accountId };
	const user = await ctx.store.users.get(accountId, m[3] as string);
	if (!user)
		throw new SigilError(
			"NO_SUCH_ENTITY",
			`The user with name ${m[3]} cannot be found.`,
		);
	return {
		...base,
		accountId,
		arn: user.arn,
		userId: user.userId,
		userName: user.userName,
	};
}

/**
 * `POST /sigil/v1/simulate {principal, action, resource, context?}` → the decision and its
 * explanation, with the same policies and caches a real request would use.
 */
export async function simulate(
	ex: Exchange,
	_p: RouteParams,
	ctx: GatewayContext,
) {
	const me = caller(ex);
	const b = body(ex);
	const principal = await principalFor(ctx, text(b, "principal"));
	const action = text(b, "action");
	const resource = text(b, "resource");
	const fnMatch = /^arn:aws:lambda:[^:]+:(\d{12}):function:([^:]+)/.exec(
		resource,
	);
	const resourceAccountId = fnMatch?.[1] ?? principal.accountId;
	// Only what the caller's own account holds may be looked into.
	if (
		principal.accountId !== me.accountId &&
		resourceAccountId !== me.accountId
	)
		throw new SigilError(
			"ACCESS_DENIED",
			"simulate a principal or a resource of your own account",
		);
	const fn = fnMatch
		? await ctx.functions.lookup(fnMatch[2] as string)
		: undefined;
	const context: Record<string, string> = {};
	if (b.context && typeof b.context === "object")
		for (const [k, v] of Object.entries(b.context as Record<string, unknown>))
			if (typeof v === "string") context[k] = v;
	const { decision, request } = await ctx.authorizer.authorize({
		principal,
		action,
		resource,
		resourceAccountId,
		...(fn && fn.accountId === resourceAccountId && { fn: policyTarget(fn) }),
		context: {
			"aws:CurrentTime": new Date(ctx.now()).toISOString(),
			"aws:EpochTime": Math.floor(ctx.now() / 1000),
			"aws:RequestedRegion": ctx.region,
			...context,
		},
	});
	sendJson(ex, 200, {
		allowed: decision.allowed,
		decision: decision.decision,
		reason: decision.reason,
		crossAccount: decision.crossAccount,
		matched: decision.matched,
		...(decision.decidedBy && { decidedBy: decision.decidedBy }),
		explanation: explain(decision, request),
	});
}
