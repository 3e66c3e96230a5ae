/**
 * `sigil` — the command line of Sigil. Noun-verb commands (`sigil key create`) and faas-cli's
 * verbs where users know them (`deploy`, `invoke`, `list`, `describe`, `remove`, `logs`).
 *
 * @example
 *     import { main } from "./main.ts";
 *     process.exitCode = await main(process.argv.slice(2), processIo());
 */

import {
	type CliError,
	formatError,
	toCliError,
	usageError,
} from "./cli-error.ts";
import {
	type CommandSpec,
	makeContext,
	parseCommandArgs,
	renderHelp,
} from "./command.ts";
import { accountCommands } from "./commands/account.ts";
import { configureCommand, whoamiCommand } from "./commands/configure.ts";
import { deployCommand } from "./commands/deploy.ts";
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
import { secretCommands } from "./commands/secrets.ts";
import { upCommand } from "./commands/up.ts";
import { userCommands } from "./commands/user.ts";
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
	...policyCommands,
	...permissionCommands,
	configureCommand,
	whoamiCommand,
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
		"",
		`Run \`sigil <command> --help\` for a command's options.${group ? "" : " Docs: docs/cli.md"}`,
	];
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

/** Runs the CLI and returns its exit code: 0 ok, 1 failure, 2 usage error. */
export async function main(
	argv: readonly string[],
	io: CliIo,
): Promise<number> {
	const json = argv.includes("--json");
	try {
		const first = argv[0];
		if (
			first === undefined ||
			first === "--help" ||
			first === "-h" ||
			first === "help"
		) {
			const topic = first === "help" ? argv.slice(1) : [];
			const found = topic.length ? findCommand(topic) : undefined;
			if (found) io.stdout.write(renderHelp(found.spec));
			else if (
				topic[0] &&
				COMMANDS.some((c) => c.name.startsWith(`${topic[0]} `))
			)
				io.stdout.write(renderTopHelp(topic[0]));
			else (first === undefined ? io.stderr : io.stdout).write(renderTopHelp());
			return first === undefined ? 2 : 0;
		}
		if (first === "--version" || first === "version") {
			io.stdout.write(
				json
					? `${JSON.stringify({ version: VERSION })}\n`
					: `sigil ${VERSION}\n`,
			);
			return 0;
		}
		const found = findCommand(argv);
		if (!found) {
			const group = COMMANDS.some((c) => c.name.startsWith(`${first} `));
			if (group) {
				const asksHelp =
					argv[1] === undefined || argv[1] === "--help" || argv[1] === "-h";
				if (asksHelp && argv[1] !== undefined) {
					io.stdout.write(renderTopHelp(first));
					return 0;
				}
				throw usageError(
					argv[1] === undefined
						? `sigil ${first} needs a subcommand`
						: `unknown subcommand ${first} ${argv[1]}`,
					`sigil ${first} <${COMMANDS.filter((c) =>
						c.name.startsWith(`${first} `),
					)
						.map((c) => c.name.split(" ")[1])
						.join("|")}>`,
				);
			}
			throw usageError(
				`unknown command ${JSON.stringify(first)}`,
				"sigil <command> [options] (sigil --help lists the commands)",
			);
		}
		const { values, positionals } = parseCommandArgs(found.spec, found.rest);
		if (values.help) {
			io.stdout.write(renderHelp(found.spec));
			return 0;
		}
		return await found.spec.run(
			makeContext(found.spec, io, values, positionals),
		);
	} catch (error) {
		const cliError: CliError = toCliError(error);
		io.stderr.write(formatError(cliError, json));
		return cliError.exitCode;
	}
}
