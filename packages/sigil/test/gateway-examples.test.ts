// `sigil up --examples` deploys examples/sigil.yml; every example answers as the README says,
// and a restart with unchanged examples keeps their revisions.
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { join } from "node:path";
import { test } from "node:test";
import { signedFetch, startTestGateway } from "./helpers/gateway.ts";

const examplesDir = join(import.meta.dirname, "..", "..", "..", "examples");

test("the examples deploy, answer, and survive a restart unchanged", async () => {
	const gw = await startTestGateway({ examplesDir });
	const names = gw.gateway.examples.map((e) => e.name).sort();
	assert.deepEqual(names, ["env", "fc-whoami", "hello", "hmac-echo", "whoami"]);
	const hmacKey = gw.gateway.examples.find((e) => e.name === "hmac-echo")
		?.createdSecrets?.["example-hmac-key"];
	assert.ok(hmacKey, "the example secret is reported once, on creation");
	try {
		const hello = await fetch(`${gw.url}/function/hello?name=Ada`);
		assert.deepEqual(await hello.json(), { hello: "Ada", path: "/" });
		const who = await signedFetch(gw.url, "GET", "/function/whoami", {
			service: "lambda",
		});
		assert.equal(
			((await who.json()) as { caller: { accountId: string } }).caller
				.accountId,
			gw.gateway.rootAccountId,
		);
		const body = "The message";
		const env = await fetch(`${gw.url}/function/env`, {
			method: "POST",
			body,
			headers: {
				Hmac: `sha256=${createHmac("sha256", hmacKey).update(body).digest("hex")}`,
			},
		});
		assert.equal(env.status, 200);
		assert.match(await env.text(), /^Http_Hmac=sha256=[0-9a-f]{64}$/m);
		const before = (await (
			await gw.signed("GET", "/sigil/v1/functions/hello")
		).json()) as { function: { revision: number } };
		await gw.gateway.close();
		const again = await startTestGateway({ examplesDir, dataDir: gw.dataDir });
		try {
			assert.equal(
				again.gateway.examples.find((e) => e.name === "hmac-echo")
					?.createdSecrets,
				undefined,
				"secrets are not re-created",
			);
			const after = (await (
				await again.signed("GET", "/sigil/v1/functions/hello")
			).json()) as { function: { revision: number } };
			assert.equal(after.function.revision, before.function.revision);
		} finally {
			await again.gateway.close();
		}
	} finally {
		await gw.stop().catch(() => {});
	}
});
