import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import {
	createProcessRuntime,
	type ProcessRuntimeSpec,
} from "../src/runtime/process-runtime.ts";
import { splitCommand } from "../src/runtime/split-command.ts";
import { type HttpInvocation, RuntimeError } from "../src/runtime/types.ts";
import {
	buildWatchdogEnv,
	canonicalHeaderName,
} from "../src/runtime/watchdog-env.ts";

const scripts = fileURLToPath(
	new URL("./fixtures/functions/process/", import.meta.url),
);
const work = mkdtempSync(join(tmpdir(), "sigil-process-"));
after(() => rmSync(work, { recursive: true, force: true }));

function runtime(fprocess: string, over: Partial<ProcessRuntimeSpec> = {}) {
	return createProcessRuntime({
		name: "proc",
		fprocess,
		cwd: work,
		env: {},
		timeoutMs: 5000,
		...over,
	});
}

let seq = 0;
function http(over: Partial<HttpInvocation> = {}): HttpInvocation {
	return {
		requestId: `req-${++seq}`,
		functionName: "proc",
		method: "POST",
		path: "/sub/p%20q",
		rawQuery: "",
		rawHeaders: ["Host", "gw.local:8080"],
		body: Buffer.alloc(0),
		sourceIp: "127.0.0.1",
		host: "gw.local:8080",
		receivedAt: Date.now(),
		...over,
	};
}

function parseEnv(out: Buffer): Map<string, string> {
	const m = new Map<string, string>();
	for (const line of out.toString().split("\n")) {
		const eq = line.indexOf("=");
		if (eq > 0) m.set(line.slice(0, eq), line.slice(eq + 1));
	}
	return m;
}

/** Running (a zombie waiting for an init that may not reap it counts as gone). */
function alive(pid: number): boolean {
	try {
		const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
		return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
	} catch {
		return false;
	}
}

describe("splitCommand", () => {
	it("splits words like a shell, honouring quotes and backslashes", () => {
		const cases: [string, string[]][] = [
			["cat", ["cat"]],
			["  node  index.js \t --flag ", ["node", "index.js", "--flag"]],
			[`sh -c 'echo "$HOME" | wc'`, ["sh", "-c", 'echo "$HOME" | wc']],
			[
				`printf "%s\\n" "a \\"b\\" \\$c \\x"`,
				["printf", "%s\\n", 'a "b" $c \\x'],
			],
			["a\\ b c\\\\d", ["a b", "c\\d"]],
			["x''y \"\" ''", ["xy", "", ""]],
			["one\\\ntwo", ["onetwo"]],
			["echo *.js $HOME ~", ["echo", "*.js", "$HOME", "~"]],
		];
		for (const [line, argv] of cases)
			assert.deepEqual(splitCommand(line), { ok: true, argv }, line);
	});

	it("refuses broken command lines with a stable code", () => {
		assert.equal(
			(splitCommand("   ") as { code: string }).code,
			"EMPTY_COMMAND",
		);
		assert.equal(
			(splitCommand("echo 'oops") as { code: string }).code,
			"UNTERMINATED_QUOTE",
		);
		assert.equal(
			(splitCommand('echo "oops') as { code: string }).code,
			"UNTERMINATED_QUOTE",
		);
		assert.equal(
			(splitCommand("echo \\") as { code: string }).code,
			"TRAILING_BACKSLASH",
		);
	});

	it("round-trips any argv quoted with single quotes (property)", () => {
		const quote = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;
		fc.assert(
			fc.property(
				fc.array(fc.string(), { minLength: 1, maxLength: 6 }),
				(argv) => {
					assert.deepEqual(splitCommand(argv.map(quote).join(" ")), {
						ok: true,
						argv,
					});
				},
			),
		);
	});
});

describe("watchdog environment", () => {
	it("canonicalizes header names the way Go does", () => {
		assert.equal(canonicalHeaderName("x-hub-signature"), "X-Hub-Signature");
		assert.equal(canonicalHeaderName("HMAC"), "Hmac");
		assert.equal(canonicalHeaderName("content-TYPE"), "Content-Type");
		assert.equal(canonicalHeaderName("bad header"), "bad header");
	});

	it("writes request-line variables after the headers so a header cannot forge them", () => {
		const env = buildWatchdogEnv(
			{ PATH: "/bin" },
			{ MODE: "prod" },
			{
				method: "post",
				path: "/a%2Fb",
				rawQuery: "",
				host: "real.host",
				contentLength: 3,
				rawHeaders: [
					"Query",
					"forged=1",
					"Method",
					"DELETE",
					"Path",
					"/etc",
					"Host",
					"evil",
					"Content-Length",
					"999",
					"X-Dup",
					"1",
					"x-dup",
					"2",
				],
			},
			"/secrets",
		);
		assert.equal(env.Http_Query, "");
		assert.equal(env.Http_Method, "POST");
		assert.equal(env.Http_Path, "/a/b");
		assert.equal(env.Http_Host, "real.host");
		assert.equal(env.Http_Content_Length, "3");
		assert.equal(env.Http_ContentLength, "3");
		assert.equal(env.Http_X_Dup, "1");
		assert.equal(env.MODE, "prod");
		assert.equal(env.PATH, "/bin");
		assert.equal(env.SIGIL_SECRETS_DIR, "/secrets");
	});
});

describe("process runtime", () => {
	it("exposes headers as Http_* and nothing of the gateway's environment", async () => {
		process.env.SIGIL_GATEWAY_ONLY_SECRET = "must-not-leak";
		const rt = runtime("env", {
			env: { FN_SETTING: "on" },
			secretsDir: "/run/secrets/proc",
		});
		const res = await rt.invokeHttp(
			http({
				rawQuery: "a=1&b=two",
				rawHeaders: [
					"Host",
					"gw.local:8080",
					"X-Hub-Signature",
					"sha1=abc",
					"Hmac",
					"sha256=def",
					"Query",
					"forged",
					"Content-Type",
					"text/csv",
				],
				body: Buffer.from("abc"),
			}),
		);
		delete process.env.SIGIL_GATEWAY_ONLY_SECRET;
		assert.equal(res.status, 200);
		assert.deepEqual(res.headers, ["content-type", "text/csv"]);
		const env = parseEnv(res.body);
		assert.equal(env.get("Http_X_Hub_Signature"), "sha1=abc");
		assert.equal(env.get("Http_Hmac"), "sha256=def");
		assert.equal(env.get("Http_Query"), "a=1&b=two");
		assert.equal(env.get("Http_Method"), "POST");
		assert.equal(env.get("Http_Path"), "/sub/p q");
		assert.equal(env.get("Http_Host"), "gw.local:8080");
		assert.equal(env.get("Http_Content_Length"), "3");
		assert.equal(env.get("Http_Content_Type"), "text/csv");
		assert.equal(env.get("FN_SETTING"), "on");
		assert.equal(env.get("SIGIL_SECRETS_DIR"), "/run/secrets/proc");
		assert.equal(env.get("SIGIL_GATEWAY_ONLY_SECRET"), undefined);
		// A forged Query header with an empty real query still yields an empty Http_Query.
		const empty = parseEnv(
			(await rt.invokeHttp(http({ rawHeaders: ["Query", "forged=1"] }))).body,
		);
		assert.equal(empty.get("Http_Query"), "");
	});

	it("echoes the body with cat, defaulting to text/plain", async () => {
		const body = Buffer.from("hello\u0000\u00ff world");
		const res = await runtime("cat").invokeHttp(http({ body }));
		assert.equal(res.status, 200);
		assert.deepEqual(res.body, body);
		assert.deepEqual(res.headers, [
			"content-type",
			"text/plain; charset=utf-8",
		]);
	});

	it("answers 500 with the output on a non-zero exit, stderr only with writeDebug", async () => {
		const plain = await runtime(`sh ${scripts}fail.sh`).invokeHttp(http());
		assert.equal(plain.status, 500);
		assert.equal(plain.body.toString(), "exit status 3\npartial output\n");
		const debug = await runtime(`sh ${scripts}fail.sh`, {
			writeDebug: true,
		}).invokeHttp(http());
		assert.match(debug.body.toString(), /something broke/);
	});

	it("maps event invocations: stdout as payload, Unhandled on a non-zero exit", async () => {
		const ok = await runtime("cat").invokeEvent({
			requestId: "e1",
			functionName: "proc",
			payload: Buffer.from('{"a":1}'),
		});
		assert.equal(ok.payload.toString(), '{"a":1}');
		assert.equal(ok.functionError, undefined);
		const bad = await runtime(`sh ${scripts}fail.sh`).invokeEvent({
			requestId: "e2",
			functionName: "proc",
			payload: Buffer.alloc(0),
		});
		assert.equal(bad.functionError, "Unhandled");
		assert.match(
			JSON.parse(bad.payload.toString()).errorMessage,
			/something broke/,
		);
		assert.match(bad.logTail ?? "", /something broke/);
	});

	it("kills the whole process group on timeout, grandchild included", async () => {
		const pidFile = join(work, "grandchild.pid");
		const rt = runtime(`sh ${scripts}sleep-forever.sh ${pidFile}`, {
			timeoutMs: 500,
		});
		const t0 = Date.now();
		await assert.rejects(
			rt.invokeHttp(http()),
			(e) => e instanceof RuntimeError && e.code === "FUNCTION_TIMEOUT",
		);
		assert.ok(Date.now() - t0 < 2000);
		assert.ok(existsSync(pidFile));
		const grandchild = Number(readFileSync(pidFile, "utf8").trim());
		assert.ok(grandchild > 0);
		for (let i = 0; i < 50 && alive(grandchild); i++)
			await new Promise((r) => setTimeout(r, 20));
		assert.equal(alive(grandchild), false, `grandchild ${grandchild} survived`);
	});

	it("delivers a 5 MB response whole", async () => {
		const res = await runtime("head -c 5242880 /dev/urandom").invokeHttp(
			http(),
		);
		assert.equal(res.status, 200);
		assert.equal(res.body.length, 5 * 1024 * 1024);
	});

	it("kills a process that writes past maxOutputBytes", async () => {
		const rt = runtime("cat /dev/zero", { maxOutputBytes: 1024 * 1024 });
		const err = await rt.invokeHttp(http()).then(
			() => undefined,
			(e: unknown) => e,
		);
		assert.ok(err instanceof RuntimeError);
		assert.equal(err.code, "FUNCTION_ERROR");
		assert.match(err.message, /more than 1048576 bytes/);
	});

	it("reports a missing executable or a broken command line as FUNCTION_START_FAILED", async () => {
		for (const fprocess of ["/nonexistent/sigil-fn", "echo 'unterminated"]) {
			await assert.rejects(
				runtime(fprocess).invokeHttp(http()),
				(e) => e instanceof RuntimeError && e.code === "FUNCTION_START_FAILED",
			);
		}
	});

	it("queues past maxConcurrency and refuses past maxQueue", async () => {
		const rt = runtime("sleep 0.3", { maxConcurrency: 2, maxQueue: 1 });
		const settled = await Promise.allSettled(
			Array.from({ length: 5 }, () => rt.invokeHttp(http())),
		);
		const codes = settled.map((r) =>
			r.status === "fulfilled"
				? r.value.status
				: (r.reason as RuntimeError).code,
		);
		assert.deepEqual(codes, [
			200,
			200,
			200,
			"FUNCTION_QUEUE_FULL",
			"FUNCTION_QUEUE_FULL",
		]);
	});

	it("closes: refuses new work, waits for the running process, then kills leftovers", async () => {
		const rt = runtime("sleep 0.3");
		const running = rt.invokeHttp(http());
		await new Promise((r) => setTimeout(r, 50));
		const closing = rt.close(2000);
		await assert.rejects(
			rt.invokeHttp(http()),
			(e) => e instanceof RuntimeError && e.code === "FUNCTION_CLOSED",
		);
		assert.equal((await running).status, 200);
		await closing;
	});
});
