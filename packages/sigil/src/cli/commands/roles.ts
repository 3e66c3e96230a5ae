/**
 * `sigil role list|get|delete` (IAM's ListRoles, GetRole, DeleteRole through the IAM query API,
 * as the AWS CLI calls them) and `sigil sts whoami|assume-role|session-token` (STS's
 * GetCallerIdentity, AssumeRole, GetSessionToken). `role create` lives with the users
 * (user.ts).
 */
import { usageError } from "../cli-error.ts";
import type { CommandContext, CommandSpec } from "../command.ts";
import { intOption, str } from "../command.ts";
import { xmlValues } from "../control-plane-client.ts";
import { table } from "../output.ts";
import { readPolicyDocument } from "./policy-document.ts";

/** The first `<tag>` of `xml`, or "" when there is none. */
function first(xml: string, tag: string): string {
	return xmlValues(xml, tag)[0] ?? "";
}

/** The `<member>` blocks of a list answer (`<Roles><member>…</member>…`). */
function members(xml: string): string[] {
	return [...xml.matchAll(/<member>([\s\S]*?)<\/member>/g)].map(
		(m) => m[1] as string,
	);
}

interface RoleView {
	readonly RoleName: string;
	readonly RoleId: string;
	readonly Arn: string;
	readonly Path: string;
	readonly CreateDate: string;
	readonly MaxSessionDuration: number;
	readonly AssumeRolePolicyDocument?: unknown;
}

function roleOf(xml: string): RoleView {
	const trust = first(xml, "AssumeRolePolicyDocument");
	let document: unknown;
	if (trust) {
		try {
			document = JSON.parse(decodeURIComponent(trust));
		} catch {
			document = trust;
		}
	}
	return {
		RoleName: first(xml, "RoleName"),
		RoleId: first(xml, "RoleId"),
		Arn: first(xml, "Arn"),
		Path: first(xml, "Path"),
		CreateDate: first(xml, "CreateDate"),
		MaxSessionDuration: Number(first(xml, "MaxSessionDuration")) || 3600,
		...(document !== undefined && { AssumeRolePolicyDocument: document }),
	};
}

/** Whether a trust policy lets the Lambda service assume the role (what `role:` needs). */
function trustsLambda(document: unknown): boolean {
	return JSON.stringify(document ?? "").includes("lambda.amazonaws.com");
}

export const roleListCommand: CommandSpec = {
	name: "role list",
	summary: "List the account's IAM roles (IAM ListRoles)",
	usage: "role list [--json]",
	options: {},
	examples: ["sigil role list", "sigil role list --json"],
	async run(ctx) {
		const client = await ctx.client();
		const roles: RoleView[] = [];
		let marker: string | undefined;
		// ListRoles pages (Marker/IsTruncated); at most 100 pages of 1000: a bound, not a limit met.
		for (let page = 0; page < 100; page++) {
			const xml = await client.queryAction("iam", "ListRoles", {
				MaxItems: "1000",
				...(marker !== undefined && { Marker: marker }),
			});
			for (const m of members(xml)) roles.push(roleOf(m));
			if (first(xml, "IsTruncated") !== "true") break;
			marker = first(xml, "Marker");
			if (!marker) break;
		}
		if (ctx.json) {
			ctx.printJson({ Roles: roles });
			return 0;
		}
		if (roles.length === 0) {
			ctx.print(
				"no roles (create one with `sigil role create NAME --trust-policy …`)",
			);
			return 0;
		}
		ctx.print(
			table(
				["NAME", "ARN", "CREATED", "LAMBDA MAY ASSUME"],
				roles.map((r) => [
					r.RoleName,
					r.Arn,
					r.CreateDate,
					trustsLambda(r.AssumeRolePolicyDocument) ? "yes" : "no",
				]),
			),
		);
		return 0;
	},
};

export const roleGetCommand: CommandSpec = {
	name: "role get",
	summary: "Show a role: its ARN, id, trust policy and policies (IAM GetRole)",
	usage: "role get NAME [--json]",
	args: ["NAME"],
	options: {},
	examples: ["sigil role get fn-runner", "sigil role get fn-runner --json"],
	async run(ctx) {
		const client = await ctx.client();
		const name = ctx.positionals[0] as string;
		const role = roleOf(
			await client.queryAction("iam", "GetRole", { RoleName: name }),
		);
		const inline = xmlValues(
			await client.queryAction("iam", "ListRolePolicies", { RoleName: name }),
			"member",
		);
		const attached = xmlValues(
			await client.queryAction("iam", "ListAttachedRolePolicies", {
				RoleName: name,
			}),
			"PolicyArn",
		);
		if (ctx.json) {
			ctx.printJson({
				Role: role,
				PolicyNames: inline,
				AttachedPolicyArns: attached,
			});
			return 0;
		}
		ctx.print(
			[
				`${role.Arn} (${role.RoleId})`,
				`created ${role.CreateDate}; sessions up to ${role.MaxSessionDuration} s`,
				`trust policy: ${JSON.stringify(role.AssumeRolePolicyDocument)}`,
				`a function may use it as its role: ${trustsLambda(role.AssumeRolePolicyDocument) ? "yes (its trust names lambda.amazonaws.com)" : "no (its trust policy does not name lambda.amazonaws.com)"}`,
				`inline policies: ${inline.length ? inline.join(", ") : "none"}`,
				`attached policies: ${attached.length ? attached.join(", ") : "none"}`,
			].join("\n"),
		);
		return 0;
	},
};

export const roleDeleteCommand: CommandSpec = {
	name: "role delete",
	summary:
		"Delete a role with its inline policies and attachments (functions using it stop running)",
	usage: "role delete NAME [--json]",
	args: ["NAME"],
	options: {},
	details:
		"IAM refuses DeleteRole while policies are attached (DeleteConflict); this deletes its inline\npolicies and detaches its managed ones first, as `sigil user delete` does for a user. Sessions of\nthe role end at once, and every function naming it as its role is refused until it names another\n(EXECUTION_ROLE_UNUSABLE): the command lists them.",
	examples: ["sigil role delete fn-runner"],
	async run(ctx) {
		const client = await ctx.client();
		const name = ctx.positionals[0] as string;
		const role = roleOf(
			await client.queryAction("iam", "GetRole", { RoleName: name }),
		);
		for (const policy of xmlValues(
			await client.queryAction("iam", "ListRolePolicies", { RoleName: name }),
			"member",
		))
			await client.queryAction("iam", "DeleteRolePolicy", {
				RoleName: name,
				PolicyName: policy,
			});
		for (const arn of xmlValues(
			await client.queryAction("iam", "ListAttachedRolePolicies", {
				RoleName: name,
			}),
			"PolicyArn",
		))
			await client.queryAction("iam", "DetachRolePolicy", {
				RoleName: name,
				PolicyArn: arn,
			});
		await client.queryAction("iam", "DeleteRole", { RoleName: name });
		const users = await functionsUsing(ctx, role.Arn);
		if (ctx.json) {
			ctx.printJson({ deleted: role.Arn, functionsUsingIt: users });
			return 0;
		}
		ctx.print(`deleted role ${role.Arn}`);
		if (users.length)
			ctx.print(
				`functions naming it as their role no longer run: ${users.join(", ")} — give them another (sigil deploy --role ARN)`,
			);
		return 0;
	},
};

/** The functions of the account whose `role` is `arn`. */
async function functionsUsing(
	ctx: CommandContext,
	arn: string,
): Promise<string[]> {
	const { functions } = await (await ctx.client()).listFunctions();
	return functions
		.filter((f) => (f.config as { role?: unknown } | undefined)?.role === arn)
		.map((f) => String(f.name));
}

/** Temporary credentials as STS returns them, shown or exported. */
function printCredentials(
	ctx: CommandContext,
	xml: string,
	extra: Record<string, string>,
	asEnv: boolean,
): void {
	const c = {
		AccessKeyId: first(xml, "AccessKeyId"),
		SecretAccessKey: first(xml, "SecretAccessKey"),
		SessionToken: first(xml, "SessionToken"),
		Expiration: first(xml, "Expiration"),
	};
	if (asEnv) {
		// Both names: `sigil` reads SIGIL_* first, every AWS tool reads AWS_*.
		const lines: string[] = [];
		for (const prefix of ["SIGIL", "AWS"])
			lines.push(
				`export ${prefix}_ACCESS_KEY_ID=${c.AccessKeyId}`,
				`export ${prefix}_SECRET_ACCESS_KEY=${c.SecretAccessKey}`,
				`export ${prefix}_SESSION_TOKEN=${c.SessionToken}`,
			);
		ctx.print(lines.join("\n"));
		return;
	}
	if (ctx.json) {
		ctx.printJson({ Credentials: c, ...extra });
		return;
	}
	ctx.print(
		[
			...Object.entries(extra).map(([k, v]) => `${k}: ${v}`),
			`AccessKeyId:     ${c.AccessKeyId}`,
			`SecretAccessKey: ${c.SecretAccessKey}`,
			`SessionToken:    ${c.SessionToken}`,
			`Expiration:      ${c.Expiration}`,
		].join("\n"),
	);
}

const ENV_OPTION = {
	type: "boolean",
	description:
		'print `export …` lines for the shell instead (eval "$(sigil sts … --env)")',
} as const;

export const stsWhoamiCommand: CommandSpec = {
	name: "sts whoami",
	summary:
		"Who the credentials are, as STS says (GetCallerIdentity; session credentials too)",
	usage: "sts whoami [--json]",
	options: {},
	examples: ["sigil sts whoami", "sigil sts whoami --json"],
	async run(ctx) {
		const xml = await (await ctx.client()).queryAction(
			"sts",
			"GetCallerIdentity",
		);
		const who = {
			Account: first(xml, "Account"),
			Arn: first(xml, "Arn"),
			UserId: first(xml, "UserId"),
		};
		if (ctx.json) ctx.printJson(who);
		else ctx.print(`${who.Arn}\naccount ${who.Account}, user id ${who.UserId}`);
		return 0;
	},
};

export const stsAssumeRoleCommand: CommandSpec = {
	name: "sts assume-role",
	summary: "Temporary credentials of a role (STS AssumeRole)",
	usage:
		"sts assume-role ROLE --session-name NAME [--duration SECONDS] [--policy JSON|file://PATH] [--external-id ID] [--env] [--json]",
	args: ["ROLE"],
	options: {
		"session-name": {
			type: "string",
			value: "NAME",
			description: "the session's name (2–64 of letters, digits and +=,.@_-)",
		},
		duration: {
			type: "string",
			value: "SECONDS",
			description: "900 up to the role's maximum (default 3600)",
		},
		policy: {
			type: "string",
			value: "JSON",
			description:
				"a session policy narrowing the role's, inline or file://PATH",
		},
		"external-id": {
			type: "string",
			value: "ID",
			description: "the sts:ExternalId the role's trust policy may require",
		},
		env: ENV_OPTION,
	},
	details:
		"ROLE is a role ARN, or a role name of the caller's own account. The secret access key and\nsession token are printed: they are what this command is for.",
	examples: [
		"sigil sts assume-role invoker --session-name ci",
		'eval "$(sigil sts assume-role arn:aws:iam::123456789012:role/invoker --session-name ci --env)"',
	],
	async run(ctx) {
		const usage = ctx.spec.usage;
		const sessionName = str(ctx.values, "session-name");
		if (!sessionName) throw usageError("--session-name is required", usage);
		const duration = intOption(ctx.values, "duration", usage);
		const policyText = str(ctx.values, "policy");
		const externalId = str(ctx.values, "external-id");
		const client = await ctx.client();
		let roleArn = ctx.positionals[0] as string;
		if (!roleArn.startsWith("arn:")) {
			// A bare name is a role of the caller's own account.
			const who = await client.queryAction("sts", "GetCallerIdentity");
			roleArn = `arn:aws:iam::${first(who, "Account")}:role/${roleArn}`;
		}
		const xml = await client.queryAction("sts", "AssumeRole", {
			RoleArn: roleArn,
			RoleSessionName: sessionName,
			...(duration !== undefined && { DurationSeconds: String(duration) }),
			...(policyText !== undefined && {
				Policy: JSON.stringify(
					await readPolicyDocument(policyText, "--policy"),
				),
			}),
			...(externalId !== undefined && { ExternalId: externalId }),
		});
		printCredentials(
			ctx,
			xml,
			{ AssumedRoleArn: first(xml, "Arn") },
			ctx.values.env === true,
		);
		return 0;
	},
};

export const stsSessionTokenCommand: CommandSpec = {
	name: "sts session-token",
	summary:
		"Temporary credentials of the calling user or root (STS GetSessionToken)",
	usage: "sts session-token [--duration SECONDS] [--env] [--json]",
	options: {
		duration: {
			type: "string",
			value: "SECONDS",
			description: "900–129600 (root: at most 3600; default 43200)",
		},
		env: ENV_OPTION,
	},
	examples: [
		"sigil sts session-token --duration 3600",
		'eval "$(sigil sts session-token --env)"',
	],
	async run(ctx) {
		const duration = intOption(ctx.values, "duration", ctx.spec.usage);
		const xml = await (await ctx.client()).queryAction(
			"sts",
			"GetSessionToken",
			duration !== undefined ? { DurationSeconds: String(duration) } : {},
		);
		printCredentials(ctx, xml, {}, ctx.values.env === true);
		return 0;
	},
};

export const roleCommands: readonly CommandSpec[] = [
	roleListCommand,
	roleGetCommand,
	roleDeleteCommand,
];

export const stsCommands: readonly CommandSpec[] = [
	stsWhoamiCommand,
	stsAssumeRoleCommand,
	stsSessionTokenCommand,
];
