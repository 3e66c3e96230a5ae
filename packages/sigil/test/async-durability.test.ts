// The queue survives its gateway: a job accepted (202) by a gateway that never ran it runs after
// a clean restart on the same data directory, and a job whose gateway is killed with SIGKILL in
// the middle of running it runs again once its lease expires (at-least-once).
import assert from "node:assert/strict";
import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { spawnAsyncGateway, startAsyncGateway } from "./async-helpers.ts";
import { signedFetch } from "./helpers/gateway.ts";

const SLOW = `export const handler = async (e) => { await new Promise((r) => setTimeout(r, e.ms ?? 0)); return { done: e.n }; };`;

const dirs: string[] = [];
async function freshDir(): Promise<string> {
	const dir = await mkdtemp(join(tmpdir(), "sigil-durable-"));
	dirs.push(dir);
	return dir;
}
after(() =>
	Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))),
);

test("jobs accepted by a gateway whose worker never ran them run after a restart", async () => {
	const dataDir = await freshDir();
	const first = await startAsyncGateway({ dataDir, async: { paused: true } });
	await first.deploy("slow", { runtime: "node" }, { "index.mjs": SLOW });
	const ids: string[] = [];
	for (let n = 0; n < 3; n++) {
		const res = await first.signed(
			"POST",
			"/2015-03-31/functions/slow/invocations",
			{
				service: "lambda",
				body: JSON.stringify({ n }),
				headers: { "x-amz-invocation-type": "Event" },
			},
		);
		assert.equal(res.status, 202);
		ids.push(res.headers.get("x-amzn-requestid") as string);
	}
	await first.stop();

	const second = await startAsyncGateway({ dataDir });
	try {
		for (const [n, id] of ids.entries()) {
			const job = await second.waitForJob(id, ["succeeded"]);
			assert.equal(job.attempts, 1);
			assert.deepEqual(
				JSON.parse(Buffer.from(job.result ?? "", "base64").toString()),
				{ done: n },
			);
		}
	} finally {
		await second.stop();
	}
});

test("kill -9 of the gateway mid-job: the job runs again after restart, once its lease ends", async () => {
	const dataDir = await freshDir();
	const leaseMs = 2_500;
	const { child, url } = await spawnAsyncGateway(dataDir, {
		pollMs: 50,
		leaseMs,
	});
	let jobId: string;
	try {
		const deploy = await signedFetch(url, "PUT", "/sigil/v1/functions/slow", {
			body: JSON.stringify({
				config: { runtime: "node", timeout: "2s" },
				code: {
					files: [
						{
							path: "index.mjs",
							mode: 420,
							data: Buffer.from(SLOW).toString("base64"),
						},
					],
				},
			}),
			headers: { "content-type": "application/json" },
		});
		assert.equal(deploy.status, 201, await deploy.text());
		const res = await signedFetch(
			url,
			"POST",
			"/2015-03-31/functions/slow/invocations",
			{
				service: "lambda",
				body: JSON.stringify({ n: 42, ms: 1500 }),
				headers: { "x-amz-invocation-type": "Event" },
			},
		);
		assert.equal(res.status, 202);
		jobId = res.headers.get("x-amzn-requestid") as string;
		// Wait until the worker has claimed it (running), then kill the whole process.
		const deadline = Date.now() + 5_000;
		for (;;) {
			const j = await signedFetch(url, "GET", `/sigil/v1/jobs/${jobId}`);
			const { job } = (await j.json()) as { job: { status: string } };
			if (job.status === "running") break;
			assert.ok(Date.now() < deadline, `job never started: ${job.status}`);
			await new Promise((r) => setTimeout(r, 25));
		}
	} finally {
		child.kill("SIGKILL");
		await once(child, "exit");
	}

	const killedAt = Date.now();
	const next = await startAsyncGateway({ dataDir, async: { leaseMs } });
	try {
		const job = await next.waitForJob(jobId, ["succeeded", "dead"], 10_000);
		assert.equal(job.status, "succeeded");
		assert.equal(
			job.attempts,
			2,
			"the killed attempt counts; the second one completes",
		);
		assert.deepEqual(
			JSON.parse(Buffer.from(job.result ?? "", "base64").toString()),
			{ done: 42 },
		);
		// It could not run before the dead gateway's lease ran out.
		assert.ok(Date.now() - killedAt >= 1_000);
	} finally {
		await next.stop();
	}
});
