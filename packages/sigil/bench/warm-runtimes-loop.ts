// The quick before/after loop of issue 9's warm Python and `provided` runtimes: a real gateway
// (default isolation: every instance in its bubblewrap sandbox), functions behind `auth: none`
// with default concurrency, wrk (2 threads, 8 connections) POSTing `hello` to each:
//   before     — the fork-per-request python3 runtime as it was: its watchdog script (kept here)
//                run by the `process` runtime, one sandboxed interpreter per request
//   py-openfaas — python3, contract openfaas (handle(req) echo)
//   py-lambda  — python3, contract lambda (lambda_handler echo)
//   provided   — a bootstrap in stdlib Python (urllib) against the Runtime API
//   npx node packages/sigil/bench/warm-runtimes-loop.ts   (SECS=5, ONLY=name,name)
// The gateway runs in this process; wrk is its own process (execFile, so this event loop serves).
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { startTestGateway } from "../test/helpers/gateway.ts";

const run = promisify(execFile);

/** The python3 watchdog before issue 9: one interpreter per request, body on stdin. */
const OLD_WATCHDOG = `import os, sys
def main():
    sys.path.insert(0, os.getcwd())
    import handler
    req = sys.stdin.buffer.read().decode("utf-8", errors="surrogateescape")
    ret = handler.handle(req)
    if ret is None:
        return
    sys.stdout.buffer.write(str(ret).encode("utf-8", errors="surrogateescape") + b"\\n")
main()
`;
const HANDLE = "def handle(req):\n    return req\n";
const LAMBDA =
	"def lambda_handler(event, context):\n    return {'statusCode': 200, 'body': event.get('body', '')}\n";
const BOOTSTRAP = `#!/usr/bin/env python3
import json, os, urllib.request
API = "http://" + os.environ["AWS_LAMBDA_RUNTIME_API"] + "/2018-06-01/runtime"
while True:
    with urllib.request.urlopen(API + "/invocation/next") as r:
        rid = r.headers["Lambda-Runtime-Aws-Request-Id"]
        event = json.loads(r.read())
    body = json.dumps({"statusCode": 200, "body": event.get("body", "")}).encode()
    urllib.request.urlopen(urllib.request.Request(API + "/invocation/" + rid + "/response", data=body, method="POST")).read()
`;

type Files = Record<string, { text: string; mode: number }>;
const py = (files: Record<string, string>): Files =>
	Object.fromEntries(
		Object.entries(files).map(([p, text]) => [p, { text, mode: 0o644 }]),
	);
const concurrency = { max: 4, queue: 10_000 };
const FUNCTIONS: [string, Record<string, unknown>, Files][] = [
	[
		"before",
		{
			runtime: "process",
			fprocess: "python3 watchdog.py",
			concurrency: { max: 8, queue: 10_000 },
		},
		py({ "handler.py": HANDLE, "watchdog.py": OLD_WATCHDOG }),
	],
	[
		"py-openfaas",
		{ runtime: "python3", concurrency },
		py({ "handler.py": HANDLE }),
	],
	[
		"py-lambda",
		{ runtime: "python3", contract: "lambda", concurrency },
		py({ "lambda_function.py": LAMBDA }),
	],
	[
		"provided",
		{ runtime: "provided", concurrency },
		{ bootstrap: { text: BOOTSTRAP, mode: 0o755 } },
	],
];

const only = process.env.ONLY?.split(",");
const seconds = Number(process.env.SECS ?? 5);
const gw = await startTestGateway();
try {
	for (const [name, config, files] of FUNCTIONS) {
		if (only && !only.includes(name)) continue;
		const code = {
			files: Object.entries(files).map(([path, f]) => ({
				path,
				mode: f.mode,
				data: Buffer.from(f.text).toString("base64"),
			})),
		};
		const res = await gw.signed("PUT", `/sigil/v1/functions/${name}`, {
			body: JSON.stringify({
				config: { ...config, trigger: { auth: "none" } },
				code,
			}),
			headers: { "content-type": "application/json" },
		});
		if (res.status !== 200 && res.status !== 201)
			throw new Error(`deploy ${name}: ${res.status} ${await res.text()}`);
		const url = `${gw.url}/function/${name}`;
		const first = await fetch(url, { method: "POST", body: "hello" });
		const text = await first.text();
		if (first.status !== 200 || text.trimEnd() !== "hello")
			throw new Error(`${name} answered ${first.status} ${text}`);
		const script =
			'wrk.method = "POST"\nwrk.body = "hello"\nwrk.headers["Content-Type"] = "text/plain"\n';
		const { stdout } = await run("sh", [
			"-c",
			`printf '%s' '${script}' > /tmp/sigil-warm-loop.lua && wrk -t2 -c8 -d${seconds}s --latency -s /tmp/sigil-warm-loop.lua ${url}`,
		]);
		const rps = /Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1];
		const p99 = /\s99%\s+(\S+)/.exec(stdout)?.[1];
		const bad = /Non-2xx or 3xx responses: (\d+)/.exec(stdout)?.[1] ?? "0";
		const errors = /Socket errors: (.*)/.exec(stdout)?.[1] ?? "none";
		console.log(
			`${name.padEnd(12)} ${rps} req/s  p99 ${p99}  non-2xx ${bad}  socket errors ${errors}`,
		);
	}
} finally {
	await gw.stop();
}
