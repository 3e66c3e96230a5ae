/**
 * `sigil up`: start the gateway on this machine (embedded store in the data directory). On the
 * first start the gateway creates the root account's admin key; this command prints it once and
 * saves it as a profile of ~/.sigil/credentials (`default` when free — an existing profile is
 * never overwritten). SIGINT/SIGTERM close the gateway cleanly, then exit 0.
 */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { usageError } from "../cli-error.ts";
import { type CommandContext, type CommandSpec, str } from "../command.ts";
import {
	addProfile,
	chooseProfileName,
	readProfiles,
} from "../credentials-file.ts";
import { configDir } from "../io.ts";
import { DEFAULT_REGION } from "../settings.ts";

/** `--isolation` values; the gateway's own type lives in runtime/sandbox.ts (not loaded here). */
const ISOLATIONS = ["sandbox", "process", "none"] as const;

// Loaded on demand: every other command only talks HTTP and should not load the server.
async function loadStartGateway() {
	return (await import("../../gateway/server.ts")).startGateway;
}

/** The repository's `examples/` folder (next to `packages/`). */
export const BUNDLED_EXAMPLES = fileURLToPath(
	new URL("../../../../../examples/", import.meta.url),
);

/** How to call one example: a `sigil invoke` line, and a curl line for aws_iam and none. */
export function howToCall(
	example: {
		name: string;
		auth: string;
		path: string;
		createdSecrets?: Readonly<Record<string, string>>;
		triggerSecrets?: readonly string[];
	},
	url: string,
	region: string,
	profileFlag: string,
): string[] {
	const full = `${url.replace(/\/+$/, "")}${example.path}`;
	const lines: string[] = [];
	switch (example.auth) {
		case "aws_iam":
			lines.push(
				`sigil invoke ${example.name} --auth aws_iam${profileFlag} --data '{"hello":"world"}'`,
			);
			lines.push(
				`curl --aws-sigv4 "aws:amz:${region}:lambda" --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" -H 'content-type: application/json' -d '{"hello":"world"}' ${full}`,
			);
			break;
		case "acs3":
			lines.push(
				`sigil invoke ${example.name} --auth acs3${profileFlag} --data '{"hello":"world"}'`,
			);
			break;
		case "hmac":
			{
				// On the first start the gateway made the trigger's secret and reports it: then the
				// line is ready to paste; afterwards `sigil secret get` shows it again to its owner.
				const secret = example.triggerSecrets?.[0];
				const value = secret ? example.createdSecrets?.[secret] : undefined;
				lines.push(
					value
						? `sigil invoke ${example.name} --sign Hmac --key '${value}' --data 'ping'`
						: secret
							? `sigil invoke ${example.name} --sign Hmac --key "$(sigil secret get ${secret}${profileFlag})" --data 'ping'`
							: `sigil invoke ${example.name} --sign Hmac --key "$SHARED_KEY" --data 'ping'    # the value of the trigger's secret`,
				);
			}
			break;
		default:
			lines.push(
				`sigil invoke ${example.name}${example.auth === "none" ? "" : profileFlag} --data 'ping'`,
			);
			if (example.auth === "none") lines.push(`curl -d 'ping' ${full}`);
	}
	return lines;
}

function option(
	ctx: CommandContext,
	flag: string,
	envName: string,
	fallback: string,
): string {
	return str(ctx.values, flag) ?? (ctx.io.env[envName] || fallback);
}

export const upCommand: CommandSpec = {
	name: "up",
	summary: "Start the Sigil gateway on this machine (embedded store)",
	usage:
		"up [--host 127.0.0.1] [--port 8080] [--data-dir ./.sigil] [--region us-east-1] [--isolation sandbox|process|none] [--function-url-auth url-only|url-and-invoke] [--store postgres://…] [--queue nats://…] [--cache redis://…] [--examples]",
	options: {
		host: {
			type: "string",
			value: "HOST",
			description: "address to listen on (env SIGIL_HOST; default 127.0.0.1)",
		},
		port: {
			type: "string",
			value: "PORT",
			description:
				"port to listen on, 0 for any free one (env SIGIL_PORT; default 8080)",
		},
		"data-dir": {
			type: "string",
			value: "DIR",
			description:
				"where the store lives (env SIGIL_DATA_DIR; default ./.sigil)",
		},
		isolation: {
			type: "string",
			value: "KIND",
			description:
				"how functions are kept from the gateway: sandbox (bubblewrap; default), process or none — a weaker one only when chosen here (env SIGIL_ISOLATION)",
		},
		"function-url-auth": {
			type: "string",
			value: "MODEL",
			description:
				"what a function URL call must be allowed: url-only (lambda:InvokeFunctionUrl; default) or url-and-invoke (also lambda:InvokeFunction, AWS's model since October 2025) (env SIGIL_FUNCTION_URL_AUTH)",
		},
		store: {
			type: "string",
			value: "URL",
			description:
				"where the state lives: sqlite (default, the data directory) or postgres://user@host:5432/db[?schema=NAME] shared by every gateway (env SIGIL_STORE)",
		},
		queue: {
			type: "string",
			value: "URL",
			description:
				"asynchronous invocations: embedded (default, the store) or nats://host:4222[?stream=NAME] with JetStream (env SIGIL_QUEUE)",
		},
		cache: {
			type: "string",
			value: "URL",
			description:
				"replay ids, rate windows, concurrency slots: memory (default) or redis://host:6379[?prefix=TEXT] (env SIGIL_CACHE)",
		},
		examples: {
			type: "boolean",
			description: "deploy the example functions and print how to call each",
		},
		"examples-dir": {
			type: "string",
			value: "DIR",
			description:
				"with --examples: the examples folder (default ./examples, else the bundled one)",
		},
	},
	details:
		"The gateway itself reads SIGIL_ROOT_ACCESS_KEY_ID / SIGIL_ROOT_SECRET_ACCESS_KEY (set the root key)\nand SIGIL_MASTER_KEY (encryption of secrets at rest). SIGIL_CONFIG_DIR moves ~/.sigil.",
	examples: [
		"sigil up --examples",
		"sigil up --port 0 --data-dir /tmp/sigil --json",
	],
	async run(ctx) {
		const io = ctx.io;
		const host = option(ctx, "host", "SIGIL_HOST", "127.0.0.1");
		const portText = option(ctx, "port", "SIGIL_PORT", "8080");
		if (!/^\d{1,5}$/.test(portText) || Number(portText) > 65_535)
			throw usageError(
				`--port must be 0–65535, got ${JSON.stringify(portText)}`,
				ctx.spec.usage,
			);
		const dataDir = resolve(
			io.cwd,
			option(ctx, "data-dir", "SIGIL_DATA_DIR", "./.sigil"),
		);
		const region = ctx.globals.region || io.env.SIGIL_REGION || DEFAULT_REGION;
		const isolation = option(ctx, "isolation", "SIGIL_ISOLATION", "sandbox");
		if (!(ISOLATIONS as readonly string[]).includes(isolation))
			throw usageError(
				`--isolation must be sandbox, process or none, got ${JSON.stringify(isolation)}`,
				ctx.spec.usage,
			);
		const functionUrlAuth = option(
			ctx,
			"function-url-auth",
			"SIGIL_FUNCTION_URL_AUTH",
			"url-only",
		);
		if (functionUrlAuth !== "url-only" && functionUrlAuth !== "url-and-invoke")
			throw usageError(
				`--function-url-auth must be url-only or url-and-invoke, got ${JSON.stringify(functionUrlAuth)}`,
				ctx.spec.usage,
			);
		let examplesDir: string | undefined;
		if (ctx.values.examples || ctx.values["examples-dir"] !== undefined) {
			const given = str(ctx.values, "examples-dir");
			const local = resolve(io.cwd, "examples");
			examplesDir =
				given !== undefined
					? resolve(io.cwd, given)
					: existsSync(local)
						? local
						: BUNDLED_EXAMPLES;
		}
		const startGateway = await loadStartGateway();
		const gateway = await startGateway({
			host,
			port: Number(portText),
			dataDir,
			region,
			env: io.env,
			isolation: isolation as (typeof ISOLATIONS)[number],
			functionUrlAuth,
			// Validated by the gateway (config/gateway-config.ts), with the flag named in the error.
			engines: {
				store: str(ctx.values, "store"),
				queue: str(ctx.values, "queue"),
				cache: str(ctx.values, "cache"),
			},
			...(examplesDir !== undefined && { examplesDir }),
			// Server log lines go to stderr so stdout stays the CLI's own (parseable with --json).
			log: (line) => io.stderr.write(line.endsWith("\n") ? line : `${line}\n`),
		});
		let profile: string | undefined;
		let credentialsFile: string | undefined;
		if (gateway.createdRootKey) {
			const dir = configDir(io.env);
			profile = chooseProfileName(
				await readProfiles(dir),
				new URL(gateway.url).port || portText,
			);
			credentialsFile = await addProfile(dir, profile, {
				aws_access_key_id: gateway.createdRootKey.accessKeyId,
				aws_secret_access_key: gateway.createdRootKey.secretAccessKey,
				region: gateway.region,
				gateway: gateway.url,
			});
		}
		const profileFlag =
			profile && profile !== "default" ? ` --profile ${profile}` : "";
		// Secrets the gateway made for the examples on this start (shown once, like the root key).
		const createdSecrets: Record<string, string> = Object.assign(
			{},
			...gateway.examples.map((e) => e.createdSecrets ?? {}),
		);
		const examples = gateway.examples.map((e) => ({
			...e,
			url: `${gateway.url.replace(/\/+$/, "")}${e.path}`,
			howToCall: howToCall(
				{ ...e, createdSecrets },
				gateway.url,
				gateway.region,
				profileFlag,
			),
		}));
		if (ctx.json) {
			io.stdout.write(
				`${JSON.stringify({
					url: gateway.url,
					region: gateway.region,
					rootAccountId: gateway.rootAccountId,
					dataDir,
					isolation: gateway.isolation,
					functionUrlAuth: gateway.functionUrlAuth,
					engines: gateway.engines,
					...(gateway.createdRootKey && {
						rootKey: {
							AccessKeyId: gateway.createdRootKey.accessKeyId,
							SecretAccessKey: gateway.createdRootKey.secretAccessKey,
						},
						profile,
						credentialsFile,
					}),
					examples,
				})}\n`,
			);
		} else {
			const out: string[] = [
				`Sigil is up at ${gateway.url} (region ${gateway.region}, account ${gateway.rootAccountId}, data in ${dataDir})`,
				`Functions isolation: ${gateway.isolationSummary}`,
				`Function URLs need: ${gateway.functionUrlAuth === "url-and-invoke" ? "lambda:InvokeFunctionUrl and lambda:InvokeFunction" : "lambda:InvokeFunctionUrl"} (--function-url-auth ${gateway.functionUrlAuth})`,
				`Engines: store ${gateway.engines.store}; queue ${gateway.engines.queue}; cache ${gateway.engines.cache}; change feed ${gateway.engines.feed}`,
			];
			if (gateway.createdRootKey) {
				out.push(
					"",
					"Root access key created — the secret is shown only this once:",
					`  AccessKeyId:     ${gateway.createdRootKey.accessKeyId}`,
					`  SecretAccessKey: ${gateway.createdRootKey.secretAccessKey}`,
					profile === "default"
						? `Saved as profile default in ${credentialsFile}.`
						: `Saved as profile ${profile} in ${credentialsFile} (profile default already exists and was left alone): use --profile ${profile} or export SIGIL_PROFILE=${profile}.`,
				);
			}
			if (Object.keys(createdSecrets).length) {
				out.push(
					"",
					"Secrets created for the examples — shown only this once:",
				);
				for (const [name, value] of Object.entries(createdSecrets))
					out.push(`  ${name} = ${value}`);
			}
			if (examples.length) {
				out.push("", "Example functions:");
				// The curl lines below use $AWS_ACCESS_KEY_ID/$AWS_SECRET_ACCESS_KEY: this line sets them
				// (and AWS_REGION, AWS_ENDPOINT_URL for the AWS CLI), so they run as printed.
				if (examples.some((e) => e.auth === "aws_iam"))
					out.push(
						`  eval "$(sigil env${profileFlag})"    # first: exports this profile's key for curl and the AWS CLI`,
					);
				for (const e of examples)
					out.push(
						`  ${e.name}  (auth ${e.auth})  ${e.url}`,
						...e.howToCall.map((l) => `    ${l}`),
					);
			}
			out.push("", "Press Control+C to stop.");
			ctx.print(out.join("\n"));
		}
		const signal = await io.stopSignal();
		io.stderr.write(`${signal}: stopping the gateway…\n`);
		await gateway.close();
		return 0;
	},
};
