// The SQLite audit log's retention (count, age, bytes per account) keeps exactly what the rules
// say, whatever the order of appends, clocks and prunes. Since the prune skips a bound that
// cannot bite (bench: ~60 µs per request went to scanning every kept record twice), this
// property holds it to the rules as the DELETE statements state them, modelled here in JS.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import fc from "fast-check";
import { openSqliteStore } from "../src/store/sqlite/open.ts";
import { plainAuditRecord } from "./helpers/audit.ts";

const RETENTION = 6;
const KEY = randomBytes(32);
const MAX_AGE_MS = 1_000;
const MAX_BYTES = 60;

type Op =
	| { kind: "append"; account: number; age: number; logs: string }
	| { kind: "tick"; ms: number }
	| { kind: "prune" };

interface ModelRecord {
	readonly seq: number;
	readonly account: number;
	readonly time: number;
	readonly bytes: number;
	readonly requestId: string;
}

/** One prune as the three DELETE statements define it, on one account's records (oldest first). */
function pruneModel(records: ModelRecord[], now: number): ModelRecord[] {
	// 1. the newest RETENTION records
	let kept = records.slice(-RETENTION);
	// 2. none older than the age bound
	kept = kept.filter((r) => r.time >= now - MAX_AGE_MS);
	// 3. newest first, the running total of bytes; the record crossing the bound and all older go
	let total = 0;
	let from = 0;
	for (let i = kept.length - 1; i >= 0; i--) {
		total += (kept[i] as ModelRecord).bytes;
		if (total > MAX_BYTES) {
			from = i + 1;
			break;
		}
	}
	return kept.slice(from);
}

const logsText = fc.string({
	unit: fc.constantFrom("a", "é", "€", "😀", "\n"),
	maxLength: 12,
});
const op: fc.Arbitrary<Op> = fc.oneof(
	{
		weight: 6,
		arbitrary: fc.record({
			kind: fc.constant("append" as const),
			account: fc.integer({ min: 0, max: 1 }),
			// Times before the clock too (a long invocation is recorded after younger ones).
			age: fc.integer({ min: -50, max: 2 * MAX_AGE_MS }),
			logs: logsText,
		}),
	},
	{
		weight: 2,
		arbitrary: fc.record({
			kind: fc.constant("tick" as const),
			ms: fc.integer({ min: 0, max: 700 }),
		}),
	},
	{ weight: 2, arbitrary: fc.constant({ kind: "prune" as const }) },
);

async function appendAt(
	store: Awaited<ReturnType<typeof openSqliteStore>>,
	accountId: string,
	requestId: string,
	time: number,
	logs = "",
) {
	await store.audit.append(
		plainAuditRecord({ accountId, requestId, time, logs }),
	);
}

describe("SQLite audit retention", () => {
	it("a second process's deletes on the same data directory never make this one delete what the rules keep", async () => {
		const dataDir = await mkdtemp(join(tmpdir(), "sigil-audit-two-"));
		let now = 1_000_000;
		const open = () =>
			openSqliteStore({
				dataDir,
				masterKey: KEY,
				auditRetention: RETENTION,
				auditMaxAgeMs: MAX_AGE_MS,
				now: () => now,
			});
		const a = await open();
		const b = await open();
		try {
			const accountId = (await a.accounts.create({ name: "a" })).accountId;
			for (let i = 0; i < RETENTION; i++)
				await appendAt(a, accountId, `old${i}`, now);
			await a.audit.prune(); // A now knows: 6 kept
			now += 2 * MAX_AGE_MS;
			await b.audit.prune(); // B deletes all 6 by age
			for (let i = 0; i < RETENTION; i++)
				await appendAt(a, accountId, `new${i}`, now);
			await a.audit.prune(); // A must not take its count of 12 for the truth
			const { records } = await a.audit.query({ accountId, limit: 100 });
			assert.deepEqual(
				records.map((r) => r.requestId),
				Array.from({ length: RETENTION }, (_, i) => `new${i}`),
			);
		} finally {
			await a.close();
			await b.close();
			await rm(dataDir, { recursive: true, force: true });
		}
	});

	it("keeps what the count, age and byte rules keep, after any appends, clocks and prunes", async () => {
		await fc.assert(
			fc.asyncProperty(fc.array(op, { maxLength: 60 }), async (ops) => {
				const dataDir = await mkdtemp(join(tmpdir(), "sigil-audit-prop-"));
				let now = 1_000_000;
				const store = await openSqliteStore({
					dataDir,
					masterKey: randomBytes(32),
					auditRetention: RETENTION,
					auditMaxAgeMs: MAX_AGE_MS,
					auditMaxBytes: MAX_BYTES,
					now: () => now,
				});
				try {
					const accounts = [
						(await store.accounts.create({ name: "a" })).accountId,
						(await store.accounts.create({ name: "b" })).accountId,
					];
					let model: ModelRecord[] = [];
					let seq = 0;
					const check = async () => {
						for (const [i, accountId] of accounts.entries()) {
							const { records } = await store.audit.query({
								accountId,
								limit: 1000,
							});
							assert.deepEqual(
								records.map((r) => r.requestId),
								model.filter((r) => r.account === i).map((r) => r.requestId),
							);
						}
					};
					for (const o of ops) {
						if (o.kind === "tick") now += o.ms;
						else if (o.kind === "append") {
							const requestId = `r${seq}`;
							await appendAt(
								store,
								accounts[o.account] as string,
								requestId,
								now - o.age,
								o.logs,
							);
							model.push({
								seq: seq++,
								account: o.account,
								time: now - o.age,
								// detail null is stored as the 4 bytes "null"
								bytes: Buffer.byteLength(o.logs) + 4,
								requestId,
							});
						} else {
							await store.audit.prune();
							model = [0, 1].flatMap((a) =>
								pruneModel(
									model.filter((r) => r.account === a),
									now,
								),
							);
							model.sort((x, y) => x.seq - y.seq);
							await check();
						}
					}
					await store.audit.prune();
					model = [0, 1]
						.flatMap((a) =>
							pruneModel(
								model.filter((r) => r.account === a),
								now,
							),
						)
						.sort((x, y) => x.seq - y.seq);
					await check();
				} finally {
					await store.close();
					await rm(dataDir, { recursive: true, force: true });
				}
			}),
			{ numRuns: 150 },
		);
	});
});
