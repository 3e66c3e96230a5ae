/**
 * What a command is: its name, usage line, options (type, short letter, repeatable, plus a
 * description for `--help`) and a `run`. Parsing is strict: an unknown flag or a missing
 * argument is a usage error (exit 2) that shows the usage line and, for a typo, the nearest
 * valid flag.
 */
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
	/** The values the first positional takes, when it is a closed set (for shell completion). */
	readonly argChoices?: readonly string[];
	/** The first positional names a deployed function (shell completion asks `sigil list --names`). */
	readonly argIsFunction?: boolean;
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
			"profile of ~/.sigil/credentials, else ~/.aws/credentials (env SIGIL_PROFILE, then AWS_PROFILE; default 'default')",
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
	section("global options (before or after the command)", GLOBAL_OPTIONS);
	if (spec.examples?.length)
		lines.push("", "examples:", ...spec.examples.map((e) => `  ${e}`));
	return `${lines.join("\n")}\n`;
}

/**
 * Optimal string alignment distance (Levenshtein plus adjacent transpositions, so `--hanlder`
 * is one edit from `--handler`): how the CLI finds the flag or command a typo meant.
 */
export function editDistance(a: string, b: string): number {
	const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
		Array.from({ length: b.length + 1 }, (_, j) =>
			i === 0 ? j : j === 0 ? i : 0,
		),
	);
	for (let i = 1; i <= a.length; i++)
		for (let j = 1; j <= b.length; j++) {
			const row = d[i] as number[];
			const up = d[i - 1] as number[];
			const cost = a[i - 1] === b[j - 1] ? 0 : 1;
			row[j] = Math.min(
				(up[j] as number) + 1,
				(row[j - 1] as number) + 1,
				(up[j - 1] as number) + cost,
			);
			if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
				row[j] = Math.min(row[j] as number, (d[i - 2]?.[j - 2] as number) + 1);
		}
	return d[a.length]?.[b.length] as number;
}

/**
 * The candidate a typo most likely meant: the nearest within 1 edit for short words and 2 for
 * longer ones, or the only candidate it is a prefix of (`--hand` → `--handler`). Undefined when
 * nothing is close, so a wild guess is never offered.
 */
export function closest(
	word: string,
	candidates: readonly string[],
): string | undefined {
	let best: string | undefined;
	let bestDistance = Number.POSITIVE_INFINITY;
	for (const c of candidates) {
		const distance = editDistance(word.toLowerCase(), c.toLowerCase());
		if (distance < bestDistance) {
			best = c;
			bestDistance = distance;
		}
	}
	if (best !== undefined && bestDistance <= (word.length <= 4 ? 1 : 2))
		return best;
	const prefixed = candidates.filter((c) => c.startsWith(word));
	return word.length >= 3 && prefixed.length === 1 ? prefixed[0] : undefined;
}

/** Where a flag is parsed, for messages: `sigil deploy`, or `sigil` before any command. */
export interface ParseScope {
	readonly where: string;
	readonly usage: string;
	/** Other places a flag unknown here is valid, e.g. `--handler` → `sigil deploy`. */
	readonly elsewhere?: (flag: string) => string | undefined;
}

function unknownFlag(
	flag: string,
	names: readonly string[],
	scope: ParseScope,
) {
	const long = flag.startsWith("--");
	const bare = flag.replace(/^--?/, "").split("=")[0] as string;
	const guess = long ? closest(bare, names) : undefined;
	const other = long ? scope.elsewhere?.(bare) : undefined;
	const hint = guess
		? `; did you mean --${guess}?`
		: other
			? ` (--${bare} is a flag of ${other})`
			: "";
	return usageError(
		`unknown flag ${flag.split("=")[0]} for ${scope.where}${hint}`,
		scope.usage,
	);
}

/**
 * Parses flags and positionals against `options` — Sigil's own parser rather than
 * `node:util` parseArgs, so every mistake is answered in Sigil's words with the nearest valid
 * flag. `--flag value`, `--flag=value`, `-f value`, `-fVALUE`, grouped short booleans (`-vh`),
 * `--` ending the flags. A string flag never swallows a following flag as its value
 * (`--name --runtime node` is "--name needs a value"); `--data=-v` passes one on purpose.
 */
export function parseTokens(
	argv: readonly string[],
	options: Readonly<Record<string, OptionSpec>>,
	scope: ParseScope,
): { values: OptionValues; positionals: string[] } {
	const values: OptionValues = {};
	const positionals: string[] = [];
	const names = Object.keys(options);
	const byShort = new Map(
		Object.entries(options)
			.filter(([, o]) => o.short)
			.map(([name, o]) => [o.short as string, name] as const),
	);
	const isFlag = (token: string) =>
		token.startsWith("--")
			? names.includes(token.slice(2).split("=")[0] as string)
			: /^-[A-Za-z]/.test(token) && byShort.has(token[1] as string);
	const set = (name: string, value: string | boolean) => {
		const o = options[name] as OptionSpec;
		if (o.multiple) {
			const previous = values[name];
			values[name] = [
				...(Array.isArray(previous) ? previous : []),
				value as string,
			];
		} else values[name] = value;
	};
	const takeValue = (name: string, shown: string, index: number): string => {
		const next = argv[index];
		if (next === undefined || isFlag(next) || next === "--")
			throw usageError(
				`${shown} needs a value (${shown} ${options[name]?.value ?? "VALUE"})`,
				scope.usage,
			);
		return next;
	};
	for (let i = 0; i < argv.length; i++) {
		const token = argv[i] as string;
		if (token === "--") {
			positionals.push(...argv.slice(i + 1));
			break;
		}
		if (token.startsWith("--")) {
			const eq = token.indexOf("=");
			const name = eq === -1 ? token.slice(2) : token.slice(2, eq);
			const o = options[name];
			if (!o) throw unknownFlag(token, names, scope);
			if (o.type === "boolean") {
				if (eq !== -1)
					throw usageError(
						`--${name} takes no value (got ${JSON.stringify(token.slice(eq + 1))})`,
						scope.usage,
					);
				set(name, true);
			} else if (eq !== -1) set(name, token.slice(eq + 1));
			else set(name, takeValue(name, `--${name}`, ++i));
			continue;
		}
		if (token.length > 1 && token.startsWith("-") && !/^-\d/.test(token)) {
			// A group of short flags: booleans may share a dash; a string one takes the rest.
			for (let k = 1; k < token.length; k++) {
				const short = token[k] as string;
				const name = byShort.get(short);
				if (name === undefined) throw unknownFlag(`-${short}`, names, scope);
				const o = options[name] as OptionSpec;
				if (o.type === "boolean") {
					set(name, true);
					continue;
				}
				const rest = token.slice(k + 1);
				set(name, rest !== "" ? rest : takeValue(name, `-${short}`, ++i));
				break;
			}
			continue;
		}
		positionals.push(token);
	}
	return { values, positionals };
}

/** Parses a command's arguments; throws a usage CliError on anything unexpected. */
export function parseCommandArgs(
	spec: CommandSpec,
	argv: readonly string[],
	elsewhere?: ParseScope["elsewhere"],
): { values: OptionValues; positionals: string[] } {
	const parsed = parseTokens(
		argv,
		{ ...GLOBAL_OPTIONS, ...spec.options },
		{
			where: `sigil ${spec.name}`,
			usage: spec.usage,
			...(elsewhere && { elsewhere }),
		},
	);
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
