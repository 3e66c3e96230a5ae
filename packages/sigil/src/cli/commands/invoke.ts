/**
 * `sigil invoke NAME`: call a function's HTTP trigger the way its callers would. By default it
 * asks the gateway how the trigger authenticates (GET /sigil/v1/functions/NAME: `auth` and the
 * trigger config) and signs that way — SigV4 for aws_iam (the trigger's first service), ACS3,
 * faas-cli's payload HMAC in the trigger's header (`--key`), Standard Webhooks (`--key`), or
 * nothing. `--auth`/`--sign` choose by hand, with no lookup (a webhook sender may have no access
 * key at all). The body comes from `--data` or, like faas-cli, standard input when it is not a
 * terminal.
 */
import { randomUUID } from "node:crypto";
import { CliError, usageError } from "../cli-error.ts";
import { painter } from "../colour.ts";
import {
	type CommandContext,
	type CommandSpec,
	list,
	str,
} from "../command.ts";
import { type IncomingResponse, responseHeader, send } from "../http-send.ts";
import { buildInvokeRequest } from "../invoke-request.ts";
import { readAll } from "../io.ts";
import { LiveFunctions, notDeployed } from "../live-functions.ts";
import { requireCredentials } from "../settings.ts";
import {
	canonicalHeaderName,
	HMAC_ALGORITHMS,
	type HmacAlgorithm,
	payloadHmacValue,
	signAcs3Headers,
	signSigV4Headers,
	standardWebhookHeaders,
} from "../signing.ts";

/** The error code an answer carries in whichever dialect the gateway used. */
export function answerCode(res: IncomingResponse): string {
	const aws = responseHeader(res, "x-amzn-errortype");
	if (aws) return aws.split(":")[0] as string;
	try {
		const json = JSON.parse(res.body.toString("utf8")) as {
			ErrorCode?: unknown;
			error?: { code?: unknown };
		};
		if (typeof json.ErrorCode === "string") return json.ErrorCode;
		if (typeof json.error?.code === "string") return json.error.code;
	} catch {}
	return `HTTP_${res.status}`;
}

/** The codes an authorization (policy) denial carries, in the Sigil, AWS and FC dialects. */
const POLICY_DENIALS = new Set([
	"ACCESS_DENIED",
	"AccessDeniedException",
	"AccessDenied",
]);

function fixForStatus(
	status: number,
	code: string,
	name: string,
	signed: string,
): string {
	// A policy denial comes after a valid signature: it is a permission problem, and pointing at
	// the signature would send the caller after the wrong thing.
	if (status === 403 && POLICY_DENIALS.has(code))
		return `the signature is valid, but no policy lets this identity invoke ${name}: \`sigil whoami\` shows who you are, \`sigil policy simulate\` explains the decision, \`sigil permission add ${name} …\` or \`sigil policy put …\` grants it`;
	if (status === 401 || status === 403)
		return signed === "none"
			? `the trigger of ${name} wants a signature: see \`sigil describe ${name}\` for its auth and sign with --auth or --sign/--key`
			: `\`sigil logs ${name}\` shows why the gateway refused the signature (for the key's owner)`;
	if (status === 404) return "`sigil list` shows the deployed functions";
	if (status === 429)
		return "the function is at its concurrency bound: retry later or raise concurrency";
	if (status >= 500)
		return `\`sigil logs ${name}\` shows the function's error and output`;
	return "see the answer above";
}

/** How a request is signed. */
type Scheme =
	| { readonly kind: "none" }
	| { readonly kind: "aws_iam"; readonly service: string }
	| { readonly kind: "acs3" }
	| {
			readonly kind: "hmac";
			readonly header: string;
			readonly algorithm: HmacAlgorithm;
	  }
	| { readonly kind: "webhook" };

function describeScheme(scheme: Scheme): string {
	switch (scheme.kind) {
		case "aws_iam":
			return `aws_iam (SigV4, service ${scheme.service})`;
		case "hmac":
			return `hmac (${scheme.header}: ${scheme.algorithm}=…)`;
		case "webhook":
			return "webhook (Standard Webhooks)";
		default:
			return scheme.kind;
	}
}

/**
 * The scheme the trigger requires, read from the gateway; `unknown` (with the reason's code)
 * when it cannot be read. A `--key` that such a trigger would never use is refused: it means the
 * caller believes the trigger is another one than it is.
 */
async function schemeOfTrigger(
	ctx: CommandContext,
	name: string,
	algorithmFlag: HmacAlgorithm | undefined,
	key: string | undefined,
): Promise<{ scheme: Scheme; keyHint?: string } | { unknown: string }> {
	let fn: Record<string, unknown> | undefined;
	try {
		const client = await ctx.client();
		fn = await new LiveFunctions(client).get(name);
		if (!fn) throw notDeployed(name, client.gateway);
	} catch (error) {
		if (!(error instanceof CliError)) throw error;
		// No such function, or no gateway: that is the answer, not a reason to guess.
		if (
			error.code === "FUNCTION_NOT_FOUND" ||
			error.code === "GATEWAY_UNREACHABLE" ||
			error.code === "GATEWAY_INVALID" ||
			error.code === "PROFILE_NOT_FOUND" ||
			error.code === "CREDENTIALS_INCOMPLETE"
		)
			throw error;
		return { unknown: error.code };
	}
	const trigger = ((fn.config as { trigger?: unknown } | undefined)?.trigger ??
		{}) as {
		header?: string;
		services?: string[];
		algorithms?: string[];
		secrets?: string[];
	};
	const auth = typeof fn.auth === "string" ? fn.auth : "none";
	// Without the shared key the request still goes out, unsigned, so the gateway's own answer
	// is shown; the fix then names the header and where the key is kept. It points at describe
	// rather than quoting the secret's name: names are often made from the value's own words.
	if ((auth === "hmac" || auth === "webhook") && key === undefined)
		return {
			scheme: { kind: "none" },
			keyHint: `the trigger of ${name} checks ${auth === "hmac" ? `an HMAC of the body in header ${trigger.header || "Hmac"}` : "a Standard Webhooks signature"}: pass --key SECRET, the value of its secret (\`sigil describe ${name}\` shows the secret's name)`,
		};
	if (key !== undefined && auth !== "hmac" && auth !== "webhook")
		throw new CliError(
			"KEY_UNUSED",
			`--key was given, but the trigger of ${name} is ${auth}${auth === "none" ? " (unsigned)" : " (signed with your access key)"}: no shared key is used`,
			`drop --key, or check the function name (\`sigil describe ${name}\` shows its auth)`,
			{ exitCode: 2 },
		);
	switch (auth) {
		case "aws_iam":
			return {
				scheme: { kind: "aws_iam", service: trigger.services?.[0] ?? "lambda" },
			};
		case "acs3":
			return { scheme: { kind: "acs3" } };
		case "webhook":
			return { scheme: { kind: "webhook" } };
		case "hmac": {
			const accepted = (trigger.algorithms ??
				HMAC_ALGORITHMS) as HmacAlgorithm[];
			return {
				scheme: {
					kind: "hmac",
					header: trigger.header || "Hmac",
					algorithm:
						algorithmFlag ??
						(accepted.includes("sha256")
							? "sha256"
							: (accepted[0] ?? "sha256")),
				},
			};
		}
		default:
			return { scheme: { kind: "none" } };
	}
}

export const invokeCommand: CommandSpec = {
	name: "invoke",
	argIsFunction: true,
	summary: "Call a function's HTTP trigger, signed as its trigger requires",
	usage:
		"invoke NAME [--data BODY] [-m METHOD] [-H 'K: V'] [--query k=v] [--path /sub] [--key SECRET] [--sign HEADER|webhook | --auth none|aws_iam|acs3|webhook] [-v]",
	args: ["NAME"],
	details:
		"Without --auth or --sign the CLI asks the gateway how NAME's trigger authenticates (GET /sigil/v1/functions/NAME)\nand signs that way: SigV4 (the trigger's first service) or ACS3 with your access key, the payload HMAC in the\ntrigger's header or a Standard Webhooks signature with --key, or nothing. --auth/--sign choose by hand, without\nthe lookup (no access key needed for --sign).",
	options: {
		data: {
			type: "string",
			short: "d",
			value: "BODY",
			description:
				"request body (default: standard input when it is not a terminal)",
		},
		method: {
			type: "string",
			short: "m",
			value: "METHOD",
			description: "HTTP method (default POST with a body, GET without)",
		},
		header: {
			type: "string",
			short: "H",
			multiple: true,
			value: "'K: V'",
			description: "request header",
		},
		query: {
			type: "string",
			multiple: true,
			value: "k=v",
			description: "query-string parameter",
		},
		path: {
			type: "string",
			value: "/SUB",
			description: "path below /function/NAME",
		},
		"content-type": {
			type: "string",
			value: "TYPE",
			description:
				"Content-Type of the body when -H sets none (default text/plain, as faas-cli)",
		},
		sign: {
			type: "string",
			value: "HEADER",
			description:
				"payload HMAC in this header, faas-cli style: 'HEADER: sha256=<hex>'; `webhook`: Standard Webhooks (needs --key)",
		},
		key: {
			type: "string",
			value: "SECRET",
			description:
				"shared key of an hmac or webhook trigger (the secret's value; whsec_… for webhooks works too)",
		},
		algorithm: {
			type: "string",
			value: "ALG",
			description:
				"HMAC algorithm: sha256 (default, as faas-cli) | sha1 | sha512",
		},
		auth: {
			type: "string",
			value: "TYPE",
			description:
				"sign by hand: none | aws_iam (SigV4, service lambda) | acs3 (the profile's access key) | webhook (--key)",
		},
		verbose: {
			type: "boolean",
			short: "v",
			description:
				"print the scheme used, the status line and response headers on stderr",
		},
	},
	examples: [
		'echo \'{"name":"Ada"}\' | sigil invoke hello',
		"sigil invoke hook --key \"$HOOK_KEY\" --data 'ping'",
		"sigil invoke hook --sign hmac --key \"$HOOK_KEY\" --data 'ping'",
		'sigil invoke events --sign webhook --key "$WHSEC" --data \'{"type":"ping"}\'',
		"sigil invoke api -m GET --path /users/1 --query verbose=1 --auth acs3 -v",
	],
	async run(ctx) {
		const name = ctx.positionals[0] as string;
		const v = ctx.values;
		const sign = str(v, "sign");
		const key = str(v, "key");
		const auth = str(v, "auth");
		const algorithmFlag = str(v, "algorithm") as HmacAlgorithm | undefined;
		// An empty key is nearly always an unset variable (`--key "$HOOK_KEY"`): signing with it
		// would send a well-formed signature nobody can match.
		if (key === "")
			throw usageError(
				"--key is empty (is the variable you passed set?); an empty key signs nothing",
				ctx.spec.usage,
			);
		if (sign === "")
			throw usageError(
				"--sign is empty: name the header (e.g. --sign hmac) or pass --sign webhook",
				ctx.spec.usage,
			);
		if (sign !== undefined && key === undefined)
			throw usageError(
				"signing requires both --sign HEADER and --key SECRET",
				ctx.spec.usage,
			);
		if (algorithmFlag !== undefined && !HMAC_ALGORITHMS.includes(algorithmFlag))
			throw usageError(
				`--algorithm must be sha256, sha1 or sha512, got ${JSON.stringify(algorithmFlag)}`,
				ctx.spec.usage,
			);
		if (auth === "hmac")
			throw usageError(
				"--auth hmac: use --key SECRET (the header is read from the trigger) or --sign HEADER --key SECRET",
				ctx.spec.usage,
			);
		if (
			auth !== undefined &&
			!["none", "aws_iam", "acs3", "webhook"].includes(auth)
		)
			throw usageError(
				`--auth must be none, aws_iam, acs3 or webhook, got ${JSON.stringify(auth)}`,
				ctx.spec.usage,
			);
		if (auth === "webhook" && key === undefined)
			throw usageError("--auth webhook needs --key SECRET", ctx.spec.usage);
		if (sign === "webhook" && auth !== undefined && auth !== "webhook")
			throw usageError(
				"--sign webhook and --auth exclude each other",
				ctx.spec.usage,
			);
		const data = str(v, "data");
		const body =
			data !== undefined
				? Buffer.from(data, "utf8")
				: ctx.io.stdin.isTTY
					? Buffer.alloc(0)
					: await readAll(ctx.io.stdin);
		const built = buildInvokeRequest(
			{
				name,
				method: str(v, "method"),
				headers: list(v, "header"),
				query: list(v, "query"),
				path: str(v, "path"),
				body,
				contentType: str(v, "content-type"),
			},
			ctx.spec.usage,
		);
		const settings = await ctx.settings();
		// The schemes: chosen by hand (--sign/--auth), else as the trigger requires.
		const schemes: Scheme[] = [];
		if (sign === "webhook" || auth === "webhook")
			schemes.push({ kind: "webhook" });
		else if (sign !== undefined)
			schemes.push({
				kind: "hmac",
				header: sign,
				algorithm: algorithmFlag ?? "sha256",
			});
		if (auth === "aws_iam")
			schemes.push({ kind: "aws_iam", service: "lambda" });
		else if (auth === "acs3") schemes.push({ kind: "acs3" });
		let chosenBy = "flags";
		let keyHint: string | undefined;
		if (sign === undefined && auth === undefined) {
			const asked = await schemeOfTrigger(ctx, name, algorithmFlag, key);
			if ("scheme" in asked) {
				if (asked.scheme.kind !== "none") schemes.push(asked.scheme);
				keyHint = asked.keyHint;
				chosenBy = keyHint
					? "the trigger, unsigned: no --key given"
					: "the trigger";
			} else {
				if (key !== undefined)
					throw new CliError(
						"TRIGGER_UNKNOWN",
						`cannot read how the trigger of ${name} is signed (${asked.unknown}), so --key alone does not say which scheme`,
						"pass --sign HEADER (payload HMAC) or --sign webhook with --key",
						{ exitCode: 2 },
					);
				// The key may invoke but not read the function's config. A caller holding an access
				// key is most likely calling an IAM trigger; one without a key, a public one.
				if (settings.credentials)
					schemes.push({ kind: "aws_iam", service: "lambda" });
				chosenBy = `default, since the trigger could not be read (${asked.unknown})`;
			}
		}
		const url = new URL(settings.gateway);
		const target = `${url.pathname.replace(/\/+$/, "")}${built.target}`;
		let headers: Record<string, string> = {
			host: url.host,
			"user-agent": "sigil-cli/0.1.0",
		};
		for (const [k, val] of built.headers)
			headers[k] = headers[k] === undefined ? val : `${headers[k]}, ${val}`;
		const now = new Date();
		for (const scheme of schemes) {
			if (scheme.kind === "hmac")
				headers[canonicalHeaderName(scheme.header)] = payloadHmacValue(
					body,
					key as string,
					scheme.algorithm,
				);
			else if (scheme.kind === "webhook")
				headers = {
					...headers,
					...standardWebhookHeaders(body, key as string, now),
				};
		}
		const request = {
			method: built.method,
			host: url.host,
			target,
			headers,
			body,
		};
		// Header-only schemes first, then SigV4/ACS3, which sign every header before them.
		for (const scheme of schemes) {
			if (scheme.kind === "aws_iam")
				headers = signSigV4Headers(
					request,
					requireCredentials(settings),
					settings.region,
					scheme.service,
					now,
				);
			else if (scheme.kind === "acs3")
				headers = signAcs3Headers(
					request,
					requireCredentials(settings),
					now,
					randomUUID(),
				);
		}
		const signed = schemes.length
			? schemes.map((sc) => sc.kind).join("+")
			: "none";
		if (v.verbose)
			ctx.io.stderr.write(
				`signing: ${schemes.length ? schemes.map(describeScheme).join(" + ") : "none"} (chosen by ${chosenBy})\n`,
			);
		let res: IncomingResponse;
		try {
			res = await send({
				method: built.method,
				origin: url.origin,
				target,
				headers,
				body,
			});
		} catch (error) {
			throw new CliError(
				"GATEWAY_UNREACHABLE",
				`cannot reach the gateway at ${settings.gateway}: ${(error as Error).message}`,
				"start it with `sigil up`, or pass --gateway URL / set SIGIL_URL",
			);
		}
		if (v.verbose) {
			ctx.io.stderr.write(`HTTP ${res.status} ${res.statusText}\n`);
			for (let i = 0; i + 1 < res.rawHeaders.length; i += 2)
				ctx.io.stderr.write(`${res.rawHeaders[i]}: ${res.rawHeaders[i + 1]}\n`);
			ctx.io.stderr.write("\n");
		}
		const ok = res.status >= 200 && res.status < 300;
		const code = ok ? "" : answerCode(res);
		const fix = () =>
			keyHint && (res.status === 401 || res.status === 403)
				? keyHint
				: fixForStatus(res.status, code, name, signed);
		if (ctx.json) {
			const text = res.body.toString("utf8");
			const utf8 = Buffer.from(text, "utf8").equals(res.body);
			const headersOut: Record<string, string> = {};
			for (let i = 0; i + 1 < res.rawHeaders.length; i += 2)
				headersOut[(res.rawHeaders[i] as string).toLowerCase()] = res
					.rawHeaders[i + 1] as string;
			const answer = {
				status: res.status,
				headers: headersOut,
				...(utf8
					? { body: text }
					: { bodyBase64: res.body.toString("base64") }),
			};
			if (ok) ctx.printJson(answer);
			else
				ctx.io.stderr.write(
					`${JSON.stringify({ error: { code, message: `${name} answered ${res.status}`, fix: fix(), ...answer } })}\n`,
				);
			return ok ? 0 : 1;
		}
		if (ok) {
			ctx.io.stdout.write(res.body);
			return 0;
		}
		ctx.io.stderr.write(res.body);
		if (res.body.length > 0 && res.body[res.body.length - 1] !== 0x0a)
			ctx.io.stderr.write("\n");
		const paint = painter(ctx.io.stderr, ctx.io.env);
		ctx.io.stderr.write(
			`${paint("error", "error:")} ${name} answered ${res.status} ${res.statusText} (${code})\n  ${paint("fix", "fix:")} ${fix()}\n`,
		);
		return 1;
	},
};
