// A function's `rateLimit` (issue 12): `requests` per `per` for the function and `perKey` per
// calling access key, counted in the shared cache (one count for every gateway), refused with
// 429 and Retry-After in the caller's dialect; the cache down is 503, never an unchecked call.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import fc from "fast-check";
import { parseFunctionConfig } from "../src/config/function-config.ts";
import { SigilError } from "../src/errors.ts";
import {
	RateLimitedError,
	withRateLimit,
} from "../src/functions/rate-limited.ts";
import { MemorySharedCache } from "../src/ports/memory-shared-cache.ts";
import { CacheError, type SharedCache } from "../src/ports/shared-cache.ts";
import type {
	CallerIdentity,
	FunctionRuntime,
	HttpInvocation,
} from "../src/runtime/types.ts";
import {
	signedFetch,
	startTestGateway,
	type TestGateway,
} from "./helpers/gateway.ts";
import { createUser, putUserPolicy } from "./helpers/iam.ts";

/** A runtime that counts what reached it. */
function countingRuntime(): FunctionRuntime & { ran: number } {
	const r = {
		ran: 0,
		async invokeHttp() {
			r.ran++;
			return { status: 200, headers: [], body: Buffer.from("ok") };
		},
		async invokeEvent() {
			r.ran++;
			return { payload: Buffer.from("{}") };
		},
		async close() {},
	};
	return r;
}

function caller(accessKey: string): CallerIdentity {
	return {
		accessKey,
		accountId: "123456789012",
		callerId: accessKey,
		userArn: "arn:aws:iam::123456789012:user/x",
		userId: accessKey,
		scheme: "sigv4",
	};
}

function http(key?: string): HttpInvocation {
	return {
		requestId: "r",
		functionName: "f",
		method: "GET",
		path: "/",
		rawQuery: "",
		rawHeaders: [],
		body: Buffer.alloc(0),
		sourceIp: "127.0.0.1",
		host: "x",
		receivedAt: 0,
		...(key !== undefined && { caller: caller(key) }),
	};
}

describe("withRateLimit", () => {
	test("exactly `requests` per window reach the runtime; the refusal says when to retry", async () => {
		await fc.assert(
			fc.asyncProperty(
				fc.integer({ min: 1, max: 20 }),
				fc.integer({ min: 0, max: 30 }),
				async (requests, extra) => {
					let now = 1_000_000;
					const cache = new MemorySharedCache({ now: () => now });
					const inner = countingRuntime();
					const rt = withRateLimit(inner, cache, {
						accountId: "a",
						name: "f",
						requests,
						windowMs: 60_000,
					});
					let refused = 0;
					for (let i = 0; i < requests + extra; i++) {
						now += 10;
						try {
							await rt.invokeHttp(http());
						} catch (err) {
							assert.ok(err instanceof RateLimitedError);
							assert.equal(err.code, "FUNCTION_RATE_LIMITED");
							assert.ok(
								err.retryAfterSeconds >= 1 && err.retryAfterSeconds <= 60,
							);
							refused++;
						}
					}
					assert.equal(inner.ran, requests);
					assert.equal(refused, extra);
					// The window slides: a minute later the budget is back.
					now += 60_000;
					await rt.invokeEvent({
						requestId: "e",
						functionName: "f",
						payload: Buffer.alloc(0),
					});
					assert.equal(inner.ran, requests + 1);
				},
			),
			{ numRuns: 40 },
		);
	});

	test("perKey: each access key has its own budget, and a refused key does not spend the function's", async () => {
		const cache = new MemorySharedCache();
		const inner = countingRuntime();
		const rt = withRateLimit(inner, cache, {
			accountId: "a",
			name: "f",
			requests: 5,
			windowMs: 60_000,
			perKey: 2,
		});
		await rt.invokeHttp(http("AKIDA"));
		await rt.invokeHttp(http("AKIDA"));
		await assert.rejects(rt.invokeHttp(http("AKIDA")), /access key's rate/);
		await assert.rejects(rt.invokeHttp(http("AKIDA")), RateLimitedError);
		await rt.invokeHttp(http("AKIDB"));
		await rt.invokeHttp(http("AKIDB"));
		await rt.invokeHttp(http()); // an unsigned caller counts for the function only
		assert.equal(inner.ran, 5);
		await assert.rejects(rt.invokeHttp(http("AKIDC")), /The request rate/);
	});

	test("the shared cache down: 503 ENGINE_UNAVAILABLE, and nothing runs unchecked", async () => {
		const down = {
			rateLimit: async () => {
				throw new CacheError("CACHE_UNAVAILABLE", "redis is down");
			},
		} as unknown as SharedCache;
		const inner = countingRuntime();
		const rt = withRateLimit(inner, down, {
			accountId: "a",
			name: "f",
			requests: 5,
			windowMs: 60_000,
		});
		await assert.rejects(
			rt.invokeHttp(http()),
			(err: unknown) =>
				err instanceof SigilError && err.code === "ENGINE_UNAVAILABLE",
		);
		assert.equal(inner.ran, 0);
	});
});

describe("rateLimit in the function config", () => {
	test("valid shapes parse; bad ones are refused with their key path", () => {
		const ok = parseFunctionConfig({
			runtime: "node",
			rateLimit: { requests: 10, per: "1m", perKey: 2 },
		});
		assert.ok(ok.ok);
		assert.deepEqual(ok.ok && ok.config.rateLimit, {
			requests: 10,
			windowMs: 60_000,
			perKey: 2,
		});
		for (const bad of [
			{ requests: 0, per: "1m" },
			{ requests: 10, per: "500ms" },
			{ requests: 10 },
			{ per: "1m" },
			{ requests: 10, per: "1m", burst: 3 },
			{ requests: 10, per: "1m", perKey: 0 },
		]) {
			const r = parseFunctionConfig({ runtime: "node", rateLimit: bad });
			assert.equal(r.ok, false, JSON.stringify(bad));
			assert.ok(
				!r.ok && r.issues.some((i) => i.path.startsWith("rateLimit")),
				JSON.stringify(!r.ok && r.issues),
			);
		}
	});
});

describe("rateLimit through a real gateway", () => {
	let gw: TestGateway;
	before(async () => {
		gw = await startTestGateway();
		const handler = {
			"index.mjs":
				"export const handler = async () => ({ statusCode: 200, body: 'ok' });",
		};
		await gw.deploy(
			"limited",
			{
				runtime: "node",
				trigger: { auth: "none" },
				rateLimit: { requests: 2, per: "1m" },
			},
			handler,
		);
		await gw.deploy(
			"per-key",
			{
				runtime: "node",
				trigger: { auth: "aws_iam" },
				rateLimit: { requests: 100, per: "1m", perKey: 1 },
			},
			handler,
		);
	});
	after(() => gw.stop());

	test("a function URL: the third call in the minute is 429 with Retry-After", async () => {
		assert.equal((await fetch(`${gw.url}/function/limited`)).status, 200);
		assert.equal((await fetch(`${gw.url}/function/limited`)).status, 200);
		const refused = await fetch(`${gw.url}/function/limited`);
		assert.equal(refused.status, 429);
		const retry = Number(refused.headers.get("retry-after"));
		assert.ok(retry >= 1 && retry <= 60, String(retry));
		assert.match(await refused.text(), /FUNCTION_RATE_LIMITED/);
	});

	test("Lambda's Invoke shares the count and answers TooManyRequestsException", async () => {
		const res = await signedFetch(
			gw.url,
			"POST",
			"/2015-03-31/functions/limited/invocations",
			{ service: "lambda", body: "{}" },
		);
		assert.equal(res.status, 429);
		assert.match(
			res.headers.get("x-amzn-errortype") ?? "",
			/^TooManyRequestsException/,
		);
		assert.ok(Number(res.headers.get("retry-after")) >= 1);
	});

	test("perKey: one signed caller is held to its own budget while another still gets in", async () => {
		const allow = [
			{ Effect: "Allow", Action: "lambda:InvokeFunctionUrl", Resource: "*" },
		];
		const a = await createUser(gw, "rate-a");
		const b = await createUser(gw, "rate-b");
		await putUserPolicy(gw, "rate-a", "invoke", allow);
		await putUserPolicy(gw, "rate-b", "invoke", allow);
		const call = (keys: typeof a.keys) =>
			signedFetch(gw.url, "GET", "/function/per-key/", {
				service: "lambda",
				credentials: keys,
			});
		assert.equal((await call(a.keys)).status, 200);
		assert.equal((await call(a.keys)).status, 429);
		assert.equal((await call(b.keys)).status, 200);
	});
});
