/** `sigil user create|list|delete` and `sigil role create`: IAM users and roles of the account. */

import { usageError } from "../cli-error.ts";
import type { CommandSpec } from "../command.ts";
import { intOption, str } from "../command.ts";
import { xmlValues } from "../control-plane-client.ts";
import { isoTime, table } from "../output.ts";
import { readPolicyDocument } from "./policy-document.ts";

interface UserView {
	userName: string;
	userId: string;
	arn: string;
	createdAt: string;
}

export const userCreateCommand: CommandSpec = {
	name: "user create",
	summary: "Create an IAM user (add --key to also create its access key)",
	usage: "user create NAME [--key] [--json]",
	args: ["NAME"],
	options: {
		key: {
			type: "boolean",
			description: "also create an access key for the user (secret shown once)",
		},
	},
	examples: ["sigil user create alice --key"],
	async run(ctx) {
		const client = await ctx.client();
		const name = ctx.positionals[0] as string;
		const { user } = await client.request<{ user: UserView }>(
			"POST",
			"/users",
			{ userName: name },
		);
		const key = ctx.values.key
			? (
					await client.request<{
						AccessKey: { AccessKeyId: string; SecretAccessKey: string };
					}>("POST", `/users/${encodeURIComponent(name)}/keys`)
				).AccessKey
			: undefined;
		if (ctx.json) {
			ctx.printJson({ user, ...(key && { AccessKey: key }) });
			return 0;
		}
		ctx.print(`created ${user.arn} (${user.userId})`);
		if (key)
			ctx.print(
				`AccessKeyId:     ${key.AccessKeyId}\nSecretAccessKey: ${key.SecretAccessKey}\nThe secret access key is shown only now.`,
			);
		return 0;
	},
};

export const userListCommand: CommandSpec = {
	name: "user list",
	summary: "List the account's IAM users",
	usage: "user list [--json]",
	options: {},
	async run(ctx) {
		const r = await (await ctx.client()).request<{ users: UserView[] }>(
			"GET",
			"/users",
		);
		if (ctx.json) ctx.printJson(r);
		else
			ctx.print(
				table(
					["USER", "USER ID", "ARN", "CREATED"],
					r.users.map((u) => [
						u.userName,
						u.userId,
						u.arn,
						isoTime(u.createdAt),
					]),
				),
			);
		return 0;
	},
};

export const userDeleteCommand: CommandSpec = {
	name: "user delete",
	summary:
		"Delete a user with its access keys, inline and attached policies and group memberships (revoked at once)",
	usage: "user delete NAME [--json]",
	args: ["NAME"],
	options: {},
	async run(ctx) {
		const name = ctx.positionals[0] as string;
		const client = await ctx.client();
		const user = `/users/${encodeURIComponent(name)}`;
		// IAM refuses to delete a user that still has keys or policies (DeleteConflict), so the
		// CLI removes them first, each step authorized on its own as the API requires.
		const keys = await client.request<{
			AccessKeyMetadata: { AccessKeyId: string }[];
		}>("GET", `/keys?user=${encodeURIComponent(name)}`);
		for (const k of keys.AccessKeyMetadata)
			await client.request(
				"DELETE",
				`/keys/${encodeURIComponent(k.AccessKeyId)}`,
			);
		const policies = await client.request<{
			policies: { policyName: string }[];
		}>("GET", `${user}/policies`);
		for (const p of policies.policies)
			await client.request(
				"DELETE",
				`${user}/policies/${encodeURIComponent(p.policyName)}`,
			);
		// Managed policies and group memberships: IAM's own API holds them (the AWS CLI's
		// detach-user-policy and remove-user-from-group).
		const attached = await client.queryAction(
			"iam",
			"ListAttachedUserPolicies",
			{
				UserName: name,
			},
		);
		for (const arn of xmlValues(attached, "PolicyArn"))
			await client.queryAction("iam", "DetachUserPolicy", {
				UserName: name,
				PolicyArn: arn,
			});
		const groups = await client.queryAction("iam", "ListGroupsForUser", {
			UserName: name,
		});
		for (const group of xmlValues(groups, "GroupName"))
			await client.queryAction("iam", "RemoveUserFromGroup", {
				UserName: name,
				GroupName: group,
			});
		await client.request("DELETE", user);
		if (ctx.json) ctx.printJson({ deleted: name });
		else ctx.print(`deleted user ${name}`);
		return 0;
	},
};

export const roleCreateCommand: CommandSpec = {
	name: "role create",
	summary:
		"Create a role with its trust policy (who may assume it through STS)",
	usage:
		"role create NAME --trust-policy JSON|file://PATH [--max-session-duration SECONDS] [--json]",
	args: ["NAME"],
	options: {
		"trust-policy": {
			type: "string",
			value: "JSON",
			description: "the trust policy, inline or file://PATH",
		},
		"max-session-duration": {
			type: "string",
			value: "SECONDS",
			description: "3600–43200 (default 3600)",
		},
	},
	examples: [
		`sigil role create invoker --trust-policy '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}]}'`,
	],
	async run(ctx) {
		const usage = ctx.spec.usage;
		const trust = str(ctx.values, "trust-policy");
		if (!trust) throw usageError("--trust-policy is required", usage);
		const max = intOption(ctx.values, "max-session-duration", usage);
		const r = await (await ctx.client()).request<{
			role: { arn: string; roleId: string };
		}>("POST", "/roles", {
			roleName: ctx.positionals[0],
			trustPolicy: await readPolicyDocument(trust, "trust-policy"),
			...(max !== undefined && { maxSessionDuration: max }),
		});
		if (ctx.json) ctx.printJson(r);
		else ctx.print(`created ${r.role.arn} (${r.role.roleId})`);
		return 0;
	},
};

export const userCommands: readonly CommandSpec[] = [
	userCreateCommand,
	userListCommand,
	userDeleteCommand,
	roleCreateCommand,
];
