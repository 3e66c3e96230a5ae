/**
 * `sigil key create|list|disable|enable|delete`: the account's access keys, in AWS IAM's shapes
 * (`key create --json` prints `{"AccessKey": {...}}` exactly as `aws iam create-access-key`).
 */
import type { CommandSpec } from "../command.ts";
import { cell, isoTime, table } from "../output.ts";

export const keyCreateCommand: CommandSpec = {
	name: "key create",
	summary: "Create an access key; its secret is shown this once",
	usage: "key create [--json]",
	options: {},
	async run(ctx) {
		const client = await ctx.client();
		const answer = await client.createKey();
		if (ctx.json) {
			ctx.printJson(answer);
			return 0;
		}
		const key = answer.AccessKey;
		ctx.print(
			[
				`AccessKeyId:     ${key.AccessKeyId}`,
				`SecretAccessKey: ${key.SecretAccessKey}`,
				`Status:          ${key.Status}`,
				`CreateDate:      ${isoTime(key.CreateDate)}`,
				"",
				"The secret access key is shown only now: store it safely (e.g. as SIGIL_SECRET_ACCESS_KEY).",
			].join("\n"),
		);
		return 0;
	},
};

export const keyListCommand: CommandSpec = {
	name: "key list",
	summary: "List access keys with their status and last use (never secrets)",
	usage: "key list [--json]",
	options: {},
	async run(ctx) {
		const client = await ctx.client();
		const answer = await client.listKeys();
		if (ctx.json) {
			ctx.printJson(answer);
			return 0;
		}
		ctx.print(
			table(
				["ACCESS KEY ID", "STATUS", "CREATED", "LAST USED", "SCHEME"],
				answer.AccessKeyMetadata.map((k) => [
					cell(k.AccessKeyId),
					cell(k.Status),
					isoTime(k.CreateDate),
					isoTime(k.LastUsedDate),
					cell(k.LastUsedScheme),
				]),
			),
		);
		return 0;
	},
};

function statusCommand(action: "disable" | "enable"): CommandSpec {
	return {
		name: `key ${action}`,
		summary:
			action === "disable"
				? "Disable an access key: requests signed with it are refused"
				: "Enable a disabled access key again",
		usage: `key ${action} ID [--json]`,
		args: ["ID"],
		options: {},
		async run(ctx) {
			const client = await ctx.client();
			const answer = await client.setKeyStatus(
				ctx.positionals[0] as string,
				action,
			);
			if (ctx.json) ctx.printJson(answer);
			else
				ctx.print(
					`${answer.AccessKeyId ?? ctx.positionals[0]} is now ${answer.Status ?? (action === "disable" ? "Inactive" : "Active")}`,
				);
			return 0;
		},
	};
}

export const keyDeleteCommand: CommandSpec = {
	name: "key delete",
	summary: "Delete an access key for good",
	usage: "key delete ID [--json]",
	args: ["ID"],
	options: {},
	async run(ctx) {
		const id = ctx.positionals[0] as string;
		const client = await ctx.client();
		await client.deleteKey(id);
		if (ctx.json) ctx.printJson({ deleted: id });
		else ctx.print(`deleted ${id}`);
		return 0;
	},
};

export const keyCommands: readonly CommandSpec[] = [
	keyCreateCommand,
	keyListCommand,
	statusCommand("disable"),
	statusCommand("enable"),
	keyDeleteCommand,
];
