// An asynchronous invocation's output reaches `sigil logs` as a synchronous one's does (issue
// 10): each attempt is a record under the job's id with the function's console lines, its
// outcome and the caller who queued it.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { type AsyncTestGateway, startAsyncGateway } from "./async-helpers.ts";

let gw: AsyncTestGateway;
before(async () => {
	gw = await startAsyncGateway();
	await gw.deploy(
		"job-talks",
		{ runtime: "node", trigger: { auth: "none" } },
		{
			"index.mjs": `export const handler = async (event) => { console.log("job-line", event.body); return { statusCode: 200, body: "done" }; };`,
		},
	);
	await gw.deploy(
		"job-throws",
		{ runtime: "node", trigger: { auth: "none" } },
		{
			"index.mjs": `export const handler = async () => { console.error("about to fail"); throw new Error("job-boom"); };`,
		},
	);
});
after(() => gw.stop());

async function recordsOf(id: string): Promise<Record<string, unknown>[]> {
	const res = await gw.signed("GET", `/sigil/v1/logs?requestId=${id}`);
	assert.equal(res.status, 200);
	return ((await res.json()) as { records: Record<string, unknown>[] }).records;
}

test("a job's console output is in the log under its id, with its outcome", async () => {
	const res = await fetch(`${gw.url}/async-function/job-talks`, {
		method: "POST",
		body: "payload-7f3",
	});
	assert.equal(res.status, 202);
	const id = res.headers.get("x-call-id") as string;
	await gw.waitForJob(id, ["succeeded"]);
	const runs = (await recordsOf(id)).filter((r) => r.scheme === "async");
	assert.equal(runs.length, 1, JSON.stringify(runs));
	const [run] = runs as [Record<string, unknown>];
	assert.equal(run.outcome, "ALLOWED");
	assert.equal(
		run.function ?? run.functionName,
		"job-talks",
		JSON.stringify(run),
	);
	assert.match(String(run.logs), /job-line payload-7f3/);
});

test("a failing job: one record per attempt, each with the function's stderr and the error's code", async () => {
	const res = await fetch(`${gw.url}/async-function/job-throws`, {
		method: "POST",
		body: "x",
	});
	const id = res.headers.get("x-call-id") as string;
	const job = await gw.waitForJob(id, ["dead", "failed"]);
	const runs = (await recordsOf(id)).filter((r) => r.scheme === "async");
	assert.equal(
		runs.length,
		job.attempts,
		JSON.stringify(runs.map((r) => r.outcome)),
	);
	for (const r of runs) {
		assert.equal(r.outcome, "FUNCTION_ERROR");
		assert.match(String(r.logs), /about to fail/);
	}
});
