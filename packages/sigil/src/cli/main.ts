/**
 * `sigil` — the command line of Sigil. Noun-verb commands (`sigil key create`) and faas-cli's
 * verbs where users know them (`deploy`, `invoke`, `list`, `describe`, `remove`, `logs`).
 *
 * @example
 *     import { main } from "./main.ts";
 *     process.exitCode = await main(process.argv.slice(2), processIo());
 */

import { CliError, formatError, toCliError, usageError } from "./cli-error.ts";
import { painter } from "./colour.ts";
import {
	type CommandSpec,
	closest,
	GLOBAL_OPTIONS,
	makeContext,
	type OptionSpec,
	type OptionValues,
	parseCommandArgs,
	parseTokens,
	renderHelp,
} from "./command.ts";
import { accountCommands } from "./commands/account.ts";
import { completionCommand } from "./commands/completion.ts";
import { configureCommand, whoamiCommand } from "./commands/configure.ts";
import { deployCommand } from "./commands/deploy.ts";
import { envCommand } from "./commands/env.ts";
import {
	describeCommand,
	listCommand,
	removeCommand,
} from "./commands/functions.ts";
import { invokeCommand } from "./commands/invoke.ts";
import { jobCommand, jobsCommand } from "./commands/jobs.ts";
import { keyCommands } from "./commands/keys.ts";
import { logsCommand } from "./commands/logs.ts";
import { newCommand } from "./commands/new.ts";
import { permissionCommands } from "./commands/permission.ts";
import { policyCommands } from "./commands/policy.ts";
import { roleCommands, stsCommands } from "./commands/roles.ts";
import { secretCommands } from "./commands/secrets.ts";
import { upCommand } from "./commands/up.ts";
import { userCommands } from "./commands/user.ts";
import { versionCommands } from "./commands/versions.ts";
import type { CliIo } from "./io.ts";

export const VERSION = "0.1.0";

/** Every command, in the order `sigil --help` lists them. */
export const COMMANDS: readonly CommandSpec[] = [
	upCommand,
	newCommand,
	deployCommand,
	listCommand,
	describeCommand,
	removeCommand,
	invokeCommand,
	...keyCommands,
	...secretCommands,
	logsCommand,
	jobsCommand,
	jobCommand,
	...accountCommands,
	...userCommands,
	...roleCommands,
	...stsCommands,
	...policyCommands,
	...permissionCommands,
	...versionCommands,
	configureCommand,
	whoamiCommand,
	envCommand,
	completionCommand,
];

/** The top-level help: every command with its one-line summary. */
export function renderTopHelp(group?: string): string {
	const shown = COMMANDS.filter(
		(c) => !group || c.name.startsWith(`${group} `),
	);
	const width = Math.max(...shown.map((c) => c.name.length));
	const lines = [
		group
			? `usage: sigil ${group} <${shown.map((c) => c.name.split(" ")[1]).join("|")}> [options]`
			: "usage: sigil <command> [options]",
		"",
		group
			? `Manage ${group}s.`
			: "Sigil: serverless functions whose HTTP triggers trust only signed requests.",
		"",
		"commands:",
		...shown.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
	];
	if (!group)
		lines.push(
			"",
			"global options (before or after the command):",
			"  --gateway URL, --profile NAME, --region REGION, --json, -h/--help; -v/--version",
		);
	lines.push(
		"",
		`Run \`sigil <command> --help\` for a command's options.${group ? "" : " Docs: docs/cli.md"}`,
	);
	return `${lines.join("\n")}\n`;
}

/** Finds the command named by the leading words of argv (`key create …` → `key create`). */
export function findCommand(
	argv: readonly string[],
): { spec: CommandSpec; rest: string[] } | undefined {
	const two = `${argv[0]} ${argv[1]}`;
	const spec =
		COMMANDS.find((c) => c.name === two) ??
		COMMANDS.find((c) => c.name === argv[0]);
	if (!spec) return undefined;
	return { spec, rest: argv.slice(spec.name.split(" ").length) };
}

/** The commands that take `--flag`, for "--handler is a flag of sigil deploy". */
function commandsWithFlag(flag: string): string | undefined {
	const owners = COMMANDS.filter((c) => Object.hasOwn(c.options, flag)).map(
		(c) => `sigil ${c.name}`,
	);
	if (owners.length === 0) return undefined;
	return owners.length <= 3
		? owners.join(", ")
		: `${owners.slice(0, 3).join(", ")} and ${owners.length - 3} more`;
}

/** What may come before the command: the global options, plus -v/--version. */
const LEADING_OPTIONS: Readonly<Record<string, OptionSpec>> = {
	...GLOBAL_OPTIONS,
	version: { type: "boolean", short: "v", description: "print the version" },
};

/**
 * Splits `sigil [global flags] <command words> [rest]`: global flags may come before the
 * command as well as after it (`sigil --profile ci deploy`), as in the AWS CLI and kubectl.
 */
function splitLeading(argv: readonly string[]): {
	values: OptionValues;
	rest: string[];
} {
	let end = 0;
	while (end < argv.length) {
		const token = argv[end] as string;
		if (token === "--" || !token.startsWith("-") || token === "-") break;
		const name = token.startsWith("--")
			? (token.slice(2).split("=")[0] as string)
			: Object.entries(LEADING_OPTIONS).find(
					([, o]) => o.short === token[1],
				)?.[0];
		const o = name === undefined ? undefined : LEADING_OPTIONS[name];
		const takesNext =
			o?.type === "string" &&
			!token.includes("=") &&
			!/^-[A-Za-z]./.test(token);
		end += takesNext ? 2 : 1;
	}
	const { values } = parseTokens(argv.slice(0, end), LEADING_OPTIONS, {
		where: "sigil",
		usage: "sigil [global options] <command> [options]",
		elsewhere: (flag) => {
			const owners = commandsWithFlag(flag);
			return owners && `${owners}; a command's own flags go after it`;
		},
	});
	return { values, rest: argv.slice(end) };
}

/** Runs the CLI and returns its exit code: 0 ok, 1 failure, 2 usage error. */
export async function main(
	argv: readonly string[],
	io: CliIo,
): Promise<number> {
	const json = argv.includes("--json");
	try {
		const { values: leading, rest } = splitLeading(argv);
		if (leading.version) {
			io.stdout.write(
				json
					? `${JSON.stringify({ version: VERSION })}\n`
					: `sigil ${VERSION}\n`,
			);
			return 0;
		}
		const first = rest[0];
		if (first === "version") {
			io.stdout.write(
				json
					? `${JSON.stringify({ version: VERSION })}\n`
					: `sigil ${VERSION}\n`,
			);
			return 0;
		}
		if (first === undefined || first === "help") {
			const topic = first === "help" ? rest.slice(1) : [];
			const found = topic.length ? findCommand(topic) : undefined;
			const asked = leading.help === true || first === "help";
			if (found) io.stdout.write(renderHelp(found.spec));
			else if (
				topic[0] &&
				COMMANDS.some((c) => c.name.startsWith(`${topic[0]} `))
			)
				io.stdout.write(renderTopHelp(topic[0]));
			else (asked ? io.stdout : io.stderr).write(renderTopHelp());
			return asked ? 0 : 2;
		}
		const found = findCommand(rest);
		if (!found) {
			const groupNames = COMMANDS.filter((c) =>
				c.name.startsWith(`${first} `),
			).map((c) => c.name.split(" ")[1] as string);
			if (groupNames.length) {
				const second = rest[1];
				if (leading.help || second === "--help" || second === "-h") {
					io.stdout.write(renderTopHelp(first));
					return 0;
				}
				const guess = second && closest(second, groupNames);
				throw usageError(
					second === undefined
						? `sigil ${first} needs a subcommand`
						: `unknown subcommand ${first} ${second}${guess ? `; did you mean ${first} ${guess}?` : ""}`,
					`sigil ${first} <${groupNames.join("|")}>`,
				);
			}
			const words = [
				...new Set(COMMANDS.map((c) => c.name.split(" ")[0] as string)),
				"help",
				"version",
			];
			const guess = closest(first, words);
			throw new CliError(
				"USAGE",
				`unknown command ${JSON.stringify(first)}${guess ? `; did you mean ${guess}?` : ""}`,
				"usage: sigil <command> [options]; `sigil --help` lists the commands",
				{ exitCode: 2 },
			);
		}
		const parsed = parseCommandArgs(found.spec, found.rest, commandsWithFlag);
		// Flags after the command win over the same flag before it.
		const values: OptionValues = { ...leading, ...parsed.values };
		delete values.version;
		if (values.help) {
			io.stdout.write(renderHelp(found.spec));
			return 0;
		}
		return await found.spec.run(
			makeContext(found.spec, io, values, parsed.positionals),
		);
	} catch (error) {
		const cliError: CliError = toCliError(error);
		io.stderr.write(formatError(cliError, json, painter(io.stderr, io.env)));
		return cliError.exitCode;
	}
}
