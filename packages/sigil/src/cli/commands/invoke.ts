/**
 * `sigil invoke NAME`: call a function's HTTP trigger the way its callers would, signing as its
 * trigger demands — faas-cli's `--sign HEADER --key SECRET` payload HMAC, SigV4 (`--auth
 * aws_iam`, service `lambda`) or ACS3 (`--auth acs3`) with the profile's credentials.
 * The body comes from `--data` or, like faas-cli, from standard input when it is not a terminal.
 */
import { randomUUID } from "node:crypto";
import { CliError, usageError } from "../cli-error.ts";
import { type CommandSpec, list, str } from "../command.ts";
import { type IncomingResponse, responseHeader, send } from "../http-send.ts";
import { buildInvokeRequest } from "../invoke-request.ts";
import { readAll } from "../io.ts";
import { requireCredentials } from "../settings.ts";
import {
	canonicalHeaderName,
	HMAC_ALGORITHMS,
	type HmacAlgorithm,
	payloadHmacValue,
	signAcs3Headers,
	signSigV4Headers,
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

function fixForStatus(status: number, name: string, signed: string): string {
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

export const invokeCommand: CommandSpec = {
	name: "invoke",
	summary: "Call a function's HTTP trigger, signed as its trigger requires",
	usage:
		"invoke NAME [--data BODY] [-m METHOD] [-H 'K: V'] [--query k=v] [--path /sub] [--sign HEADER --key SECRET | --auth aws_iam|acs3] [-v]",
	args: ["NAME"],
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
				"payload HMAC in this header, faas-cli style: 'HEADER: sha256=<hex>' (needs --key)",
		},
		key: {
			type: "string",
			value: "SECRET",
			description: "shared key of --sign",
		},
		algorithm: {
			type: "string",
			value: "ALG",
			description:
				"HMAC algorithm of --sign: sha256 (default, as faas-cli) | sha1 | sha512",
		},
		auth: {
			type: "string",
			value: "TYPE",
			description:
				"aws_iam (SigV4, service lambda) or acs3, with the profile's access key",
		},
		verbose: {
			type: "boolean",
			short: "v",
			description: "print the status line and response headers on stderr",
		},
	},
	examples: [
		'echo \'{"name":"Ada"}\' | sigil invoke hello --auth aws_iam',
		"sigil invoke hook --sign hmac --key \"$HOOK_KEY\" --data 'ping'",
		"sigil invoke api -m GET --path /users/1 --query verbose=1 --auth acs3 -v",
	],
	async run(ctx) {
		const name = ctx.positionals[0] as string;
		const v = ctx.values;
		const sign = str(v, "sign");
		const key = str(v, "key");
		const auth = str(v, "auth");
		const algorithm = (str(v, "algorithm") ?? "sha256") as HmacAlgorithm;
		if ((sign === undefined) !== (key === undefined))
			throw usageError(
				"signing requires both --sign HEADER and --key SECRET",
				ctx.spec.usage,
			);
		if (!HMAC_ALGORITHMS.includes(algorithm))
			throw usageError(
				`--algorithm must be sha256, sha1 or sha512, got ${JSON.stringify(algorithm)}`,
				ctx.spec.usage,
			);
		if (
			auth !== undefined &&
			auth !== "aws_iam" &&
			auth !== "acs3" &&
			auth !== "none"
		)
			throw usageError(
				`--auth must be aws_iam or acs3, got ${JSON.stringify(auth)}`,
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
		const url = new URL(settings.gateway);
		const target = `${url.pathname.replace(/\/+$/, "")}${built.target}`;
		let headers: Record<string, string> = {
			host: url.host,
			"user-agent": "sigil-cli/0.1.0",
		};
		for (const [k, val] of built.headers)
			headers[k] = headers[k] === undefined ? val : `${headers[k]}, ${val}`;
		if (sign !== undefined && key !== undefined)
			headers[canonicalHeaderName(sign)] = payloadHmacValue(
				body,
				key,
				algorithm,
			);
		const request = {
			method: built.method,
			host: url.host,
			target,
			headers,
			body,
		};
		if (auth === "aws_iam")
			headers = signSigV4Headers(
				request,
				requireCredentials(settings),
				settings.region,
				"lambda",
				new Date(),
			);
		else if (auth === "acs3")
			headers = signAcs3Headers(
				request,
				requireCredentials(settings),
				new Date(),
				randomUUID(),
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
					`${JSON.stringify({ error: { code: answerCode(res), message: `${name} answered ${res.status}`, fix: fixForStatus(res.status, name, auth ?? (sign ? "hmac" : "none")), ...answer } })}\n`,
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
		ctx.io.stderr.write(
			`error: ${name} answered ${res.status} ${res.statusText} (${answerCode(res)})\n  fix: ${fixForStatus(res.status, name, auth ?? (sign ? "hmac" : "none"))}\n`,
		);
		return 1;
	},
};
