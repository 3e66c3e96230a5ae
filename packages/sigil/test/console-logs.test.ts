// The auth log's console filters (key, outcome) on both store adapters, and through the
// gateway: GET /sigil/v1/logs?function=…&key=…&outcome=…, unknown parameters refused.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { openPostgresStore } from "../src/store/postgres/open.ts";
import { openSqliteStore } from "../src/store/sqlite/open.ts";
import type { AuditQuery, Store } from "../src/store/store.ts";
import type { AuditInput } from "../src/store/types.ts";
import { run } from "./cli-helpers.ts";
import {
	ROOT_KEY,
	startTestGateway,
	type TestGateway,
} from "./helpers/gateway.ts";
import { cp, OK_HANDLER } from "./helpers/iam.ts";
import { send, signRequest } from "./helpers/pasted-request.ts";
import { dropSchema, freshSchema, PG_URL, pgSkip } from "./pg-harness.ts";

const ACCOUNT = "111122223333";
const KEY_A = "AKIAAAAAAAAAAAAAAAAA";
const KEY_B = "AKIABBBBBBBBBBBBBBBB";

function record(
	i: number,
	accessKeyId: string | null,
	outcome: string,
	functionName: string | null,
): AuditInput {
	return {
		requestId: `req-${i}`,
		time: 1_700_000_000_000 + i,
		accountId: ACCOUNT,
		functionName,
		principalArn: null,
		accessKeyId,
		scheme: "sigv4",
		outcome,
		httpStatus: outcome === "OK" ? 200 : 403,
		durationMs: i,
		detail: null,
		logs: "",
	};
}

const RECORDS = [
	record(1, KEY_A, "OK", "alpha"),
	record(2, KEY_A, "SIGNATURE_MISMATCH", "alpha"),
	record(3, KEY_B, "OK", "beta"),
	record(4, KEY_B, "ACCESS_DENIED", "alpha"),
	record(5, null, "OK", "beta"),
	record(6, KEY_A, "SCOPE_REGION", null),
];

const ids = async (store: Store, q: Omit<AuditQuery, "accountId">) =>
	(await store.audit.query({ accountId: ACCOUNT, ...q })).records.map(
		(r) => r.requestId,
	);

function filterCases(
	open: () => Promise<{ store: Store; close(): Promise<void> }>,
) {
	let h: { store: Store; close(): Promise<void> };
	before(async () => {
		h = await open();
		for (const r of RECORDS) await h.store.audit.append(r);
		await h.store.audit.flush();
	});
	after(() => h.close());
	test("by access key", async () => {
		assert.deepEqual(await ids(h.store, { accessKeyId: KEY_A }), [
			"req-1",
			"req-2",
			"req-6",
		]);
	});
	test("by outcome: exactly a code, or anything but OK", async () => {
		assert.deepEqual(await ids(h.store, { outcome: { is: "OK" } }), [
			"req-1",
			"req-3",
			"req-5",
		]);
		assert.deepEqual(await ids(h.store, { outcome: { isNot: "OK" } }), [
			"req-2",
			"req-4",
			"req-6",
		]);
		assert.deepEqual(await ids(h.store, { outcome: { is: "ACCESS_DENIED" } }), [
			"req-4",
		]);
	});
	test("combined with the function, and the limit counts matching records only", async () => {
		assert.deepEqual(
			await ids(h.store, { functionName: "alpha", outcome: { isNot: "OK" } }),
			["req-2", "req-4"],
		);
		assert.deepEqual(await ids(h.store, { accessKeyId: KEY_A, limit: 1 }), [
			"req-6",
		]);
		assert.deepEqual(
			await ids(h.store, { accessKeyId: KEY_A, after: 1 }).then(
				(x) => x.length,
			),
			2,
		);
	});
}

describe("audit filters: SQLite", () => {
	filterCases(async () => {
		const dir = await mkdtemp(join(tmpdir(), "sigil-logs-"));
		const store = await openSqliteStore({
			dataDir: dir,
			masterKey: randomBytes(32),
		});
		return {
			store,
			async close() {
				await store.close();
				await rm(dir, { recursive: true, force: true });
			},
		};
	});
});

const skip = await pgSkip();
describe("audit filters: PostgreSQL", { skip }, () => {
	filterCases(async () => {
		const schema = freshSchema();
		const store = await openPostgresStore({
			connectionString: PG_URL,
			masterKey: randomBytes(32),
			schema,
		});
		return {
			store,
			async close() {
				await store.close();
				await dropSchema(schema);
			},
		};
	});
});

describe("GET /sigil/v1/logs filters through the gateway", () => {
	let gw: TestGateway;
	before(async () => {
		gw = await startTestGateway();
		await gw.deploy(
			"filtered",
			{ runtime: "node", trigger: { auth: "aws_iam" } },
			{ "index.mjs": OK_HANDLER },
		);
		// One allowed invocation, one refused (the Host signed without its port).
		const ok = await signRequest(gw.url, {
			path: "/function/filtered/",
			service: "lambda",
		});
		assert.equal(await send(ok), 200);
		const bad = await signRequest(gw.url, {
			path: "/function/filtered/",
			service: "lambda",
			signedHost: "127.0.0.1",
		});
		assert.equal(await send(bad), 403);
		await gw.gateway.store.audit.flush();
	});
	after(() => gw?.stop());

	type Page = {
		records: {
			function: string;
			outcome: string;
			accessKeyId: string;
			status: number;
			durationMs: number;
		}[];
	};

	test("function + outcome=failed: the refused request only, with its key", async () => {
		const { records } = await cp<Page>(
			gw,
			"GET",
			"/logs?function=filtered&outcome=failed",
		);
		assert.deepEqual(
			records.map((r) => [r.function, r.outcome, r.accessKeyId]),
			[["filtered", "SIGNATURE_MISMATCH", ROOT_KEY.accessKeyId]],
		);
	});

	test("function + outcome=ok: the invocation, with status and duration", async () => {
		const { records } = await cp<Page>(
			gw,
			"GET",
			"/logs?function=filtered&outcome=ok",
		);
		assert.equal(records.length, 1);
		assert.equal(records[0]?.status, 200);
		assert.equal(typeof records[0]?.durationMs, "number");
	});

	test("key: only that key's records", async () => {
		const { records } = await cp<Page>(
			gw,
			"GET",
			`/logs?key=${ROOT_KEY.accessKeyId}&outcome=SIGNATURE_MISMATCH`,
		);
		assert.ok(records.length >= 1);
		assert.ok(
			records.every(
				(r) =>
					r.accessKeyId === ROOT_KEY.accessKeyId &&
					r.outcome === "SIGNATURE_MISMATCH",
			),
		);
		const none = await cp<Page>(gw, "GET", "/logs?key=AKIAZZZZZZZZZZZZZZZZ");
		assert.deepEqual(none.records, []);
	});

	test("sigil logs NAME --outcome failed --key AKID --json: the same filter from the CLI", async () => {
		const r = await run(
			[
				"logs",
				"filtered",
				"--outcome",
				"failed",
				"--key",
				ROOT_KEY.accessKeyId,
				"--json",
				"--gateway",
				gw.url,
			],
			{
				env: {
					SIGIL_ACCESS_KEY_ID: ROOT_KEY.accessKeyId,
					SIGIL_SECRET_ACCESS_KEY: ROOT_KEY.secretAccessKey,
					SIGIL_CONFIG_DIR: "/nonexistent-sigil",
				},
			},
		);
		assert.equal(r.code, 0, r.stderr);
		const lines = r.stdout
			.trim()
			.split("\n")
			.map((l) => JSON.parse(l) as { outcome: string; function: string });
		assert.deepEqual(
			lines.map((l) => [l.function, l.outcome]),
			[["filtered", "SIGNATURE_MISMATCH"]],
		);
	});

	for (const bad of [
		"/logs?fn=filtered",
		"/logs?key=not-a-key",
		"/logs?outcome=lower",
		"/logs?key=AKIAZZZZZZZZZZZZZZZZ&key=AKIAYYYYYYYYYYYYYYYY",
	])
		test(`${bad} is refused with 400, not answered unfiltered`, async () => {
			await assert.rejects(cp(gw, "GET", bad), /→ 400 .*BAD_REQUEST/);
		});
});
