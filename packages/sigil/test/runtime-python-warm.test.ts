// The warm Python host (issue 9): one interpreter per instance imports the function once and
// serves many invocations over frames on fd 3, in both contracts — OpenFaaS's handle(req) and
// Lambda's handler(event, context) — as a plain process and inside the bubblewrap sandbox.
// Hostile functions: an import that raises, an exception, a hang, os._exit, SIGKILL of itself,
// sys.exit, garbage written on Sigil's pipe, an answer over the bound, a header left in the
// environment for the next request: each costs only its own request.
import assert from "node:assert/strict";
import { chmod, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { parseFunctionConfig } from "../src/config/function-config.ts";
import type { PoolRuntime } from "../src/runtime/lambda-contract.ts";
import type { ProcessSandbox } from "../src/runtime/process-runtime.ts";
import {
	createPython3Runtime,
	type Python3RuntimeSpec,
} from "../src/runtime/python3-runtime.ts";
import {
	DEFAULT_LIMITS,
	detectSandbox,
	functionUid,
} from "../src/runtime/sandbox.ts";
import { type HttpInvocation, RuntimeError } from "../src/runtime/types.ts";

const LAMBDA_CODE = `import os, sys, signal, time, json
loads = 0
loads += 1
def who(event, context):
    return {"pid": os.getpid(), "uid": os.getuid(), "loads": loads, "cwd": os.getcwd()}
def ctx(event, context):
    print("hello from lambda", event.get("n"))
    print("to stderr", file=sys.stderr)
    return {
        "requestId": context.aws_request_id,
        "name": context.function_name,
        "memory": context.memory_limit_in_mb,
        "arn": context.invoked_function_arn,
        "remaining": context.get_remaining_time_in_millis(),
        "event": event,
    }
def url(event, context):
    return {"statusCode": 201, "headers": {"x-py": "1"}, "body": event["rawPath"] + "?" + event["rawQueryString"]}
def raises(event, context):
    print("before the raise")
    raise ValueError("python boom")
def hang(event, context):
    time.sleep(60)
def exit3(event, context):
    os._exit(3)
def sysexit(event, context):
    sys.exit(0)
def selfkill(event, context):
    os.kill(os.getpid(), signal.SIGKILL)
def forge(event, context):
    os.write(3, b"\\xff\\xff\\xff\\xff\\x01\\x02")
    time.sleep(60)
def forge_done(event, context):
    import json, struct
    for i in range(1, 300):
        body = json.dumps([{"type": "done", "id": i, "ok": False, "logs": ""}]).encode()
        os.write(3, struct.pack(">I", len(body)) + body)
    return "late"
def slow(event, context):
    time.sleep(event.get("s", 0.3))
    return "finished"
def big(event, context):
    return "x" * event["n"]
def unmarshal(event, context):
    return {1, 2}
def hog(event, context):
    block = bytearray(10 * 1024 * 1024 * 1024)
    return len(block)
def subproc(event, context):
    import subprocess
    subprocess.run(["echo", "from a child"], stdout=sys.stdout, check=True)
    return "ran"
def secret(event, context):
    return open("/etc/shadow").read()
`;

const OPENFAAS_CODE = `import os, sys
def handle(req):
    print("printed, not answered")
    if req == "set":
        os.environ["LEFT_BY_HANDLER"] = "yes"
        os.environ["GREETING"] = "changed by the handler"
        return os.getenv("Http_X_Leak", "-")
    if req == "check":
        return os.getenv("Http_X_Leak", "-") + "|" + os.getenv("Http_Method", "-") + "|" + os.getenv("LEFT_BY_HANDLER", "-") + "|" + os.getenv("GREETING", "-")
    if req == "big":
        return "y" * 5000
    if req == "forge":
        import json, struct
        for i in range(1, 300):
            body = json.dumps([{"type": "done", "id": i, "ok": True, "resultJson": "nope", "logs": ""}]).encode()
            os.write(3, struct.pack(">I", len(body)) + body)
        return "late"
    return req.upper()
`;

let root = "";
let lambdaDir = "";
let openfaasDir = "";
const open: PoolRuntime[] = [];
before(async () => {
	root = await mkdtemp(join(tmpdir(), "sigil-py-warm-"));
	lambdaDir = join(root, "lambda");
	openfaasDir = join(root, "openfaas");
	await mkdir(lambdaDir);
	await mkdir(openfaasDir);
	await writeFile(join(lambdaDir, "lambda_function.py"), LAMBDA_CODE);
	await writeFile(join(openfaasDir, "handler.py"), OPENFAAS_CODE);
	await writeFile(
		join(lambdaDir, "broken.py"),
		"import sys\nprint('about to fail', file=sys.stderr)\nraise RuntimeError('import went wrong')\n",
	);
	// The sandbox's uid reads the code (createRuntime makes deployed code readable the same way).
	for (const d of [root, lambdaDir, openfaasDir]) await chmod(d, 0o755);
	for (const f of ["lambda/lambda_function.py", "openfaas/handler.py"])
		await chmod(join(root, f), 0o644);
	await chmod(join(lambdaDir, "broken.py"), 0o644);
});
after(async () => {
	await Promise.all(open.map((r) => r.close(0)));
	await rm(root, { recursive: true, force: true });
});

let seq = 0;
const event = (payload: unknown = {}) => ({
	requestId: `py-${++seq}`,
	functionName: "py",
	payload: Buffer.from(JSON.stringify(payload)),
});
function http(over: Partial<HttpInvocation> = {}): HttpInvocation {
	return {
		requestId: `py-${++seq}`,
		functionName: "py",
		method: "POST",
		path: "/a/b",
		rawQuery: "q=1",
		rawHeaders: ["Host", "gw.local"],
		body: Buffer.from(""),
		sourceIp: "127.0.0.1",
		host: "gw.local",
		receivedAt: Date.now(),
		...over,
	};
}
const json = (r: { payload: Buffer }) => JSON.parse(r.payload.toString());
const codeOf = (r: PromiseSettledResult<unknown>) =>
	r.status === "fulfilled"
		? "OK"
		: r.reason instanceof RuntimeError
			? r.reason.code
			: String(r.reason);

const probe = await detectSandbox();
function sandbox(): ProcessSandbox {
	if (!probe.ok) throw new Error("no sandbox");
	const uid = functionUid("python-warm-test");
	return {
		host: probe.host,
		policy: {
			network: "full",
			uid,
			gid: uid,
			limits: { ...DEFAULT_LIMITS, memoryMb: 256 + 64 },
		},
		identity: { functionName: "py", memoryMb: 256, region: "us-east-1" },
	};
}
const modes: [string, boolean, string | false][] = [
	["process", false, false],
	[
		"sandbox",
		true,
		// In CI a machine without the sandbox is a broken setup: the cases run and fail loudly.
		probe.ok || process.env.CI
			? false
			: `no sandbox here: ${probe.ok ? "" : probe.reason}`,
	],
];

for (const [mode, sandboxed, skip] of modes) {
	describe(`python3 warm host: ${mode}`, { skip }, () => {
		const logs: { requestId: string | undefined; text: string }[] = [];
		async function runtime(
			entry: string,
			over: Partial<Python3RuntimeSpec> = {},
		): Promise<PoolRuntime> {
			const rt = await createPython3Runtime({
				name: "py",
				cwd: over.contract === "openfaas" ? openfaasDir : lambdaDir,
				env: { GREETING: "hi" },
				timeoutMs: 5000,
				contract: "lambda",
				entry,
				invokedFunctionArn: "arn:aws:lambda:us-east-1:123456789012:function:py",
				onLog: (r) => logs.push(r),
				...(sandboxed && { sandbox: sandbox() }),
				...over,
			});
			open.push(rt);
			return rt;
		}
		const logOf = (requestId: string) =>
			logs
				.filter((l) => l.requestId === requestId)
				.map((l) => l.text)
				.join("");

		it("one interpreter imports the module once and serves many invocations", async () => {
			const rt = await runtime("lambda_function.who", { maxInstances: 1 });
			const pids = new Set<number>();
			for (let i = 0; i < 20; i++) {
				const r = json(await rt.invokeEvent(event()));
				pids.add(r.pid);
				assert.equal(r.loads, 1);
			}
			assert.equal(pids.size, 1);
			assert.equal(rt.stats().started, 1);
			const r = json(await rt.invokeEvent(event()));
			if (sandboxed) {
				assert.equal(r.cwd, "/var/task");
				assert.notEqual(r.uid, 0);
			}
		});

		it("lambda contract: the context Lambda documents, print and stderr in the invocation's log", async () => {
			const rt = await runtime("lambda_function.ctx");
			const ev = event({ n: 7 });
			const r = await rt.invokeEvent(ev);
			const out = json(r);
			assert.equal(out.requestId, ev.requestId);
			assert.equal(out.name, "py");
			assert.equal(out.memory, "256");
			assert.equal(
				out.arn,
				"arn:aws:lambda:us-east-1:123456789012:function:py",
			);
			assert.ok(
				out.remaining > 0 && out.remaining <= 5000,
				String(out.remaining),
			);
			assert.deepEqual(out.event, { n: 7 });
			assert.match(logOf(ev.requestId), /hello from lambda 7\n/);
			assert.match(logOf(ev.requestId), /to stderr\n/);
			assert.match(r.logTail ?? "", /hello from lambda 7/);
		});

		it("lambda contract over HTTP: a function URL event in, Lambda's response mapping out", async () => {
			const rt = await runtime("lambda_function.url");
			const r = await rt.invokeHttp(http());
			assert.equal(r.status, 201);
			assert.equal(r.body.toString(), "/a/b?q=1");
			assert.ok(r.headers.includes("x-py"));
		});

		it("an exception: Unhandled with Lambda's error document, 502 over HTTP, the traceback in the logs; the instance lives on", async () => {
			const rt = await runtime("lambda_function.raises", { maxInstances: 1 });
			const ev = event();
			const r = await rt.invokeEvent(ev);
			assert.equal(r.functionError, "Unhandled");
			const doc = json(r);
			assert.equal(doc.errorType, "ValueError");
			assert.equal(doc.errorMessage, "python boom");
			assert.ok(Array.isArray(doc.stackTrace));
			assert.match(
				doc.stackTrace.join(""),
				/lambda_function\.py", line \d+, in raises/,
			);
			// Sigil's host is not the function's: its frames stay out of the trace.
			assert.doesNotMatch(doc.stackTrace.join(""), /python-host/);
			const log = logOf(ev.requestId);
			assert.match(log, /before the raise/);
			assert.match(log, /Traceback \(most recent call last\):/);
			assert.match(log, /ValueError: python boom/);
			const h = http();
			await assert.rejects(rt.invokeHttp(h), (err: RuntimeError) => {
				assert.equal(err.code, "FUNCTION_ERROR");
				assert.match(err.detail ?? "", /ValueError: python boom/);
				return true;
			});
			assert.equal(rt.stats().started, 1);
		});

		it("an import that raises: FUNCTION_START_FAILED with the traceback, from probe (the deploy) and from a request", async () => {
			const probed = await runtime("broken.handler");
			await assert.rejects(probed.probe(), (err: RuntimeError) => {
				assert.equal(err.code, "FUNCTION_START_FAILED");
				assert.match(err.detail ?? "", /RuntimeError: import went wrong/);
				return true;
			});
			const good = await runtime("lambda_function.who", { maxInstances: 1 });
			await good.probe();
			// The instance the probe started serves the first request.
			assert.equal(json(await good.invokeEvent(event())).loads, 1);
			assert.equal(good.stats().started, 1);
			const rt = await runtime("broken.handler");
			await assert.rejects(rt.invokeEvent(event()), (err: RuntimeError) => {
				assert.equal(err.code, "FUNCTION_START_FAILED");
				assert.match(err.detail ?? "", /about to fail/);
				assert.match(err.detail ?? "", /Traceback \(most recent call last\)/);
				assert.match(err.detail ?? "", /RuntimeError: import went wrong/);
				return true;
			});
			const missing = await runtime("lambda_function.nothere");
			await assert.rejects(
				missing.invokeEvent(event()),
				(err: RuntimeError) => {
					assert.equal(err.code, "FUNCTION_START_FAILED");
					assert.match(err.detail ?? "", /has no function nothere/);
					return true;
				},
			);
		});

		it("a hang is 504 and its instance is replaced; the next request is served", async () => {
			const rt = await runtime("lambda_function.hang", {
				timeoutMs: 300,
				maxInstances: 1,
			});
			await assert.rejects(
				rt.invokeEvent(event()),
				(err: RuntimeError) => err.code === "FUNCTION_TIMEOUT",
			);
			await assert.rejects(
				rt.invokeEvent(event()),
				(err: RuntimeError) => err.code === "FUNCTION_TIMEOUT",
			);
			assert.equal(rt.stats().started, 2);
		});

		for (const [entry, what] of [
			["exit3", "os._exit"],
			["sysexit", "sys.exit"],
			["selfkill", "SIGKILL of itself"],
			["forge", "garbage on Sigil's pipe"],
		] as const) {
			it(`${what} fails only its own request; others on other instances are served`, async () => {
				const bad = await runtime(`lambda_function.${entry}`, {
					maxInstances: 1,
				});
				const good = await runtime("lambda_function.who", { maxInstances: 1 });
				const [b, g] = await Promise.allSettled([
					bad.invokeEvent(event()),
					good.invokeEvent(event()),
				]);
				assert.equal(codeOf(b), "FUNCTION_CRASHED");
				assert.equal(codeOf(g), "OK");
				// The crashed instance is replaced: the next request starts a fresh one.
				const again = await Promise.allSettled([bad.invokeEvent(event())]);
				assert.equal(
					codeOf(again[0] as PromiseSettledResult<unknown>),
					"FUNCTION_CRASHED",
				);
				assert.equal(bad.stats().started, 2);
			});
		}

		it("a well-framed but malformed answer forged on Sigil's pipe is FUNCTION_CRASHED, never a gateway TypeError", async () => {
			const lambda = await runtime("lambda_function.forge_done", {
				maxInstances: 1,
			});
			const [a] = await Promise.allSettled([lambda.invokeEvent(event())]);
			assert.equal(
				codeOf(a as PromiseSettledResult<unknown>),
				"FUNCTION_CRASHED",
			);
			const openfaas = await runtime("handler.handle", {
				contract: "openfaas",
				maxInstances: 1,
			});
			const [b] = await Promise.allSettled([
				openfaas.invokeHttp(http({ body: Buffer.from("forge") })),
			]);
			assert.equal(
				codeOf(b as PromiseSettledResult<unknown>),
				"FUNCTION_CRASHED",
			);
		});

		it("close (a redeploy's drain) lets the invocation in flight finish and refuses new ones", async () => {
			const rt = await runtime("lambda_function.slow", { maxInstances: 1 });
			const inFlight = rt.invokeEvent(event({ s: 0.3 }));
			await new Promise((r) => setTimeout(r, 100));
			const closing = rt.close(5000);
			await assert.rejects(
				rt.invokeEvent(event()),
				(err: RuntimeError) => err.code === "FUNCTION_CLOSED",
			);
			assert.equal(json(await inFlight), "finished");
			await closing;
		});

		it("an answer over the bound is the limit's error; the instance lives on", async () => {
			const rt = await runtime("lambda_function.big", {
				maxResponseBytes: 1000,
				maxInstances: 1,
			});
			const small = await rt.invokeEvent(event({ n: 10 }));
			assert.equal(json(small), "x".repeat(10));
			const over = await rt.invokeEvent(event({ n: 5000 }));
			assert.equal(over.functionError, "Unhandled");
			assert.equal(json(over).errorType, "Function.ResponseSizeTooLarge");
			assert.match(
				json(over).errorMessage,
				/exceeded maximum allowed payload size \(1000 bytes\)/,
			);
			assert.equal(rt.stats().started, 1);
			const bad = await runtime("lambda_function.unmarshal");
			assert.equal(
				json(await bad.invokeEvent(event())).errorType,
				"Runtime.MarshalError",
			);
		});

		it("openfaas contract: Http_* env per request, print goes to the logs, nothing leaks into the next request", async () => {
			const rt = await runtime("handler.handle", {
				contract: "openfaas",
				maxInstances: 1,
			});
			const first = http({
				body: Buffer.from("set"),
				rawHeaders: ["Host", "gw.local", "X-Leak", "from-request-1"],
			});
			const a = await rt.invokeHttp(first);
			assert.equal(a.body.toString(), "from-request-1\n");
			assert.match(logOf(first.requestId), /printed, not answered/);
			const b = await rt.invokeHttp(
				http({ body: Buffer.from("check"), method: "PUT" }),
			);
			// Neither the header nor what the handler set or changed in os.environ is left.
			assert.equal(b.body.toString(), "-|PUT|-|hi\n");
			assert.equal(rt.stats().started, 1);
			const over = await runtime("handler.handle", {
				contract: "openfaas",
				maxResponseBytes: 1000,
			});
			await assert.rejects(
				over.invokeHttp(http({ body: Buffer.from("big") })),
				(err: RuntimeError) => {
					assert.equal(err.code, "FUNCTION_ERROR");
					assert.match(err.message, /1000 bytes/);
					return true;
				},
			);
		});

		it("code that asks for sys.stdout's descriptor (a subprocess) gets the instance's own", async () => {
			const rt = await runtime("lambda_function.subproc");
			assert.equal(json(await rt.invokeEvent(event())), "ran");
		});

		if (sandboxed)
			it("allocating past its memory is a MemoryError for that request only; the instance serves on", async () => {
				const rt = await runtime("lambda_function.hog", { maxInstances: 1 });
				const r = await rt.invokeEvent(event());
				assert.equal(r.functionError, "Unhandled");
				assert.equal(json(r).errorType, "MemoryError");
				assert.equal(rt.stats().started, 1);
			});

		if (sandboxed)
			it("inside the sandbox the function reads none of the host's secrets", async () => {
				const rt = await runtime("lambda_function.secret");
				const r = await rt.invokeEvent(event());
				assert.equal(r.functionError, "Unhandled");
				assert.match(json(r).errorType, /FileNotFoundError|PermissionError/);
			});
	});
}

describe("config of the warm runtimes", () => {
	const issues = (input: unknown) => {
		const r = parseFunctionConfig(input);
		return r.ok ? [] : r.issues.map((i) => `${i.path}: ${i.message}`);
	};
	it("defaults: python3 openfaas handler.handle, lambda lambda_function.lambda_handler, provided function.handler on network loopback, one invocation per instance", () => {
		const py = parseFunctionConfig({ runtime: "python3" });
		assert.ok(py.ok);
		assert.equal(py.config.contract, "openfaas");
		assert.equal(py.config.entry, "handler.handle");
		assert.equal(py.config.concurrency.perInstance, 1);
		const lambda = parseFunctionConfig({
			runtime: "python3",
			contract: "lambda",
		});
		assert.ok(lambda.ok);
		assert.equal(lambda.config.entry, "lambda_function.lambda_handler");
		const boot = parseFunctionConfig({ runtime: "provided" });
		assert.ok(boot.ok);
		assert.equal(boot.config.entry, "function.handler");
		assert.equal(boot.config.network, "loopback");
		assert.equal(boot.config.concurrency.perInstance, 1);
		assert.equal(boot.config.contract, undefined);
	});
	it("refused, with the key path: more than one invocation per instance, provided off its own network, a contract or entry where it does not apply", () => {
		assert.match(
			issues({ runtime: "python3", concurrency: { perInstance: 2 } }).join(),
			/concurrency\.perInstance: must be 1 for runtime python3/,
		);
		assert.match(
			issues({ runtime: "provided", concurrency: { perInstance: 8 } }).join(),
			/must be 1 for runtime provided/,
		);
		for (const network of ["full", "none"])
			assert.match(
				issues({ runtime: "provided", network }).join(),
				/network: .* not supported for runtime provided/,
			);
		assert.match(
			issues({ runtime: "node", contract: "lambda" }).join(),
			/contract: only applies to runtime python3/,
		);
		assert.match(
			issues({ runtime: "process", fprocess: "cat", entry: "a.b" }).join(),
			/entry: only applies to runtimes node, python3 and provided/,
		);
		assert.match(
			issues({ runtime: "python3", entry: "bootstrap" }).join(),
			/entry: must be file\.export/,
		);
		assert.deepEqual(issues({ runtime: "provided", entry: "bootstrap" }), []);
	});
});
