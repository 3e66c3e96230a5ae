// STS end to end (AWS STS API Reference): AssumeRole with the trust policy checked by the
// engine (ExternalId, session policy, duration bounds), GetSessionToken, GetCallerIdentity over
// the query protocol; the session credentials then used by three independent signers —
// @smithy/signature-v4 (header), aws4fetch (presigned URL) and ACS3 (`signAcs3` with a security
// token) — and refused when expired or tampered with, in AWS's words.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { signAcs3 } from "@sigil/signature";
import { AwsClient } from "aws4fetch";
import { SessionTokenCodec } from "../src/iam/session-token.ts";
import {
	ROOT_KEY,
	signedFetch,
	startTestGateway,
	type TestGateway,
} from "./helpers/gateway.ts";
import {
	cp,
	createUser,
	deployWithPolicy,
	fnArn,
	type Keys,
	putUserPolicy,
} from "./helpers/iam.ts";

const MASTER_HEX = "11".repeat(32);
let gw: TestGateway;
let A: string;
let alice: { arn: string; keys: Keys };
let bob: { arn: string; keys: Keys };

/** A query-protocol call (form POST to `/`) signed for `service`. */
async function query(
	service: "sts" | "iam",
	params: Record<string, string>,
	credentials: Keys,
): Promise<{ status: number; xml: string }> {
	const res = await signedFetch(gw.url, "POST", "/", {
		service,
		credentials,
		body: new URLSearchParams({
			Version: service === "sts" ? "2011-06-15" : "2010-05-08",
			...params,
		}).toString(),
		headers: { "content-type": "application/x-www-form-urlencoded" },
	});
	return { status: res.status, xml: await res.text() };
}

function tag(xml: string, name: string): string {
	const m = new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml);
	if (!m) throw new Error(`no <${name}> in ${xml}`);
	return m[1] as string;
}

function credentialsOf(xml: string): Keys {
	return {
		accessKeyId: tag(xml, "AccessKeyId"),
		secretAccessKey: tag(xml, "SecretAccessKey"),
		sessionToken: tag(xml, "SessionToken"),
	};
}

const trust = (principal: unknown, condition?: unknown) =>
	JSON.stringify({
		Version: "2012-10-17",
		Statement: [
			{
				Effect: "Allow",
				Principal: principal,
				Action: "sts:AssumeRole",
				...(condition !== undefined && { Condition: condition }),
			},
		],
	});

before(async () => {
	gw = await startTestGateway({ env: { SIGIL_MASTER_KEY: MASTER_HEX } });
	A = gw.gateway.rootAccountId;
	alice = await createUser(gw, "alice");
	bob = await createUser(gw, "bob");
	await deployWithPolicy(
		gw,
		"api",
		{ auth: "aws_iam", services: ["lambda"] },
		null,
	);
	await deployWithPolicy(gw, "fc", { auth: "acs3" }, null);
	await cp(gw, "POST", "/roles", {
		roleName: "invoker",
		trustPolicy: trust({ AWS: alice.arn }),
	});
	await cp(gw, "PUT", "/roles/invoker/policies/invoke", {
		document: {
			Version: "2012-10-17",
			Statement: [
				{
					Effect: "Allow",
					Action: "lambda:InvokeFunctionUrl",
					Resource: fnArn(A, "*"),
				},
			],
		},
	});
	await cp(gw, "POST", "/roles", {
		roleName: "partner",
		trustPolicy: trust(
			{ AWS: `arn:aws:iam::${A}:root` },
			{ StringEquals: { "sts:ExternalId": "tenant-42" } },
		),
	});
	await putUserPolicy(gw, "bob", "assume-partner", [
		{
			Effect: "Allow",
			Action: "sts:AssumeRole",
			Resource: `arn:aws:iam::${A}:role/partner`,
		},
	]);
});
after(() => gw.stop());

async function assume(keys: Keys, extra: Record<string, string> = {}) {
	return query(
		"sts",
		{
			Action: "AssumeRole",
			RoleArn: `arn:aws:iam::${A}:role/invoker`,
			RoleSessionName: "s1",
			...extra,
		},
		keys,
	);
}

describe("AssumeRole", () => {
	test("the trusted user gets ASIA credentials and the assumed-role identity, in AWS's XML", async () => {
		const r = await assume(alice.keys, { DurationSeconds: "900" });
		assert.equal(r.status, 200, r.xml);
		assert.match(
			r.xml,
			/^<AssumeRoleResponse xmlns="https:\/\/sts\.amazonaws\.com\/doc\/2011-06-15\/"><AssumeRoleResult><Credentials>/,
		);
		const creds = credentialsOf(r.xml);
		assert.match(creds.accessKeyId, /^ASIA[A-Z2-7]{16}$/);
		assert.equal(
			tag(r.xml, "Arn"),
			`arn:aws:sts::${A}:assumed-role/invoker/s1`,
		);
		assert.match(tag(r.xml, "AssumedRoleId"), /^AROA[A-Z0-9]+:s1$/);
		const expires = Date.parse(tag(r.xml, "Expiration"));
		assert.ok(Math.abs(expires - (Date.now() + 900_000)) < 10_000);
		const who = await query("sts", { Action: "GetCallerIdentity" }, creds);
		assert.equal(
			tag(who.xml, "Arn"),
			`arn:aws:sts::${A}:assumed-role/invoker/s1`,
		);
		assert.equal(tag(who.xml, "Account"), A);
	});

	test("an untrusted user is AccessDenied with AWS's query-protocol error", async () => {
		const r = await assume(bob.keys);
		assert.equal(r.status, 403);
		assert.match(
			r.xml,
			/<ErrorResponse xmlns="https:\/\/sts\.amazonaws\.com\/doc\/2011-06-15\/"><Error><Type>Sender<\/Type><Code>AccessDenied<\/Code>/,
		);
		assert.match(
			tag(r.xml, "Message"),
			new RegExp(
				`^User: ${bob.arn} is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::${A}:role/invoker`,
			),
		);
	});

	test("ExternalId: required by the trust policy's sts:ExternalId condition", async () => {
		const base = {
			RoleArn: `arn:aws:iam::${A}:role/partner`,
			RoleSessionName: "p1",
			Action: "AssumeRole",
		};
		assert.equal((await query("sts", base, bob.keys)).status, 403);
		assert.equal(
			(await query("sts", { ...base, ExternalId: "wrong-id" }, bob.keys))
				.status,
			403,
		);
		assert.equal(
			(await query("sts", { ...base, ExternalId: "tenant-42" }, bob.keys))
				.status,
			200,
		);
	});

	test("DurationSeconds is bounded by 900 and the role's maximum; RoleSessionName by its pattern", async () => {
		for (const [extra, code] of [
			[{ DurationSeconds: "899" }, "ValidationError"],
			[{ DurationSeconds: "3601" }, "ValidationError"],
			[{ RoleSessionName: "a" }, "ValidationError"],
			[{ RoleSessionName: "bad name!" }, "ValidationError"],
		] as const) {
			const r = await assume(alice.keys, extra);
			assert.equal(r.status, 400, JSON.stringify(extra));
			assert.equal(tag(r.xml, "Code"), code);
		}
	});

	test("a session policy intersects with the role's policies", async () => {
		const policy = JSON.stringify({
			Version: "2012-10-17",
			Statement: [
				{ Effect: "Allow", Action: "lambda:GetPolicy", Resource: "*" },
			],
		});
		const r = await assume(alice.keys, { Policy: policy });
		assert.equal(r.status, 200, r.xml);
		assert.ok(Number(tag(r.xml, "PackedPolicySize")) > 0);
		const res = await signedFetch(gw.url, "GET", "/function/api/", {
			service: "lambda",
			credentials: credentialsOf(r.xml),
		});
		assert.equal(res.status, 403);
		await res.arrayBuffer();
	});

	test("a malformed session policy is MalformedPolicyDocument naming the place", async () => {
		const r = await assume(alice.keys, {
			Policy:
				'{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"nope","Resource":"*"}]}',
		});
		assert.equal(r.status, 400);
		assert.equal(tag(r.xml, "Code"), "MalformedPolicyDocument");
		assert.match(tag(r.xml, "Message"), /Statement\[0\]\.Action/);
	});
});

describe("session credentials at the triggers", () => {
	let creds: Keys;
	before(async () => {
		creds = credentialsOf((await assume(alice.keys)).xml);
	});

	test("@smithy/signature-v4, token in x-amz-security-token header: 200 as the role session", async () => {
		const res = await signedFetch(gw.url, "GET", "/function/api/", {
			service: "lambda",
			credentials: creds,
		});
		assert.equal(res.status, 200, await res.clone().text());
		assert.equal(await res.text(), "ok");
	});

	test("aws4fetch presigned URL with X-Amz-Security-Token in the query: 200", async () => {
		const client = new AwsClient({
			...creds,
			service: "lambda",
			region: "us-east-1",
		});
		const signed = await client.sign(`${gw.url}/function/api/?x=1`, {
			method: "GET",
			aws: { signQuery: true },
		});
		assert.match(signed.url, /X-Amz-Security-Token=/);
		const res = await fetch(signed.url);
		assert.equal(res.status, 200);
		assert.equal(await res.text(), "ok");
	});

	test("ACS3 with x-acs-security-token: 200", async () => {
		const host = new URL(gw.url).host;
		const s = signAcs3({
			method: "GET",
			target: "/function/fc/",
			headers: { host },
			accessKeyId: creds.accessKeyId,
			accessKeySecret: creds.secretAccessKey,
			securityToken: creds.sessionToken as string,
			now: Date.now(),
		});
		const headers = { ...s.headers };
		delete headers.host;
		const res = await fetch(`${gw.url}/function/fc/`, { headers });
		assert.equal(res.status, 200, await res.clone().text());
	});

	test("the right token with another session's secret is a signature mismatch, not a pass", async () => {
		const other = credentialsOf(
			(await assume(alice.keys, { RoleSessionName: "s2" })).xml,
		);
		const res = await signedFetch(gw.url, "GET", "/function/api/", {
			service: "lambda",
			credentials: { ...creds, secretAccessKey: other.secretAccessKey },
		});
		assert.equal(res.status, 403);
		assert.equal(
			res.headers.get("x-amzn-errortype"),
			"InvalidSignatureException",
		);
		await res.arrayBuffer();
	});
});

describe("expired and tampered tokens", () => {
	test("expired: ExpiredTokenException on SigV4 triggers, ExpiredToken on STS", async () => {
		// A token sealed under the gateway's master key, already past its end.
		const codec = new SessionTokenCodec(Buffer.from(MASTER_HEX, "hex"));
		const s = codec.issue(
			{
				accountId: A,
				arn: alice.arn,
				userId: "AIDAX",
				type: "User",
				userName: "alice",
				expiresAt: Date.now() - 1000,
			},
			Date.now() - 901_000,
		);
		const keys = {
			accessKeyId: s.accessKeyId,
			secretAccessKey: s.secretAccessKey,
			sessionToken: s.sessionToken,
		};
		const res = await signedFetch(gw.url, "GET", "/function/api/", {
			service: "lambda",
			credentials: keys,
		});
		assert.equal(res.status, 403);
		assert.equal(res.headers.get("x-amzn-errortype"), "ExpiredTokenException");
		assert.deepEqual(await res.json(), {
			message: "The security token included in the request is expired",
		});
		const sts = await query("sts", { Action: "GetCallerIdentity" }, keys);
		assert.equal(sts.status, 403);
		assert.equal(tag(sts.xml, "Code"), "ExpiredToken");
	});

	test("tampered: UnrecognizedClientException on SigV4 triggers, InvalidClientTokenId on STS", async () => {
		const creds = credentialsOf((await assume(alice.keys)).xml);
		const token = creds.sessionToken as string;
		const i = token.length - 10;
		const flipped =
			token.slice(0, i) + (token[i] === "A" ? "B" : "A") + token.slice(i + 1);
		const keys = { ...creds, sessionToken: flipped };
		const res = await signedFetch(gw.url, "GET", "/function/api/", {
			service: "lambda",
			credentials: keys,
		});
		assert.equal(res.status, 403);
		assert.equal(
			res.headers.get("x-amzn-errortype"),
			"UnrecognizedClientException",
		);
		assert.deepEqual(await res.json(), {
			message: "The security token included in the request is invalid.",
		});
		const sts = await query("sts", { Action: "GetCallerIdentity" }, keys);
		assert.equal(tag(sts.xml, "Code"), "InvalidClientTokenId");
	});

	test("a token presented with another key id is invalid", async () => {
		const creds = credentialsOf((await assume(alice.keys)).xml);
		const res = await signedFetch(gw.url, "GET", "/function/api/", {
			service: "lambda",
			credentials: { ...creds, accessKeyId: "ASIAAAAAAAAAAAAAAAAA" },
		});
		assert.equal(res.status, 403);
		assert.equal(
			res.headers.get("x-amzn-errortype"),
			"UnrecognizedClientException",
		);
		await res.arrayBuffer();
	});
});

describe("GetSessionToken", () => {
	test("a user's session acts as the user, with the user's policies", async () => {
		const r = await query(
			"sts",
			{ Action: "GetSessionToken", DurationSeconds: "900" },
			bob.keys,
		);
		assert.equal(r.status, 200, r.xml);
		const creds = credentialsOf(r.xml);
		const who = await query("sts", { Action: "GetCallerIdentity" }, creds);
		assert.equal(tag(who.xml, "Arn"), bob.arn);
		const res = await signedFetch(gw.url, "GET", "/function/api/", {
			service: "lambda",
			credentials: creds,
		});
		assert.equal(res.status, 403, "bob has no invoke permission");
		await res.arrayBuffer();
		const again = await query("sts", { Action: "GetSessionToken" }, creds);
		assert.equal(tag(again.xml, "Code"), "AccessDenied");
	});

	test("the root identity is limited to one hour", async () => {
		const r = await query(
			"sts",
			{ Action: "GetSessionToken", DurationSeconds: "7200" },
			ROOT_KEY,
		);
		assert.equal(r.status, 400);
		const ok = await query(
			"sts",
			{ Action: "GetSessionToken", DurationSeconds: "3600" },
			ROOT_KEY,
		);
		assert.equal(ok.status, 200);
		const res = await signedFetch(gw.url, "GET", "/function/api/", {
			service: "lambda",
			credentials: credentialsOf(ok.xml),
		});
		assert.equal(res.status, 200);
		await res.arrayBuffer();
	});
});

describe("session token codec", () => {
	const codec = new SessionTokenCodec(Buffer.alloc(32, 7));
	const claims = {
		accountId: "123456789012",
		arn: "arn:aws:iam::123456789012:user/u",
		userId: "AIDAU",
		type: "User" as const,
		userName: "u",
		expiresAt: 2_000,
	};

	test("opens what it issued, with the same derived secret; another master key cannot", () => {
		const s = codec.issue(claims, 1_000);
		const opened = codec.open(s.sessionToken, s.accessKeyId, 1_500);
		assert.ok(opened.ok);
		assert.equal(opened.secretAccessKey, s.secretAccessKey);
		assert.equal(opened.claims.arn, claims.arn);
		assert.deepEqual(
			new SessionTokenCodec(Buffer.alloc(32, 8)).open(
				s.sessionToken,
				s.accessKeyId,
				1_500,
			),
			{ ok: false, code: "SESSION_TOKEN_INVALID" },
		);
		assert.deepEqual(codec.open(s.sessionToken, s.accessKeyId, 2_000), {
			ok: false,
			code: "SESSION_TOKEN_EXPIRED",
		});
	});

	test("the token carries no secret and no claim in clear text", () => {
		const s = codec.issue(claims, 1_000);
		assert.ok(!s.sessionToken.includes(s.secretAccessKey));
		assert.ok(
			!Buffer.from(s.sessionToken.slice(4), "base64url")
				.toString("latin1")
				.includes("AIDAU"),
		);
	});
});
