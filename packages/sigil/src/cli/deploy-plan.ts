/**
 * What `sigil deploy` sends: for each function, the config (validated here with the same
 * `parseFunctionConfig` the gateway runs, so mistakes surface before any upload, with their key
 * paths) and the code bundle packed from the handler — a folder as is, a single file as a
 * one-file bundle whose entry defaults to `<file>.handler`.
 */
import { readFile, stat } from "node:fs/promises";
import { basename, extname, resolve } from "node:path";
import {
	type FunctionConfigInput,
	NAME_PATTERN,
	parseFunctionConfig,
} from "../config/function-config.ts";
import type { SchemaIssue } from "../config/schema.ts";
import type { StackFunction } from "../config/stack-file.ts";
import { type Bundle, packDirectory } from "../functions/bundle.ts";
import { CliError, usageError } from "./cli-error.ts";

/** Deploy flags, as parsed (see `sigil deploy --help`). */
export interface DeployFlags {
	readonly name?: string | undefined;
	readonly runtime?: string | undefined;
	readonly handler?: string | undefined;
	readonly entry?: string | undefined;
	readonly fprocess?: string | undefined;
	readonly upstream?: string | undefined;
	readonly auth?: string | undefined;
	readonly hmacSecrets: readonly string[];
	readonly hmacHeader?: string | undefined;
	readonly algorithms: readonly string[];
	readonly secrets: readonly string[];
	readonly env: readonly string[];
	readonly timeout?: string | undefined;
	readonly memory?: string | undefined;
}

/** One function ready to PUT. */
export interface DeployItem {
	readonly name: string;
	/** The config input as the stack file would hold it, `handler` removed (the bundle replaces it). */
	readonly config: FunctionConfigInput;
	readonly handlerPath?: string;
}

/** Which flag sets which config key, so validation errors can name the flag the user typed. */
const FLAG_OF: Readonly<Record<string, string>> = {
	runtime: "--runtime",
	entry: "--entry",
	fprocess: "--fprocess",
	upstream: "--upstream",
	environment: "--env",
	secrets: "--secret",
	timeout: "--timeout",
	memory: "--memory",
	"trigger.auth": "--auth",
	"trigger.secrets": "--hmac-secret",
	"trigger.header": "--hmac-header",
	"trigger.algorithms": "--algorithm",
};

function describeIssues(
	issues: readonly SchemaIssue[],
	fromFlags: boolean,
): string {
	return issues
		.map((i) => {
			const key = i.path.replace(/\[\d+\]$/, "");
			const flag = fromFlags
				? (FLAG_OF[key] ?? FLAG_OF[key.split(".").slice(0, 2).join(".")])
				: undefined;
			return `  - ${i.path}${flag ? ` (${flag})` : ""}: ${i.message}`;
		})
		.join("\n");
}

/** Builds and validates one function's config from deploy flags. */
export function configFromFlags(
	flags: DeployFlags,
	cwd: string,
	usage: string,
): DeployItem {
	if (!flags.name)
		throw usageError(
			"--name is required when deploying without a stack file",
			usage,
		);
	if (!NAME_PATTERN.test(flags.name))
		throw usageError(
			`--name ${JSON.stringify(flags.name)} must be lower-case letters, digits and '-' (1–64)`,
			usage,
		);
	if (!flags.runtime)
		throw usageError(
			"--runtime is required (node, process, python3 or http)",
			usage,
		);
	const environment: Record<string, string> = {};
	for (const pair of flags.env) {
		const eq = pair.indexOf("=");
		if (eq <= 0)
			throw usageError(
				`--env ${JSON.stringify(pair)} must be KEY=VALUE`,
				usage,
			);
		environment[pair.slice(0, eq)] = pair.slice(eq + 1);
	}
	const trigger: Record<string, unknown> = { auth: flags.auth ?? "none" };
	if (flags.hmacSecrets.length) trigger.secrets = [...flags.hmacSecrets];
	if (flags.hmacHeader) trigger.header = flags.hmacHeader;
	if (flags.algorithms.length) trigger.algorithms = [...flags.algorithms];
	const raw: Record<string, unknown> = { runtime: flags.runtime, trigger };
	if (flags.handler) raw.handler = flags.handler;
	if (flags.entry) raw.entry = flags.entry;
	if (flags.fprocess) raw.fprocess = flags.fprocess;
	if (flags.upstream) raw.upstream = flags.upstream;
	if (flags.env.length) raw.environment = environment;
	if (flags.secrets.length) raw.secrets = [...flags.secrets];
	// `--timeout 30` is seconds like the stack file's bare number; `30s`/`500ms`/`2m` pass through.
	if (flags.timeout !== undefined)
		raw.timeout = /^\d+(\.\d+)?$/.test(flags.timeout)
			? Number(flags.timeout)
			: flags.timeout;
	if (flags.memory !== undefined)
		raw.memory = /^\d+$/.test(flags.memory)
			? Number(flags.memory)
			: flags.memory;
	const checked = parseFunctionConfig(raw);
	if (!checked.ok)
		throw new CliError(
			"CONFIG_INVALID",
			`the function config is not valid:\n${describeIssues(checked.issues, true)}`,
			"correct the flags named above (sigil deploy --help lists them)",
			{
				exitCode: 2,
			},
		);
	const { handler, ...config } = raw as FunctionConfigInput;
	return {
		name: flags.name,
		config,
		...(handler !== undefined && { handlerPath: resolve(cwd, handler) }),
	};
}

/** Turns stack-file functions (already validated by parseStackFile) into deploy items. */
export function itemsFromStack(
	functions: readonly StackFunction[],
	filter?: string,
): DeployItem[] {
	const chosen = filter
		? functions.filter((f) => f.name === filter)
		: functions;
	if (filter && chosen.length === 0)
		throw new CliError(
			"FUNCTION_NOT_IN_STACK",
			`the stack file declares no function ${JSON.stringify(filter)}`,
			`use one of: ${functions.map((f) => f.name).join(", ") || "(none)"}`,
		);
	return chosen.map((f) => {
		const { handler: _handler, ...config } = f.config;
		return {
			name: f.name,
			config,
			...(f.handlerDir !== undefined && { handlerPath: f.handlerDir }),
		};
	});
}

/**
 * Packs the handler: a folder into a bundle of its files; a single file into a one-file bundle,
 * with `entry` defaulted to `<file name without extension>.handler` when the config has none.
 * No handler (runtime http, or a process command on the image) → an empty bundle.
 */
export async function packHandler(
	item: DeployItem,
): Promise<{ config: FunctionConfigInput; code: Bundle }> {
	if (item.handlerPath === undefined)
		return { config: item.config, code: { files: [] } };
	let info: Awaited<ReturnType<typeof stat>>;
	try {
		info = await stat(item.handlerPath);
	} catch {
		throw new CliError(
			"HANDLER_NOT_FOUND",
			`handler ${item.handlerPath} of function ${item.name} does not exist`,
			"pass --handler FILE_OR_FOLDER, or fix `handler:` in the stack file",
		);
	}
	if (info.isDirectory())
		return { config: item.config, code: await packDirectory(item.handlerPath) };
	const file = basename(item.handlerPath);
	const data = await readFile(item.handlerPath);
	const config =
		item.config.entry || item.config.runtime !== "node"
			? item.config
			: { ...item.config, entry: `${basename(file, extname(file))}.handler` };
	return {
		config,
		code: {
			files: [
				{
					path: file,
					mode: Number(info.mode) & 0o777,
					data: data.toString("base64"),
				},
			],
		},
	};
}
