// A function's output and errors reach `sigil logs` (issue 10, Logs), through a real gateway
// (default isolation: the bubblewrap sandbox) and the real CLI: a node function's console lines
// and uncaught error (own frames only), a python3 traceback, a process function's stderr, a
// module that does not load; bounded at 64 KB with the cut marked; a secret's value printed by
// the function shows as [redacted]; Lambda's LogType Tail with START/END/REPORT lines.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { main } from "../src/cli/main.ts";
import { openSqliteStore } from "../src/store/sqlite/open.ts";
import { fakeIo, run } from "./cli-helpers.ts";
import { plainAuditRecord } from "./helpers/audit.ts";
import {
	ROOT_KEY,
	startTestGateway,
	type TestGateway,
} from "./helpers/gateway.ts";

const HAS_PYTHON = spawnSync("python3", ["--version"]).status === 0;
const none = { trigger: { auth: "none" } };
const SECRET = "hunter2-very-secret-value";

const NODE_THROWS = `export const handler = async () => {
	console.log("hello from node");
	console.info("info line");
	console.warn("warn line");
	console.error("error line");
	console.debug("debug line");
	throw new Error("node boom");
};
`;
const PYTHON_RAISES = `import sys
def handle(req):
    print("python says hi on stderr", file=sys.stderr)
    raise ValueError("python boom")
`;
const LEAKER = `import { readFileSync } from "node:fs";
export const handler = async () => {
	const s = readFileSync(process.env.SIGIL_SECRETS_DIR + "/leaky", "utf8");
	console.log("the secret is " + s + " (oops)");
	return "ok";
};
`;
const CHATTY = `export const handler = async () => {
	const line = "x".repeat(1000);
	for (let i = 0; i < 100; i++) console.log(i + " " + line);
	return "done";
};
`;

let gw: TestGateway;
let client: LambdaClient;
const cliEnv = () => ({
	SIGIL_ACCESS_KEY_ID: ROOT_KEY.accessKeyId,
	SIGIL_SECRET_ACCESS_KEY: ROOT_KEY.secretAccessKey,
	SIGIL_CONFIG_DIR: "/nonexistent-sigil",
	SIGIL_GATEWAY: gw.url,
});

interface LogRecord {
	id: number;
	requestId: string;
	outcome: string;
	status: number;
	logs: string;
	detail: unknown;
}

async function records(query: string): Promise<LogRecord[]> {
	const res = await gw.signed("GET", `/sigil/v1/logs?${query}`);
	assert.equal(res.status, 200, await res.clone().text());
	return ((await res.json()) as { records: LogRecord[] }).records;
}

/** Invokes a function URL, then returns its audit record (written behind, so polled briefly). */
async function invokeAndRecord(
	name: string,
): Promise<{ status: number; record: LogRecord }> {
	const res = await fetch(`${gw.url}/function/${name}`, { method: "POST" });
	const id = res.headers.get("x-sigil-request-id");
	await res.arrayBuffer();
	for (let i = 0; i < 50; i++) {
		const all = await records(`function=${name}`);
		const record = id ? all.find((r) => r.requestId === id) : all.at(-1);
		if (record) return { status: res.status, record };
		await new Promise((r) => setTimeout(r, 20));
	}
	throw new Error(`no record for ${name}`);
}

async function cliLogs(...args: string[]) {
	const r = await run(["logs", ...args, "--gateway", gw.url], {
		env: cliEnv(),
	});
	assert.equal(r.code, 0, r.stderr);
	return r.stdout;
}

before(async () => {
	gw = await startTestGateway();
	await gw.putSecret("leaky", SECRET);
	await gw.deploy(
		"node-throws",
		{ runtime: "node", ...none },
		{
			"index.mjs": NODE_THROWS,
		},
	);
	await gw.deploy(
		"proc-stderr",
		{
			runtime: "process",
			fprocess: `sh -c 'echo "process stderr line" >&2; echo answer'`,
			...none,
		},
		{ "README.txt": "process" },
	);
	await gw.deploy(
		"leaker",
		{ runtime: "node", secrets: ["leaky"], ...none },
		{
			"index.mjs": LEAKER,
		},
	);
	await gw.deploy(
		"chatty",
		{ runtime: "node", ...none },
		{
			"index.mjs": CHATTY,
		},
	);
	if (HAS_PYTHON)
		await gw.deploy(
			"py-raises",
			{ runtime: "python3", ...none },
			{
				"handler.py": PYTHON_RAISES,
			},
		);
	client = new LambdaClient({
		endpoint: gw.url,
		region: "us-east-1",
		credentials: ROOT_KEY,
		maxAttempts: 1,
	});
});
after(async () => {
	client?.destroy();
	await gw?.stop();
});

describe("a function's output is kept with its invocation's record", () => {
	it("node: console lines and the uncaught error with the function's own frames", async () => {
		const { status, record } = await invokeAndRecord("node-throws");
		assert.equal(status, 502);
		for (const line of [
			"INFO\thello from node",
			"INFO\tinfo line",
			"WARN\twarn line",
			"ERROR\terror line",
			"DEBUG\tdebug line",
			"node boom",
		])
			assert.ok(record.logs.includes(line), `${line} in ${record.logs}`);
		assert.match(record.logs, /index\.mjs:\d+:\d+/, "the function's frame");
		assert.doesNotMatch(
			record.logs,
			/function-host|node:internal|\/opt\/sigil/,
		);
		const out = await cliLogs("node-throws");
		assert.match(out, /hello from node/);
		assert.match(out, /node boom/);
		assert.match(out, /ALLOWED|FUNCTION_ERROR/);
	});

	it("python3: stderr and the traceback", {
		skip: !HAS_PYTHON && "no python3",
	}, async () => {
		const { record } = await invokeAndRecord("py-raises");
		assert.match(record.logs, /python says hi on stderr/);
		assert.match(record.logs, /Traceback \(most recent call last\)/);
		assert.match(record.logs, /ValueError: python boom/);
		const out = await cliLogs("py-raises");
		assert.match(out, /ValueError: python boom/);
	});

	it("process: stderr is the log, stdout the answer", async () => {
		const { status, record } = await invokeAndRecord("proc-stderr");
		assert.equal(status, 200);
		assert.match(record.logs, /process stderr line/);
		assert.doesNotMatch(record.logs, /answer/);
		const out = await cliLogs("proc-stderr");
		assert.match(out, /process stderr line/);
	});

	it("a module with a syntax error: the load failure is in the record", async () => {
		await gw
			.deploy(
				"broken",
				{ runtime: "node", ...none },
				{
					"index.mjs": "export const handler = async () => { return 1 +; };\n",
				},
			)
			.catch(() => {
				// A deploy that refuses code that does not load is fine too; then nothing ran.
			});
		const live = await records("function=broken");
		const res = await fetch(`${gw.url}/function/broken`);
		await res.arrayBuffer();
		if (res.status === 404 || res.status === 403) return; // refused at deploy (nothing live)
		assert.equal(res.status, 502);
		let record: LogRecord | undefined;
		for (let i = 0; i < 50 && !record; i++) {
			record = (await records("function=broken")).slice(live.length).at(-1);
			if (!record) await new Promise((r) => setTimeout(r, 20));
		}
		assert.ok(record);
		assert.match(record.logs, /SyntaxError/);
		assert.match(record.logs, /FUNCTION_START_FAILED/);
		const out = await cliLogs("broken");
		assert.match(out, /SyntaxError/);
	});

	it("an http server that dies on start: its output is in the deploy's record", async () => {
		await assert.rejects(
			gw.deploy(
				"dies",
				{
					runtime: "http",
					fprocess: `sh -c 'echo starting up; echo "fatal: cannot bind" >&2; exit 1'`,
					...none,
				},
				{ "README.txt": "http" },
			),
			/FUNCTION_START_FAILED/,
		);
		const [record] = await records("function=dies");
		assert.ok(record);
		assert.equal(record.outcome, "FUNCTION_START_FAILED");
		assert.match(record.logs, /starting up\nfatal: cannot bind/);
		const out = await cliLogs("dies");
		assert.match(out, /fatal: cannot bind/);
	});

	it("output over 64 KB is cut and the cut is marked", async () => {
		const { record } = await invokeAndRecord("chatty");
		assert.ok(
			Buffer.byteLength(record.logs) <= 65536,
			`${Buffer.byteLength(record.logs)} bytes`,
		);
		assert.ok(
			record.logs.endsWith("[sigil: output cut at 65536 bytes]\n"),
			record.logs.slice(-200),
		);
	});

	it("a secret's value printed by the function is [redacted]", async () => {
		const { status, record } = await invokeAndRecord("leaker");
		assert.equal(status, 200);
		assert.match(record.logs, /the secret is \[redacted\] \(oops\)/);
		assert.ok(!record.logs.includes(SECRET));
		const out = await cliLogs("leaker", "--json");
		assert.ok(!out.includes(SECRET));
		assert.match(out, /\[redacted\]/);
	});
});

describe("sigil logs NAME --since --request-id", () => {
	it("filters by request id and by age, through the API and the CLI, with the auth decision", async () => {
		const { record } = await invokeAndRecord("proc-stderr");
		const one = await records(
			`function=proc-stderr&requestId=${record.requestId}`,
		);
		assert.deepEqual(
			one.map((r) => r.requestId),
			[record.requestId],
		);
		const future = new Date(Date.now() + 3_600_000).toISOString();
		assert.deepEqual(await records(`function=proc-stderr&since=${future}`), []);
		const out = await cliLogs("proc-stderr", "--request-id", record.requestId);
		assert.equal(out.match(/request /g)?.length, 1, out);
		assert.match(out, /process stderr line/);
		assert.match(out, new RegExp(`request ${record.requestId}`));
		const recent = await cliLogs("proc-stderr", "--since", "10m", "--json");
		const lines = recent
			.trim()
			.split("\n")
			.map((l) => JSON.parse(l) as LogRecord);
		assert.ok(lines.some((r) => r.requestId === record.requestId));
		const none = await cliLogs(
			"proc-stderr",
			"--since",
			"2099-01-01T00:00:00Z",
			"--json",
		);
		assert.equal(none.trim(), "");
	});

	it("the auth decision is shown with each request", async () => {
		const res = await gw.signed("GET", "/sigil/v1/functions/leaker");
		await res.arrayBuffer();
		const requestId = res.headers.get("x-sigil-request-id") ?? "";
		assert.ok(requestId);
		const out = await cliLogs();
		const block = out.split(/\n(?=\S)/).find((b) => b.includes(requestId));
		assert.ok(block, out);
		assert.match(block, /\n {4}auth: (ALLOW|Allow|allow)\S* \S+ on arn:/);
	});

	it("--follow --since 10m shows a new invocation's output as it happens", async () => {
		let stop: (s: string) => void = () => {};
		const stopped = new Promise<string>((r) => {
			stop = r;
		});
		const out: string[] = [];
		const f = fakeIo({ env: cliEnv(), stop: stopped });
		const pending = main(
			[
				"logs",
				"proc-stderr",
				"--follow",
				"--since",
				"10m",
				"--interval",
				"20",
				"--json",
				"--gateway",
				gw.url,
			],
			f.io,
		);
		const { record } = await invokeAndRecord("proc-stderr");
		for (let i = 0; i < 100 && !f.stdout().includes(record.requestId); i++)
			await new Promise((r) => setTimeout(r, 20));
		stop("SIGINT");
		assert.equal(await pending, 0, f.stderr());
		out.push(...f.stdout().trim().split("\n"));
		const mine = out
			.map((l) => JSON.parse(l) as LogRecord)
			.find((r) => r.requestId === record.requestId);
		assert.ok(mine, f.stdout());
		assert.match(mine.logs, /process stderr line/);
	});

	it("refuses a bad since or request id", async () => {
		for (const q of ["since=yesterday", "since=10m", "requestId=a%20b"]) {
			const res = await gw.signed("GET", `/sigil/v1/logs?${q}`);
			assert.equal(res.status, 400, q);
			await res.arrayBuffer();
		}
		const r = await run(["logs", "x", "--since", "soon", "--gateway", gw.url], {
			env: cliEnv(),
		});
		assert.equal(r.code, 2);
		assert.match(r.stderr, /--since must be a duration/);
	});
});

describe("Lambda LogType Tail", () => {
	it("carries the lines between START and END, then REPORT, as AWS shapes them", async () => {
		const r = await client.send(
			new InvokeCommand({
				FunctionName: "node-throws",
				LogType: "Tail",
				Payload: Buffer.from("{}"),
			}),
		);
		assert.equal(r.FunctionError, "Unhandled");
		const tail = Buffer.from(r.LogResult ?? "", "base64").toString("utf8");
		const id = r.$metadata.requestId ?? "";
		assert.ok(Buffer.byteLength(tail) <= 4096);
		assert.match(tail, /^START RequestId: \S+ Version: \$LATEST\n/);
		assert.match(tail, /hello from node/);
		assert.match(tail, /node boom/);
		assert.match(tail, /\nEND RequestId: \S+\n/);
		assert.match(
			tail,
			/\nREPORT RequestId: \S+\tDuration: \d+\.\d\d ms\tBilled Duration: \d+ ms\tMemory Size: \d+ MB\tMax Memory Used: \d+ MB\t?\n$/,
		);
		if (id) assert.ok(tail.includes(`START RequestId: ${id} `));
	});
});

describe("retention of invocation records", () => {
	it("prunes by age and keeps the logs of each account within a size bound", async () => {
		const dataDir = await mkdtemp(join(tmpdir(), "sigil-retention-"));
		const now = 10_000_000;
		const store = await openSqliteStore({
			dataDir,
			masterKey: randomBytes(32),
			auditMaxAgeMs: 60_000,
			auditMaxBytes: 50_000,
			now: () => now,
		});
		try {
			const { accountId } = await store.accounts.create({ name: "r" });
			const record = (i: number, time: number, logs: string) =>
				plainAuditRecord({
					accountId,
					requestId: `req-${i}`,
					time,
					logs,
					outcome: "ALLOWED",
				});
			await store.audit.append(record(0, now - 120_000, "old"));
			for (let i = 1; i <= 10; i++)
				await store.audit.append(record(i, now, "x".repeat(10_000)));
			await store.audit.prune();
			const { records } = await store.audit.query({ accountId, limit: 100 });
			const ids = records.map((r) => r.requestId);
			assert.ok(!ids.includes("req-0"), "older than the age bound");
			const bytes = records.reduce((n, r) => n + r.logs.length + 4, 0);
			assert.ok(bytes <= 50_000, `${bytes} bytes kept`);
			assert.deepEqual(ids, ["req-7", "req-8", "req-9", "req-10"]);
		} finally {
			await store.close();
			await rm(dataDir, { recursive: true, force: true });
		}
	});
});
