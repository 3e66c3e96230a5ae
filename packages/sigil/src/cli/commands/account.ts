/**
 * `sigil account create|list`: accounts of this gateway. Only the root account's root identity
 * may run them; `create` prints the new account's id and its admin access key (shown once).
 */

import type { CommandSpec } from "../command.ts";
import { str } from "../command.ts";
import { cell, isoTime, table } from "../output.ts";

interface CreatedAccount {
	accountId: string;
	name: string;
	arn: string;
	accessKey: { AccessKeyId: string; SecretAccessKey: string };
}

export const accountCreateCommand: CommandSpec = {
	name: "account create",
	summary: "Create an account and its admin access key (root account only)",
	usage: "account create [--name NAME] [--json]",
	options: {
		name: {
			type: "string",
			value: "NAME",
			description: "a label for the account",
		},
	},
	examples: ["sigil account create --name partner --json"],
	async run(ctx) {
		const client = await ctx.client();
		const name = str(ctx.values, "name");
		const a = await client.request<CreatedAccount>("POST", "/accounts", {
			...(name && { name }),
		});
		if (ctx.json) {
			ctx.printJson(a);
			return 0;
		}
		ctx.print(
			[
				`AccountId:       ${a.accountId}`,
				`Admin ARN:       ${a.arn}`,
				`AccessKeyId:     ${a.accessKey.AccessKeyId}`,
				`SecretAccessKey: ${a.accessKey.SecretAccessKey}`,
				"",
				"The secret access key is shown only now: store it safely.",
			].join("\n"),
		);
		return 0;
	},
};

export const accountListCommand: CommandSpec = {
	name: "account list",
	summary: "List the gateway's accounts (root account only)",
	usage: "account list [--json]",
	options: {},
	async run(ctx) {
		const client = await ctx.client();
		const r = await client.request<{
			accounts: {
				accountId: string;
				name: string;
				isRoot: boolean;
				createdAt: string;
			}[];
		}>("GET", "/accounts");
		if (ctx.json) ctx.printJson(r);
		else
			ctx.print(
				table(
					["ACCOUNT ID", "NAME", "ROOT", "CREATED"],
					r.accounts.map((a) => [
						a.accountId,
						cell(a.name),
						a.isRoot ? "yes" : "",
						isoTime(a.createdAt),
					]),
				),
			);
		return 0;
	},
};

export const accountCommands: readonly CommandSpec[] = [
	accountCreateCommand,
	accountListCommand,
];
