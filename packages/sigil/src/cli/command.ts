/**
 * What a command is: its name, usage line, options (as `node:util` `parseArgs` takes them, plus a
 * description for `--help`) and a `run`. Parsing is strict: an unknown flag or a missing
 * argument is a usage error (exit 2) that shows the usage line.
 */
import { parseArgs } from "node:util";
import { CliError, usageError } from "./cli-error.ts";
import { ControlPlaneClient } from "./control-plane-client.ts";
import type { CliIo } from "./io.ts";
import {
	type GlobalFlags,
	resolveSettings,
	type Settings,
} from "./settings.ts";

export interface OptionSpec {
	readonly type: "string" | "boolean";
	readonly short?: string;
	readonly multiple?: boolean;
	/** Placeholder in help, e.g. `NAME`. */
	readonly value?: string;
	readonly description: string;
}

export type OptionValues = Record<
	string,
	string | boolean | string[] | undefined
>;

export interface CommandContext {
	readonly io: CliIo;
	readonly values: OptionValues;
	readonly positionals: readonly string[];
	readonly json: boolean;
	readonly globals: GlobalFlags;
	readonly spec: CommandSpec;
	/** Settings (gateway, region, credentials), resolved on first use. */
	settings(fallbackGateway?: string): Promise<Settings>;
	/** A control-plane client for the resolved settings. */
	client(fallbackGateway?: string): Promise<ControlPlaneClient>;
	/** Writes a line (or several) to stdout. */
	print(text: string): void;
	/** Writes one JSON document to stdout. */
	printJson(value: unknown): void;
}

export interface CommandSpec {
	/** Words after `sigil`, e.g. `key create`. */
	readonly name: string;
	readonly summary: string;
	/** Usage after `sigil `, e.g. `key disable ID [--json]`. */
	readonly usage: string;
	readonly options: Readonly<Record<string, OptionSpec>>;
	/** Positional argument names; those ending in `?` are optional. */
	readonly args?: readonly string[];
	readonly details?: string;
	readonly examples?: readonly string[];
	run(ctx: CommandContext): Promise<number>;
}

/** Flags every command takes. */
export const GLOBAL_OPTIONS: Readonly<Record<string, OptionSpec>> = {
	gateway: {
		type: "string",
		value: "URL",
		description:
			"gateway URL (env SIGIL_URL; default from the profile, else http://127.0.0.1:8080)",
	},
	profile: {
		type: "string",
		value: "NAME",
		description:
			"profile of ~/.sigil/credentials (env SIGIL_PROFILE; default 'default')",
	},
	region: {
		type: "string",
		value: "REGION",
		description:
			"region to sign for (env SIGIL_REGION; default from the profile, else us-east-1)",
	},
	json: {
		type: "boolean",
		description: "machine-readable JSON output (errors too)",
	},
	help: { type: "boolean", short: "h", description: "show this help" },
};

/** The `--help` text of a command. */
export function renderHelp(spec: CommandSpec): string {
	const lines = [`usage: sigil ${spec.usage}`, "", spec.summary];
	if (spec.details) lines.push("", spec.details);
	const section = (
		title: string,
		options: Readonly<Record<string, OptionSpec>>,
	) => {
		const entries = Object.entries(options);
		if (entries.length === 0) return;
		lines.push("", `${title}:`);
		const rows = entries.map(
			([name, o]) =>
				[
					`${o.short ? `-${o.short}, ` : "    "}--${name}${o.value ? ` ${o.value}` : ""}${o.multiple ? " (repeatable)" : ""}`,
					o.description,
				] as const,
		);
		const width = Math.max(...rows.map(([left]) => left.length));
		for (const [left, right] of rows)
			lines.push(`  ${left.padEnd(width)}  ${right}`);
	};
	section("options", spec.options);
	section("global options", GLOBAL_OPTIONS);
	if (spec.examples?.length)
		lines.push("", "examples:", ...spec.examples.map((e) => `  ${e}`));
	return `${lines.join("\n")}\n`;
}

/** Parses a command's arguments; throws a usage CliError on anything unexpected. */
export function parseCommandArgs(
	spec: CommandSpec,
	argv: readonly string[],
): { values: OptionValues; positionals: string[] } {
	const options: Record<
		string,
		{ type: "string" | "boolean"; short?: string; multiple?: boolean }
	> = {};
	for (const [name, o] of Object.entries({
		...GLOBAL_OPTIONS,
		...spec.options,
	}))
		options[name] = {
			type: o.type,
			...(o.short && { short: o.short }),
			...(o.multiple && { multiple: true }),
		};
	let parsed: { values: OptionValues; positionals: string[] };
	try {
		parsed = parseArgs({
			args: [...argv],
			options,
			strict: true,
			allowPositionals: true,
		}) as { values: OptionValues; positionals: string[] };
	} catch (error) {
		throw usageError(
			(error as Error).message.split("\n")[0] ?? "bad arguments",
			spec.usage,
		);
	}
	if (parsed.values.help) return parsed;
	const args = spec.args ?? [];
	const required = args.filter((a) => !a.endsWith("?")).length;
	if (parsed.positionals.length < required)
		throw usageError(`missing ${args[parsed.positionals.length]}`, spec.usage);
	if (parsed.positionals.length > args.length)
		throw usageError(
			`unexpected argument ${JSON.stringify(parsed.positionals[args.length])}`,
			spec.usage,
		);
	return parsed;
}

/** Builds the context a command runs in. */
export function makeContext(
	spec: CommandSpec,
	io: CliIo,
	values: OptionValues,
	positionals: readonly string[],
): CommandContext {
	const globals: GlobalFlags = {
		gateway: values.gateway as string | undefined,
		profile: values.profile as string | undefined,
		region: values.region as string | undefined,
	};
	let settings: Promise<Settings> | undefined;
	const ctx: CommandContext = {
		io,
		values,
		positionals,
		json: values.json === true,
		globals,
		spec,
		settings(fallbackGateway) {
			settings ??= resolveSettings(globals, io, fallbackGateway);
			return settings;
		},
		async client(fallbackGateway) {
			const s = await ctx.settings(fallbackGateway);
			return new ControlPlaneClient({
				gateway: s.gateway,
				region: s.region,
				credentials: s.credentials,
			});
		},
		print(text) {
			io.stdout.write(text.endsWith("\n") ? text : `${text}\n`);
		},
		printJson(value) {
			io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
		},
	};
	return ctx;
}

/** A string option's value, or undefined. */
export function str(values: OptionValues, name: string): string | undefined {
	const v = values[name];
	return typeof v === "string" ? v : undefined;
}

/** A repeatable string option's values (empty when absent). */
export function list(values: OptionValues, name: string): string[] {
	const v = values[name];
	return Array.isArray(v) ? v : typeof v === "string" ? [v] : [];
}

/** A positive whole number option, or a usage error naming the flag. */
export function intOption(
	values: OptionValues,
	name: string,
	usage: string,
): number | undefined {
	const v = str(values, name);
	if (v === undefined) return undefined;
	if (!/^\d+$/.test(v))
		throw usageError(
			`--${name} must be a whole number, got ${JSON.stringify(v)}`,
			usage,
		);
	return Number(v);
}

export { CliError };
