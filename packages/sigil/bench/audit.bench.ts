// What one audit record costs the gateway's event loop in the SQLite store: append, the
// write-behind batch insert, and the retention prune it makes due — at the default retention
// (10,000 per account), after the account is full, so every record also deletes one.
//
//   npm run bench:audit
//   BENCH_RECORDS (30,000 measured), BENCH_BEFORE=DIR also measures the store of another
//   checkout in the same run (e.g. `git archive COMMIT | tar -x -C DIR`, DIR/node_modules
//   linking to this one's), alternating, 2 rounds each.
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const records = Number(process.env.BENCH_RECORDS ?? 30_000);
const FILL = 12_000; // past the retention: from here every flush prunes

async function measure(tree: string | undefined): Promise<number> {
	const { openSqliteStore } = (await import(
		tree
			? pathToFileURL(join(tree, "packages/sigil/src/store/sqlite/open.ts"))
					.href
			: "../src/store/sqlite/open.ts"
	)) as typeof import("../src/store/sqlite/open.ts");
	const dataDir = await mkdtemp(join(tmpdir(), "sigil-bench-audit-"));
	const store = await openSqliteStore({ dataDir, masterKey: randomBytes(32) });
	try {
		const accountId = (await store.accounts.create({ name: "a" })).accountId;
		const append = (i: number) =>
			store.audit.append({
				requestId: `r${i}`,
				time: Date.now(),
				accountId,
				functionName: "f",
				principalArn: null,
				accessKeyId: null,
				scheme: "aws_iam",
				outcome: "OK",
				httpStatus: 200,
				durationMs: 1,
				detail: { authorization: { decision: "allow" } },
				logs: "",
			});
		let i = 0;
		// Flushed every 100, as the write-behind does under load (it flushes at 200 or 20 ms).
		for (; i < FILL; i++) {
			await append(i);
			if (i % 100 === 99) await store.audit.flush();
		}
		const t0 = performance.now();
		for (const end = i + records; i < end; i++) {
			await append(i);
			if (i % 100 === 99) await store.audit.flush();
		}
		const us = ((performance.now() - t0) * 1000) / records;
		const { records: kept } = await store.audit.query({ accountId, limit: 1 });
		if (kept.length !== 1) throw new Error("the account kept no record");
		return us;
	} finally {
		await store.close();
		await rm(dataDir, { recursive: true, force: true });
	}
}

const before = process.env.BENCH_BEFORE;
console.log(
	`audit benchmark: ${records.toLocaleString("en")} records at the default retention, node ${process.version}`,
);
for (let round = 1; round <= (before ? 2 : 1); round++) {
	console.log(
		`  this checkout   ${(await measure(undefined)).toFixed(2)} µs per record (append, batch insert, prune)`,
	);
	if (before)
		console.log(
			`  ${before.padEnd(15)} ${(await measure(before)).toFixed(2)} µs per record`,
		);
}
