// One function per runtime for the runtime contract suite (runtime-contract.test.ts), each
// answering the same operations, chosen by the path below /function/NAME:
//   /echo   → 200, body `BODY|X-Test header`, a log line `contract log` for this invocation
//   /status → 418 (runtimes whose answer carries a status)
//   /error  → the function fails (throws, raises, exits 1, answers 500)
//   /sleep  → never answers within the timeout
//   /big?n=N → an answer of N bytes
//   /crash  → the instance kills itself mid-request
// and, per runtime, what the contract expects of it where runtimes legitimately differ.

/** The operations' answers, in the function's own language. */
const NODE = `export const handler = async (event, context) => {
	const op = event.rawPath.split("/")[1] ?? "";
	const body = event.isBase64Encoded ? Buffer.from(event.body ?? "", "base64").toString() : (event.body ?? "");
	const hdr = event.headers["x-test"] ?? "";
	switch (op) {
		case "echo":
			console.log("contract log " + context.awsRequestId);
			return { statusCode: 200, headers: { "content-type": "text/plain", "x-echo": hdr }, body: body + "|" + hdr };
		case "status":
			return { statusCode: 418, headers: { "content-type": "text/plain" }, body: "teapot" };
		case "error":
			throw new Error("contract boom");
		case "sleep":
			await new Promise((r) => setTimeout(r, 30000));
			return {};
		case "big":
			return { statusCode: 200, body: "x".repeat(Number(event.rawQueryString.split("=")[1])) };
		case "crash":
			process.kill(process.pid, "SIGKILL");
			return new Promise(() => {});
	}
	return { statusCode: 404, body: "no op" };
};
`;

/** Lambda's Python contract: the same function for python3 (contract lambda) and a bootstrap. */
const PY_LAMBDA_HANDLER = `import base64, os, signal, sys, time

def lambda_handler(event, context):
    op = event["rawPath"].split("/")[1] if "/" in event["rawPath"] else ""
    body = event.get("body") or ""
    if event.get("isBase64Encoded"):
        body = base64.b64decode(body).decode()
    hdr = event["headers"].get("x-test", "")
    if op == "echo":
        print("contract log", context.aws_request_id, file=sys.stderr, flush=True)
        return {"statusCode": 200, "headers": {"content-type": "text/plain", "x-echo": hdr}, "body": body + "|" + hdr}
    if op == "status":
        return {"statusCode": 418, "headers": {"content-type": "text/plain"}, "body": "teapot"}
    if op == "error":
        raise ValueError("contract boom")
    if op == "sleep":
        time.sleep(30)
    if op == "big":
        return {"statusCode": 200, "body": "x" * int(event["rawQueryString"].split("=")[1])}
    if op == "crash":
        os.kill(os.getpid(), signal.SIGKILL)
    return {"statusCode": 404, "body": "no op"}
`;

const PY_OPENFAAS = `import os, signal, sys, time

def handle(req):
    op = os.environ["Http_Path"].split("/")[1]
    hdr = os.environ.get("Http_X_Test", "")
    if op == "echo":
        print("contract log", file=sys.stderr)
        return req + "|" + hdr
    if op == "error":
        raise ValueError("contract boom")
    if op == "sleep":
        time.sleep(30)
    if op == "big":
        return "x" * int(os.environ["Http_Query"].split("=")[1])
    if op == "crash":
        os.kill(os.getpid(), signal.SIGKILL)
    return "no op"
`;

/** A Runtime API client in Python's standard library around the same handler. */
const BOOTSTRAP = `#!/usr/bin/env python3
import json, os, traceback, urllib.request
import handler as h
API = "http://" + os.environ["AWS_LAMBDA_RUNTIME_API"] + "/2018-06-01/runtime"

class Context:
    def __init__(self, rid):
        self.aws_request_id = rid

def post(path, body):
    try:
        urllib.request.urlopen(urllib.request.Request(API + path, data=body, method="POST")).read()
    except urllib.error.HTTPError as e:
        e.read()

while True:
    with urllib.request.urlopen(API + "/invocation/next") as r:
        rid = r.headers["Lambda-Runtime-Aws-Request-Id"]
        event = json.loads(r.read())
    try:
        out = h.lambda_handler(event, Context(rid))
        post("/invocation/" + rid + "/response", json.dumps(out).encode())
    except Exception as e:
        post("/invocation/" + rid + "/error", json.dumps({"errorMessage": str(e), "errorType": type(e).__name__, "stackTrace": traceback.format_tb(e.__traceback__)}).encode())
`;

/** OpenFaaS's classic watchdog contract in POSIX shell. */
const PROCESS = `op="\${Http_Path#/}"
case "$op" in
  echo) echo "contract log" >&2; printf '%s|%s' "$(cat)" "\${Http_X_Test:-}" ;;
  error) echo "contract boom" >&2; exit 1 ;;
  sleep) sleep 30 ;;
  big) head -c "\${Http_Query#n=}" /dev/zero | tr '\\000' x ;;
  crash) kill -9 $$ ;;
  *) echo "no op" ;;
esac
`;

/** An HTTP server Sigil starts (of-watchdog's http mode), standard library only. */
const HTTP_SERVER = `import os, sys, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

class H(BaseHTTPRequestHandler):
    def answer(self, status, body, headers=None):
        self.send_response(status)
        self.send_header("content-type", "text/plain")
        self.send_header("content-length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        path, _, query = self.path.partition("?")
        op = path.split("/")[1]
        body = self.rfile.read(int(self.headers.get("content-length") or 0))
        hdr = self.headers.get("x-test", "")
        if op == "echo":
            print("contract log", file=sys.stderr, flush=True)
            return self.answer(200, body + b"|" + hdr.encode(), {"x-echo": hdr})
        if op == "status":
            return self.answer(418, b"teapot")
        if op == "error":
            return self.answer(500, b"contract boom")
        if op == "sleep":
            time.sleep(30)
        if op == "big":
            n = int(query.split("=")[1])
            self.send_response(200)
            self.send_header("content-length", str(n))
            self.end_headers()
            for _ in range(n // 65536):
                self.wfile.write(b"x" * 65536)
            self.wfile.write(b"x" * (n % 65536))
            return
        if op == "crash":
            os._exit(1)
        self.answer(404, b"no op")

    def log_message(self, *args):
        pass

ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), H).serve_forever()
`;

export interface ContractFile {
	readonly path: string;
	readonly text: string;
	readonly mode: number;
}

/** What the contract expects where runtimes differ; a string is the reason a case does not apply. */
export interface RuntimeFixture {
	readonly runtime: string;
	readonly config: Record<string, unknown>;
	readonly files: readonly ContractFile[];
	/** The answer can carry its own status (418). */
	readonly status: true | string;
	/** The failed invocation's answer: Sigil's error (status + code), or the function's own status. */
	readonly error: { readonly status: number; readonly code?: string };
	/** The runtime's answer bound, and what an answer one byte over it gets. */
	readonly oversize:
		| {
				readonly bytes: number;
				readonly expect:
					| { readonly status: number; readonly code: string }
					| "cut";
		  }
		| string;
	/** The invocation's output is kept with its record. */
	readonly logs: true | string;
	/** What a request whose instance dies gets (default 502 FUNCTION_CRASHED). */
	readonly crash?: { readonly status: number; readonly code?: string };
}

const file = (path: string, text: string, mode = 0o644): ContractFile => ({
	path,
	text,
	mode,
});
const LAMBDA_6MB = 6_291_556;
const MIB32 = 32 * 1024 * 1024;
const failed = { status: 502, code: "FUNCTION_ERROR" };

export const FIXTURES: Readonly<Record<string, RuntimeFixture>> = {
	node: {
		runtime: "node",
		config: { runtime: "node" },
		files: [file("index.mjs", NODE)],
		status: true,
		error: failed,
		oversize: { bytes: LAMBDA_6MB, expect: failed },
		logs: true,
	},
	python3: {
		runtime: "python3",
		config: { runtime: "python3", contract: "lambda" },
		files: [file("lambda_function.py", PY_LAMBDA_HANDLER)],
		status: true,
		error: failed,
		oversize: { bytes: LAMBDA_6MB, expect: failed },
		logs: true,
	},
	"python3-openfaas": {
		runtime: "python3",
		config: { runtime: "python3" },
		files: [file("handler.py", PY_OPENFAAS)],
		status:
			"OpenFaaS's handle(req) returns a body; the template answers 200 or 500",
		error: { status: 500 },
		oversize: { bytes: MIB32, expect: failed },
		logs: true,
	},
	provided: {
		runtime: "provided",
		config: { runtime: "provided" },
		files: [
			file("bootstrap", BOOTSTRAP, 0o755),
			file("handler.py", PY_LAMBDA_HANDLER),
		],
		status: true,
		error: failed,
		oversize: { bytes: LAMBDA_6MB, expect: failed },
		logs: true,
	},
	process: {
		runtime: "process",
		config: { runtime: "process", fprocess: "sh op.sh" },
		files: [file("op.sh", PROCESS)],
		status: "the classic watchdog answers 200, or 500 when the process fails",
		error: { status: 500 },
		oversize: { bytes: MIB32, expect: failed },
		logs: true,
		// The watchdog's answer to a process that died: in the sandbox bwrap reports its signal
		// as exit status 128+N, which an `exit 137` would also give.
		crash: { status: 500 },
	},
	http: {
		runtime: "http",
		config: { runtime: "http", fprocess: "python3 server.py" },
		files: [file("server.py", HTTP_SERVER)],
		status: true,
		error: { status: 500 },
		// Streamed through the trigger: past the bound the connection is cut, not ended normally.
		oversize: { bytes: MIB32, expect: "cut" },
		logs: "an http server's output is kept only when it dies before listening (docs/runtimes.md, Logs)",
	},
};
