// The runtime contract (issue 9): one suite, run through a real gateway (default isolation: the
// bubblewrap sandbox) against every runtime — node, python3 (both contracts), provided, process,
// http — with the same function in each language (runtime-contract-fixtures.ts): the body and a
// header echoed, a status of the function's own, an error as a 5xx with its code, a timeout as
// 504, an answer over the runtime's bound as that bound's error, the invocation's output kept
// with its record, concurrent requests each answered with their own, a crash costing only its
// request (the next is served). A case that does not apply to a runtime says why.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { after, before, describe, it } from "node:test";
import { startTestGateway, type TestGateway } from "./helpers/gateway.ts";
import { FIXTURES, type RuntimeFixture } from "./runtime-contract-fixtures.ts";

// In CI a missing python3 is a broken setup, never a skip (python3, provided and http need it).
assert.equal(
	spawnSync("python3", ["--version"]).status,
	0,
	"python3 is needed by these tests",
);

let gw: TestGateway;
before(async () => {
	gw = await startTestGateway();
});
after(async () => {
	await gw.stop();
});

/** Deploys `fixture` as NAME through the control-plane API (files keep their modes). */
async function deploy(name: string, fixture: RuntimeFixture): Promise<void> {
	const code = {
		files: fixture.files.map((f) => ({
			path: f.path,
			mode: f.mode,
			data: Buffer.from(f.text).toString("base64"),
		})),
	};
	const config = {
		...fixture.config,
		timeout: "1500ms",
		trigger: { auth: "none", maxBodyBytes: 1024 * 1024 },
	};
	const res = await gw.signed("PUT", `/sigil/v1/functions/${name}`, {
		body: JSON.stringify({ config, code }),
		headers: { "content-type": "application/json" },
	});
	assert.ok(
		res.status === 200 || res.status === 201,
		`deploy ${name}: ${res.status} ${await res.text()}`,
	);
}

interface Answer {
	readonly status: number;
	readonly text: string;
	readonly headers: Headers;
	readonly requestId: string | null;
}

async function call(
	name: string,
	op: string,
	body = "",
	headers: Record<string, string> = {},
): Promise<Answer> {
	const res = await fetch(`${gw.url}/function/${name}/${op}`, {
		method: "POST",
		body,
		headers: { "content-type": "text/plain", ...headers },
	});
	return {
		status: res.status,
		text: await res.text(),
		headers: res.headers,
		requestId: res.headers.get("x-sigil-request-id"),
	};
}

const errorCode = (a: Answer) =>
	(JSON.parse(a.text) as { error: { code: string } }).error.code;

/** The audit record's logs of one request (written behind the answer, so polled briefly). */
async function logsOf(name: string, requestId: string): Promise<string> {
	for (let i = 0; i < 100; i++) {
		const res = await gw.signed(
			"GET",
			`/sigil/v1/logs?function=${name}&requestId=${requestId}`,
		);
		const { records } = (await res.json()) as {
			records: { requestId: string; logs: string }[];
		};
		const record = records.find((r) => r.requestId === requestId);
		if (record?.logs) return record.logs;
		await new Promise((r) => setTimeout(r, 20));
	}
	return "";
}

for (const [label, fixture] of Object.entries(FIXTURES)) {
	const name = `contract-${label}`;
	describe(`runtime contract: ${label}`, () => {
		before(() => deploy(name, fixture));

		it("echoes the body and a header", async () => {
			const a = await call(name, "echo", "héllo wörld", { "X-Test": "t-1" });
			assert.equal(a.status, 200, a.text);
			assert.equal(a.text.trimEnd(), "héllo wörld|t-1");
		});

		it("answers with a status of its own", {
			skip: fixture.status === true ? false : fixture.status,
		}, async () => {
			const a = await call(name, "status");
			assert.equal(a.status, 418);
			assert.equal(a.text, "teapot");
		});

		it("a failure is a 5xx with its code", async () => {
			const a = await call(name, "error");
			assert.equal(a.status, fixture.error.status, a.text);
			if (fixture.error.code !== undefined)
				assert.equal(errorCode(a), fixture.error.code);
			assert.doesNotMatch(a.text, /Traceback|at .*function-host/);
		});

		it("a timeout is 504 FUNCTION_TIMEOUT, and the next request is served", async () => {
			const a = await call(name, "sleep");
			assert.equal(a.status, 504, a.text);
			assert.equal(errorCode(a), "FUNCTION_TIMEOUT");
			const b = await call(name, "echo", "after", { "X-Test": "t" });
			assert.equal(b.status, 200, b.text);
			assert.equal(b.text.trimEnd(), "after|t");
		});

		it("an answer over the runtime's bound is that bound's error", {
			skip: typeof fixture.oversize === "string" ? fixture.oversize : false,
		}, async () => {
			if (typeof fixture.oversize === "string") return;
			const { bytes, expect } = fixture.oversize;
			const under = await call(name, "big?n=1000");
			assert.equal(under.status, 200);
			assert.equal(under.text.trimEnd(), "x".repeat(1000));
			if (expect === "cut") {
				await assert.rejects(call(name, `big?n=${bytes + 1}`));
			} else {
				const over = await call(name, `big?n=${bytes + 1}`);
				assert.equal(over.status, expect.status, over.text.slice(0, 300));
				assert.equal(errorCode(over), expect.code);
				assert.match(over.text, new RegExp(String(bytes)));
			}
			const next = await call(name, "echo", "still", { "X-Test": "ok" });
			assert.equal(next.text.trimEnd(), "still|ok");
		});

		it("the invocation's output is kept with its record", {
			skip: fixture.logs === true ? false : fixture.logs,
		}, async () => {
			const a = await call(name, "echo", "logged");
			assert.equal(a.status, 200);
			assert.ok(a.requestId);
			assert.match(await logsOf(name, a.requestId), /contract log/);
		});

		it("concurrent requests each get their own answer", async () => {
			const answers = await Promise.all(
				Array.from({ length: 8 }, (_, i) =>
					call(name, "echo", `body-${i}`, { "X-Test": `h-${i}` }),
				),
			);
			answers.forEach((a, i) => {
				assert.equal(a.status, 200, a.text);
				assert.equal(a.text.trimEnd(), `body-${i}|h-${i}`);
			});
		});

		it("a crash fails only its request; the next is served", async () => {
			const crash = await call(name, "crash");
			const want = fixture.crash ?? { status: 502, code: "FUNCTION_CRASHED" };
			assert.equal(crash.status, want.status, crash.text);
			if (want.code !== undefined) assert.equal(errorCode(crash), want.code);
			const b = await call(name, "echo", "replaced", { "X-Test": "r" });
			assert.equal(b.status, 200, b.text);
			assert.equal(b.text.trimEnd(), "replaced|r");
		});
	});
}
