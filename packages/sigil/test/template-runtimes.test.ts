// The language templates as their runtimes run them: the python3 template (OpenFaaS python3
// template contract: body as a string, Http_* env, the return value printed) on the warm
// Python host, its requirements.txt rule, and the node skeleton in the worker pool.
import assert from "node:assert/strict";
import { cp, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { isAbsolute, join } from "node:path";
import { after, before, describe, it } from "node:test";
import fc from "fast-check";
import { parseFunctionConfig } from "../src/config/function-config.ts";
import { SigilError } from "../src/errors.ts";
import { createRuntime } from "../src/functions/create-runtime.ts";
import { createNodeRuntime } from "../src/runtime/node-runtime.ts";
import {
	createPython3Runtime,
	missingRequirements,
	quoteWord,
	requirementNames,
	resolvePython,
} from "../src/runtime/python3-runtime.ts";
import { splitCommand } from "../src/runtime/split-command.ts";
import { skeletonDir } from "../src/runtime/templates-dir.ts";
import type { FunctionRuntime, HttpInvocation } from "../src/runtime/types.ts";

let root = "";
const open: FunctionRuntime[] = [];
before(async () => {
	root = await mkdtemp(join(tmpdir(), "sigil-templates-"));
});
after(async () => {
	await Promise.all(open.map((r) => r.close(100)));
	await rm(root, { recursive: true, force: true });
});

let seq = 0;
function http(over: Partial<HttpInvocation> = {}): HttpInvocation {
	return {
		requestId: `req-${++seq}`,
		functionName: "py",
		method: "POST",
		path: "/sub",
		rawQuery: "a=1",
		rawHeaders: ["Host", "gw.local", "Hmac", "sha1=abc"],
		body: Buffer.from("The message"),
		sourceIp: "127.0.0.1",
		host: "gw.local",
		receivedAt: Date.now(),
		...over,
	};
}

/** A code folder holding `handler.py` with the given text (and any other files). */
async function codeDir(
	handler: string,
	files: Record<string, string> = {},
): Promise<string> {
	const dir = join(root, `fn-${++seq}`);
	await mkdir(dir);
	await writeFile(join(dir, "handler.py"), handler);
	for (const [path, text] of Object.entries(files)) {
		await mkdir(join(dir, path, ".."), { recursive: true });
		await writeFile(join(dir, path), text);
	}
	return dir;
}

async function python(cwd: string): Promise<FunctionRuntime> {
	const rt = await createPython3Runtime({
		name: "py",
		cwd,
		env: { GREETING: "hi" },
		timeoutMs: 10_000,
	});
	open.push(rt);
	return rt;
}

describe("python3 template", () => {
	it("the skeleton echoes the body, printed with a newline as the OpenFaaS template does", async () => {
		const dir = join(root, "skeleton");
		await cp(skeletonDir("python3"), dir, { recursive: true });
		const rt = await python(dir);
		const r = await rt.invokeHttp(http());
		assert.equal(r.status, 200);
		assert.equal(r.body.toString(), "The message\n");
		// Bytes that are not UTF-8 come back unchanged.
		const raw = Buffer.from([0x68, 0xff, 0xfe, 0x69]);
		const back = await rt.invokeHttp(http({ body: raw }));
		assert.deepEqual(back.body, Buffer.concat([raw, Buffer.from("\n")]));
	});

	it("headers as Http_* env, the function's env, SIGIL_SECRETS_DIR; req is a str", async () => {
		const dir = await codeDir(
			[
				"import os",
				"def handle(req):",
				"    keys = ['Http_Hmac', 'Http_Method', 'Http_Path', 'Http_Query', 'GREETING']",
				"    return type(req).__name__ + '|' + '|'.join(os.getenv(k, '-') for k in keys)",
				"",
			].join("\n"),
		);
		const r = await (await python(dir)).invokeHttp(http());
		assert.equal(r.body.toString(), "str|sha1=abc|POST|/sub|a=1|hi\n");
	});

	it("None prints nothing; bytes are the exact body; an exception is a 500", async () => {
		const dir = await codeDir(
			[
				"def handle(req):",
				"    if req == 'none': return None",
				"    if req == 'bytes': return b'\\x00\\x01raw'",
				"    raise ValueError('boom')",
				"",
			].join("\n"),
		);
		const rt = await python(dir);
		const none = await rt.invokeHttp(http({ body: Buffer.from("none") }));
		assert.equal(none.status, 200);
		assert.equal(none.body.length, 0);
		const bytes = await rt.invokeHttp(http({ body: Buffer.from("bytes") }));
		assert.deepEqual(bytes.body, Buffer.from("\x00\x01raw", "latin1"));
		const boom = await rt.invokeHttp(http({ body: Buffer.from("x") }));
		assert.equal(boom.status, 500);
		assert.match(boom.body.toString(), /^handle\(req\) raised an exception/);
		// stderr (the traceback) stays out of the answer unless writeDebug.
		assert.doesNotMatch(boom.body.toString(), /ValueError/);
	});

	it("modules next to handler.py import (vendored dependencies work); event invocations too", async () => {
		const dir = await codeDir(
			"import helper\ndef handle(req):\n    return helper.shout(req)\n",
			{ "helper.py": "def shout(s):\n    return s.upper()\n" },
		);
		const rt = await python(dir);
		const r = await rt.invokeHttp(http({ body: Buffer.from("quiet") }));
		assert.equal(r.body.toString(), "QUIET\n");
		const ev = await rt.invokeEvent({
			requestId: "e",
			functionName: "py",
			payload: Buffer.from('{"k":"v"}'),
		});
		assert.equal(ev.payload.toString(), '{"K":"V"}\n');
	});

	it("requirements.txt: refused unless every package is vendored", async () => {
		const handler = "def handle(req):\n    return req\n";
		const missing = await codeDir(handler, {
			"requirements.txt":
				"# deps\nrequests>=2.0  # http\nPyYAML[extra]==6.0 ; python_version>'3'\n-i https://example/simple\n",
		});
		assert.deepEqual(await missingRequirements(missing), [
			"requests",
			"pyyaml",
		]);
		await assert.rejects(python(missing), (err: Error & { code?: string }) => {
			assert.equal(err.code, "FUNCTION_START_FAILED");
			assert.match(err.message, /requests, pyyaml/);
			assert.match(err.message, /pip install -r requirements.txt --target/);
			return true;
		});
		await mkdir(join(missing, "requests-2.32.0.dist-info"));
		await mkdir(join(missing, "PyYAML-6.0.1.dist-info"));
		assert.deepEqual(await missingRequirements(missing), []);
		const empty = await codeDir(handler, {
			"requirements.txt": "\n# nothing yet\n",
		});
		assert.deepEqual(await missingRequirements(empty), []);
		// Through createRuntime the refusal is the deploy's BUNDLE_INVALID (400), said at once.
		const gone = await codeDir(handler, { "requirements.txt": "flask\n" });
		const parsed = parseFunctionConfig({ runtime: "python3" });
		assert.ok(parsed.ok);
		await assert.rejects(
			createRuntime({
				name: "py",
				arn: "arn:aws:lambda:us-east-1:000000000000:function:py",
				config: parsed.config,
				codeDir: gone,
				secretsDir: undefined,
			}),
			(err: SigilError) =>
				err instanceof SigilError &&
				err.code === "BUNDLE_INVALID" &&
				/flask/.test(err.message),
		);
	});

	it("requirementNames normalises names (PEP 503) and skips options and comments", () => {
		assert.deepEqual(
			requirementNames("Foo_Bar.baz==1\n  -r other.txt\n#x\nqux"),
			["foo-bar-baz", "qux"],
		);
	});

	it("python3 resolves to its real interpreter once; quoteWord survives splitCommand", async () => {
		const exe = await resolvePython();
		assert.ok(isAbsolute(exe), exe);
		assert.equal(await resolvePython(), exe);
		fc.assert(
			fc.property(fc.string({ minLength: 1 }), (word) => {
				const split = splitCommand(`${quoteWord(word)} ${quoteWord("x y")}`);
				assert.ok(split.ok);
				assert.deepEqual(split.argv, [word, "x y"]);
			}),
		);
	});
});

describe("node template", () => {
	it("the skeleton answers through the worker pool", async () => {
		const dir = join(root, "node-skeleton");
		await cp(skeletonDir("node"), dir, { recursive: true });
		const rt = createNodeRuntime({
			name: "hello",
			codeDir: dir,
			handler: "index.handler",
			env: {},
			timeoutMs: 5000,
			memoryMb: 64,
		});
		open.push(rt);
		const r = await rt.invokeHttp(
			http({
				functionName: "hello",
				path: "/",
				rawQuery: "",
				body: Buffer.from("hi"),
			}),
		);
		assert.equal(r.status, 200);
		assert.equal(r.body.toString(), "Hello from Sigil! You sent: hi");
	});
});
