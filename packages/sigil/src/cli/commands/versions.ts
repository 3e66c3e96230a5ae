/**
 * `sigil versions NAME`, `sigil publish NAME`, `sigil alias list|create|update|delete`: a
 * function's published versions and aliases, through the control plane's
 * `/sigil/v1/functions/NAME/versions|aliases` (the same handlers as Lambda's PublishVersion,
 * ListVersionsByFunction and the alias operations: `aws lambda …` sees the same versions).
 */
import { usageError } from "../cli-error.ts";
import type { CommandContext, CommandSpec } from "../command.ts";
import { str } from "../command.ts";
import { cell, table } from "../output.ts";

const fnPath = (name: string, rest: string) =>
	`/functions/${encodeURIComponent(name)}/${rest}`;

interface VersionView {
	Version?: string;
	Description?: string;
	CodeSha256?: string;
	LastModified?: string;
}

interface AliasView {
	Name?: string;
	FunctionVersion?: string;
	Description?: string;
	RoutingConfig?: { AdditionalVersionWeights?: Record<string, number> };
	AliasArn?: string;
}

/** `--routing 2=0.1`: the one weighted additional version; `--routing none` removes it. */
function routingOf(ctx: CommandContext): unknown {
	const raw = str(ctx.values, "routing");
	if (raw === undefined) return undefined;
	if (raw === "none") return { AdditionalVersionWeights: {} };
	const m = /^(\d+)=(0|1|0?\.\d+|1\.0+)$/.exec(raw);
	if (!m)
		throw usageError(
			`--routing takes VERSION=WEIGHT (weight 0.0–1.0, e.g. 2=0.1) or none, not ${JSON.stringify(raw.slice(0, 40))}`,
			ctx.spec.usage,
		);
	return { AdditionalVersionWeights: { [m[1] as string]: Number(m[2]) } };
}

function routingText(a: AliasView): string {
	const w = a.RoutingConfig?.AdditionalVersionWeights ?? {};
	const entries = Object.entries(w);
	return entries.length ? entries.map(([v, x]) => `${v}=${x}`).join(",") : "-";
}

function printAlias(ctx: CommandContext, a: AliasView): void {
	if (ctx.json) ctx.printJson(a);
	else
		ctx.print(
			`${a.Name} → ${a.FunctionVersion}${routingText(a) === "-" ? "" : ` (routing ${routingText(a)})`}  ${a.AliasArn ?? ""}`,
		);
}

export const versionsCommand: CommandSpec = {
	name: "versions",
	argIsFunction: true,
	summary: "List a function's published versions ($LATEST first)",
	usage: "versions NAME [--json]",
	args: ["NAME"],
	options: {},
	examples: ["sigil versions hello"],
	async run(ctx) {
		const client = await ctx.client();
		const name = ctx.positionals[0] as string;
		const all: VersionView[] = [];
		let marker: string | undefined;
		// Every page: a function has at most 1,000 versions.
		do {
			const r = await client.request<{
				Versions: VersionView[];
				NextMarker?: string;
			}>(
				"GET",
				fnPath(
					name,
					`versions?MaxItems=1000${marker ? `&Marker=${encodeURIComponent(marker)}` : ""}`,
				),
			);
			all.push(...r.Versions);
			marker = r.NextMarker;
		} while (marker);
		if (ctx.json) ctx.printJson({ Versions: all });
		else
			ctx.print(
				table(
					["VERSION", "LAST MODIFIED", "CODE SHA256", "DESCRIPTION"],
					all.map((v) => [
						cell(v.Version),
						cell(v.LastModified),
						cell(v.CodeSha256),
						cell(v.Description),
					]),
				),
			);
		return 0;
	},
};

export const publishCommand: CommandSpec = {
	name: "publish",
	argIsFunction: true,
	summary:
		"Publish the function's current code and config as a new immutable version",
	usage: "publish NAME [--description TEXT] [--json]",
	args: ["NAME"],
	options: {
		description: {
			type: "string",
			value: "TEXT",
			description: "the version's description (default: the function's)",
		},
	},
	details:
		"Nothing changed since the newest version: that version is printed and nothing is published (Lambda's rule).",
	examples: ['sigil publish hello --description "release 1"'],
	async run(ctx) {
		const description = str(ctx.values, "description");
		const v = await (await ctx.client()).request<VersionView>(
			"POST",
			fnPath(ctx.positionals[0] as string, "versions"),
			description === undefined ? {} : { Description: description },
		);
		if (ctx.json) ctx.printJson(v);
		else ctx.print(`version ${v.Version}  ${v.CodeSha256 ?? ""}`);
		return 0;
	},
};

export const aliasListCommand: CommandSpec = {
	name: "alias list",
	argIsFunction: true,
	summary: "List a function's aliases and the versions they point at",
	usage: "alias list NAME [--json]",
	args: ["NAME"],
	options: {},
	async run(ctx) {
		const r = await (await ctx.client()).request<{ Aliases: AliasView[] }>(
			"GET",
			fnPath(ctx.positionals[0] as string, "aliases?MaxItems=100"),
		);
		if (ctx.json) ctx.printJson(r);
		else
			ctx.print(
				table(
					["ALIAS", "VERSION", "ROUTING", "DESCRIPTION"],
					r.Aliases.map((a) => [
						cell(a.Name),
						cell(a.FunctionVersion),
						routingText(a),
						cell(a.Description),
					]),
				),
			);
		return 0;
	},
};

const ALIAS_OPTIONS = {
	"function-version": {
		type: "string",
		value: "V",
		description: "$LATEST or a published version number",
	},
	description: { type: "string", value: "TEXT", description: "free text" },
	routing: {
		type: "string",
		value: "V=W",
		description:
			"send the share W (0.0–1.0) of invocations to version V; none removes it",
	},
} as const;

export const aliasCreateCommand: CommandSpec = {
	name: "alias create",
	argIsFunction: true,
	summary: "Create an alias pointing at a version",
	usage:
		"alias create NAME ALIAS --function-version V [--description TEXT] [--routing V=W] [--json]",
	args: ["NAME", "ALIAS"],
	options: ALIAS_OPTIONS,
	examples: [
		"sigil alias create hello prod --function-version 1",
		"sigil alias create hello canary --function-version 1 --routing 2=0.1",
	],
	async run(ctx) {
		const version = str(ctx.values, "function-version");
		if (!version)
			throw usageError("--function-version is required", ctx.spec.usage);
		const description = str(ctx.values, "description");
		const routing = routingOf(ctx);
		const a = await (await ctx.client()).request<AliasView>(
			"POST",
			fnPath(ctx.positionals[0] as string, "aliases"),
			{
				Name: ctx.positionals[1],
				FunctionVersion: version,
				...(description !== undefined && { Description: description }),
				...(routing !== undefined && { RoutingConfig: routing }),
			},
		);
		printAlias(ctx, a);
		return 0;
	},
};

export const aliasUpdateCommand: CommandSpec = {
	name: "alias update",
	argIsFunction: true,
	summary: "Point an alias at another version, or change its routing",
	usage:
		"alias update NAME ALIAS [--function-version V] [--description TEXT] [--routing V=W|none] [--json]",
	args: ["NAME", "ALIAS"],
	options: ALIAS_OPTIONS,
	examples: ["sigil alias update hello prod --function-version 2"],
	async run(ctx) {
		const version = str(ctx.values, "function-version");
		const description = str(ctx.values, "description");
		const routing = routingOf(ctx);
		if (
			version === undefined &&
			description === undefined &&
			routing === undefined
		)
			throw usageError(
				"give --function-version, --description or --routing",
				ctx.spec.usage,
			);
		const a = await (await ctx.client()).request<AliasView>(
			"PUT",
			fnPath(
				ctx.positionals[0] as string,
				`aliases/${encodeURIComponent(ctx.positionals[1] as string)}`,
			),
			{
				...(version !== undefined && { FunctionVersion: version }),
				...(description !== undefined && { Description: description }),
				...(routing !== undefined && { RoutingConfig: routing }),
			},
		);
		printAlias(ctx, a);
		return 0;
	},
};

export const aliasDeleteCommand: CommandSpec = {
	name: "alias delete",
	argIsFunction: true,
	summary: "Delete an alias (its versions stay)",
	usage: "alias delete NAME ALIAS",
	args: ["NAME", "ALIAS"],
	options: {},
	async run(ctx) {
		await (await ctx.client()).request(
			"DELETE",
			fnPath(
				ctx.positionals[0] as string,
				`aliases/${encodeURIComponent(ctx.positionals[1] as string)}`,
			),
		);
		if (!ctx.json) ctx.print(`deleted alias ${ctx.positionals[1]}`);
		return 0;
	},
};

export const versionCommands: readonly CommandSpec[] = [
	versionsCommand,
	publishCommand,
	aliasListCommand,
	aliasCreateCommand,
	aliasUpdateCommand,
	aliasDeleteCommand,
];
