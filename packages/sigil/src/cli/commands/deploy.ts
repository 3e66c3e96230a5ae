/**
 * `sigil deploy`: from a stack file (`-f sigil.yml`, the default when present) or from flags
 * that mirror one function's stack-file entry. Validates locally, packs the handler, PUTs each
 * function and prints where its trigger answers.
 */
import { readFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { parseStackFile } from "../../config/stack-file.ts";
import {
	type Bundle,
	bundleBytes,
	decodeBundle,
} from "../../functions/bundle.ts";
import { CliError, usageError } from "../cli-error.ts";
import { painter } from "../colour.ts";
import { type CommandSpec, list, str } from "../command.ts";
import {
	configFromFlags,
	type DeployItem,
	itemsFromStack,
	packHandler,
} from "../deploy-plan.ts";
import { LiveFunctions } from "../live-functions.ts";
import { progress } from "../progress.ts";
import { authOf, functionUrl } from "./functions.ts";

/** The live function; undefined when there is none, or when this key may read neither route. */
async function liveOrUnknown(
	deployed: LiveFunctions,
	name: string,
): Promise<Record<string, unknown> | undefined> {
	try {
		return await deployed.get(name);
	} catch (error) {
		// A key that may deploy but not read: the PUT decides, as before this check existed.
		if (
			error instanceof CliError &&
			["ACCESS_DENIED", "AccessDeniedException", "AccessDenied"].includes(
				error.code,
			)
		)
			return undefined;
		throw error;
	}
}

/** The SHA-256 the gateway records for this bundle, or undefined if it cannot be encoded. */
function bundleSha256(code: Bundle): string | undefined {
	try {
		return bundleBytes(decodeBundle(code)).sha256;
	} catch {
		return undefined; // The gateway answers BUNDLE_INVALID with its reason.
	}
}

const FLAG_NAMES = [
	"name",
	"runtime",
	"handler",
	"entry",
	"fprocess",
	"upstream",
	"auth",
	"hmac-secret",
	"hmac-header",
	"algorithm",
	"secret",
	"env",
	"timeout",
	"memory",
	"role",
];

export const deployCommand: CommandSpec = {
	name: "deploy",
	summary: "Deploy functions from a stack file, or one function from flags",
	usage:
		"deploy [-f sigil.yml] [--filter NAME] | deploy --name NAME --runtime node --handler FILE_OR_DIR [options]",
	options: {
		file: {
			type: "string",
			short: "f",
			value: "FILE",
			description: "stack file (default ./sigil.yml when no --name is given)",
		},
		filter: {
			type: "string",
			value: "NAME",
			description: "deploy only this function of the stack file",
		},
		name: {
			type: "string",
			value: "NAME",
			description: "function name (flag mode)",
		},
		runtime: {
			type: "string",
			value: "RUNTIME",
			description: "node | process | python3 | provided | http",
		},
		handler: {
			type: "string",
			value: "PATH",
			description: "handler file or folder; a file becomes a one-file bundle",
		},
		entry: {
			type: "string",
			value: "FILE.EXPORT",
			description:
				"node entry (default index.handler, or <file>.handler for a file handler); python3 MODULE.FUNCTION; provided its _HANDLER",
		},
		contract: {
			type: "string",
			value: "CONTRACT",
			description:
				"runtime python3: openfaas (handle(req), default) | lambda (handler(event, context))",
		},
		fprocess: {
			type: "string",
			value: "CMD",
			description: "runtime process: the command run per request",
		},
		upstream: {
			type: "string",
			value: "URL",
			description: "runtime http: the upstream base URL",
		},
		auth: {
			type: "string",
			value: "TYPE",
			description:
				"trigger auth: none | aws_iam | acs3 | hmac | webhook (default none)",
		},
		"hmac-secret": {
			type: "string",
			multiple: true,
			value: "SECRET",
			description: "hmac/webhook: name of a secret holding the shared key",
		},
		"hmac-header": {
			type: "string",
			value: "HEADER",
			description: "hmac: header carrying the signature (default Hmac)",
		},
		algorithm: {
			type: "string",
			multiple: true,
			value: "ALG",
			description: "hmac: accepted algorithm sha256 | sha512 | sha1",
		},
		secret: {
			type: "string",
			multiple: true,
			value: "NAME",
			description: "secret made available to the function",
		},
		env: {
			type: "string",
			multiple: true,
			value: "K=V",
			description: "environment variable of the function",
		},
		timeout: {
			type: "string",
			value: "DURATION",
			description: "function timeout: seconds, or 500ms / 30s / 2m",
		},
		memory: { type: "string", value: "MB", description: "heap limit in MB" },
		role: {
			type: "string",
			value: "ARN",
			description:
				"execution role (its own account's, trusted by lambda.amazonaws.com): the code gets its temporary credentials",
		},
	},
	examples: [
		"sigil deploy -f sigil.yml",
		"sigil deploy --name hello --runtime node --handler ./hello.mjs --auth aws_iam",
		"sigil deploy --name hook --runtime node --handler ./hook --auth hmac --hmac-secret hook-key",
		"sigil deploy --name caller --runtime node --handler ./caller.mjs --role arn:aws:iam::123456789012:role/fn-runner",
	],
	async run(ctx) {
		const v = ctx.values;
		const flagMode = v.name !== undefined;
		const file = str(v, "file");
		let items: DeployItem[];
		let stackGateway: string | undefined;
		if (flagMode) {
			if (file !== undefined || v.filter !== undefined)
				throw usageError(
					"--name (flag mode) and -f/--filter (stack file) exclude each other",
					ctx.spec.usage,
				);
			items = [
				configFromFlags(
					{
						name: str(v, "name"),
						runtime: str(v, "runtime"),
						handler: str(v, "handler"),
						entry: str(v, "entry"),
						contract: str(v, "contract"),
						fprocess: str(v, "fprocess"),
						upstream: str(v, "upstream"),
						auth: str(v, "auth"),
						hmacSecrets: list(v, "hmac-secret"),
						hmacHeader: str(v, "hmac-header"),
						algorithms: list(v, "algorithm"),
						secrets: list(v, "secret"),
						env: list(v, "env"),
						timeout: str(v, "timeout"),
						memory: str(v, "memory"),
						role: str(v, "role"),
					},
					ctx.io.cwd,
					ctx.spec.usage,
				),
			];
		} else {
			const stray = FLAG_NAMES.filter((f) => v[f] !== undefined);
			if (stray.length)
				throw usageError(
					`--${stray[0]} only applies with --name (flag mode); the stack file sets it otherwise`,
					ctx.spec.usage,
				);
			const path = resolve(ctx.io.cwd, file ?? "sigil.yml");
			let text: string;
			try {
				text = await readFile(path, "utf8");
			} catch {
				throw new CliError(
					"STACK_FILE_NOT_FOUND",
					`cannot read the stack file ${path}`,
					file
						? "check the path given to -f"
						: "create sigil.yml, pass -f FILE, or deploy one function with --name --runtime --handler",
				);
			}
			const stack = parseStackFile(text, path, dirname(path));
			stackGateway = stack.gateway;
			items = itemsFromStack(stack.functions, str(v, "filter"));
		}
		const client = await ctx.client(stackGateway);
		const paint = painter(ctx.io.stdout, ctx.io.env);
		const results: Record<string, unknown>[] = [];
		const shown = progress(ctx.io, ctx.json);
		const deployed = new LiveFunctions(client);
		try {
			for (const item of items) {
				shown.phase(`packing ${item.name}`);
				const { config, code, handlerless } = await packHandler(item);
				shown.phase(`comparing ${item.name} with the live revision`);
				const live = await liveOrUnknown(deployed, item.name);
				// Same bytes, same hash the gateway keeps (bundleBytes): re-sending them would only make
				// a new revision of identical code. A handlerless process/http deploy keeps the live code.
				const codeSame =
					live !== undefined &&
					(handlerless === true || live.codeSha256 === bundleSha256(code));
				const configSame =
					live !== undefined &&
					JSON.stringify(live.config) === JSON.stringify(config);
				const url = (fn: Record<string, unknown>) =>
					typeof fn.url === "string"
						? fn.url
						: functionUrl(client.gateway, item.name);
				if (live && codeSame && configSame) {
					shown.clear();
					results.push({
						...live,
						name: item.name,
						url: url(live),
						unchanged: true,
					});
					if (!ctx.json)
						ctx.print(
							`${paint("dim", "unchanged")} ${item.name} (revision ${live.revision}, same code and config as live): ${url(live)}  auth ${authOf(live)}`,
						);
					continue;
				}
				shown.phase(`uploading ${item.name}`);
				let started = false;
				const { function: fn } = await client.putFunction(
					item.name,
					config,
					codeSame ? undefined : code,
					(sent, total) => {
						shown.bytes(sent, total);
						// All sent: the gateway now unpacks the code and starts the instances.
						if (sent === total && !started) {
							started = true;
							shown.phase(`starting ${item.name} on the gateway`);
						}
					},
				);
				shown.clear();
				results.push({
					...fn,
					name: item.name,
					url: url(fn),
					...(codeSame && { codeUnchanged: true }),
				});
				if (!ctx.json)
					ctx.print(
						`${paint("ok", "deployed")} ${item.name}${fn.revision !== undefined ? ` (revision ${fn.revision}${codeSame ? ", config only: code unchanged" : ""})` : ""}: ${url(fn)}  auth ${authOf({ ...fn, config: fn.config ?? config })}`,
					);
			}
		} finally {
			// An error is printed after this: never on top of a half-drawn progress line.
			shown.clear();
		}
		if (ctx.json) ctx.printJson({ functions: results });
		return 0;
	},
};
