// GET /sigil/v1/functions/NAME says how many warm instances a function has right now (the
// console's function page shows it): a deployed Node function has the one its load probe
// started; a fork-per-request function has none to count (null).
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { startTestGateway, type TestGateway } from "./helpers/gateway.ts";

let gw: TestGateway;
before(async () => {
	gw = await startTestGateway();
	await gw.deploy(
		"warm-one",
		{ runtime: "node", trigger: { auth: "none" } },
		{
			"index.mjs":
				"export const handler = async () => ({ statusCode: 200, body: 'ok' });",
		},
	);
	await gw.deploy("forked", {
		runtime: "process",
		fprocess: "cat",
		trigger: { auth: "none" },
	});
});
after(() => gw.stop());

async function instancesOf(name: string) {
	const res = await gw.signed("GET", `/sigil/v1/functions/${name}`);
	assert.equal(res.status, 200);
	return ((await res.json()) as { function: { instances: unknown } }).function
		.instances as {
		instances: number;
		ready: number;
		busy: number;
		queued: number;
		started: number;
	} | null;
}

test("a warm function's instances: ready after deploy, idle after a call", async () => {
	const before = await instancesOf("warm-one");
	assert.ok(before, "a node function has a pool");
	assert.ok(before.instances >= 1 && before.ready >= 1, JSON.stringify(before));
	assert.equal((await fetch(`${gw.url}/function/warm-one`)).status, 200);
	const after = await instancesOf("warm-one");
	assert.ok(
		after && after.busy === 0 && after.queued === 0 && after.started >= 1,
		JSON.stringify(after),
	);
});

test("a fork-per-request function has no pool to count", async () => {
	assert.equal(await instancesOf("forked"), null);
});
