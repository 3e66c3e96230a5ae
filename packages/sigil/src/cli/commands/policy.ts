/**
 * `sigil policy put|get|list|delete --user NAME|--role NAME` (inline identity policies, checked
 * by the gateway when written) and `sigil policy simulate` (the decision and the engine's
 * explanation for a principal, action and resource, without acting).
 */

import { usageError } from "../cli-error.ts";
import type { CommandContext, CommandSpec, OptionSpec } from "../command.ts";
import { list, str } from "../command.ts";
import { isoTime, table } from "../output.ts";
import { readPolicyDocument } from "./policy-document.ts";

const OWNER: Record<string, OptionSpec> = {
	user: {
		type: "string",
		value: "NAME",
		description: "the user the policy is attached to",
	},
	role: {
		type: "string",
		value: "NAME",
		description: "the role the policy is attached to",
	},
};

/** `/users/NAME` or `/roles/NAME`, from exactly one of --user / --role. */
function ownerPath(ctx: CommandContext): string {
	const user = str(ctx.values, "user");
	const role = str(ctx.values, "role");
	if ((user === undefined) === (role === undefined))
		throw usageError(
			"give exactly one of --user NAME or --role NAME",
			ctx.spec.usage,
		);
	return user !== undefined
		? `/users/${encodeURIComponent(user)}`
		: `/roles/${encodeURIComponent(role as string)}`;
}

interface PolicyView {
	policyName: string;
	document: unknown;
	updatedAt: string;
}

export const policyPutCommand: CommandSpec = {
	name: "policy put",
	summary: "Create or replace an inline policy of a user or role",
	usage:
		"policy put POLICY (--user NAME|--role NAME) --document JSON|file://PATH [--json]",
	args: ["POLICY"],
	options: {
		...OWNER,
		document: {
			type: "string",
			value: "JSON",
			description: "the policy document, inline or file://PATH",
		},
	},
	examples: [
		`sigil policy put invoke --user alice --document '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"lambda:InvokeFunctionUrl","Resource":"*"}]}'`,
	],
	async run(ctx) {
		const owner = ownerPath(ctx);
		const doc = str(ctx.values, "document");
		if (!doc) throw usageError("--document is required", ctx.spec.usage);
		const name = ctx.positionals[0] as string;
		await (await ctx.client()).request(
			"PUT",
			`${owner}/policies/${encodeURIComponent(name)}`,
			{
				document: await readPolicyDocument(doc, "document"),
			},
		);
		if (ctx.json) ctx.printJson({ policyName: name });
		else ctx.print(`put policy ${name} on ${owner.slice(1)}`);
		return 0;
	},
};

export const policyGetCommand: CommandSpec = {
	name: "policy get",
	summary: "Print an inline policy of a user or role",
	usage: "policy get POLICY (--user NAME|--role NAME) [--json]",
	args: ["POLICY"],
	options: OWNER,
	async run(ctx) {
		const owner = ownerPath(ctx);
		const r = await (await ctx.client()).request<{ policy: PolicyView }>(
			"GET",
			`${owner}/policies/${encodeURIComponent(ctx.positionals[0] as string)}`,
		);
		if (ctx.json) ctx.printJson(r);
		else ctx.print(JSON.stringify(r.policy.document, null, 2));
		return 0;
	},
};

export const policyListCommand: CommandSpec = {
	name: "policy list",
	summary: "List the inline policies of a user or role",
	usage: "policy list (--user NAME|--role NAME) [--json]",
	options: OWNER,
	async run(ctx) {
		const r = await (await ctx.client()).request<{ policies: PolicyView[] }>(
			"GET",
			`${ownerPath(ctx)}/policies`,
		);
		if (ctx.json) ctx.printJson(r);
		else
			ctx.print(
				table(
					["POLICY", "UPDATED"],
					r.policies.map((p) => [p.policyName, isoTime(p.updatedAt)]),
				),
			);
		return 0;
	},
};

export const policyDeleteCommand: CommandSpec = {
	name: "policy delete",
	summary: "Delete an inline policy of a user or role",
	usage: "policy delete POLICY (--user NAME|--role NAME) [--json]",
	args: ["POLICY"],
	options: OWNER,
	async run(ctx) {
		const name = ctx.positionals[0] as string;
		await (await ctx.client()).request(
			"DELETE",
			`${ownerPath(ctx)}/policies/${encodeURIComponent(name)}`,
		);
		if (ctx.json) ctx.printJson({ deleted: name });
		else ctx.print(`deleted policy ${name}`);
		return 0;
	},
};

export const policySimulateCommand: CommandSpec = {
	name: "policy simulate",
	summary:
		"Explain whether a principal may perform an action on a resource (nothing is invoked)",
	usage:
		"policy simulate --principal ARN --action ACTION --resource ARN [--context KEY=VALUE]… [--json]",
	options: {
		principal: {
			type: "string",
			value: "ARN",
			description: "user, root, assumed-role session ARN, or * for anonymous",
		},
		action: {
			type: "string",
			value: "ACTION",
			description: "e.g. lambda:InvokeFunctionUrl",
		},
		resource: {
			type: "string",
			value: "ARN",
			description: "e.g. arn:aws:lambda:us-east-1:123456789012:function:hello",
		},
		context: {
			type: "string",
			multiple: true,
			value: "KEY=VALUE",
			description: "a request context key, e.g. aws:SourceIp=10.0.0.1",
		},
	},
	examples: [
		"sigil policy simulate --principal arn:aws:iam::123456789012:user/alice --action lambda:InvokeFunctionUrl --resource arn:aws:lambda:us-east-1:123456789012:function:hello --context aws:SourceIp=10.0.0.1",
	],
	async run(ctx) {
		const usage = ctx.spec.usage;
		const principal = str(ctx.values, "principal");
		const action = str(ctx.values, "action");
		const resource = str(ctx.values, "resource");
		if (!principal || !action || !resource)
			throw usageError(
				"--principal, --action and --resource are required",
				usage,
			);
		const context: Record<string, string> = {};
		for (const pair of list(ctx.values, "context")) {
			const eq = pair.indexOf("=");
			if (eq <= 0)
				throw usageError(
					`--context ${JSON.stringify(pair)} is not KEY=VALUE`,
					usage,
				);
			context[pair.slice(0, eq)] = pair.slice(eq + 1);
		}
		const r = await (await ctx.client()).request<{
			allowed: boolean;
			explanation: string;
		}>("POST", "/simulate", { principal, action, resource, context });
		if (ctx.json) ctx.printJson(r);
		else ctx.print(r.explanation);
		return 0;
	},
};

export const policyCommands: readonly CommandSpec[] = [
	policyPutCommand,
	policyGetCommand,
	policyListCommand,
	policyDeleteCommand,
	policySimulateCommand,
];
