/** `sigil list`, `sigil describe NAME`, `sigil remove NAME`: what is deployed. */
import type { CommandSpec } from "../command.ts";
import { cell, isoTime, table } from "../output.ts";

/** The trigger auth type of a function record, wherever the API puts it. */
export function authOf(fn: Record<string, unknown>): string {
	const config = fn.config as { trigger?: { auth?: unknown } } | undefined;
	const trigger = fn.trigger as { auth?: unknown } | undefined;
	return cell(fn.auth ?? trigger?.auth ?? config?.trigger?.auth ?? "none");
}

function runtimeOf(fn: Record<string, unknown>): string {
	const config = fn.config as
		| { runtime?: unknown; contract?: unknown }
		| undefined;
	const runtime = cell(fn.runtime ?? config?.runtime);
	// python3 runs one of two contracts: say which (handle(req) or handler(event, context)).
	return typeof config?.contract === "string"
		? `${runtime} (contract ${config.contract})`
		: runtime;
}

/** The URL a function's HTTP trigger answers on. */
export function functionUrl(gateway: string, name: string): string {
	return `${gateway}/function/${name}`;
}

export const listCommand: CommandSpec = {
	name: "list",
	summary:
		"List deployed functions with their runtime, trigger auth and revision",
	usage: "list [--names] [--json]",
	options: {
		names: {
			type: "boolean",
			description:
				"only the names, one a line (for scripts and shell completion)",
		},
	},
	async run(ctx) {
		const client = await ctx.client();
		const { functions } = await client.listFunctions();
		if (ctx.values.names) {
			for (const f of functions) ctx.print(String(f.name));
			return 0;
		}
		if (ctx.json) {
			ctx.printJson({ functions });
			return 0;
		}
		if (functions.length === 0) {
			ctx.print("no functions deployed (sigil deploy deploys one)");
			return 0;
		}
		ctx.print(
			table(
				["NAME", "RUNTIME", "AUTH", "REVISION", "UPDATED"],
				functions.map((f) => [
					cell(f.name),
					runtimeOf(f),
					authOf(f),
					cell(f.revision),
					isoTime(f.updatedAt),
				]),
			),
		);
		return 0;
	},
};

export const describeCommand: CommandSpec = {
	name: "describe",
	argIsFunction: true,
	summary:
		"Show one function: URL, trigger auth, runtime, revision, code hash, limits",
	usage: "describe NAME [--json]",
	args: ["NAME"],
	options: {},
	async run(ctx) {
		const name = ctx.positionals[0] as string;
		const client = await ctx.client();
		const { function: fn } = await client.getFunction(name);
		const url =
			typeof fn.url === "string" ? fn.url : functionUrl(client.gateway, name);
		if (ctx.json) {
			ctx.printJson({ function: { ...fn, url } });
			return 0;
		}
		const config = (fn.config ?? {}) as Record<string, unknown>;
		const trigger = (config.trigger ?? {}) as Record<string, unknown>;
		const rows: [string, string][] = [
			["Name", cell(fn.name ?? name)],
			["URL", url],
			["Auth", authOf(fn)],
			["Runtime", runtimeOf(fn)],
			["Revision", cell(fn.revision)],
			["Entry", cell(config.entry)],
			["Timeout", cell(config.timeoutMs ?? config.timeout)],
			["Memory", cell(config.memoryMb ?? config.memory)],
			[
				"Secrets",
				cell(
					Array.isArray(config.secrets)
						? (config.secrets as string[]).join(", ")
						: config.secrets,
				),
			],
			[
				"HMAC secrets",
				cell(
					Array.isArray(trigger.secrets)
						? (trigger.secrets as string[]).join(", ")
						: undefined,
				),
			],
			["HMAC header", cell(trigger.header)],
			["Code SHA-256", cell(fn.codeSha256)],
			["Code size", cell(fn.codeSize)],
			["Created", isoTime(fn.createdAt)],
			["Updated", isoTime(fn.updatedAt)],
		];
		const width = Math.max(...rows.map(([k]) => k.length));
		ctx.print(
			rows
				.filter(([, v]) => v !== "-")
				.map(([k, v]) => `${`${k}:`.padEnd(width + 1)}  ${v}`)
				.join("\n"),
		);
		return 0;
	},
};

export const removeCommand: CommandSpec = {
	name: "remove",
	argIsFunction: true,
	summary: "Remove a deployed function (its trigger stops answering at once)",
	usage: "remove NAME [--json]",
	args: ["NAME"],
	options: {},
	async run(ctx) {
		const name = ctx.positionals[0] as string;
		const client = await ctx.client();
		await client.deleteFunction(name);
		if (ctx.json) ctx.printJson({ removed: name });
		else ctx.print(`removed ${name}`);
		return 0;
	},
};
