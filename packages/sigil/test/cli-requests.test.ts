// Building what the CLI sends: deploy configs from flags and stack files, invoke requests
// faas-cli style, the faas-cli HMAC header, the secret-from-stdin rule, and API error mapping.
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import fc from "fast-check";
import type { CliError } from "../src/cli/cli-error.ts";
import { stripOneNewline } from "../src/cli/commands/secrets.ts";
import { ControlPlaneClient } from "../src/cli/control-plane-client.ts";
import {
	configFromFlags,
	type DeployFlags,
	itemsFromStack,
	packHandler,
} from "../src/cli/deploy-plan.ts";
import {
	buildInvokeRequest,
	parseHeaderFlag,
	rfc3986,
} from "../src/cli/invoke-request.ts";
import { canonicalHeaderName, payloadHmacValue } from "../src/cli/signing.ts";
import { parseStackFile } from "../src/config/stack-file.ts";

const flags = (over: Partial<DeployFlags>): DeployFlags => ({
	hmacSecrets: [],
	algorithms: [],
	secrets: [],
	env: [],
	...over,
});

test("deploy flags become a stack-file entry, validated, handler replaced by the bundle", () => {
	const item = configFromFlags(
		flags({
			name: "hook",
			runtime: "node",
			handler: "./hook",
			auth: "hmac",
			hmacSecrets: ["k1", "k2"],
			hmacHeader: "X-Sig",
			algorithms: ["sha512"],
			secrets: ["db"],
			env: ["A=1", "B=x=y"],
			timeout: "30",
			memory: "128",
		}),
		"/work",
		"deploy",
	);
	assert.equal(item.name, "hook");
	assert.equal(item.handlerPath, "/work/hook");
	assert.deepEqual(item.config, {
		runtime: "node",
		trigger: {
			auth: "hmac",
			secrets: ["k1", "k2"],
			header: "X-Sig",
			algorithms: ["sha512"],
		},
		environment: { A: "1", B: "x=y" },
		secrets: ["db"],
		timeout: 30,
		memory: 128,
	});
	assert.equal(
		configFromFlags(
			flags({ name: "t", runtime: "node", timeout: "500ms" }),
			"/",
			"deploy",
		).config.timeout,
		"500ms",
	);
});

test("invalid deploy flags name the key path and the flag; usage errors are exit 2", () => {
	assert.throws(
		() =>
			configFromFlags(
				flags({ name: "hook", runtime: "node", auth: "hmac" }),
				"/",
				"deploy",
			),
		(e: CliError) =>
			e.code === "CONFIG_INVALID" &&
			e.exitCode === 2 &&
			/trigger\.secrets \(--hmac-secret\): is required for auth hmac/.test(
				e.message,
			),
	);
	assert.throws(
		() =>
			configFromFlags(flags({ name: "x", runtime: "cobol" }), "/", "deploy"),
		(e: CliError) =>
			/runtime \(--runtime\): must be one of node, process, python3, provided, http/.test(
				e.message,
			),
	);
	assert.throws(
		() =>
			configFromFlags(
				flags({ name: "Bad_Name", runtime: "node" }),
				"/",
				"deploy",
			),
		{ code: "USAGE" },
	);
	assert.throws(
		() =>
			configFromFlags(
				flags({ name: "x", runtime: "node", env: ["NOEQUALS"] }),
				"/",
				"deploy",
			),
		/KEY=VALUE/,
	);
	assert.throws(
		() => configFromFlags(flags({ runtime: "node" }), "/", "deploy"),
		/--name is required/,
	);
});

test("a single-file handler packs into a one-file bundle with entry <file>.handler; a folder packs whole", async () => {
	const dir = await mkdtemp(join(tmpdir(), "sigil-cli-pack-"));
	await writeFile(
		join(dir, "greet.mjs"),
		"export const handler = async () => 'hi';\n",
	);
	await mkdir(join(dir, "app"));
	await writeFile(
		join(dir, "app", "index.mjs"),
		"export const handler = async () => 1;\n",
	);
	await writeFile(join(dir, "app", "lib.mjs"), "export const x = 1;\n");
	const single = await packHandler(
		configFromFlags(
			flags({ name: "g", runtime: "node", handler: "greet.mjs" }),
			dir,
			"deploy",
		),
	);
	assert.equal(single.config.entry, "greet.handler");
	assert.deepEqual(
		single.code.files.map((f) => [
			f.path,
			Buffer.from(f.data, "base64").toString(),
		]),
		[["greet.mjs", "export const handler = async () => 'hi';\n"]],
	);
	const explicit = await packHandler(
		configFromFlags(
			flags({
				name: "g",
				runtime: "node",
				handler: "greet.mjs",
				entry: "greet.main",
			}),
			dir,
			"deploy",
		),
	);
	assert.equal(explicit.config.entry, "greet.main");
	const folder = await packHandler(
		configFromFlags(
			flags({ name: "a", runtime: "node", handler: "app" }),
			dir,
			"deploy",
		),
	);
	assert.deepEqual(
		folder.code.files.map((f) => f.path),
		["index.mjs", "lib.mjs"],
	);
	assert.equal(
		folder.config.entry,
		undefined,
		"a folder keeps the default entry",
	);
	await assert.rejects(
		packHandler({
			name: "m",
			config: { runtime: "node" },
			handlerPath: join(dir, "missing"),
		}),
		{ code: "HANDLER_NOT_FOUND" },
	);
	assert.deepEqual(
		(
			await packHandler({
				name: "u",
				config: { runtime: "http", upstream: "http://x" },
			})
		).code,
		{ files: [] },
	);
});

test("stack-file functions become deploy items; --filter picks one or says which exist", () => {
	const stack = parseStackFile(
		"version: 1\nfunctions:\n  a:\n    runtime: node\n    handler: ./a\n  b:\n    runtime: http\n    upstream: http://x\n",
		"sigil.yml",
		"/proj",
	);
	const items = itemsFromStack(stack.functions);
	assert.deepEqual(
		items.map((i) => [i.name, i.handlerPath, "handler" in i.config]),
		[
			["a", "/proj/a", false],
			["b", undefined, false],
		],
	);
	assert.equal(itemsFromStack(stack.functions, "b").length, 1);
	assert.throws(
		() => itemsFromStack(stack.functions, "c"),
		(e: CliError) => e.code === "FUNCTION_NOT_IN_STACK" && /a, b/.test(e.fix),
	);
});

test("invoke requests: method defaults, headers in both faas-cli forms, query encoding, sub-path", () => {
	const get = buildInvokeRequest(
		{ name: "fn", headers: [], query: [], body: new Uint8Array() },
		"invoke",
	);
	assert.deepEqual(
		[get.method, get.target, get.headers],
		["GET", "/function/fn", []],
	);
	const post = buildInvokeRequest(
		{
			name: "fn",
			headers: ["X-A: 1", "x-b=two", "Content-Type: application/json"],
			query: ["q=a b", "e=ü&x"],
			path: "users/1",
			body: Buffer.from("{}"),
		},
		"invoke",
	);
	assert.equal(post.method, "POST");
	assert.equal(post.target, "/function/fn/users/1?q=a%20b&e=%C3%BC%26x");
	assert.deepEqual(post.headers, [
		["X-A", "1"],
		["x-b", "two"],
		["Content-Type", "application/json"],
	]);
	const typed = buildInvokeRequest(
		{
			name: "fn",
			method: "put",
			headers: [],
			query: [],
			body: Buffer.from("x"),
		},
		"invoke",
	);
	assert.deepEqual(
		[typed.method, typed.headers],
		["PUT", [["Content-Type", "text/plain"]]],
	);
	for (const bad of ["NoSeparator", ": v", "Bad Name: v"])
		assert.throws(() => parseHeaderFlag(bad, "invoke"), { code: "USAGE" });
	assert.throws(
		() =>
			buildInvokeRequest(
				{ name: "fn", headers: [], query: ["novalue"], body: new Uint8Array() },
				"invoke",
			),
		/key=value/,
	);
	assert.throws(
		() =>
			buildInvokeRequest(
				{
					name: "fn",
					headers: [],
					query: [],
					path: "/a?b",
					body: new Uint8Array(),
				},
				"invoke",
			),
		/--query/,
	);
});

test("rfc3986 keeps only unreserved characters literal (property)", () => {
	fc.assert(
		fc.property(fc.string(), (s) => {
			const e = rfc3986(s);
			assert.match(e, /^([A-Za-z0-9\-._~]|%[0-9A-F]{2})*$/);
			assert.equal(
				decodeURIComponent(e),
				s.isWellFormed() ? s : decodeURIComponent(e),
			);
		}),
	);
});

test("faas-cli-compatible HMAC: header name as Go writes it, value sha256=<hex HMAC of the body>", () => {
	assert.equal(canonicalHeaderName("hmac"), "Hmac");
	assert.equal(
		canonicalHeaderName("x-hub-signature-256"),
		"X-Hub-Signature-256",
	);
	const body = Buffer.from('{"event":"push"}');
	const expected = `sha256=${createHmac("sha256", "s3cret").update(body).digest("hex")}`;
	assert.equal(payloadHmacValue(body, "s3cret", "sha256"), expected);
	assert.equal(
		payloadHmacValue(body, "s3cret", "sha512"),
		`sha512=${createHmac("sha512", "s3cret").update(body).digest("hex")}`,
	);
	assert.equal(
		payloadHmacValue(body, "s3cret", "sha1"),
		`sha1=${createHmac("sha1", "s3cret").update(body).digest("hex")}`,
	);
});

test("secret from stdin: exactly one trailing newline is dropped, nothing else", () => {
	const s = (t: string) => stripOneNewline(Buffer.from(t)).toString();
	assert.equal(s("abc\n"), "abc");
	assert.equal(s("abc\r\n"), "abc");
	assert.equal(s("abc\n\n"), "abc\n");
	assert.equal(s(" abc "), " abc ");
	assert.equal(s(""), "");
});

test("the control-plane client maps error JSON to CliError with the server's code, fix and request id", async () => {
	const server = createServer((req, res) => {
		if (req.url?.endsWith("/info")) {
			res
				.writeHead(200, { "content-type": "application/json" })
				.end('{"name":"sigil","version":"0.1.0","region":"eu-west-1"}');
			return;
		}
		res
			.writeHead(404, {
				"content-type": "application/json",
				"x-sigil-request-id": "rid-1",
			})
			.end(
				JSON.stringify({
					error: {
						code: "FUNCTION_NOT_FOUND",
						message: "function 'x' does not exist in account 000000000001",
						requestId: "rid-1",
					},
				}),
			);
	});
	await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
	try {
		const gateway = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
		const client = new ControlPlaneClient({
			gateway,
			region: "us-east-1",
			credentials: {
				accessKeyId: "AKIATEST",
				secretAccessKey: "secret-that-must-not-leak",
			},
		});
		assert.deepEqual(await client.info(), {
			name: "sigil",
			version: "0.1.0",
			region: "eu-west-1",
		});
		await assert.rejects(client.getFunction("x"), (e: CliError) => {
			assert.equal(e.code, "FUNCTION_NOT_FOUND");
			assert.equal(e.requestId, "rid-1");
			assert.match(e.fix, /sigil list/);
			assert.ok(!e.message.includes("secret-that-must-not-leak"));
			return true;
		});
	} finally {
		server.close();
	}
	const down = new ControlPlaneClient({
		gateway: "http://127.0.0.1:1",
		region: "us-east-1",
		credentials: undefined,
	});
	await assert.rejects(down.info(), { code: "GATEWAY_UNREACHABLE" });
});
