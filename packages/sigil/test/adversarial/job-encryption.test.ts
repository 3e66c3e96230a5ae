// Attack class: async job rows keep request headers unencrypted (issue 8). A queued OpenFaaS
// call carries what the caller sent — an `Hmac` signature, the body, a callback URL whose query
// may hold a token — and someone who copies the data directory (a backup, a stolen disk) must
// not read them without the master key. The job must still run from the sealed row, also after
// a restart.
import assert from "node:assert/strict";
import { createHmac, randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { after, test } from "node:test";
import { isStoreError } from "../../src/store/errors.ts";
import { openSqliteStore } from "../../src/store/sqlite/open.ts";
import { type AsyncTestGateway, startAsyncGateway } from "../async-helpers.ts";

// Echoes what it was given, so the test sees that the sealed request reached the function whole.
const ECHO = `
export const handler = async (event) => ({
	statusCode: 200,
	headers: { "content-type": "application/json" },
	body: JSON.stringify({ body: event.body, hmac: event.headers.hmac ?? null }),
});`;

const dirs: string[] = [];
after(() =>
	Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))),
);

/** Every byte SQLite holds for the data directory: the database and its write-ahead log. */
async function databaseBytes(dataDir: string): Promise<Buffer> {
	const parts: Buffer[] = [];
	for (const name of ["sigil.db", "sigil.db-wal"]) {
		try {
			parts.push(await readFile(join(dataDir, name)));
		} catch (err) {
			if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
		}
	}
	return Buffer.concat(parts);
}

function contains(haystack: Buffer, needle: string): boolean {
	return (
		haystack.includes(Buffer.from(needle, "utf8")) ||
		haystack.includes(Buffer.from(needle, "utf16le"))
	);
}

test("a queued job's Hmac header and body are not in the database file, and the job still runs", async () => {
	const dataDir = await mkdtemp(join(tmpdir(), "sigil-job-enc-"));
	dirs.push(dataDir);
	const body = `body-${randomBytes(16).toString("hex")}`;
	const signature = `sha256=${createHmac("sha256", "hook-secret").update(body).digest("hex")}`;

	// 1. Enqueue while nothing drains the queue: the row sits on disk exactly as it was accepted.
	let gw: AsyncTestGateway = await startAsyncGateway({
		dataDir,
		async: { paused: true },
	});
	let id: string;
	try {
		await gw.putSecret("hook", "hook-secret");
		await gw.deploy(
			"guarded",
			{ runtime: "node", trigger: { auth: "hmac", secrets: ["hook"] } },
			{ "index.mjs": ECHO },
		);
		const res = await fetch(`${gw.url}/async-function/guarded`, {
			method: "POST",
			body,
			headers: { hmac: signature },
		});
		assert.equal(res.status, 202, await res.text());
		id = res.headers.get("x-call-id") as string;
		const bytes = await databaseBytes(dataDir);
		assert.ok(bytes.length > 0);
		assert.equal(contains(bytes, signature), false, "Hmac header at rest");
		assert.equal(
			contains(bytes, signature.slice(7)),
			false,
			"Hmac hex at rest",
		);
		assert.equal(contains(bytes, body), false, "body at rest");
	} finally {
		await gw.stop();
	}

	// 2. Restart with the worker running: it opens the sealed row and replays the request.
	gw = await startAsyncGateway({ dataDir });
	try {
		const job = await gw.waitForJob(id, ["succeeded", "failed", "dead"]);
		assert.equal(job.status, "succeeded", JSON.stringify(job));
		assert.equal(Buffer.from(job.payload ?? "", "base64").toString(), body);
		const stored = JSON.parse(
			Buffer.from(job.result ?? "", "base64").toString(),
		) as { body: string };
		assert.deepEqual(
			JSON.parse(Buffer.from(stored.body, "base64").toString()),
			{
				body,
				hmac: signature,
			},
		);
	} finally {
		await gw.stop();
	}
	// The function's answer repeats both: the stored result is sealed too.
	const bytes = await databaseBytes(dataDir);
	assert.equal(contains(bytes, signature), false, "Hmac header in the result");
	assert.equal(contains(bytes, body), false, "body in the result");
});

test("a row an older Sigil wrote in plaintext still reads, and is sealed when the store opens", async () => {
	const dir = await mkdtemp(join(tmpdir(), "sigil-job-legacy-"));
	dirs.push(dir);
	const masterKey = randomBytes(32);
	let store = await openSqliteStore({ dataDir: dir, masterKey });
	const { accountId } = await store.accounts.create({ name: "root" });
	await store.close();
	// What schema 1–2 wrote (the upgrade's new `sealed` column reads 0 for it).
	const body = `legacy-body-${randomBytes(8).toString("hex")}`;
	const token = `legacy-hmac-${randomBytes(8).toString("hex")}`;
	const raw = new DatabaseSync(join(dir, "sigil.db"));
	raw
		.prepare(
			`INSERT INTO jobs (id, account_id, function_name, payload, headers, status, max_attempts, next_attempt_at, callback_url, created_at, updated_at, sealed)
			 VALUES ('old', ?, 'f', ?, ?, 'queued', 3, 0, 'https://cb.example/x?k=1', 0, 0, 0)`,
		)
		.run(accountId, Buffer.from(body), JSON.stringify({ hmac: token }));
	raw.close();

	store = await openSqliteStore({ dataDir: dir, masterKey });
	try {
		const job = await store.jobs.get("old");
		assert.deepEqual(
			[job?.payload.toString(), job?.headers, job?.callbackUrl],
			[body, { hmac: token }, "https://cb.example/x?k=1"],
		);
		const check = new DatabaseSync(join(dir, "sigil.db"), { readOnly: true });
		const row = check
			.prepare(
				"SELECT payload, headers, callback_url, sealed FROM jobs WHERE id = 'old'",
			)
			.get() as {
			payload: Uint8Array;
			headers: string;
			callback_url: string;
			sealed: number;
		};
		check.close();
		assert.equal(row.sealed, 1);
		assert.equal(Buffer.from(row.payload).includes(body), false);
		assert.equal(row.headers.includes(token), false);
		assert.equal(row.callback_url.includes("cb.example"), false);
		// And it runs like any other job.
		const [claimed] = await store.jobs.claim(1, 1, 1000);
		assert.equal(claimed?.payload.toString(), body);
		await store.jobs.complete(
			"old",
			claimed?.leaseToken as string,
			Buffer.from("ok"),
			2,
		);
		assert.equal((await store.jobs.get("old"))?.result?.toString(), "ok");
	} finally {
		await store.close();
	}
});

test("a sealed value moved to another job does not open there, and that job fails instead of blocking the queue", async () => {
	const dir = await mkdtemp(join(tmpdir(), "sigil-job-moved-"));
	dirs.push(dir);
	const masterKey = randomBytes(32);
	let store = await openSqliteStore({ dataDir: dir, masterKey });
	const { accountId } = await store.accounts.create({ name: "root" });
	for (const id of ["victim", "mine", "bystander"])
		await store.jobs.enqueue({
			id,
			accountId,
			functionName: "f",
			payload: Buffer.from(`payload of ${id}`),
			headers: { who: id },
			notBefore: 0,
		});
	await store.close();
	// Someone with write access to the file copies the victim's sealed payload into their own row.
	const raw = new DatabaseSync(join(dir, "sigil.db"));
	raw.exec(
		"UPDATE jobs SET payload = (SELECT payload FROM jobs WHERE id = 'victim') WHERE id = 'mine'",
	);
	raw.close();
	store = await openSqliteStore({ dataDir: dir, masterKey });
	try {
		await assert.rejects(store.jobs.get("mine"), (err: unknown) =>
			isStoreError(err, "STORE_DECRYPT_FAILED"),
		);
		const claimed = await store.jobs.claim(1, 10, 1000);
		assert.deepEqual(
			claimed.map((j) => j.id),
			["victim", "bystander"],
			"the other jobs still run",
		);
		const listed = await store.jobs.list({ accountId, status: "failed" });
		assert.deepEqual(
			listed.map((j) => j.id),
			["mine"],
		);
		assert.match(
			listed[0]?.lastError ?? "",
			/cannot be read.*failed authentication/,
		);
	} finally {
		await store.close();
	}
});
