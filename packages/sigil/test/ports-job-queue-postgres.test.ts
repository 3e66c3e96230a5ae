// The JobQueue port's contract on the store adapter (StoreJobQueue) over the PostgreSQL store:
// the same queue semantics whichever store holds the jobs. Each harness gets a fresh schema.
import { randomBytes } from "node:crypto";
import { after, describe } from "node:test";
import { StoreJobQueue } from "../src/adapters/store/store-job-queue.ts";
import { openPostgresStore } from "../src/store/postgres/open.ts";
import { dropSchema, freshSchema, PG_URL, pgSkip } from "./pg-harness.ts";
import {
	type MakeJobQueue,
	runJobQueueContract,
} from "./ports-job-queue-contract.ts";

const skip = await pgSkip();
const schemas: string[] = [];
after(async () => {
	await Promise.all(schemas.map((s) => dropSchema(s).catch(() => {})));
});

const makePostgresStoreQueue: MakeJobQueue = async (settings) => {
	const schema = freshSchema();
	schemas.push(schema);
	const store = await openPostgresStore({
		connectionString: PG_URL,
		masterKey: randomBytes(32),
		schema,
	});
	return {
		open: async () =>
			new StoreJobQueue(store.jobs, {
				leaseMs: settings.leaseMs,
				maxAttempts: settings.maxAttempts,
				pollMs: 25,
			}),
		// A dead gateway simply stops talking to the store; its leases run out there.
		crash: async (q) => {
			await q.close();
		},
		cleanup: () => store.close(),
	};
};

if (skip) describe("JobQueue contract: store (postgres)", { skip }, () => {});
else runJobQueueContract("store (postgres)", makePostgresStoreQueue);
