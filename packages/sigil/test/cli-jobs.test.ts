// `sigil jobs` and `sigil job ID` against a real gateway: an OpenFaaS async call is listed with
// its state and shown with its payload.
import assert from "node:assert/strict";
import { Readable } from "node:stream";
import { after, before, test } from "node:test";
import type { CliIo } from "../src/cli/io.ts";
import { main } from "../src/cli/main.ts";
import {
	ROOT_KEY,
	startTestGateway,
	type TestGateway,
} from "./helpers/gateway.ts";

let gw: TestGateway;
before(async () => {
	gw = await startTestGateway();
	await gw.deploy(
		"fails",
		{ runtime: "node", trigger: { auth: "none" } },
		{
			"index.mjs": `export const handler = async () => { throw new Error("always broken"); };`,
		},
	);
});
after(() => gw.stop());

async function sigil(
	...argv: string[]
): Promise<{ code: number; out: string; err: string }> {
	let out = "";
	let err = "";
	const io: CliIo = {
		stdout: { write: (c) => (out += String(c)) },
		stderr: { write: (c) => (err += String(c)) },
		stdin: Object.assign(Readable.from([]), { isTTY: true }),
		env: {
			SIGIL_URL: gw.url,
			SIGIL_ACCESS_KEY_ID: ROOT_KEY.accessKeyId,
			SIGIL_SECRET_ACCESS_KEY: ROOT_KEY.secretAccessKey,
			SIGIL_CONFIG_DIR: `${gw.dataDir}/cfg`,
		},
		cwd: gw.dataDir,
		stopSignal: () => new Promise(() => {}),
	};
	const code = await main(argv, io);
	return { code, out, err };
}

test("jobs lists an async invocation and job ID shows its state and payload", async () => {
	const res = await fetch(
		`${gw.url}/function/fails`.replace("/function/", "/async-function/"),
		{ method: "POST", body: "the payload" },
	);
	assert.equal(res.status, 202);
	const callId = res.headers.get("x-call-id");
	assert.ok(callId);
	const listed = await sigil("jobs", "fails", "--json");
	assert.equal(listed.code, 0, listed.err);
	const job = (
		JSON.parse(listed.out) as { jobs: { id: string; status: string }[] }
	).jobs.find((j) => j.id === callId);
	assert.ok(job, "the job is listed");
	assert.ok(
		["queued", "running", "failed", "dead"].includes(job.status),
		job.status,
	);
	// The status filter, once the job's status no longer moves: it always throws, so it ends dead
	// (filtering by a status read earlier raced the worker: queued → running in between).
	let status = job.status;
	for (let i = 0; i < 200 && status !== "dead"; i++) {
		await new Promise((r) => setTimeout(r, 50));
		const now = await sigil("jobs", "fails", "--json");
		status =
			(
				JSON.parse(now.out) as { jobs: { id: string; status: string }[] }
			).jobs.find((j) => j.id === callId)?.status ?? status;
	}
	assert.equal(status, "dead");
	const table = await sigil("jobs", "--status", "dead");
	assert.match(table.out, new RegExp(callId));
	const none = await sigil("jobs", "--status", "queued");
	assert.doesNotMatch(none.out, new RegExp(callId));
	const shown = await sigil("job", callId);
	assert.equal(shown.code, 0, shown.err);
	assert.match(shown.out, /Payload:\nthe payload/);
	const bad = await sigil("jobs", "--status", "sleeping");
	assert.equal(bad.code, 2);
});
