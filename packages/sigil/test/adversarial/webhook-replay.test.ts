// A captured Standard Webhooks delivery replayed at the gateway: refused while its tolerance
// window lasts, and still refused after the gateway restarts on the same data directory. Before
// the fix the accepted ids lived only in memory, so the replay after a restart was accepted
// (this test failed at the post-restart replay: 200 instead of 401).
//
// The deliveries are signed here from the Standard Webhooks specification itself (HMAC-SHA256
// of `id.timestamp.body` under the base64 key of a `whsec_` secret), not with Sigil's signer.
import assert from "node:assert/strict";
import { createHmac, randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { startTestGateway, type TestGateway } from "../helpers/gateway.ts";

const KEY = randomBytes(24);
const SECRET = `whsec_${KEY.toString("base64")}`;

const COUNTER = `
let runs = 0;
export const handler = async (event) => ({ statusCode: 200, headers: { "content-type": "text/plain" }, body: String(++runs) + " " + (event.body ?? "") });`;

interface Delivery {
	readonly id: string;
	readonly timestamp: string;
	readonly body: string;
}

function delivery(id: string, body: string): Delivery {
	return { id, timestamp: String(Math.floor(Date.now() / 1000)), body };
}

function send(gw: TestGateway, d: Delivery): Promise<Response> {
	const signature = createHmac("sha256", KEY)
		.update(`${d.id}.${d.timestamp}.${d.body}`)
		.digest("base64");
	return fetch(`${gw.url}/function/hook/`, {
		method: "POST",
		headers: {
			"content-type": "application/json",
			"webhook-id": d.id,
			"webhook-timestamp": d.timestamp,
			"webhook-signature": `v1,${signature}`,
		},
		body: d.body,
	});
}

const dirs: string[] = [];
after(async () => {
	for (const d of dirs) await rm(d, { recursive: true, force: true });
});

test("a webhook accepted before a restart is refused as a replay after it", async () => {
	const dataDir = join(await mkdtemp(join(tmpdir(), "sigil-replay-")), "data");
	dirs.push(dataDir);
	// The exact bytes a sender delivered once, captured and sent again later.
	const first = delivery("msg_before_restart", '{"n":1}');
	let gw = await startTestGateway({ dataDir });
	try {
		await gw.putSecret("hook-secret", SECRET);
		await gw.deploy(
			"hook",
			{
				runtime: "node",
				trigger: { auth: "webhook", secrets: ["hook-secret"] },
			},
			{ "index.mjs": COUNTER },
		);
		const accepted = await send(gw, first);
		assert.equal(accepted.status, 200, await accepted.clone().text());
		assert.equal(await accepted.text(), '1 {"n":1}');

		const replayed = await send(gw, first);
		assert.equal(replayed.status, 401);
		assert.match(await replayed.text(), /already delivered/);
	} finally {
		await gw.stop();
	}

	gw = await startTestGateway({ dataDir });
	try {
		const afterRestart = await send(gw, first);
		const text = await afterRestart.text();
		assert.equal(afterRestart.status, 401, text);
		assert.match(text, /already delivered/);

		// A new delivery still goes through, and the function ran once in this process.
		const fresh = await send(gw, delivery("msg_after_restart", '{"n":2}'));
		assert.equal(fresh.status, 200);
		assert.equal(await fresh.text(), '1 {"n":2}');
		// Concurrent copies of one new delivery: exactly one is accepted.
		const copies = delivery("msg_burst", '{"n":3}');
		const answers = await Promise.all(
			Array.from({ length: 8 }, () => send(gw, copies)),
		);
		const statuses = answers.map((r) => r.status).sort();
		for (const r of answers) await r.body?.cancel();
		assert.deepEqual(statuses, [200, 401, 401, 401, 401, 401, 401, 401]);
	} finally {
		await gw.stop();
	}
});
