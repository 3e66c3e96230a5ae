// Issue 12's guarantees with three gateways at once (child processes) on the local PostgreSQL,
// Redis and NATS JetStream — a fresh schema, stream and key prefix per run, one master key:
// what one gateway changes is enforced by the others within 1 s, a webhook is accepted once
// across them, and async jobs survive one gateway's SIGKILL with one callback each. The three
// gateways are started once and shared by every case (the suite runs in CI on 2 cores).
import assert from "node:assert/strict";
import { createHmac, randomBytes, randomUUID } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { signStandardWebhook } from "@sigil/signature";
import { startReceiver } from "./async-helpers.ts";
import { ROOT_KEY } from "./helpers/gateway.ts";
import {
	callUrl,
	cp,
	createUser,
	fnArn,
	type Keys,
	putUserPolicy,
} from "./helpers/iam.ts";
import {
	type Cluster,
	type ClusterGateway,
	enginesMissing,
	startCluster,
	within,
} from "./multi-gateway-harness.ts";

const skip = await enginesMissing();

function handler(body: string, delayMs = 0): string {
	return `export const handler = async () => { ${delayMs ? `await new Promise((r) => setTimeout(r, ${delayMs}));` : ""} return { statusCode: 200, headers: { "content-type": "text/plain" }, body: ${JSON.stringify(body)} }; };`;
}

async function deploy(
	g: ClusterGateway,
	name: string,
	trigger: Record<string, unknown>,
	code: string,
	extra: Record<string, unknown> = {},
): Promise<{ revision: number }> {
	const r = await cp<{ function: { revision: number } }>(
		g.gw,
		"PUT",
		`/functions/${name}`,
		{
			config: { runtime: "node", trigger, ...extra },
			code: {
				files: [
					{
						path: "index.mjs",
						mode: 0o644,
						data: Buffer.from(code).toString("base64"),
					},
				],
			},
		},
	);
	return r.function;
}

async function bodyOf(g: ClusterGateway, name: string): Promise<string> {
	const res = await fetch(`${g.url}/function/${name}/`).catch(() => undefined);
	if (!res) return "(no answer)";
	return `${res.status} ${await res.text()}`;
}

describe("three gateways on PostgreSQL, Redis and NATS", { skip }, () => {
	let cluster: Cluster;
	let a: ClusterGateway;
	let b: ClusterGateway;
	let c: ClusterGateway;
	let accountId: string;

	before(async () => {
		// A short lease (JetStream ack wait), so a killed gateway's jobs come back in seconds.
		cluster = await startCluster(3, { leaseMs: 3_000, concurrency: 8 });
		[a, b, c] = cluster.gateways as [
			ClusterGateway,
			ClusterGateway,
			ClusterGateway,
		];
		accountId = (await cp<{ Account: string }>(a.gw, "GET", "/whoami")).Account;
	});
	after(async () => {
		await cluster?.cleanup();
	});

	test("a deploy on A is served by B and C within 1 s, and a redeploy never serves the old revision after", async () => {
		const name = `dep-${randomBytes(3).toString("hex")}`;
		await deploy(a, name, { auth: "none" }, handler("v1"));
		for (const g of [b, c])
			await within(
				1_000,
				`v1 on ${g.url}`,
				async () => (await bodyOf(g, name)) === "200 v1",
			);
		await deploy(a, name, { auth: "none" }, handler("v2"));
		for (const g of [b, c])
			await within(
				1_000,
				`v2 on ${g.url}`,
				async () => (await bodyOf(g, name)) === "200 v2",
			);
		// Never stale after: every gateway answers the new revision from now on.
		const seen = await Promise.all(
			Array.from({ length: 30 }, (_, i) =>
				bodyOf([a, b, c][i % 3] as ClusterGateway, name),
			),
		);
		assert.deepEqual(new Set(seen), new Set(["200 v2"]));
		// A delete on A: B and C answer as for a name never deployed.
		const missing = await bodyOf(b, `never-${randomBytes(3).toString("hex")}`);
		assert.doesNotMatch(missing, /v2/);
		await cp(a.gw, "DELETE", `/functions/${name}`);
		for (const g of [b, c])
			await within(
				1_000,
				`deleted on ${g.url}`,
				async () => (await bodyOf(g, name)) === missing,
			);
	});

	test("a policy change, a disabled key and a deleted user on A are enforced by B and C within 1 s", async () => {
		const name = `iam-${randomBytes(3).toString("hex")}`;
		await deploy(a, name, { auth: "aws_iam" }, handler("ok"));
		const userName = `u-${randomBytes(3).toString("hex")}`;
		const user = await createUser(a.gw, userName);
		const allow = [
			{
				Effect: "Allow",
				Action: "lambda:InvokeFunctionUrl",
				Resource: fnArn(accountId, name),
			},
		];
		await putUserPolicy(a.gw, userName, "invoke", allow);
		const status = async (g: ClusterGateway, keys: Keys) =>
			(await callUrl(g.gw, name, keys)).status;
		for (const g of [b, c])
			await within(
				1_000,
				`allowed on ${g.url}`,
				async () => (await status(g, user.keys)) === 200,
			);
		// Warm every cache on B and C, then take the permission away on A.
		for (const g of [b, c]) assert.equal(await status(g, user.keys), 200);
		await cp(a.gw, "DELETE", `/users/${userName}/policies/invoke`);
		for (const g of [b, c])
			await within(
				1_000,
				`policy removal on ${g.url}`,
				async () => (await status(g, user.keys)) === 403,
			);
		// The permission back, then the key disabled on A.
		await putUserPolicy(a.gw, userName, "invoke", allow);
		for (const g of [b, c])
			await within(
				1_000,
				`policy back on ${g.url}`,
				async () => (await status(g, user.keys)) === 200,
			);
		await cp(a.gw, "POST", `/keys/${user.keys.accessKeyId}/disable`);
		for (const g of [b, c])
			await within(
				1_000,
				`disabled key on ${g.url}`,
				async () => (await status(g, user.keys)) === 403,
			);
		// A second user, deleted on A (IAM first takes its key and policy, as DeleteUser requires).
		const doomedName = `d-${randomBytes(3).toString("hex")}`;
		const doomed = await createUser(a.gw, doomedName);
		await putUserPolicy(a.gw, doomedName, "invoke", allow);
		for (const g of [b, c])
			await within(
				1_000,
				`second user on ${g.url}`,
				async () => (await status(g, doomed.keys)) === 200,
			);
		await cp(a.gw, "DELETE", `/users/${doomedName}/policies/invoke`);
		await cp(a.gw, "DELETE", `/keys/${doomed.keys.accessKeyId}`);
		await cp(a.gw, "DELETE", `/users/${doomedName}`);
		for (const g of [b, c])
			await within(1_000, `deleted user on ${g.url}`, async () => {
				const s = await status(g, doomed.keys);
				return s === 403 || s === 401;
			});
	});

	test("a webhook delivery accepted by A is refused as a replay by B and C", async () => {
		const name = `wh-${randomBytes(3).toString("hex")}`;
		const secret = `whsec_${randomBytes(24).toString("base64")}`;
		await cp(a.gw, "PUT", `/secrets/wh-${name}`, {
			value: Buffer.from(secret).toString("base64"),
		});
		await deploy(
			a,
			name,
			{ auth: "webhook", secrets: [`wh-${name}`] },
			handler("got it"),
		);
		await within(1_000, "webhook function on B and C", async () =>
			(
				await Promise.all(
					[b, c].map(async (g) => (await bodyOf(g, name)).startsWith("401")),
				)
			).every(Boolean),
		);
		const body = JSON.stringify({ event: "ping" });
		const headers = {
			"content-type": "application/json",
			...signStandardWebhook({
				id: `msg_${randomUUID()}`,
				now: Date.now(),
				body,
				secrets: [secret],
			}),
		};
		const send = (g: ClusterGateway) =>
			fetch(`${g.url}/function/${name}/`, {
				method: "POST",
				headers,
				body,
			});
		const first = await send(a);
		assert.equal(first.status, 200, await first.text());
		for (const g of [b, c]) {
			const again = await send(g);
			const text = await again.text();
			assert.equal(again.status, 401, text);
			assert.match(text, /already delivered|replay/i);
		}
		// Sent to all three at once, a fresh delivery is accepted exactly once.
		const fresh = {
			"content-type": "application/json",
			...signStandardWebhook({
				id: `msg_${randomUUID()}`,
				now: Date.now(),
				body,
				secrets: [secret],
			}),
		};
		const answers = await Promise.all(
			[a, b, c, a, b, c].map((g) =>
				fetch(`${g.url}/function/${name}/`, {
					method: "POST",
					headers: fresh,
					body,
				}).then((r) => r.status),
			),
		);
		assert.deepEqual(
			answers.filter((s) => s === 200).length,
			1,
			`statuses ${answers.join(", ")}`,
		);
	});

	test("a trigger secret rotated on A: B and C refuse the old value within 1 s", async () => {
		// Each gateway keeps trigger secrets in memory; the change feed must reach those copies.
		const name = `hm-${randomBytes(3).toString("hex")}`;
		const put = (value: string) =>
			cp(a.gw, "PUT", `/secrets/hm-${name}`, {
				value: Buffer.from(value).toString("base64"),
			});
		await put("before");
		await deploy(
			a,
			name,
			{ auth: "hmac", secrets: [`hm-${name}`] },
			handler("ok"),
		);
		const call = (g: ClusterGateway, key: string) =>
			fetch(`${g.url}/function/${name}/`, {
				method: "POST",
				body: "x",
				headers: {
					Hmac: `sha256=${createHmac("sha256", key).update("x").digest("hex")}`,
				},
			}).then((r) => r.status);
		for (const g of [b, c])
			await within(
				1_000,
				`served on ${g.url}`,
				async () => (await call(g, "before")) === 200,
			);
		await put("after");
		for (const g of [b, c]) {
			await within(
				1_000,
				`old value refused on ${g.url}`,
				async () => (await call(g, "before")) === 401,
			);
			assert.equal(await call(g, "after"), 200);
		}
	});

	test("1,000 async jobs enqueued across the gateways while one is SIGKILLed: each runs, one callback each", async () => {
		const name = `job-${randomBytes(3).toString("hex")}`;
		await deploy(a, name, { auth: "none" }, handler("done", 20));
		await within(1_000, "job function on B and C", async () =>
			(
				await Promise.all(
					[b, c].map(async (g) => (await bodyOf(g, name)) === "200 done"),
				)
			).every(Boolean),
		);
		const receiver = await startReceiver();
		try {
			const accepted = new Set<string>();
			const targets = [a, b, c];
			let killed = false;
			const enqueue = async (i: number) => {
				const g = targets[i % targets.length] as ClusterGateway;
				const res = await fetch(`${g.url}/async-function/${name}/`, {
					method: "POST",
					headers: { "x-callback-url": receiver.url },
					body: `job ${i}`,
				}).catch(() => undefined);
				if (res?.status === 202) {
					accepted.add(res.headers.get("x-call-id") as string);
				} else if (res) await res.text();
			};
			// 1,000 enqueues, 20 at a time; C is killed once a third are in.
			for (let i = 0; i < 1000; i += 20) {
				await Promise.all(Array.from({ length: 20 }, (_, k) => enqueue(i + k)));
				if (!killed && i >= 320) {
					killed = true;
					await c.kill();
					targets.pop();
				}
			}
			assert.ok(accepted.size >= 980, `only ${accepted.size} accepted`);
			// Every accepted job's callback arrives (the killed gateway's after one ack wait, 3 s).
			await within(60_000, "every callback", async () => {
				const ids = new Set(
					receiver.received.map((r) => r.headers["x-call-id"] as string),
				);
				return [...accepted].every((id) => ids.has(id));
			});
			// Give a redelivery the time to produce a second POST, should one be coming.
			await new Promise((r) => setTimeout(r, 4_000));
			const counts = new Map<string, number>();
			for (const r of receiver.received) {
				const id = r.headers["x-call-id"] as string;
				counts.set(id, (counts.get(id) ?? 0) + 1);
			}
			// A redelivered job never POSTs again (the lock and the done mark). What the kill leaves
			// open: a POST the killed gateway had in flight, whose fate it never learnt, is sent
			// again by the rerun — at most one per job it was running (its concurrency, 8); the
			// receiver de-duplicates by X-Call-Id.
			const twice = [...counts].filter(([, n]) => n > 1);
			assert.ok(
				twice.length <= 8 && twice.every(([, n]) => n === 2),
				`callbacks delivered twice: ${JSON.stringify(twice)}`,
			);
			for (const id of counts.keys())
				assert.ok(
					accepted.has(id),
					`a callback for a job never accepted: ${id}`,
				);
		} finally {
			await receiver.close();
			// The cases after this one need a third gateway again.
			if (c.child.signalCode === "SIGKILL") c = await cluster.start();
		}
	});

	test("reserved concurrency holds across the three: of 6 calls at once, 2 run and 4 are throttled (429)", async () => {
		const name = `rc-${randomBytes(3).toString("hex")}`;
		// Each call runs 1.5 s, so all six are in flight together.
		await deploy(a, name, { auth: "none" }, handler("ran", 1_500), {
			reservedConcurrency: 2,
		});
		await within(1_000, "reserved function on B and C", async () =>
			(
				await Promise.all(
					[b, c].map(async (g) => !(await bodyOf(g, name)).includes("Missing")),
				)
			).every(Boolean),
		);
		// Let the warm-up calls above finish and give their slots back.
		await new Promise((r) => setTimeout(r, 1_700));
		const statuses = await Promise.all(
			[a, b, c, a, b, c].map((g) =>
				fetch(`${g.url}/function/${name}/`).then(async (r) => {
					await r.text();
					return r.status;
				}),
			),
		);
		assert.deepEqual(
			[...statuses].sort(),
			[200, 200, 429, 429, 429, 429],
			`statuses ${statuses.join(", ")}`,
		);
		// The slots come back: the next call runs.
		assert.equal((await fetch(`${b.url}/function/${name}/`)).status, 200);
	});

	test("a rate limit holds across the three: of 12 calls in the minute, 5 run and 7 are 429 with Retry-After", async () => {
		const name = `rl-${randomBytes(3).toString("hex")}`;
		await deploy(a, name, { auth: "none" }, handler("ran", 0), {
			rateLimit: { requests: 5, per: "1m" },
		});
		// B and C know it from the shared store (read through their control plane: a call to the
		// function itself would spend the budget).
		for (const g of [b, c]) await cp(g.gw, "GET", `/functions/${name}`);
		const seen = await Promise.all(
			[a, b, c, a, b, c, a, b, c, a, b, c].map((g) =>
				fetch(`${g.url}/function/${name}/`).then(async (r) => {
					await r.text();
					return { status: r.status, retry: r.headers.get("retry-after") };
				}),
			),
		);
		const statuses = seen.map((x) => x.status);
		assert.equal(
			statuses.filter((x) => x === 200).length,
			5,
			`statuses ${statuses.join(", ")}`,
		);
		assert.equal(
			statuses.filter((x) => x === 429).length,
			7,
			`statuses ${statuses.join(", ")}`,
		);
		for (const x of seen.filter((y) => y.status === 429))
			assert.ok(Number(x.retry) >= 1, `Retry-After ${x.retry}`);
	});

	test("a job whose attempts are spent is dead-lettered, and GET /jobs?status=dead (sigil jobs --dead) lists it on any gateway", async () => {
		const name = `dead-${randomBytes(3).toString("hex")}`;
		await deploy(
			a,
			name,
			{ auth: "none" },
			`export const handler = async () => { throw new Error("always fails"); };`,
		);
		const res = await fetch(`${a.url}/async-function/${name}/`, {
			method: "POST",
			body: "x",
		});
		assert.equal(res.status, 202);
		const id = res.headers.get("x-call-id") as string;
		// Three attempts with 50–200 ms backoff, each a NAK with that delay.
		await within(20_000, "the dead letter", async () => {
			const { jobs } = await cp<{ jobs: { id: string }[] }>(
				b.gw,
				"GET",
				`/jobs?status=dead&function=${name}`,
			);
			return jobs.some((j) => j.id === id);
		});
		const { jobs } = await cp<{
			jobs: { id: string; attempts: number; lastError: string }[];
		}>(c.gw, "GET", "/jobs?status=dead");
		const job = jobs.find((j) => j.id === id);
		assert.equal(job?.attempts, 3);
		assert.match(job?.lastError ?? "", /FUNCTION_ERROR/);
	});

	test("/readyz reports each engine: store, queue, cache and change feed", async () => {
		for (const g of [a, b]) {
			const res = await fetch(`${g.url}/readyz`);
			const body = (await res.json()) as {
				checks: { name: string; ok: boolean }[];
			};
			assert.equal(res.status, 200, JSON.stringify(body));
			const names = body.checks.map((c) => c.name);
			for (const n of ["store", "queue", "cache", "feed"])
				assert.ok(names.includes(n), `${n} in ${names.join(", ")}`);
			assert.ok(body.checks.every((c) => c.ok));
		}
	});

	test("a gateway started with another master key refuses to serve, saying why", async () => {
		await assert.rejects(
			cluster.start({
				env: { SIGIL_MASTER_KEY: randomBytes(32).toString("base64") },
			}),
			/different master key/,
		);
		// The root key still works on the three (nothing was changed by the refused start).
		assert.equal(
			(
				await cp<{ Account: string }>(
					a.gw,
					"GET",
					"/whoami",
					undefined,
					ROOT_KEY,
				)
			).Account,
			accountId,
		);
	});
});
