// How execution-role credentials are renewed (runtime/role-credentials.ts): warm instances are
// recycled before what they were started with expires, never refreshed in place; an invocation
// already running on an instance that reaches its age finishes there; per-invocation
// environments reuse a set only while it outlives the invocation. Then the same through a real
// sandboxed gateway with short sessions: a warm instance never holds expired credentials.
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { createNodeRuntime } from "../src/runtime/node-runtime.ts";
import {
	type InstanceCredentials,
	instanceMaxAgeMs,
	renewalMarginMs,
	reusedCredentials,
} from "../src/runtime/role-credentials.ts";
import { startRoleGateway } from "./helpers/role-gateway.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Credentials that say which set they are: key `K1`, `K2`, … in issue order. */
function countingCredentials(lifetimeMs: number): InstanceCredentials & {
	issued: number;
} {
	const c = {
		issued: 0,
		lifetimeMs,
		issue() {
			c.issued++;
			return { AWS_ACCESS_KEY_ID: `K${c.issued}` };
		},
	};
	return c;
}

describe("the renewal rule", () => {
	test("max age = lifetime − timeout − margin (a tenth, at most a minute)", () => {
		assert.equal(renewalMarginMs(3_600_000), 60_000);
		assert.equal(instanceMaxAgeMs(3_600_000, 900_000), 2_640_000);
		assert.equal(instanceMaxAgeMs(2_000, 500), 1_300);
	});

	test("a session that cannot cover one timeout is refused, never used", () => {
		assert.throws(() => instanceMaxAgeMs(1_000, 1_000), TypeError);
		assert.throws(() => instanceMaxAgeMs(60_000, 60_000), TypeError);
	});

	test("reusedCredentials: one set while young enough, a new one after; none without a source", () => {
		let now = 0;
		const c = countingCredentials(10_000);
		const current = reusedCredentials(c, 2_000, () => now);
		// max age 10,000 − 2,000 − 1,000 = 7,000 ms
		assert.equal(current().AWS_ACCESS_KEY_ID, "K1");
		now = 6_999;
		assert.equal(current().AWS_ACCESS_KEY_ID, "K1");
		now = 7_000;
		assert.equal(current().AWS_ACCESS_KEY_ID, "K2");
		assert.equal(c.issued, 2);
		assert.deepEqual(reusedCredentials(undefined, 1_000)(), {});
	});
});

describe("warm node instances are recycled at their credentials' age", () => {
	let dir: string;
	before(async () => {
		dir = await mkdtemp(join(tmpdir(), "sigil-renewal-"));
		await writeFile(
			join(dir, "index.mjs"),
			"export const handler = async (e) => { if (e.sleepMs) await new Promise((r) => setTimeout(r, e.sleepMs)); return { key: process.env.AWS_ACCESS_KEY_ID ?? null }; };",
		);
	});
	after(() => rm(dir, { recursive: true, force: true }));

	const invoke = async (
		rt: ReturnType<typeof createNodeRuntime>,
		payload: unknown = {},
	) => {
		const r = await rt.invokeEvent({
			requestId: crypto.randomUUID(),
			functionName: "renew",
			payload: Buffer.from(JSON.stringify(payload)),
		});
		return (JSON.parse(r.payload.toString()) as { key: string | null }).key;
	};

	test("each instance starts with its own set; past its age the next invocation gets a new instance", async () => {
		// lifetime 1,500, timeout 500 → an instance takes invocations for 850 ms.
		const credentials = countingCredentials(1_500);
		const rt = createNodeRuntime({
			name: "renew",
			codeDir: dir,
			handler: "index.handler",
			env: {},
			timeoutMs: 500,
			memoryMb: 64,
			maxInstances: 1,
			credentials,
		});
		try {
			assert.equal(await invoke(rt), "K1");
			assert.equal(await invoke(rt), "K1");
			await sleep(900);
			assert.equal(await invoke(rt), "K2");
			assert.equal(rt.stats().started, 2);
		} finally {
			await rt.close(0);
		}
	});

	test("an invocation running when its instance comes of age finishes there; the one after does not", async () => {
		const credentials = countingCredentials(1_500);
		const rt = createNodeRuntime({
			name: "renew",
			codeDir: dir,
			handler: "index.handler",
			env: {},
			timeoutMs: 500,
			memoryMb: 64,
			maxInstances: 1,
			credentials,
		});
		try {
			assert.equal(await invoke(rt), "K1");
			await sleep(600);
			// Starts at ~600 ms, still running at the 850 ms age: it must end normally.
			const long = invoke(rt, { sleepMs: 400 });
			await sleep(300);
			// Queued behind it (one instance at most): served by the next instance.
			const next = invoke(rt);
			assert.equal(await long, "K1");
			assert.equal(await next, "K2");
		} finally {
			await rt.close(0);
		}
	});

	test("without credentials nothing is recycled by age", async () => {
		const rt = createNodeRuntime({
			name: "renew",
			codeDir: dir,
			handler: "index.handler",
			env: {},
			timeoutMs: 500,
			memoryMb: 64,
			maxInstances: 1,
		});
		try {
			assert.equal(await invoke(rt), null);
			await sleep(300);
			assert.equal(await invoke(rt), null);
			assert.equal(rt.stats().started, 1);
		} finally {
			await rt.close(0);
		}
	});
});

describe("through a sandboxed gateway with short sessions", () => {
	test("a warm instance is replaced before its session expires, and the new session works", async () => {
		// 5 s sessions, 1 s timeout: an instance takes invocations for 3.5 s.
		const gw = await startRoleGateway({ executionRoleSessionMs: 5_000 });
		try {
			const role = await gw.createRole("short");
			const deployed = await gw.deploy(
				"short-fn",
				{ runtime: "node", role, timeout: 1 },
				{
					"index.mjs":
						"export const handler = async () => ({ id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY, token: process.env.AWS_SESSION_TOKEN, started: globalThis.__started ??= Date.now() });",
				},
			);
			assert.equal(deployed.status, 201, await deployed.text());
			const whoami = (c: { id: string; secret: string; token: string }) =>
				gw.signed("POST", "/", {
					service: "sts",
					credentials: {
						accessKeyId: c.id,
						secretAccessKey: c.secret,
						sessionToken: c.token,
					},
					body: "Action=GetCallerIdentity&Version=2011-06-15",
					headers: { "content-type": "application/x-www-form-urlencoded" },
				});
			type Held = {
				id: string;
				secret: string;
				token: string;
				started: number;
			};
			const first = (await gw.invoke("short-fn", {})).body as Held;
			const again = (await gw.invoke("short-fn", {})).body as Held;
			assert.equal(again.id, first.id, "same warm instance, same session");
			await sleep(3_700);
			const later = (await gw.invoke("short-fn", {})).body as Held;
			assert.notEqual(later.id, first.id);
			// Another instance (its module state began afresh), not a refreshed one.
			assert.notEqual(later.started, first.started);
			const ok = await whoami(later);
			assert.equal(ok.status, 200, await ok.text());
			// The first session still has ~1.3 s: it expires on its own, no instance holds it.
			await sleep(1_500);
			const expired = await whoami(first);
			assert.equal(expired.status, 403);
			assert.match(await expired.text(), /ExpiredToken/);
		} finally {
			await gw.stop();
		}
	});
});
