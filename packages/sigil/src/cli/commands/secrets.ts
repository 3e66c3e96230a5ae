/**
 * `sigil secret create|list|get|remove`: named secrets (HMAC trigger keys, function secrets).
 *
 * Which bytes become the secret — the rule:
 * - `--from-literal V`: exactly the UTF-8 bytes of V.
 * - `--from-file F`: exactly the bytes of F (binary-safe; a trailing newline in F is kept).
 * - standard input: the bytes read, minus ONE trailing line ending (`\n` or `\r\n`) if present,
 *   because `echo s3cret | sigil secret create x` must store `s3cret`: an invisible newline in an
 *   HMAC key is a mismatch nobody can debug. Use --from-file to keep a trailing newline.
 */
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { NAME_PATTERN } from "../../config/function-config.ts";
import { CliError, usageError } from "../cli-error.ts";
import { type CommandContext, type CommandSpec, str } from "../command.ts";
import { readAll } from "../io.ts";
import { cell, isoTime, table } from "../output.ts";

/** Strips one trailing `\n` or `\r\n` (the stdin rule above). */
export function stripOneNewline(bytes: Buffer): Buffer {
	if (bytes.length > 0 && bytes[bytes.length - 1] === 0x0a)
		return bytes.subarray(
			0,
			bytes.length >= 2 && bytes[bytes.length - 2] === 0x0d ? -2 : -1,
		);
	return bytes;
}

/** The secret's value from the flags or stdin, by the rule above. */
export async function secretValue(ctx: CommandContext): Promise<Buffer> {
	const literal = str(ctx.values, "from-literal");
	const file = str(ctx.values, "from-file");
	if (literal !== undefined && file !== undefined)
		throw usageError(
			"--from-literal and --from-file exclude each other",
			ctx.spec.usage,
		);
	let value: Buffer;
	if (literal !== undefined) value = Buffer.from(literal, "utf8");
	else if (file !== undefined)
		value = await readFile(resolve(ctx.io.cwd, file));
	else {
		if (ctx.io.stdin.isTTY)
			ctx.io.stderr.write(
				"Reading the secret from standard input - end with Control+D.\n",
			);
		value = stripOneNewline(await readAll(ctx.io.stdin));
	}
	if (value.length === 0)
		throw new CliError(
			"SECRET_EMPTY",
			"the secret value is empty",
			"pipe the value on standard input, or pass --from-literal VALUE or --from-file FILE",
		);
	return value;
}

function checkName(name: string, usage: string): string {
	if (!NAME_PATTERN.test(name))
		throw usageError(
			`secret name ${JSON.stringify(name)} must be lower-case letters, digits and '-' (1–64)`,
			usage,
		);
	return name;
}

export const secretCreateCommand: CommandSpec = {
	name: "secret create",
	summary:
		"Create or replace a secret (value from stdin, --from-literal or --from-file)",
	usage:
		"secret create NAME [--from-literal VALUE | --from-file FILE] [--json]",
	args: ["NAME"],
	options: {
		"from-literal": {
			type: "string",
			value: "VALUE",
			description: "the value itself (exact bytes; visible in shell history)",
		},
		"from-file": {
			type: "string",
			value: "FILE",
			description: "read the value from FILE (exact bytes)",
		},
	},
	details:
		"Without a flag the value is read from standard input, and ONE trailing newline is removed\n(so `echo s3cret | sigil secret create x` stores `s3cret`). --from-file keeps every byte.",
	examples: [
		'printf %s "$HMAC_KEY" | sigil secret create webhook-key',
		"sigil secret create webhook-key --from-file ./key.bin",
	],
	async run(ctx) {
		const name = checkName(ctx.positionals[0] as string, ctx.spec.usage);
		const value = await secretValue(ctx);
		const client = await ctx.client();
		const answer = await client.putSecret(name, value);
		// Never echo the value: only its name and size.
		if (ctx.json) ctx.printJson(answer);
		else ctx.print(`stored secret ${name} (${value.length} bytes)`);
		return 0;
	},
};

export const secretListCommand: CommandSpec = {
	name: "secret list",
	summary: "List secret names (values are never shown)",
	usage: "secret list [--json]",
	options: {},
	async run(ctx) {
		const client = await ctx.client();
		const answer = await client.listSecrets();
		if (ctx.json) {
			ctx.printJson(answer);
			return 0;
		}
		if (answer.secrets.length === 0) {
			ctx.print("no secrets (sigil secret create NAME makes one)");
			return 0;
		}
		ctx.print(
			table(
				["NAME", "CREATED", "UPDATED"],
				answer.secrets.map((s) => [
					cell(s.name),
					isoTime(s.createdAt),
					isoTime(s.updatedAt),
				]),
			),
		);
		return 0;
	},
};

export const secretGetCommand: CommandSpec = {
	name: "secret get",
	summary: "Print a secret's value (its exact bytes; the read is audited)",
	usage: "secret get NAME [--json]",
	args: ["NAME"],
	options: {},
	details:
		'Writes the exact bytes to standard output, with a newline after them only when standard\noutput is a terminal. --json prints {"name", "value"} with the value in base64.\nThe gateway records the read in the audit log (sigil logs) as sigil:GetSecretValue.',
	examples: [
		"sigil secret get example-hmac-key",
		'export SHARED_KEY="$(sigil secret get example-hmac-key)"',
	],
	async run(ctx) {
		const name = checkName(ctx.positionals[0] as string, ctx.spec.usage);
		const client = await ctx.client();
		const value = await client.getSecret(name);
		if (ctx.json) {
			ctx.printJson({ name, value: value.toString("base64") });
			return 0;
		}
		ctx.io.stdout.write(value);
		if (ctx.io.stdout.isTTY) ctx.io.stdout.write("\n");
		return 0;
	},
};

export const secretRemoveCommand: CommandSpec = {
	name: "secret remove",
	summary: "Remove a secret",
	usage: "secret remove NAME [--json]",
	args: ["NAME"],
	options: {},
	async run(ctx) {
		const name = checkName(ctx.positionals[0] as string, ctx.spec.usage);
		const client = await ctx.client();
		try {
			await client.deleteSecret(name);
		} catch (error) {
			// The gateway answers 409 CONFLICT naming the functions that use the secret; the
			// registry's generic fix for CONFLICT ("already exists") would say the opposite.
			if (error instanceof CliError && error.code === "CONFLICT")
				throw new CliError(
					"SECRET_IN_USE",
					error.message,
					`deploy those functions without ${name} (drop it from \`secrets:\`/\`trigger.secrets\`, or from --secret/--hmac-secret), then run \`sigil secret remove ${name}\` again; \`sigil describe FUNCTION\` shows what each uses`,
					error.requestId ? { requestId: error.requestId } : {},
				);
			throw error;
		}
		if (ctx.json) ctx.printJson({ removed: name });
		else ctx.print(`removed secret ${name}`);
		return 0;
	},
};

export const secretCommands: readonly CommandSpec[] = [
	secretCreateCommand,
	secretListCommand,
	secretGetCommand,
	secretRemoveCommand,
];
