// `runtime: provided` (issue 9): an executable bootstrap speaking the Lambda Runtime API runs
// warm, as a plain process and in the bubblewrap sandbox. Two real bootstraps: one in shell +
// curl (AWS's tutorial shape), one in Python with only the standard library (urllib). Error
// paths: init error, handler error, timeout, an answer over the bound (413), a bootstrap that
// exits, an answer for a request id that is not the current one (400), a second next before
// answering (403); in the sandbox the bootstrap reaches its own Runtime API and not the host's
// loopback.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmod, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import fc from "fast-check";
import type { PoolRuntime } from "../src/runtime/lambda-contract.ts";
import type { ProcessSandbox } from "../src/runtime/process-runtime.ts";
import {
	createProvidedRuntime,
	type ProvidedRuntimeSpec,
} from "../src/runtime/provided-runtime.ts";
import {
	parseErrorDocument,
	RuntimeApiServer,
} from "../src/runtime/runtime-api-server.ts";
import {
	DEFAULT_LIMITS,
	detectSandbox,
	functionUid,
} from "../src/runtime/sandbox.ts";
import { type HttpInvocation, RuntimeError } from "../src/runtime/types.ts";

// In CI a missing curl or python3 is a broken setup, never a skip.
for (const tool of ["curl", "python3"])
	assert.equal(
		spawnSync(tool, ["--version"]).status,
		0,
		`${tool} is needed by these tests`,
	);

/** AWS's tutorial bootstrap, in POSIX shell with curl: echoes each event back. */
const SHELL_BOOTSTRAP = `#!/bin/sh
set -eu
API="http://$AWS_LAMBDA_RUNTIME_API/2018-06-01/runtime"
HEADERS="$(mktemp)"
while true; do
  EVENT="$(curl -sS -D "$HEADERS" "$API/invocation/next")"
  ID="$(grep -i '^lambda-runtime-aws-request-id:' "$HEADERS" | tr -d '\\r' | cut -d' ' -f2)"
  echo "shell got $ID" >&2
  case "$EVENT" in
    *fail*) curl -sS -X POST "$API/invocation/$ID/error" -H 'Lambda-Runtime-Function-Error-Type: Shell.Failed' -d '{"errorMessage":"asked to fail","errorType":"Shell.Failed","stackTrace":["bootstrap line 9"]}' >/dev/null ;;
    *) curl -sS -X POST "$API/invocation/$ID/response" -d "$EVENT" >/dev/null ;;
  esac
done
`;

/** A bootstrap that cannot initialise: reports it and exits, as AWS's docs ask. */
const SHELL_INIT_ERROR = `#!/bin/sh
echo "missing configuration" >&2
curl -sS -X POST "http://$AWS_LAMBDA_RUNTIME_API/2018-06-01/runtime/init/error" -H 'Lambda-Runtime-Function-Error-Type: Runtime.ConfigMissing' -d '{"errorMessage":"CONFIG is not set","errorType":"Runtime.ConfigMissing"}' >/dev/null
exit 1
`;

/** Python, standard library only: each event's "op" picks a behaviour. */
const PYTHON_BOOTSTRAP = `#!/usr/bin/env python3
import json, os, sys, time, urllib.request, urllib.error
API = "http://" + os.environ["AWS_LAMBDA_RUNTIME_API"] + "/2018-06-01/runtime"
loads = 1

def post(path, body, headers=None):
    req = urllib.request.Request(API + path, data=body, method="POST", headers=headers or {})
    try:
        with urllib.request.urlopen(req) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()

def get(url):
    with urllib.request.urlopen(url, timeout=2) as r:
        return r.status, r.read().decode()

while True:
    with urllib.request.urlopen(API + "/invocation/next") as r:
        rid = r.headers["Lambda-Runtime-Aws-Request-Id"]
        headers = {k.lower(): v for k, v in r.headers.items() if k.lower().startswith("lambda-runtime-")}
        event = json.loads(r.read())
    op = event.get("op", "echo") if isinstance(event, dict) else "echo"
    print("python op", op, "for", rid, file=sys.stderr, flush=True)
    if op == "echo":
        post("/invocation/" + rid + "/response", json.dumps(event).encode())
    elif op == "headers":
        post("/invocation/" + rid + "/response", json.dumps({"headers": headers, "env": {k: os.environ.get(k) for k in ["AWS_LAMBDA_RUNTIME_API", "_HANDLER", "AWS_LAMBDA_FUNCTION_NAME", "LAMBDA_TASK_ROOT", "AWS_ACCESS_KEY_ID", "AWS_SESSION_TOKEN"]}, "pid": os.getpid(), "loads": loads}).encode())
    elif op == "url":
        post("/invocation/" + rid + "/response", json.dumps({"statusCode": 202, "headers": {"x-boot": "py"}, "body": event["rawPath"]}).encode())
    elif op == "error":
        post("/invocation/" + rid + "/error", json.dumps({"errorMessage": "bad input", "errorType": "ValueError", "stackTrace": ["bootstrap.py:40"]}).encode(), {"Lambda-Runtime-Function-Error-Type": "Unhandled"})
    elif op == "sleep":
        time.sleep(60)
    elif op == "big":
        status, body = post("/invocation/" + rid + "/response", b"x" * event["n"])
        print("big answer got", status, body, file=sys.stderr, flush=True)
    elif op == "exit":
        sys.exit(4)
    elif op == "wrongid":
        status, body = post("/invocation/not-the-current-one/response", b"{}")
        post("/invocation/" + rid + "/response", json.dumps({"status": status, "body": json.loads(body)}).encode())
    elif op == "twonext":
        try:
            urllib.request.urlopen(API + "/invocation/next")
            status, body = 200, "{}"
        except urllib.error.HTTPError as e:
            status, body = e.code, e.read().decode()
        late = post("/init/error", b"{}")
        post("/invocation/" + rid + "/response", json.dumps({"status": status, "body": json.loads(body), "lateInit": late[0]}).encode())
    elif op == "flood":
        import socket
        held, answered = [], 0
        host, port = os.environ["AWS_LAMBDA_RUNTIME_API"].split(":")
        for i in range(40):
            c = socket.create_connection((host, int(port)), timeout=2)
            held.append(c)
        for c in held:
            try:
                c.sendall(b"GET /2018-06-01/runtime/nothing HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n")
                if c.recv(64).startswith(b"HTTP/1.1 404"):
                    answered += 1
            except OSError:
                pass
        for c in held:
            c.close()
        # The closes reach the server a moment later (through the relay, in the sandbox): until
        # then a new connection is still over the bound, so the answer is retried briefly.
        import time
        for attempt in range(40):
            try:
                post("/invocation/" + rid + "/response", json.dumps({"answered": answered}).encode())
                break
            except OSError:
                time.sleep(0.05)
    elif op == "reach":
        try:
            result = get(event["url"])[0]
        except Exception as e:
            result = type(e).__name__
        post("/invocation/" + rid + "/response", json.dumps({"reach": result, "sockets": sorted(os.listdir("/run/sigil/runtime-api")) if os.path.isdir("/run/sigil/runtime-api") else None}).encode())
`;

let root = "";
const dirs: Record<string, string> = {};
const open: PoolRuntime[] = [];
let hostServer: Server;
let hostUrl = "";
before(async () => {
	root = await mkdtemp(join(tmpdir(), "sigil-provided-"));
	await chmod(root, 0o755);
	for (const [name, text, mode] of [
		["shell", SHELL_BOOTSTRAP, 0o755],
		["init-error", SHELL_INIT_ERROR, 0o755],
		["python", PYTHON_BOOTSTRAP, 0o755],
		["not-executable", SHELL_BOOTSTRAP, 0o644],
		["exits", "#!/bin/sh\necho 'bye before next' >&2\nexit 3\n", 0o755],
	] as const) {
		const dir = join(root, name);
		await mkdir(dir, { mode: 0o755 });
		await writeFile(join(dir, "bootstrap"), text);
		await chmod(join(dir, "bootstrap"), mode);
		dirs[name] = dir;
	}
	// A server on the host's loopback: a sandboxed bootstrap must not reach it.
	hostServer = createServer((_req, res) => res.end("host"));
	await new Promise<void>((r) => hostServer.listen(0, "127.0.0.1", r));
	const a = hostServer.address();
	hostUrl = `http://127.0.0.1:${typeof a === "object" && a ? a.port : 0}/`;
});
after(async () => {
	await Promise.all(open.map((r) => r.close(0)));
	hostServer.close();
	await rm(root, { recursive: true, force: true });
});

let seq = 0;
const event = (payload: unknown = {}) => ({
	requestId: `pr-${++seq}`,
	functionName: "boot",
	payload: Buffer.from(JSON.stringify(payload)),
});
function http(over: Partial<HttpInvocation> = {}): HttpInvocation {
	return {
		requestId: `pr-${++seq}`,
		functionName: "boot",
		method: "POST",
		path: "/p",
		rawQuery: "",
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
const ARN = "arn:aws:lambda:us-east-1:123456789012:function:boot";

const probe = await detectSandbox();
function sandbox(): ProcessSandbox {
	if (!probe.ok) throw new Error("no sandbox");
	const uid = functionUid("provided-test");
	return {
		host: probe.host,
		policy: {
			network: "loopback",
			uid,
			gid: uid,
			limits: { ...DEFAULT_LIMITS, memoryMb: 1024 + 2 * 256 },
		},
		identity: { functionName: "boot", memoryMb: 256, region: "us-east-1" },
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
	describe(`runtime provided: ${mode}`, { skip }, () => {
		const logs: { requestId: string | undefined; text: string }[] = [];
		async function runtime(
			bundle: string,
			over: Partial<ProvidedRuntimeSpec> = {},
		): Promise<PoolRuntime> {
			const rt = await createProvidedRuntime({
				name: "boot",
				codeDir: dirs[bundle] as string,
				env: { GREETING: "hi" },
				timeoutMs: 5000,
				invokedFunctionArn: ARN,
				handler: "my.handler",
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

		it("shell + curl: echoes events, warm, its stderr in each invocation's log", async () => {
			const rt = await runtime("shell", { maxInstances: 1 });
			for (let i = 0; i < 5; i++) {
				const ev = event({ n: i, text: "héllo" });
				assert.deepEqual(json(await rt.invokeEvent(ev)), {
					n: i,
					text: "héllo",
				});
				assert.match(
					logOf(ev.requestId),
					new RegExp(`shell got ${ev.requestId}`),
				);
			}
			assert.equal(rt.stats().started, 1);
			const failed = await rt.invokeEvent(event({ fail: true }));
			assert.equal(failed.functionError, "Unhandled");
			assert.equal(json(failed).errorType, "Shell.Failed");
			assert.equal(json(failed).errorMessage, "asked to fail");
			assert.deepEqual(json(failed).stackTrace, ["bootstrap line 9"]);
		});

		it("python (urllib): the Lambda-Runtime-* headers and the environment AWS sets", async () => {
			const rt = await runtime("python", { maxInstances: 1 });
			const ev = event({ op: "headers" });
			const before = Date.now();
			const out = json(await rt.invokeEvent(ev));
			assert.equal(out.headers["lambda-runtime-aws-request-id"], ev.requestId);
			assert.equal(out.headers["lambda-runtime-invoked-function-arn"], ARN);
			const deadline = Number(out.headers["lambda-runtime-deadline-ms"]);
			assert.ok(
				deadline > before && deadline <= Date.now() + 5000,
				String(deadline),
			);
			assert.match(
				out.headers["lambda-runtime-trace-id"],
				/^Root=1-[0-9a-f]{8}-[0-9a-f]{24};Parent=[0-9a-f]{16};Sampled=0$/,
			);
			assert.equal(out.env._HANDLER, "my.handler");
			assert.equal(out.env.AWS_LAMBDA_FUNCTION_NAME, "boot");
			assert.match(out.env.AWS_LAMBDA_RUNTIME_API, /^127\.0\.0\.1:\d+$/);
			if (sandboxed) {
				assert.equal(out.env.AWS_LAMBDA_RUNTIME_API, "127.0.0.1:9001");
				assert.equal(out.env.LAMBDA_TASK_ROOT, "/var/task");
			}
			const again = json(await rt.invokeEvent(event({ op: "headers" })));
			assert.equal(again.pid, out.pid);
			assert.equal(rt.stats().started, 1);
		});

		it("the execution role's credentials: a fresh set per bootstrap, in its environment", async () => {
			let issued = 0;
			const rt = await runtime("python", {
				maxInstances: 2,
				credentials: {
					lifetimeMs: 3_600_000,
					issue: () => {
						issued++;
						return {
							AWS_ACCESS_KEY_ID: `ASIATESTKEY${issued}`,
							AWS_SECRET_ACCESS_KEY: "secret",
							AWS_SESSION_TOKEN: `token-${issued}`,
						};
					},
				},
			});
			const [a, b] = await Promise.all([
				rt.invokeEvent(event({ op: "headers" })),
				rt.invokeEvent(event({ op: "headers" })),
			]);
			// One set per instance started (the pool may have served both on one).
			assert.equal(issued, rt.stats().started);
			for (const o of [json(a), json(b)]) {
				assert.match(o.env.AWS_ACCESS_KEY_ID, /^ASIATESTKEY[12]$/);
				assert.equal(
					o.env.AWS_SESSION_TOKEN,
					`token-${o.env.AWS_ACCESS_KEY_ID.slice(-1)}`,
				);
			}
			// Sigil's own variables cannot be replaced by the set's.
			assert.equal(json(a).env._HANDLER, "my.handler");
		});

		it("over HTTP: a function URL event in, Lambda's response mapping out", async () => {
			const rt = await runtime("python");
			// The python bootstrap reads "op" from the event: a URL event has none, so send one.
			const r = await rt.invokeHttp(http({ path: "/x/y" }));
			// Without "op" the bootstrap echoes the event: a JSON object without statusCode is the body.
			assert.equal(r.status, 200);
			assert.equal(JSON.parse(r.body.toString()).rawPath, "/x/y");
		});

		it("a handler error: Unhandled with the bootstrap's error document; the instance serves on", async () => {
			const rt = await runtime("python", { maxInstances: 1 });
			const r = await rt.invokeEvent(event({ op: "error" }));
			assert.equal(r.functionError, "Unhandled");
			assert.deepEqual(
				{ ...json(r), requestId: undefined },
				{
					errorMessage: "bad input",
					errorType: "ValueError",
					requestId: undefined,
					stackTrace: ["bootstrap.py:40"],
				},
			);
			// The same instance serves on.
			assert.deepEqual(
				json(await rt.invokeEvent(event({ op: "echo", k: 1 }))),
				{
					op: "echo",
					k: 1,
				},
			);
			assert.equal(rt.stats().started, 1);
		});

		it("an init error: FUNCTION_START_FAILED with the bootstrap's error and output, from probe (the deploy) and from a request", async () => {
			await assert.rejects(
				(await runtime("init-error")).probe(),
				(err: RuntimeError) =>
					err.code === "FUNCTION_START_FAILED" &&
					/Runtime\.ConfigMissing/.test(err.detail ?? ""),
			);
			const shell = await runtime("shell", { maxInstances: 1 });
			await shell.probe();
			assert.deepEqual(json(await shell.invokeEvent(event({ a: 1 }))), {
				a: 1,
			});
			assert.equal(shell.stats().started, 1);
			const rt = await runtime("init-error");
			await assert.rejects(rt.invokeEvent(event()), (err: RuntimeError) => {
				assert.equal(err.code, "FUNCTION_START_FAILED");
				assert.match(
					err.detail ?? "",
					/Runtime\.ConfigMissing: CONFIG is not set/,
				);
				return true;
			});
			const exits = await runtime("exits");
			await assert.rejects(exits.invokeEvent(event()), (err: RuntimeError) => {
				assert.equal(err.code, "FUNCTION_START_FAILED");
				assert.match(err.detail ?? "", /exited with code 3/);
				assert.match(err.detail ?? "", /bye before next/);
				return true;
			});
		});

		it("a timeout is 504 and the instance is replaced", async () => {
			const rt = await runtime("python", { timeoutMs: 500, maxInstances: 1 });
			await assert.rejects(
				rt.invokeEvent(event({ op: "sleep" })),
				(err: RuntimeError) => err.code === "FUNCTION_TIMEOUT",
			);
			assert.deepEqual(json(await rt.invokeEvent(event({ op: "echo" }))), {
				op: "echo",
			});
			assert.equal(rt.stats().started, 2);
		});

		it("an answer over the bound: 413 to the bootstrap, the limit's error to the caller, the instance lives on", async () => {
			const rt = await runtime("python", {
				maxResponseBytes: 1000,
				maxInstances: 1,
			});
			const ev = event({ op: "big", n: 5000 });
			const r = await rt.invokeEvent(ev);
			assert.equal(r.functionError, "Unhandled");
			assert.equal(json(r).errorType, "Function.ResponseSizeTooLarge");
			const small = await rt.invokeEvent(event({ op: "big", n: 10 }));
			assert.equal(small.payload.toString(), "x".repeat(10));
			// What the bootstrap was told, in its own log line.
			for (
				let i = 0;
				i < 50 && !/big answer got 413/.test(logOf(ev.requestId));
				i++
			)
				await new Promise((r) => setTimeout(r, 20));
			assert.match(
				logs.map((l) => l.text).join(""),
				/big answer got 413 .*Response payload size exceeded maximum allowed payload size \(1000 bytes\)/,
			);
			assert.equal(rt.stats().started, 1);
		});

		it("a bootstrap that exits mid-invocation fails only that request; the next gets a new instance", async () => {
			const rt = await runtime("python", { maxInstances: 1 });
			const [a] = await Promise.allSettled([
				rt.invokeEvent(event({ op: "exit" })),
			]);
			assert.equal(
				codeOf(a as PromiseSettledResult<unknown>),
				"FUNCTION_CRASHED",
			);
			assert.deepEqual(json(await rt.invokeEvent(event({ op: "echo" }))), {
				op: "echo",
			});
			assert.equal(rt.stats().started, 2);
		});

		it("an answer for another request id is 400 InvalidRequestID; a second next is 403; a late init/error is 403", async () => {
			const rt = await runtime("python", { maxInstances: 1 });
			const out = json(await rt.invokeEvent(event({ op: "wrongid" })));
			assert.deepEqual(out, {
				status: 400,
				body: {
					errorMessage: "Invalid request ID",
					errorType: "InvalidRequestID",
				},
			});
			const two = json(await rt.invokeEvent(event({ op: "twonext" })));
			assert.equal(two.status, 403);
			assert.equal(two.body.errorType, "InvalidStateTransition");
			assert.equal(two.lateInit, 403);
		});

		it("a bootstrap holding many connections to its Runtime API gets at most 16; the instance serves on", async () => {
			const rt = await runtime("python", { maxInstances: 1 });
			const out = json(await rt.invokeEvent(event({ op: "flood" })));
			assert.ok(out.answered <= 16 && out.answered > 0, String(out.answered));
			assert.deepEqual(json(await rt.invokeEvent(event({ op: "echo" }))), {
				op: "echo",
			});
		});

		it("no executable bootstrap is refused at creation", async () => {
			await assert.rejects(runtime("not-executable"), (err: RuntimeError) => {
				assert.equal(err.code, "FUNCTION_START_FAILED");
				assert.match(err.message, /not executable/);
				return true;
			});
			await assert.rejects(
				createProvidedRuntime({
					name: "boot",
					codeDir: root,
					env: {},
					timeoutMs: 1000,
					invokedFunctionArn: ARN,
				}),
				/no file named bootstrap/,
			);
		});

		if (sandboxed)
			it("in the sandbox the bootstrap reaches its own Runtime API only: not the host's loopback, no other instance's socket", async () => {
				const rt = await runtime("python", { maxInstances: 2 });
				const [a, b] = await Promise.all([
					rt.invokeEvent(event({ op: "reach", url: hostUrl })),
					rt.invokeEvent(event({ op: "reach", url: hostUrl })),
				]);
				for (const r of [a, b]) {
					const out = json(r);
					assert.notEqual(out.reach, 200);
					assert.deepEqual(out.sockets, ["api.sock"]);
				}
				// The host's server is there and answers from outside the sandbox.
				assert.equal(await (await fetch(hostUrl)).text(), "host");
				await assert.rejects(
					createProvidedRuntime({
						name: "boot",
						codeDir: dirs.python as string,
						env: {},
						timeoutMs: 1000,
						invokedFunctionArn: ARN,
						sandbox: {
							...sandbox(),
							policy: { ...sandbox().policy, network: "full" },
						},
					}),
					/network full is not supported/,
				);
			});
	});
}

describe("the Runtime API server against a hostile bootstrap", () => {
	const answers: { id: number; ok: boolean }[] = [];
	let server: RuntimeApiServer;
	let port = 0;
	before(async () => {
		server = new RuntimeApiServer({
			invokedFunctionArn: ARN,
			maxResponseBytes: 100,
			events: {
				ready: () => {},
				initError: () => {},
				started: () => {},
				done: (id, outcome) => answers.push({ id, ok: outcome.ok }),
			},
		});
		port = await server.listen();
	});
	after(() => server.close());

	/** One raw HTTP/1.1 exchange; resolves the status line (or "closed"). */
	function raw(request: string): Promise<string> {
		return new Promise((resolve) => {
			const c = connect(port, "127.0.0.1", () => c.write(request));
			let got = "";
			c.on("data", (d) => {
				got += d.toString("latin1");
			});
			c.on("close", () => resolve(got.split("\r\n")[0] || "closed"));
			c.on("error", () => {});
			c.setTimeout(2000, () => c.destroy());
		});
	}
	const post = (path: string, body = "{}") =>
		raw(
			`POST ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
		);

	it("an id that does not decode, an unknown id or path, a huge header: refused, and the server serves on", async () => {
		assert.equal(
			await post("/2018-06-01/runtime/invocation/%E0%A4%A/response"),
			"HTTP/1.1 400 Bad Request",
		);
		assert.equal(
			await post("/2018-06-01/runtime/invocation/nope/error"),
			"HTTP/1.1 400 Bad Request",
		);
		assert.equal(
			await post("/2018-06-01/runtime/../../etc/passwd"),
			"HTTP/1.1 404 Not Found",
		);
		assert.match(
			await raw(
				`GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(20_000)}\r\n\r\n`,
			),
			/^HTTP\/1\.1 431|^closed$/,
		);
		server.enqueue({
			type: "invoke",
			id: 7,
			requestId: "r-7",
			eventJson: "{}",
			deadline: Date.now() + 1000,
		});
		assert.match(
			await raw(
				"GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
			),
			/^HTTP\/1\.1 200/,
		);
		assert.equal(
			await post(
				"/2018-06-01/runtime/invocation/r-7/response",
				"x".repeat(101),
			),
			"HTTP/1.1 413 Payload Too Large",
		);
		assert.deepEqual(answers, [{ id: 7, ok: false }]);
	});

	it("parseErrorDocument: any body and header give a typed error, never a throw", () => {
		fc.assert(
			fc.property(
				fc.uint8Array({ maxLength: 512 }),
				fc.option(fc.string({ maxLength: 400 }), { nil: undefined }),
				(bytes, header) => {
					const e = parseErrorDocument(Buffer.from(bytes), header);
					assert.equal(typeof e.errorType, "string");
					assert.equal(typeof e.errorMessage, "string");
					assert.ok(e.errorType.length <= 256 || !header);
					assert.ok(e.trace.every((l) => typeof l === "string"));
				},
			),
		);
		fc.assert(
			fc.property(
				fc.string(),
				fc.string(),
				fc.array(fc.string()),
				(errorMessage, errorType, stackTrace) => {
					const e = parseErrorDocument(
						Buffer.from(
							JSON.stringify({ errorMessage, errorType, stackTrace }),
						),
						undefined,
					);
					assert.deepEqual(e, { errorType, errorMessage, trace: stackTrace });
				},
			),
		);
	});
});
