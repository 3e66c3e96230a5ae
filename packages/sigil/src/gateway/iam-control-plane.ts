/**
 * Sigil's own control-plane routes for identity and access (`sigil account|user|role|policy|
 * permission …`): the same operations as the IAM query API (iam/admin.ts), in Sigil's JSON.
 * Accounts are made and listed only by the root account's root identity; `simulate` runs the
 * authorizer without acting and answers the engine's explanation.
 */
import { explain } from "@sigil/policy";
import { SigilError } from "../errors.ts";
import { IamAdmin } from "../iam/admin.ts";
import type { IamPrincipal } from "../iam/principal.ts";
import type {
	AccessKey,
	InlinePolicy,
	PrincipalKind,
	Role,
	User,
} from "../store/types.ts";
import { policyTarget } from "./authorize.ts";
import type { GatewayContext } from "./context.ts";
import { send, sendJson } from "./respond.ts";
import type { Call } from "./route.ts";
import {
	type AccountTarget,
	IAM_NAME,
	type InlinePolicyTarget,
	iamArn,
	type PrincipalTarget,
	type Resolver,
	type Target,
} from "./targets.ts";

const iso = (ms: number) => new Date(ms).toISOString();

/** The JSON object body, refusing any field the operation does not take (never stored-and-ignored). */
function body(
	raw: Buffer,
	allowed: readonly string[],
): Record<string, unknown> {
	let v: unknown;
	try {
		v = JSON.parse(raw.toString("utf8") || "{}");
	} catch {
		v = undefined;
	}
	if (!v || typeof v !== "object" || Array.isArray(v))
		throw new SigilError(
			"BAD_REQUEST",
			"the request body must be a JSON object",
		);
	const unknown = Object.keys(v).filter((k) => !allowed.includes(k));
	if (unknown.length)
		throw new SigilError(
			"INVALID_PARAMETER",
			`${unknown.map((k) => JSON.stringify(k)).join(", ")} is not supported here; this operation takes ${allowed.map((k) => JSON.stringify(k)).join(", ")}`,
		);
	return v as Record<string, unknown>;
}

function text(b: Record<string, unknown>, name: string): string {
	const v = b[name];
	if (typeof v === "string" && v !== "") return v;
	// Policies may be sent as JSON objects for convenience.
	if (v && typeof v === "object") return JSON.stringify(v);
	throw new SigilError("BAD_REQUEST", `the body must hold "${name}"`);
}

function iamName(b: Record<string, unknown>, field: string): string {
	const v = text(b, field);
	if (!IAM_NAME.test(v))
		throw new SigilError(
			"INVALID_PARAMETER",
			`1 validation error detected: Value '${v.slice(0, 140)}' at '${field}' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+`,
		);
	return v;
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

export async function createAccount({ ex, ctx }: Call<AccountTarget>) {
	const b = body(ex.body, ["name"]);
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

export async function listAccounts({ ex, ctx }: Call<AccountTarget>) {
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

export async function listUsers({ ex, ctx, target }: Call<AccountTarget>) {
	const users = await new IamAdmin(ctx).listUsers(target.accountId);
	sendJson(ex, 200, { users: users.map(userView) });
}

/** A user to be created, named by the body: the new user's ARN is what `iam:CreateUser` is decided on. */
export interface NewUserTarget extends Target {
	readonly userName: string;
	readonly path?: string;
}

export const newUser: Resolver<NewUserTarget> = async ({
	body: raw,
	principal,
}) => {
	const b = body(raw, ["userName", "path"]);
	const userName = iamName(b, "userName");
	return {
		userName,
		accountId: principal.accountId,
		resource: iamArn(principal.accountId, `user/${userName}`),
		...(typeof b.path === "string" && { path: b.path }),
	};
};

export async function createUser({ ex, ctx, target }: Call<NewUserTarget>) {
	const user = await new IamAdmin(ctx).createUser(
		target.accountId,
		target.userName,
		target.path,
	);
	sendJson(ex, 201, { user: userView(user) });
}

export async function deleteUser({ ex, ctx, target }: Call<PrincipalTarget>) {
	await new IamAdmin(ctx).deleteUser(target.accountId, target.name);
	send(ex, 204, Buffer.alloc(0));
}

export async function createUserKey({
	ex,
	ctx,
	target,
}: Call<PrincipalTarget>) {
	const key = await new IamAdmin(ctx).createAccessKey(
		target.accountId,
		target.name,
	);
	sendJson(ex, 201, {
		AccessKey: { ...keyView(key), SecretAccessKey: key.secretAccessKey },
	});
}

export async function listRoles({ ex, ctx, target }: Call<AccountTarget>) {
	const roles = await new IamAdmin(ctx).listRoles(target.accountId);
	sendJson(ex, 200, { roles: roles.map(roleView) });
}

export interface NewRoleTarget extends Target {
	readonly roleName: string;
	readonly trustPolicy: string;
	readonly path?: string;
	readonly maxSessionDuration?: number;
}

export const newRole: Resolver<NewRoleTarget> = async ({
	body: raw,
	principal,
}) => {
	const b = body(raw, [
		"roleName",
		"trustPolicy",
		"path",
		"maxSessionDuration",
	]);
	const roleName = iamName(b, "roleName");
	if (
		b.maxSessionDuration !== undefined &&
		typeof b.maxSessionDuration !== "number"
	)
		throw new SigilError(
			"INVALID_PARAMETER",
			"maxSessionDuration must be a number of seconds",
		);
	return {
		roleName,
		trustPolicy: text(b, "trustPolicy"),
		accountId: principal.accountId,
		resource: iamArn(principal.accountId, `role/${roleName}`),
		...(typeof b.path === "string" && { path: b.path }),
		...(typeof b.maxSessionDuration === "number" && {
			maxSessionDuration: b.maxSessionDuration,
		}),
	};
};

export async function createRole({ ex, ctx, target }: Call<NewRoleTarget>) {
	const role = await new IamAdmin(ctx).createRole({
		accountId: target.accountId,
		roleName: target.roleName,
		trustPolicy: target.trustPolicy,
		...(target.path !== undefined && { path: target.path }),
		...(target.maxSessionDuration !== undefined && {
			maxSessionDuration: target.maxSessionDuration,
		}),
	});
	sendJson(ex, 201, { role: roleView(role) });
}

/** Inline-policy handlers for users (`kind` user) or roles. */
export function policyRoutes(kind: PrincipalKind) {
	return {
		async list({ ex, ctx, target }: Call<PrincipalTarget>) {
			const list = await new IamAdmin(ctx).listPolicies(
				target.accountId,
				kind,
				target.name,
			);
			sendJson(ex, 200, { policies: list.map(policyView) });
		},
		async get({ ex, ctx, target }: Call<InlinePolicyTarget>) {
			const p = await new IamAdmin(ctx).getPolicy(
				target.accountId,
				kind,
				target.name,
				target.policyName,
			);
			sendJson(ex, 200, { policy: policyView(p) });
		},
		async put({ ex, ctx, target }: Call<InlinePolicyTarget>) {
			const doc = text(body(ex.body, ["document"]), "document");
			await new IamAdmin(ctx).putPolicy(
				target.accountId,
				kind,
				target.name,
				target.policyName,
				doc,
			);
			sendJson(ex, 200, { policyName: target.policyName });
		},
		async remove({ ex, ctx, target }: Call<InlinePolicyTarget>) {
			await new IamAdmin(ctx).deletePolicy(
				target.accountId,
				kind,
				target.name,
				target.policyName,
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
 * What a simulation is about: a principal of the caller's own account (or anonymous), an
 * action and a resource. Authorized as `iam:SimulatePrincipalPolicy` on the simulated
 * principal's ARN, as IAM does. Another account's principal is refused: its identity
 * policies are not the caller's to read through decisions.
 */
export interface SimulationTarget extends Target {
	readonly subject: IamPrincipal;
	readonly action: string;
	readonly simulatedResource: string;
	readonly context: Record<string, string>;
}

export const simulation: Resolver<SimulationTarget> = async ({
	body: raw,
	principal: me,
	ctx,
}) => {
	const b = body(raw, ["principal", "action", "resource", "context"]);
	const subject = await principalFor(ctx, text(b, "principal"));
	if (subject.scheme !== "none" && subject.accountId !== me.accountId)
		throw new SigilError(
			"ACCESS_DENIED",
			"simulate a principal of your own account (or * for an anonymous caller)",
		);
	const context: Record<string, string> = {};
	if (b.context !== undefined) {
		if (!b.context || typeof b.context !== "object" || Array.isArray(b.context))
			throw new SigilError(
				"INVALID_PARAMETER",
				'"context" must be an object of strings',
			);
		for (const [k, v] of Object.entries(b.context as Record<string, unknown>)) {
			if (typeof v !== "string")
				throw new SigilError(
					"INVALID_PARAMETER",
					`context key ${JSON.stringify(k)} must have a string value`,
				);
			context[k] = v;
		}
	}
	return {
		subject,
		action: text(b, "action"),
		simulatedResource: text(b, "resource"),
		context,
		accountId: me.accountId,
		resource:
			subject.scheme === "none"
				? iamArn(me.accountId, "root")
				: (subject.roleArn ?? subject.arn),
	};
};

/**
 * `POST /sigil/v1/simulate {principal, action, resource, context?}` → the decision and its
 * explanation, with the same policies and caches a real request would use.
 */
export async function simulate({
	ex,
	ctx,
	principal: me,
	target,
}: Call<SimulationTarget>) {
	const { subject, action, simulatedResource: resource } = target;
	const fnMatch = /^arn:aws:lambda:[^:]+:(\d{12}):function:([^:]+)/.exec(
		resource,
	);
	const resourceAccountId = fnMatch?.[1] ?? subject.accountId ?? me.accountId;
	// Another account's function policy takes part as it would in a real call: the caller's own
	// principal could learn the same decision by trying.
	const fn = fnMatch
		? await ctx.functions.lookup(fnMatch[2] as string)
		: undefined;
	const { decision, request } = await ctx.authorizer.authorize({
		principal: subject,
		action,
		resource,
		resourceAccountId: resourceAccountId || me.accountId,
		...(fn && fn.accountId === resourceAccountId && { fn: policyTarget(fn) }),
		context: {
			"aws:CurrentTime": new Date(ctx.now()).toISOString(),
			"aws:EpochTime": Math.floor(ctx.now() / 1000),
			"aws:RequestedRegion": ctx.region,
			...target.context,
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
