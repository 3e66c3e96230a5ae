// `sigil secret get NAME` and GET /sigil/v1/secrets/:name: a secret's value shown again to its
// owner — exact bytes, own account only, allowed by policy, audited without the value.
import assert from "node:assert/strict";
import { tmpdir } from "node:os";
import { after, before, describe, it } from "node:test";
import { runCli } from "./cli-real-gateway.ts";
import {
	ROOT_KEY,
	startTestGateway,
	type TestGateway,
} from "./helpers/gateway.ts";
import { cp, createAccount, createUser, putUserPolicy } from "./helpers/iam.ts";

// Every byte value, a trailing newline and a NUL: what comes back must be exactly this.
const BYTES = Buffer.concat([
	Buffer.from(Array.from({ length: 256 }, (_, i) => i)),
	Buffer.from("tail\n"),
]);

describe("secret get", () => {
	let gw: TestGateway;
	before(async () => {
		gw = await startTestGateway();
		await gw.putSecret("binary", BYTES);
		await gw.putSecret("plain", "s3cr3t-hmac-key");
	});
	after(() => gw.stop());

	function cli(args: string[], keys = ROOT_KEY) {
		return runCli(
			args,
			{
				PATH: process.env.PATH,
				HOME: tmpdir(),
				SIGIL_CONFIG_DIR: `${tmpdir()}/sigil-secret-get-none`,
				SIGIL_URL: gw.url,
				AWS_ACCESS_KEY_ID: keys.accessKeyId,
				AWS_SECRET_ACCESS_KEY: keys.secretAccessKey,
				AWS_REGION: "us-east-1",
			},
			tmpdir(),
		);
	}

	it("returns the exact bytes (base64) with Cache-Control: no-store", async () => {
		const res = await gw.signed("GET", "/sigil/v1/secrets/binary");
		assert.equal(res.status, 200);
		assert.equal(res.headers.get("cache-control"), "no-store");
		const body = (await res.json()) as { name: string; value: string };
		assert.equal(body.name, "binary");
		assert.deepEqual(Buffer.from(body.value, "base64"), BYTES);
	});

	it("the CLI prints the value as is when piped, so $(sigil secret get …) is the key", async () => {
		const ran = await cli(["secret", "get", "plain"]);
		assert.equal(ran.code, 0, ran.stderr);
		assert.equal(ran.stdout, "s3cr3t-hmac-key");
		const json = await cli(["secret", "get", "binary", "--json"]);
		assert.equal(json.code, 0, json.stderr);
		assert.deepEqual(
			Buffer.from(JSON.parse(json.stdout).value as string, "base64"),
			BYTES,
		);
	});

	it("a missing secret is SECRET_NOT_FOUND, and a bad name is refused before the store", async () => {
		const res = await gw.signed("GET", "/sigil/v1/secrets/nope");
		assert.equal(res.status, 404);
		assert.match(await res.text(), /SECRET_NOT_FOUND/);
		const bad = await gw.signed("GET", "/sigil/v1/secrets/..%2Fplain");
		assert.equal(bad.status, 400);
		const withQuery = await gw.signed(
			"GET",
			"/sigil/v1/secrets/plain?version=2",
		);
		assert.equal(
			withQuery.status,
			400,
			"a parameter it does not take is refused",
		);
		assert.ok(!(await withQuery.text()).includes("s3cr3t"));
		const ran = await cli(["secret", "get", "Not_Valid"]);
		assert.notEqual(ran.code, 0);
	});

	it("another account reads its own namespace: the same name is not found there", async () => {
		const other = await createAccount(gw, "secret-get-other");
		const res = await gw.signed("GET", "/sigil/v1/secrets/plain", {
			credentials: other.keys,
		});
		assert.equal(res.status, 404);
		assert.ok(!(await res.text()).includes("s3cr3t"));
	});

	it("a user needs sigil:GetSecretValue on the secret: listing is not reading", async () => {
		const user = await createUser(gw, "secret-reader");
		await putUserPolicy(gw, "secret-reader", "list-only", [
			{ Effect: "Allow", Action: "sigil:ListSecrets", Resource: "*" },
		]);
		const denied = await gw.signed("GET", "/sigil/v1/secrets/plain", {
			credentials: user.keys,
		});
		assert.equal(denied.status, 403);
		assert.ok(!(await denied.text()).includes("s3cr3t"));
		await putUserPolicy(gw, "secret-reader", "read-plain", [
			{
				Effect: "Allow",
				Action: "sigil:GetSecretValue",
				Resource: "arn:aws:sigil:us-east-1:*:secret/plain",
			},
		]);
		const allowed = await gw.signed("GET", "/sigil/v1/secrets/plain", {
			credentials: user.keys,
		});
		assert.equal(allowed.status, 200, await allowed.clone().text());
		const other = await gw.signed("GET", "/sigil/v1/secrets/binary", {
			credentials: user.keys,
		});
		assert.equal(other.status, 403, "the grant names one secret");
	});

	it("each read is audited as sigil:GetSecretValue, and the value is in no log", async () => {
		await gw.signed("GET", "/sigil/v1/secrets/plain");
		const { records } = await cp<{ records: Record<string, unknown>[] }>(
			gw,
			"GET",
			"/logs?limit=1000",
		);
		const reads = records.filter((r) =>
			JSON.stringify(r).includes("sigil:GetSecretValue"),
		);
		assert.ok(reads.length >= 1, "the read is in the audit log");
		assert.ok(!JSON.stringify(records).includes("s3cr3t-hmac-key"));
		assert.ok(!gw.logs.join("\n").includes("s3cr3t-hmac-key"));
	});
});
