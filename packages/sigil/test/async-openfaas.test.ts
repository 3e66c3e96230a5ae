// OpenFaaS-style async (`/async-function/NAME`) with a real callback receiver that verifies
// Sigil's callback signature; retries with backoff then `dead`; the bounded queue (429 in each
// dialect); and the jobs control-plane routes, own account only.
import assert from "node:assert/strict";
import { createHmac, timingSafeEqual } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";
import {
	type AsyncTestGateway,
	type JobJson,
	otherAccount,
	startAsyncGateway,
	startReceiver,
} from "./async-helpers.ts";
import { ROOT_KEY, signedFetch } from "./helpers/gateway.ts";

// Answers with what it saw, so the test can check the stored request was replayed whole.
const SEE = `
export const handler = async (event) => ({
	statusCode: event.queryStringParameters?.status ? Number(event.queryStringParameters.status) : 201,
	headers: { "content-type": "application/json" },
	body: JSON.stringify({ method: event.requestContext.http.method, path: event.rawPath, query: event.rawQueryString, body: event.body, header: event.headers["x-custom"] ?? null, auth: event.headers.authorization ?? null }),
});`;
const THROWS = `export const handler = async () => { throw new Error("always"); };`;
const CALLBACK_KEY = "callback-secret-for-tests";

let gw: AsyncTestGateway;

function verify(
	body: Buffer,
	header: string | undefined,
	key: string,
): boolean {
	const expected = Buffer.from(
		`sha256=${createHmac("sha256", key).update(body).digest("hex")}`,
	);
	const given = Buffer.from(header ?? "");
	return given.length === expected.length && timingSafeEqual(given, expected);
}

/** An http job's stored answer: `{status, headers, body: base64}` in the job's result. */
function httpResult(job: JobJson): { status: number; body: string } {
	const stored = JSON.parse(
		Buffer.from(job.result ?? "", "base64").toString(),
	) as { status: number; body: string };
	return {
		status: stored.status,
		body: Buffer.from(stored.body, "base64").toString(),
	};
}

before(async () => {
	gw = await startAsyncGateway({ async: { maxAttempts: 3 } });
	await gw.putSecret("callback-key", CALLBACK_KEY);
	await gw.putSecret("hook", "hook-secret");
	await gw.deploy(
		"see",
		{ runtime: "node", trigger: { auth: "none" } },
		{ "index.mjs": SEE },
	);
	await gw.deploy(
		"thrower",
		{ runtime: "node", trigger: { auth: "none" } },
		{ "index.mjs": THROWS },
	);
	await gw.deploy(
		"guarded",
		{ runtime: "node", trigger: { auth: "hmac", secrets: ["hook"] } },
		{ "index.mjs": SEE },
	);
});
after(() => gw.stop());

describe("POST /async-function/NAME", () => {
	test("202 with X-Call-Id; the callback carries the answer, OpenFaaS's headers and a valid signature", async () => {
		const receiver = await startReceiver();
		try {
			const res = await fetch(`${gw.url}/async-function/see/deep/path?x=1`, {
				method: "POST",
				body: "hello",
				headers: {
					"x-callback-url": receiver.url,
					"x-custom": "kept",
					authorization: "Bearer not-stored",
				},
			});
			assert.equal(res.status, 202);
			const callId = res.headers.get("x-call-id") as string;
			assert.ok(callId);
			const cb = await receiver.next();
			assert.equal(cb.headers["x-call-id"], callId);
			assert.equal(cb.headers["x-function-status"], "201");
			assert.equal(cb.headers["x-function-name"], "see");
			assert.ok(Number(cb.headers["x-duration-seconds"]) >= 0);
			assert.equal(cb.headers["content-type"], "application/json");
			assert.ok(
				verify(
					cb.body,
					cb.headers["x-sigil-signature"] as string,
					CALLBACK_KEY,
				),
				"signature verifies",
			);
			assert.ok(
				!verify(
					cb.body,
					cb.headers["x-sigil-signature"] as string,
					"wrong-key",
				),
			);
			const seen = JSON.parse(cb.body.toString());
			assert.deepEqual(seen, {
				method: "POST",
				path: "/deep/path",
				query: "x=1",
				body: "hello",
				header: "kept",
				auth: null, // credential headers are never stored in the queue
			});
			const job = await gw.waitForJob(callId, ["succeeded"]);
			assert.equal(job.kind, "http");
			assert.equal(job.callbackUrl, receiver.url);
		} finally {
			await receiver.close();
		}
	});

	test("the trigger's own auth applies: an hmac function refuses an unsigned async call and queues nothing", async () => {
		const before = await gw.gateway.store.jobs.countQueued();
		const res = await fetch(`${gw.url}/async-function/guarded`, {
			method: "POST",
			body: "x",
		});
		assert.equal(res.status, 401);
		await res.arrayBuffer();
		assert.equal(await gw.gateway.store.jobs.countQueued(), before);
		const body = "signed body";
		const sig = createHmac("sha256", "hook-secret").update(body).digest("hex");
		const ok = await fetch(`${gw.url}/async-function/guarded`, {
			method: "POST",
			body,
			headers: { hmac: `sha256=${sig}` },
		});
		assert.equal(ok.status, 202);
		const job = await gw.waitForJob(ok.headers.get("x-call-id") as string, [
			"succeeded",
		]);
		const answer = httpResult(job);
		assert.equal(answer.status, 201);
		assert.equal(JSON.parse(answer.body).body, body);
	});

	test("obviously wrong callback URLs are refused before anything is queued", async () => {
		for (const url of [
			"ftp://example.com/x",
			"not a url",
			"http://user:pw@example.com/",
			`http://x/${"a".repeat(2100)}`,
		]) {
			const res = await fetch(`${gw.url}/async-function/see`, {
				method: "POST",
				headers: { "x-callback-url": url },
			});
			assert.equal(res.status, 400, url.slice(0, 40));
			const body = (await res.json()) as { error: { code: string } };
			assert.equal(body.error.code, "INVALID_CALLBACK_URL");
		}
	});

	test("an unknown function is answered as a protected one and GET is not an async verb", async () => {
		const res = await fetch(`${gw.url}/async-function/nobody`, {
			method: "POST",
		});
		assert.equal(res.status, 403);
		await res.arrayBuffer();
		const get = await fetch(`${gw.url}/async-function/see`);
		assert.equal(get.status, 405);
		await get.arrayBuffer();
	});
});

describe("retries and dead jobs", () => {
	test("a Lambda Event whose function always throws is tried 3 times with backoff, then dead with the last error", async () => {
		const client = new LambdaClient({
			endpoint: gw.url,
			region: "us-east-1",
			credentials: ROOT_KEY,
			maxAttempts: 1,
		});
		try {
			const r = await client.send(
				new InvokeCommand({ FunctionName: "thrower", InvocationType: "Event" }),
			);
			const job = await gw.waitForJob(r.$metadata.requestId as string, [
				"dead",
			]);
			assert.equal(job.attempts, 3);
			assert.match(job.lastError ?? "", /Unhandled: .*"errorMessage":"always"/);
			const attempts = gw.logs
				.map(
					(l) =>
						JSON.parse(l) as { event?: string; job?: string; status?: string },
				)
				.filter((l) => l.event === "attempt" && l.job === r.$metadata.requestId)
				.map((l) => l.status);
			assert.deepEqual(attempts, ["queued", "queued", "dead"]);
		} finally {
			client.destroy();
		}
	});

	test("an OpenFaaS job answering 500 is retried, then the callback reports the final 500", async () => {
		const receiver = await startReceiver();
		try {
			const res = await fetch(`${gw.url}/async-function/see?status=500`, {
				method: "POST",
				headers: { "x-callback-url": receiver.url },
			});
			const callId = res.headers.get("x-call-id") as string;
			const job = await gw.waitForJob(callId, ["dead"]);
			assert.equal(job.attempts, 3);
			const cb = await receiver.next();
			assert.equal(cb.headers["x-function-status"], "500");
			assert.equal(
				receiver.received.length,
				1,
				"one callback, for the final outcome only",
			);
		} finally {
			await receiver.close();
		}
	});
});

describe("jobs API", () => {
	test("lists by function and status; another account sees neither the list nor the job", async () => {
		const res = await fetch(`${gw.url}/async-function/see`, {
			method: "POST",
			body: "list-me",
		});
		const id = res.headers.get("x-call-id") as string;
		await gw.waitForJob(id, ["succeeded"]);
		const list = await gw.signed(
			"GET",
			"/sigil/v1/jobs?function=see&status=succeeded&limit=1000",
		);
		assert.equal(list.status, 200);
		const { jobs } = (await list.json()) as { jobs: JobJson[] };
		assert.ok(jobs.some((j) => j.id === id));
		assert.ok(
			jobs.every(
				(j) =>
					j.function === "see" &&
					j.status === "succeeded" &&
					j.payload === undefined,
			),
		);
		const bad = await gw.signed("GET", "/sigil/v1/jobs?status=sleeping");
		assert.equal(bad.status, 400);
		await bad.arrayBuffer();

		const other = await otherAccount(gw.gateway);
		const theirs = await signedFetch(gw.url, "GET", `/sigil/v1/jobs/${id}`, {
			credentials: other.credentials,
		});
		assert.equal(theirs.status, 404);
		assert.equal(
			((await theirs.json()) as { error: { code: string } }).error.code,
			"JOB_NOT_FOUND",
		);
		const theirList = await signedFetch(gw.url, "GET", "/sigil/v1/jobs", {
			credentials: other.credentials,
		});
		assert.deepEqual(
			((await theirList.json()) as { jobs: unknown[] }).jobs,
			[],
		);
	});
});

describe("bounded queue", () => {
	test("over the per-function bound: 429 TooManyRequestsException (Lambda) and FUNCTION_QUEUE_FULL (OpenFaaS)", async () => {
		const paused = await startAsyncGateway({
			async: { paused: true, maxQueuedPerFunction: 2 },
		});
		const client = new LambdaClient({
			endpoint: paused.url,
			region: "us-east-1",
			credentials: ROOT_KEY,
			maxAttempts: 1,
		});
		try {
			await paused.deploy(
				"q",
				{ runtime: "node", trigger: { auth: "none" } },
				{ "index.mjs": SEE },
			);
			for (let i = 0; i < 2; i++) {
				const r = await client.send(
					new InvokeCommand({ FunctionName: "q", InvocationType: "Event" }),
				);
				assert.equal(r.StatusCode, 202);
			}
			await assert.rejects(
				client.send(
					new InvokeCommand({ FunctionName: "q", InvocationType: "Event" }),
				),
				(e: Error & { $metadata: { httpStatusCode: number } }) =>
					e.name === "TooManyRequestsException" &&
					e.$metadata.httpStatusCode === 429,
			);
			const res = await fetch(`${paused.url}/async-function/q`, {
				method: "POST",
			});
			assert.equal(res.status, 429);
			assert.equal(
				((await res.json()) as { error: { code: string } }).error.code,
				"FUNCTION_QUEUE_FULL",
			);
			assert.equal(
				await paused.gateway.store.jobs.countQueued({ functionName: "q" }),
				2,
			);
		} finally {
			client.destroy();
			await paused.stop();
		}
	});
});
