// Issue 11: STS (and IAM) query requests by GET — the parameters in the query string, signed in
// the headers or presigned. The presigned `GetCallerIdentity` URL is the identity proof the
// Vault and Kubernetes (aws-iam-authenticator) IAM authenticators pass on: the holder of the URL
// learns who signed it, and nothing else. URLs are presigned with @smithy/signature-v4
// `presign`, what the AWS SDK v3 uses.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Sha256 } from "@aws-crypto/sha256-js";
import { HttpRequest } from "@smithy/protocol-http";
import { SignatureV4 } from "@smithy/signature-v4";
import {
	ROOT_KEY,
	signedFetch,
	startTestGateway,
	type TestGateway,
} from "./helpers/gateway.ts";
import { createUser, type Keys } from "./helpers/iam.ts";
import { credentialsOf, query, tag } from "./iam-query.ts";

let gw: TestGateway;
let A: string;
let alice: { arn: string; keys: Keys };

before(async () => {
	gw = await startTestGateway();
	A = gw.gateway.rootAccountId;
	alice = await createUser(gw, "alice");
});
after(() => gw?.stop());

/** A presigned GET of `/?Action=…` (service `sts` unless told), as `presign` writes it. */
async function presign(
	params: Record<string, string>,
	o: {
		keys?: Keys;
		service?: string;
		expiresIn?: number;
		signingDate?: Date;
		headers?: Record<string, string>;
	} = {},
): Promise<string> {
	const u = new URL(gw.url);
	const signer = new SignatureV4({
		credentials: o.keys ?? ROOT_KEY,
		region: "us-east-1",
		service: o.service ?? "sts",
		sha256: Sha256,
	});
	const request = new HttpRequest({
		method: "GET",
		protocol: "http:",
		hostname: u.hostname,
		port: Number(u.port),
		path: "/",
		query: params,
		headers: { host: u.host, ...o.headers },
	});
	const signed = await signer.presign(request, {
		expiresIn: o.expiresIn ?? 60,
		...(o.signingDate && { signingDate: o.signingDate }),
	});
	const qs = new URLSearchParams();
	for (const [k, v] of Object.entries(signed.query ?? {}))
		for (const one of Array.isArray(v) ? v : [v]) qs.append(k, String(one));
	return `${gw.url}/?${qs.toString()}`;
}

const IDENTITY = { Action: "GetCallerIdentity", Version: "2011-06-15" };

describe("presigned GetCallerIdentity", () => {
	test("a user's presigned URL, fetched by someone else, proves the user's identity in STS's XML", async () => {
		const url = await presign(IDENTITY, { keys: alice.keys });
		assert.match(url, /X-Amz-Signature=/);
		// The secret as text, not as a pattern: a random secret holds `+` and `/`.
		const secret = alice.keys.secretAccessKey;
		assert.ok(!url.includes(secret), "the URL holds the secret");
		assert.ok(
			!url.includes(encodeURIComponent(secret)),
			"the URL holds the secret, encoded",
		);
		const res = await fetch(url);
		const xml = await res.text();
		assert.equal(res.status, 200, xml);
		assert.equal(res.headers.get("content-type"), "text/xml");
		assert.match(
			xml,
			/^<GetCallerIdentityResponse xmlns="https:\/\/sts\.amazonaws\.com\/doc\/2011-06-15\/"><GetCallerIdentityResult>/,
		);
		assert.equal(tag(xml, "Arn"), alice.arn);
		assert.equal(tag(xml, "Account"), A);
		assert.match(tag(xml, "UserId"), /^AIDA/);
		assert.match(tag(xml, "RequestId"), /\S/);
	});

	test("aws-iam-authenticator's shape: the x-k8s-aws-id header signed with the URL", async () => {
		const url = await presign(IDENTITY, {
			headers: { "x-k8s-aws-id": "my-cluster" },
		});
		assert.match(url, /X-Amz-SignedHeaders=host%3Bx-k8s-aws-id/);
		const ok = await fetch(url, { headers: { "x-k8s-aws-id": "my-cluster" } });
		assert.equal(ok.status, 200, await ok.text());
		// Replayed for another cluster: the signed header no longer matches.
		const other = await fetch(url, {
			headers: { "x-k8s-aws-id": "other-cluster" },
		});
		assert.equal(other.status, 403);
		assert.match(await other.text(), /<Code>SignatureDoesNotMatch<\/Code>/);
	});

	test("a role session's presigned URL names the assumed role", async () => {
		const trust = JSON.stringify({
			Version: "2012-10-17",
			Statement: [
				{
					Effect: "Allow",
					Principal: { AWS: alice.arn },
					Action: "sts:AssumeRole",
				},
			],
		});
		const created = await query(gw, "iam", {
			Action: "CreateRole",
			RoleName: "vault-login",
			AssumeRolePolicyDocument: trust,
		});
		assert.equal(created.status, 200, created.xml);
		const assumed = await query(
			gw,
			"sts",
			{
				Action: "AssumeRole",
				RoleArn: `arn:aws:iam::${A}:role/vault-login`,
				RoleSessionName: "pod-1",
			},
			alice.keys,
		);
		assert.equal(assumed.status, 200, assumed.xml);
		const url = await presign(IDENTITY, { keys: credentialsOf(assumed.xml) });
		assert.match(url, /X-Amz-Security-Token=/);
		const res = await fetch(url);
		const xml = await res.text();
		assert.equal(res.status, 200, xml);
		assert.equal(
			tag(xml, "Arn"),
			`arn:aws:sts::${A}:assumed-role/vault-login/pod-1`,
		);
	});

	test("expired, altered or unsigned URLs are refused in STS's XML", async () => {
		const old = await presign(IDENTITY, {
			keys: alice.keys,
			expiresIn: 60,
			signingDate: new Date(Date.now() - 10 * 60_000),
		});
		const expired = await fetch(old);
		assert.equal(expired.status, 403);
		assert.match(await expired.text(), /<ErrorResponse xmlns="https:\/\/sts/);
		const url = await presign(IDENTITY, { keys: alice.keys });
		const altered = await fetch(
			url.replace("GetCallerIdentity", "GetSessionToken"),
		);
		assert.equal(altered.status, 403);
		assert.match(await altered.text(), /<Code>SignatureDoesNotMatch<\/Code>/);
		const bare = await fetch(`${gw.url}/?Action=GetCallerIdentity`);
		assert.equal(bare.status, 403);
		assert.match(await bare.text(), /<ErrorResponse/);
	});
});

describe("query requests by GET signed in the headers", () => {
	test("STS GetSessionToken and IAM GetUser by GET answer as by POST", async () => {
		const sts = await signedFetch(
			gw.url,
			"GET",
			"/?Action=GetSessionToken&Version=2011-06-15&DurationSeconds=900",
			{ service: "sts", credentials: alice.keys },
		);
		const stsXml = await sts.text();
		assert.equal(sts.status, 200, stsXml);
		assert.match(tag(stsXml, "AccessKeyId"), /^ASIA/);
		const iam = await signedFetch(
			gw.url,
			"GET",
			"/?Action=GetUser&Version=2010-05-08&UserName=alice",
			{ service: "iam" },
		);
		const iamXml = await iam.text();
		assert.equal(iam.status, 200, iamXml);
		assert.equal(tag(iamXml, "Arn"), alice.arn);
	});

	test("a presigned IAM GetUser: the presigning parameters are not taken for the operation's", async () => {
		const url = await presign(
			{ Action: "GetUser", Version: "2010-05-08", UserName: "alice" },
			{ service: "iam" },
		);
		const res = await fetch(url);
		const xml = await res.text();
		assert.equal(res.status, 200, xml);
		assert.equal(tag(xml, "Arn"), alice.arn);
	});

	test("IAM by GET is authorized per operation like the POST", async () => {
		const res = await signedFetch(
			gw.url,
			"GET",
			"/?Action=ListUsers&Version=2010-05-08",
			{ service: "iam", credentials: alice.keys },
		);
		assert.equal(res.status, 403);
		assert.match(await res.text(), /<Code>AccessDenied<\/Code>.*iam:ListUsers/);
		const unknown = await signedFetch(
			gw.url,
			"GET",
			"/?Action=Frobnicate&Version=2011-06-15",
			{ service: "sts" },
		);
		assert.equal(unknown.status, 400);
		assert.match(await unknown.text(), /<Code>InvalidAction<\/Code>/);
	});
});
