/**
 * `sigil env`: the resolved credentials and gateway as shell `export` lines, so
 * `eval "$(sigil env)"` makes the start-up output's `curl --aws-sigv4 --user
 * "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY"` line, the AWS CLI and the AWS SDKs talk to this
 * gateway with this key, exactly as printed. It prints a secret on purpose (to be eval'd, like
 * `aws configure export-credentials --format env`); it refuses to when stdout is a terminal
 * unless asked, so a screen share does not show it by accident.
 */
import { CliError, usageError } from "../cli-error.ts";
import type { CommandSpec } from "../command.ts";
import { requireCredentials } from "../settings.ts";

/** Single-quoted for POSIX shells and fish alike (a quote inside becomes '\''). */
function quote(value: string): string {
	return `'${value.replaceAll("'", "'\\''")}'`;
}

/** The variables, in the order printed. */
export const ENV_NAMES = [
	"AWS_ACCESS_KEY_ID",
	"AWS_SECRET_ACCESS_KEY",
	"AWS_SESSION_TOKEN",
	"AWS_REGION",
	"AWS_DEFAULT_REGION",
	"AWS_ENDPOINT_URL",
] as const;

export const envCommand: CommandSpec = {
	name: "env",
	summary:
		'Print export lines for the profile\'s key and gateway: eval "$(sigil env)" (curl, AWS CLI, SDKs)',
	usage: "env [--profile NAME] [--shell sh|fish] [--unset] [--show]",
	options: {
		shell: {
			type: "string",
			value: "SHELL",
			description: "sh (bash, zsh, …; default) or fish",
		},
		unset: {
			type: "boolean",
			description: "print the lines that remove the variables again",
		},
		show: {
			type: "boolean",
			description: "print even when stdout is a terminal (the secret is in it)",
		},
	},
	details:
		"Sets AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN), AWS_REGION and AWS_DEFAULT_REGION\n(the gateway's region, for the scope), AWS_ENDPOINT_URL (the AWS CLI and SDKs then call the gateway without\n--endpoint-url). No SIGIL_URL: sigil keeps taking the gateway from the profile, so --profile still switches both.",
	examples: [
		'eval "$(sigil env)"',
		'eval "$(sigil env --profile sigil-8081)"',
		"sigil env --shell fish | source",
		'eval "$(sigil env --unset)"',
	],
	async run(ctx) {
		const shell = (ctx.values.shell as string | undefined) ?? "sh";
		if (shell !== "sh" && shell !== "fish")
			throw usageError(
				`--shell must be sh or fish, got ${JSON.stringify(shell)}`,
				ctx.spec.usage,
			);
		if (ctx.values.unset) {
			ctx.print(
				shell === "fish"
					? ENV_NAMES.map((n) => `set -e ${n}`).join("\n")
					: `unset ${ENV_NAMES.join(" ")}`,
			);
			return 0;
		}
		if (ctx.io.stdout.isTTY === true && !ctx.values.show)
			throw new CliError(
				"SECRET_ON_TERMINAL",
				"sigil env prints the secret access key, and stdout is a terminal",
				'run it as eval "$(sigil env)", or pass --show to print it here',
			);
		const settings = await ctx.settings();
		const credentials = requireCredentials(settings);
		const values: [string, string | undefined][] = [
			["AWS_ACCESS_KEY_ID", credentials.accessKeyId],
			["AWS_SECRET_ACCESS_KEY", credentials.secretAccessKey],
			["AWS_SESSION_TOKEN", credentials.sessionToken],
			["AWS_REGION", settings.region],
			["AWS_DEFAULT_REGION", settings.region],
			["AWS_ENDPOINT_URL", settings.gateway],
		];
		const lines = [
			`# ${settings.credentialsSource}, gateway ${settings.gateway}; undo with: eval "$(sigil env --unset)"`,
		];
		for (const [name, value] of values) {
			if (value === undefined)
				lines.push(shell === "fish" ? `set -e ${name}` : `unset ${name}`);
			else
				lines.push(
					shell === "fish"
						? `set -gx ${name} ${quote(value)}`
						: `export ${name}=${quote(value)}`,
				);
		}
		ctx.print(lines.join("\n"));
		return 0;
	},
};
