/**
 * `sigil permission add|list|remove`: statements of a function's resource policy, built as
 * Lambda's AddPermission builds them (the same route handler answers `aws lambda add-permission`).
 */

import { usageError } from "../cli-error.ts";
import type { CommandSpec } from "../command.ts";
import { str } from "../command.ts";
import { cell, table } from "../output.ts";

const fnPath = (name: string) =>
	`/functions/${encodeURIComponent(name)}/policy`;

export const permissionAddCommand: CommandSpec = {
	name: "permission add",
	argIsFunction: true,
	summary: "Add a statement to a function's resource policy",
	usage:
		"permission add FUNCTION --statement-id SID --principal P [--action A] [--source-arn ARN] [--source-account ID] [--principal-org-id ID] [--function-url-auth-type AWS_IAM|NONE] [--json]",
	args: ["FUNCTION"],
	options: {
		"statement-id": {
			type: "string",
			value: "SID",
			description: "unique id of the statement",
		},
		principal: {
			type: "string",
			value: "P",
			description: "account id, IAM ARN, service principal, or *",
		},
		action: {
			type: "string",
			value: "A",
			description: "default lambda:InvokeFunctionUrl",
		},
		"source-arn": {
			type: "string",
			value: "ARN",
			description: "condition ArnLike AWS:SourceArn",
		},
		"source-account": {
			type: "string",
			value: "ID",
			description: "condition StringEquals AWS:SourceAccount",
		},
		"principal-org-id": {
			type: "string",
			value: "ID",
			description: "condition StringEquals aws:PrincipalOrgID",
		},
		"function-url-auth-type": {
			type: "string",
			value: "TYPE",
			description: "condition lambda:FunctionUrlAuthType (AWS_IAM or NONE)",
		},
		"invoked-via-function-url": {
			type: "boolean",
			description:
				"with --action lambda:InvokeFunction: only calls through the function URL (condition Bool lambda:InvokedViaFunctionUrl; the url-and-invoke model)",
		},
	},
	examples: [
		"sigil permission add hello --statement-id partner --principal 210987654321 --function-url-auth-type AWS_IAM",
	],
	async run(ctx) {
		const sid = str(ctx.values, "statement-id");
		const principal = str(ctx.values, "principal");
		if (!sid || !principal)
			throw usageError(
				"--statement-id and --principal are required",
				ctx.spec.usage,
			);
		const optional: [string, string][] = [
			["source-arn", "SourceArn"],
			["source-account", "SourceAccount"],
			["principal-org-id", "PrincipalOrgID"],
			["function-url-auth-type", "FunctionUrlAuthType"],
		];
		const body: Record<string, string | boolean> = {
			StatementId: sid,
			Principal: principal,
			Action: str(ctx.values, "action") ?? "lambda:InvokeFunctionUrl",
		};
		for (const [flag, field] of optional) {
			const v = str(ctx.values, flag);
			if (v !== undefined) body[field] = v;
		}
		if (ctx.values["invoked-via-function-url"] === true)
			body.InvokedViaFunctionUrl = true;
		const r = await (await ctx.client()).request<{ Statement: string }>(
			"POST",
			fnPath(ctx.positionals[0] as string),
			body,
		);
		if (ctx.json)
			ctx.printJson({ Statement: JSON.parse(r.Statement) as unknown });
		else ctx.print(JSON.stringify(JSON.parse(r.Statement), null, 2));
		return 0;
	},
};

interface Statement {
	Sid?: string;
	Effect?: string;
	Principal?: unknown;
	Action?: unknown;
	Condition?: unknown;
}

export const permissionListCommand: CommandSpec = {
	name: "permission list",
	argIsFunction: true,
	summary: "Show a function's resource policy, one statement per line",
	usage: "permission list FUNCTION [--json]",
	args: ["FUNCTION"],
	options: {},
	async run(ctx) {
		const r = await (await ctx.client()).request<{
			Policy: string;
			RevisionId: string;
		}>("GET", fnPath(ctx.positionals[0] as string));
		const policy = JSON.parse(r.Policy) as { Statement: Statement[] };
		if (ctx.json) {
			ctx.printJson({ Policy: policy, RevisionId: r.RevisionId });
			return 0;
		}
		ctx.print(
			table(
				["SID", "EFFECT", "PRINCIPAL", "ACTION", "CONDITION"],
				policy.Statement.map((s) => [
					cell(s.Sid),
					cell(s.Effect),
					cell(s.Principal),
					cell(s.Action),
					cell(s.Condition),
				]),
			),
		);
		return 0;
	},
};

export const permissionRemoveCommand: CommandSpec = {
	name: "permission remove",
	argIsFunction: true,
	summary: "Remove a statement from a function's resource policy",
	usage: "permission remove FUNCTION SID [--json]",
	args: ["FUNCTION", "SID"],
	options: {},
	async run(ctx) {
		const [fn, sid] = ctx.positionals as [string, string];
		await (await ctx.client()).request(
			"DELETE",
			`${fnPath(fn)}/${encodeURIComponent(sid)}`,
		);
		if (ctx.json) ctx.printJson({ removed: sid });
		else ctx.print(`removed statement ${sid} from ${fn}`);
		return 0;
	},
};

export const permissionCommands: readonly CommandSpec[] = [
	permissionAddCommand,
	permissionListCommand,
	permissionRemoveCommand,
];
