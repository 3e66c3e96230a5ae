/**
 * What `sigil deploy` sends: for each function, the config (validated here with the same
 * `parseFunctionConfig` the gateway runs, so mistakes surface before any upload, with their key
 * paths) and the code bundle packed from the handler — a folder as is, a single file as a
 * one-file bundle whose entry defaults to `<file>.handler`.
 */
import { spawnSync } from "node:child_process";
import { readFile, stat } from "node:fs/promises";
import { basename, extname, join, resolve } from "node:path";
import {
	type FunctionConfigInput,
	NAME_PATTERN,
	parseFunctionConfig,
} from "../config/function-config.ts";
import type { SchemaIssue } from "../config/schema.ts";
import type { StackFunction } from "../config/stack-file.ts";
import { type Bundle, packDirectory } from "../functions/bundle.ts";
import { parseHandlerRef } from "../runtime/handler-ref.ts";
import { CliError, usageError } from "./cli-error.ts";

/** Deploy flags, as parsed (see `sigil deploy --help`). */
export interface DeployFlags {
	readonly name?: string | undefined;
	readonly runtime?: string | undefined;
	readonly handler?: string | undefined;
	readonly entry?: string | undefined;
	readonly contract?: string | undefined;
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
	/** The execution role's ARN (`role:` of the stack file). */
	readonly role?: string | undefined;
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
	contract: "--contract",
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
			"--runtime is required (node, process, python3, provided or http)",
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
	if (flags.contract) raw.contract = flags.contract;
	if (flags.fprocess) raw.fprocess = flags.fprocess;
	if (flags.upstream) raw.upstream = flags.upstream;
	if (flags.env.length) raw.environment = environment;
	if (flags.secrets.length) raw.secrets = [...flags.secrets];
	if (flags.role !== undefined) raw.role = flags.role;
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

/** Runtimes whose code is the bundle: without one there is nothing to run. */
const CODE_RUNTIMES = new Set(["node", "python3", "provided"]);

/**
 * Packs the handler: a folder into a bundle of its files; a single file into a one-file bundle,
 * with `entry` defaulted to `<file name without extension>.handler` when the config has none.
 *
 * Refused here, before anything is sent, so the live revision keeps running: a node or python3
 * function without a handler, an empty folder or file, an entry the bundle does not hold, and
 * a handler that does not parse (checked with this very Node, and python3 when it is there).
 * Without these a deploy answered "deployed" and the next request failed.
 * No handler for process or http (a command on the machine, an upstream) → an empty bundle
 * marked `handlerless`: the caller sends it for a new function only, and keeps the live code of
 * an existing one rather than replacing it with nothing.
 */
export async function packHandler(
	item: DeployItem,
): Promise<{ config: FunctionConfigInput; code: Bundle; handlerless?: true }> {
	const runtime = String(item.config.runtime);
	if (item.handlerPath === undefined) {
		if (CODE_RUNTIMES.has(runtime))
			throw new CliError(
				"HANDLER_REQUIRED",
				`function ${item.name} has runtime ${runtime} but no handler: deploying it would replace its code with nothing`,
				"pass --handler FILE_OR_FOLDER (or set `handler:` in the stack file); nothing was deployed, the live revision keeps running",
				{ exitCode: 2 },
			);
		return { config: item.config, code: { files: [] }, handlerless: true };
	}
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
	let config = item.config;
	let code: Bundle;
	if (info.isDirectory()) code = await packDirectory(item.handlerPath);
	else {
		const file = basename(item.handlerPath);
		const data = await readFile(item.handlerPath);
		if (!config.entry && runtime === "node")
			config = { ...config, entry: `${basename(file, extname(file))}.handler` };
		code = {
			files: [
				{
					path: file,
					mode: Number(info.mode) & 0o777,
					data: data.toString("base64"),
				},
			],
		};
	}
	const sizes = code.files.map((f) => Buffer.byteLength(f.data, "base64"));
	if (code.files.length === 0 || sizes.every((n) => n === 0))
		throw new CliError(
			"BUNDLE_EMPTY",
			`handler ${item.handlerPath} of function ${item.name} is empty (${code.files.length === 0 ? "no files" : "only empty files"})`,
			"point --handler (or `handler:`) at the function's code; nothing was deployed, the live revision keeps running",
		);
	await checkEntry(item, config, code, info.isDirectory());
	return { config, code };
}

/** The bundle holds the entry the runtime will load, and it parses. */
async function checkEntry(
	item: DeployItem,
	config: FunctionConfigInput,
	code: Bundle,
	isFolder: boolean,
): Promise<void> {
	const runtime = String(config.runtime);
	const paths = new Set(code.files.map((f) => f.path));
	const onDisk = (path: string) =>
		isFolder
			? join(item.handlerPath as string, path)
			: (item.handlerPath as string);
	let entryFile: string | undefined;
	if (runtime === "node") {
		const entry = config.entry ?? "index.handler";
		const ref = parseHandlerRef(entry);
		if (!ref.ok) return; // parseFunctionConfig already named the entry's mistake.
		entryFile = ref.candidates.find((c) => paths.has(c));
		if (!entryFile)
			throw new CliError(
				"ENTRY_NOT_FOUND",
				`entry ${entry} of function ${item.name}: the bundle holds none of ${ref.candidates.join(", ")} (it has ${[...paths].slice(0, 5).join(", ")}${paths.size > 5 ? ", …" : ""})`,
				"pass --entry FILE.EXPORT naming a file of the bundle, or add the file; nothing was deployed",
				{ exitCode: 2 },
			);
		if (/\.(mjs|js|cjs)$/.test(entryFile))
			syntaxCheck(item.name, entryFile, process.execPath, [
				"--check",
				onDisk(entryFile),
			]);
	} else if (runtime === "python3") {
		// The module the entry names (handler.handle → handler.py; a.b.fn → a/b.py).
		const lambda = config.contract === "lambda";
		const entry =
			config.entry ??
			(lambda ? "lambda_function.lambda_handler" : "handler.handle");
		const module = `${entry.slice(0, entry.lastIndexOf(".")).replaceAll(".", "/")}.py`;
		if (!paths.has(module))
			throw new CliError(
				"ENTRY_NOT_FOUND",
				`function ${item.name} (python3): the bundle has no ${module} (it has ${[...paths].slice(0, 5).join(", ")})`,
				lambda
					? `the python3 runtime (contract lambda) imports ${module} and calls ${entry}(event, context): add it, or set entry`
					: "the python3 runtime imports handler.py and calls handle(req): add it (`sigil new NAME --lang python3` shows the layout)",
				{ exitCode: 2 },
			);
		syntaxCheck(item.name, module, "python3", [
			"-c",
			"import sys; compile(open(sys.argv[1], 'rb').read(), sys.argv[1], 'exec')",
			onDisk(module),
		]);
	} else if (runtime === "provided") {
		const bootstrap = code.files.find((f) => f.path === "bootstrap");
		if (bootstrap === undefined || (bootstrap.mode & 0o111) === 0)
			throw new CliError(
				"ENTRY_NOT_FOUND",
				`function ${item.name} (provided): the bundle has ${bootstrap ? "a bootstrap that is not executable" : "no bootstrap at its top"}`,
				"the provided runtime runs ./bootstrap, which polls the Lambda Runtime API: add it and chmod +x it; nothing was deployed",
				{ exitCode: 2 },
			);
	}
}

/** Runs a parser over the entry file; a syntax error refuses the deploy with the parser's words. */
function syntaxCheck(
	name: string,
	file: string,
	command: string,
	args: string[],
): void {
	const r = spawnSync(command, args, { encoding: "utf8", timeout: 30_000 });
	if (r.error) return; // No python3 here: the gateway is the judge then.
	if (r.status === 0) return;
	// The parser's own report (where, the line, the caret, the message), without its stack.
	const report = (r.stderr ?? "")
		.split("\n")
		.filter(
			(line) =>
				!/^\s+at |^Node\.js v|^Traceback|^\s+File "<string>"/.test(line),
		)
		.join("\n")
		.replace(/\n{2,}/g, "\n")
		.trim();
	throw new CliError(
		"HANDLER_SYNTAX",
		`${file} of function ${name} does not parse:\n${report
			.split("\n")
			.map((l) => `    ${l}`)
			.join("\n")}`,
		"fix the syntax error; nothing was deployed, the live revision keeps running",
	);
}
