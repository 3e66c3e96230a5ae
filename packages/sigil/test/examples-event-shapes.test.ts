// The example functions answer both event shapes (issue 10): a function-URL event through
// /function/NAME, and the caller's own payload through the Lambda Invoke API, which the README's
// `aws lambda invoke … whoami` uses. Before, the Invoke API crashed every example.
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, test } from "node:test";
import {
	signedFetch,
	startTestGateway,
	type TestGateway,
} from "./helpers/gateway.ts";

const examplesDir = join(import.meta.dirname, "..", "..", "..", "examples");
let gw: TestGateway;
before(async () => {
	gw = await startTestGateway({ examplesDir });
});
after(() => gw.stop());

function invoke(name: string, payload: unknown): Promise<Response> {
	return signedFetch(
		gw.url,
		"POST",
		`/2015-03-31/functions/${name}/invocations`,
		{
			service: "lambda",
			body: JSON.stringify(payload),
		},
	);
}

test("every example answers the Lambda Invoke API without a function error", async () => {
	for (const name of ["hello", "whoami", "fc-whoami", "hmac-echo"]) {
		const res = await invoke(name, { name: "Ada" });
		const text = await res.text();
		assert.equal(res.status, 200, `${name}: ${text}`);
		assert.equal(
			res.headers.get("x-amz-function-error"),
			null,
			`${name}: ${text}`,
		);
	}
	assert.deepEqual(await (await invoke("hello", { name: "Ada" })).json(), {
		hello: "Ada",
	});
	const who = (await (await invoke("whoami", { hi: 1 })).json()) as {
		invokedAs: string;
		payload: unknown;
	};
	assert.match(who.invokedAs, /:function:whoami$/);
	assert.deepEqual(who.payload, { hi: 1 });
	assert.deepEqual(await (await invoke("hmac-echo", [1, 2])).json(), [1, 2]);
});

test("through their URLs they still answer as function URLs", async () => {
	const hello = await fetch(`${gw.url}/function/hello?name=Ada`);
	assert.deepEqual(await hello.json(), { hello: "Ada", path: "/" });
	const who = await signedFetch(gw.url, "GET", "/function/whoami/x", {
		service: "lambda",
	});
	const body = (await who.json()) as {
		caller: { accountId: string };
		path: string;
	};
	assert.equal(body.caller.accountId, gw.gateway.rootAccountId);
	assert.equal(body.path, "/x");
});
