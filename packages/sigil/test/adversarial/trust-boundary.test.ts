// The trust boundary, attacked as a hostile tenant would (issue 8, classes 1–3 and 6): another
// account's function policy, an explicit Deny addressed around by percent-encoding, keys acted
// on without their owner's permission, the IAM rules that must hold at every front door, and
// parameters that must be refused rather than stored and ignored. Each test failed on the code
// before the route table owned authorization (targets resolved once, one IAM service).
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import fc from "fast-check";
import {
	ROOT_KEY,
	signedFetch,
	startTestGateway,
	type TestGateway,
} from "../helpers/gateway.ts";
import {
	callUrl,
	cp,
	createAccount,
	createUser,
	deployWithPolicy,
	fnArn,
	type Keys,
	putUserPolicy,
} from "../helpers/iam.ts";

let gw: TestGateway;
let A: { accountId: string; keys: Keys };
let B: { accountId: string; keys: Keys };
let rootAccount: string;

const PUBLIC_INVOKE = (accountId: string, name: string) => ({
	Sid: "public",
	Effect: "Allow",
	Principal: "*",
	Action: "lambda:InvokeFunctionUrl",
	Resource: fnArn(accountId, name),
});

before(async () => {
	gw = await startTestGateway();
	rootAccount = gw.gateway.rootAccountId;
	A = await createAccount(gw, "attacker");
	B = await createAccount(gw, "victim");
	// B's protected function, and B's public one whose statement A would like to remove.
	await deployWithPolicy(gw, "b-private", { auth: "aws_iam" }, null, B.keys);
	await deployWithPolicy(
		gw,
		"b-public",
		{ auth: "none" },
		[PUBLIC_INVOKE(B.accountId, "b-public")],
		B.keys,
	);
});
after(() => gw.stop());

async function status(res: Response): Promise<number> {
	await res.arrayBuffer();
	return res.status;
}

describe("class 1: another account's function policy", () => {
	const statement = (principal: string) =>
		JSON.stringify({
			StatementId: "let-me-in",
			Action: "lambda:InvokeFunctionUrl",
			Principal: principal,
			FunctionUrlAuthType: "AWS_IAM",
		});

	test("Sigil's permission route takes only a bare name of the caller's account: B's ARN is refused", async () => {
		const arn = encodeURIComponent(fnArn(B.accountId, "b-private"));
		const add = await signedFetch(
			gw.url,
			"POST",
			`/sigil/v1/functions/${arn}/policy`,
			{
				credentials: A.keys,
				body: statement(A.accountId),
				headers: { "content-type": "application/json" },
			},
		);
		assert.equal(add.status, 400, await add.text());
		const remove = await signedFetch(
			gw.url,
			"DELETE",
			`/sigil/v1/functions/${encodeURIComponent(fnArn(B.accountId, "b-public"))}/policy/public`,
			{ credentials: A.keys },
		);
		assert.equal(await status(remove), 400);
		// A bare name is A's own account, where B's function is not.
		const bare = await signedFetch(
			gw.url,
			"POST",
			"/sigil/v1/functions/b-private/policy",
			{
				credentials: A.keys,
				body: statement(A.accountId),
				headers: { "content-type": "application/json" },
			},
		);
		assert.equal(await status(bare), 404);
		assert.equal(await status(await callUrl(gw, "b-private", A.keys)), 403);
		assert.equal(await status(await callUrl(gw, "b-public", null)), 200);
	});

	test("the Lambda API refuses AddPermission/RemovePermission/GetPolicy across accounts even when B's policy grants lambda:*", async () => {
		await deployWithPolicy(
			gw,
			"b-generous",
			{ auth: "aws_iam" },
			[
				{
					Sid: "all-to-a",
					Effect: "Allow",
					Principal: { AWS: `arn:aws:iam::${A.accountId}:root` },
					Action: "lambda:*",
					Resource: fnArn(B.accountId, "b-generous"),
				},
			],
			B.keys,
		);
		const path = `/2015-03-31/functions/${encodeURIComponent(fnArn(B.accountId, "b-generous"))}/policy`;
		const add = await signedFetch(gw.url, "POST", path, {
			service: "lambda",
			credentials: A.keys,
			body: statement("*"),
			headers: { "content-type": "application/json" },
		});
		assert.equal(add.status, 403, await add.text());
		const get = await signedFetch(gw.url, "GET", path, {
			service: "lambda",
			credentials: A.keys,
		});
		assert.equal(await status(get), 403);
		const del = await signedFetch(gw.url, "DELETE", `${path}/all-to-a`, {
			service: "lambda",
			credentials: A.keys,
		});
		assert.equal(await status(del), 403);
		const kept = await gw.gateway.store.functions.getPolicy(
			B.accountId,
			"b-generous",
		);
		assert.match(kept?.document ?? "", /all-to-a/);
		assert.doesNotMatch(kept?.document ?? "", /let-me-in/);
		// What the policy may grant across accounts, it still grants: the invoke.
		const invoke = await signedFetch(
			gw.url,
			"POST",
			`/2015-03-31/functions/${encodeURIComponent(fnArn(B.accountId, "b-generous"))}/invocations`,
			{ service: "lambda", credentials: A.keys, body: "{}" },
		);
		assert.equal(await status(invoke), 200);
	});

	test("the audit of a refused cross-account attempt lands in the resource owner's log, not the caller's", async () => {
		const records = await cp<{
			records: { outcome: string; function: string | null }[];
		}>(gw, "GET", "/logs?function=b-generous", undefined, B.keys);
		assert.ok(records.records.some((r) => r.outcome === "ACCESS_DENIED"));
	});
});

describe("class 2: an explicit Deny addressed around by percent-encoding", () => {
	let ops: Keys;
	before(async () => {
		await cp(gw, "POST", "/users", { userName: "admin" });
		ops = (await createUser(gw, "ops")).keys;
		await putUserPolicy(gw, "ops", "manage", [
			{
				Effect: "Allow",
				Action: ["iam:CreateAccessKey", "iam:PutUserPolicy", "iam:*"],
				Resource: `arn:aws:iam::${rootAccount}:user/*`,
			},
			{
				Effect: "Deny",
				Action: ["iam:*"],
				Resource: [
					`arn:aws:iam::${rootAccount}:user/admin`,
					`arn:aws:iam::${rootAccount}:user/ops`,
				],
			},
		]);
	});

	/** Any byte of `name` percent-encoded, hex digits in any case. */
	const encodingOf = (name: string) =>
		fc
			.tuple(
				...[...name].map((ch) =>
					fc.oneof(
						fc.constant(ch),
						fc.constantFrom(
							`%${ch.charCodeAt(0).toString(16).toUpperCase()}`,
							`%${ch.charCodeAt(0).toString(16).toLowerCase()}`,
						),
					),
				),
			)
			.map((parts) => parts.join(""));

	test("the reported attacks: %61dmin keys and %6Fps policies are denied", async () => {
		const key = await signedFetch(
			gw.url,
			"POST",
			"/sigil/v1/users/%61dmin/keys",
			{
				credentials: ops,
			},
		);
		assert.equal(await status(key), 403);
		const esc = await signedFetch(
			gw.url,
			"PUT",
			"/sigil/v1/users/%6Fps/policies/esc",
			{
				credentials: ops,
				body: JSON.stringify({
					document: {
						Version: "2012-10-17",
						Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }],
					},
				}),
				headers: { "content-type": "application/json" },
			},
		);
		assert.equal(await status(esc), 403);
		assert.deepEqual(
			await gw.gateway.store.accessKeys.list(rootAccount, "admin"),
			[],
		);
		assert.deepEqual(
			await gw.gateway.store.policies.list(rootAccount, "user", "ops"),
			(await gw.gateway.store.policies.list(rootAccount, "user", "ops")).filter(
				(p) => p.policyName !== "esc",
			),
		);
	});

	test("property: no encoding of a denied user's name reaches any user route", async () => {
		const routes = (name: string): [string, string, string?][] => [
			["POST", `/sigil/v1/users/${name}/keys`],
			[
				"PUT",
				`/sigil/v1/users/${name}/policies/esc`,
				'{"document":{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}}',
			],
			["GET", `/sigil/v1/users/${name}/policies`],
			["DELETE", `/sigil/v1/users/${name}/policies/manage`],
			["DELETE", `/sigil/v1/users/${name}`],
		];
		await fc.assert(
			fc.asyncProperty(
				fc.constantFrom("admin", "ops").chain(encodingOf),
				fc.nat(4),
				async (encoded, which) => {
					const [method, path, body] = routes(encoded)[which] as [
						string,
						string,
						string?,
					];
					const res = await signedFetch(gw.url, method, path, {
						credentials: ops,
						...(body && {
							body,
							headers: { "content-type": "application/json" },
						}),
					});
					assert.equal(await status(res), 403, `${method} ${path}`);
				},
			),
			{ numRuns: 60 },
		);
		assert.deepEqual(
			await gw.gateway.store.accessKeys.list(rootAccount, "admin"),
			[],
		);
		const opsPolicies = await gw.gateway.store.policies.list(
			rootAccount,
			"user",
			"ops",
		);
		assert.deepEqual(
			opsPolicies.map((p) => p.policyName),
			["manage"],
		);
	});

	test("double encoding is a different, invalid name, never the denied one", async () => {
		const res = await signedFetch(
			gw.url,
			"POST",
			"/sigil/v1/users/%2561dmin/keys",
			{ credentials: ops },
		);
		assert.equal(await status(res), 400);
	});
});

describe("class 3: keys are acted on only as their owner's", () => {
	let mallory: Keys;
	let bobKeyId: string;
	before(async () => {
		mallory = (await createUser(gw, "mallory")).keys;
		bobKeyId = (await createUser(gw, "bob")).keys.accessKeyId;
		// Mallory may manage keys — her own only.
		await putUserPolicy(gw, "mallory", "own-keys", [
			{
				Effect: "Allow",
				Action: [
					"iam:CreateAccessKey",
					"iam:UpdateAccessKey",
					"iam:DeleteAccessKey",
					"iam:ListAccessKeys",
				],
				Resource: `arn:aws:iam::${rootAccount}:user/mallory`,
			},
		]);
	});

	test("root's and another user's keys cannot be disabled, enabled or deleted", async () => {
		for (const id of [ROOT_KEY.accessKeyId, bobKeyId]) {
			for (const [method, path] of [
				["POST", `/sigil/v1/keys/${id}/disable`],
				["POST", `/sigil/v1/keys/${id}/enable`],
				["DELETE", `/sigil/v1/keys/${id}`],
			] as const) {
				const res = await signedFetch(gw.url, method, path, {
					credentials: mallory,
				});
				assert.equal(await status(res), 403, `${method} ${path}`);
			}
		}
		const root = await gw.gateway.store.accessKeys.get(ROOT_KEY.accessKeyId);
		assert.equal(root?.status, "Active");
		assert.equal(
			(await gw.gateway.store.accessKeys.get(bobKeyId))?.status,
			"Active",
		);
	});

	test("listing shows only the caller's own keys", async () => {
		const list = await cp<{ AccessKeyMetadata: { AccessKeyId: string }[] }>(
			gw,
			"GET",
			"/keys",
			undefined,
			mallory,
		);
		assert.deepEqual(
			list.AccessKeyMetadata.map((k) => k.AccessKeyId),
			[mallory.accessKeyId],
		);
		const other = await signedFetch(gw.url, "GET", "/sigil/v1/keys?user=bob", {
			credentials: mallory,
		});
		assert.equal(await status(other), 403);
	});

	test("POST /sigil/v1/keys keeps the two-keys quota, and the signing key cannot remove itself", async () => {
		const second = await cp<{ AccessKey: { AccessKeyId: string } }>(
			gw,
			"POST",
			"/keys",
			undefined,
			mallory,
		);
		const third = await signedFetch(gw.url, "POST", "/sigil/v1/keys", {
			credentials: mallory,
		});
		assert.equal(third.status, 409);
		assert.equal(
			((await third.json()) as { error: { code: string } }).error.code,
			"LIMIT_EXCEEDED",
		);
		const self = await signedFetch(
			gw.url,
			"DELETE",
			`/sigil/v1/keys/${mallory.accessKeyId}`,
			{ credentials: mallory },
		);
		assert.equal(self.status, 409);
		assert.equal(
			((await self.json()) as { error: { code: string } }).error.code,
			"KEY_IN_USE_BY_CALLER",
		);
		// Her own other key: allowed.
		const own = await signedFetch(
			gw.url,
			"POST",
			`/sigil/v1/keys/${second.AccessKey.AccessKeyId}/disable`,
			{ credentials: mallory },
		);
		assert.equal(await status(own), 200);
	});

	test("another account's key id is not found, never acted on", async () => {
		const res = await signedFetch(
			gw.url,
			"POST",
			`/sigil/v1/keys/${B.keys.accessKeyId}/disable`,
			{ credentials: A.keys },
		);
		assert.equal(res.status, 404);
		assert.equal(
			((await res.json()) as { error: { code: string } }).error.code,
			"NO_SUCH_ENTITY",
		);
		assert.equal(
			(await gw.gateway.store.accessKeys.get(B.keys.accessKeyId))?.status,
			"Active",
		);
	});
});

function iamForm(
	params: Record<string, string>,
	credentials: Keys = ROOT_KEY,
): Promise<Response> {
	return signedFetch(gw.url, "POST", "/", {
		service: "iam",
		credentials,
		body: new URLSearchParams({ Version: "2010-05-08", ...params }).toString(),
		headers: { "content-type": "application/x-www-form-urlencoded" },
	});
}

describe("class 6: IAM rules at every front door, unsupported parameters refused", () => {
	test("DeleteUser is DeleteConflict while keys or policies remain (control plane and IAM API)", async () => {
		await createUser(gw, "leaver");
		const cpDelete = await signedFetch(
			gw.url,
			"DELETE",
			"/sigil/v1/users/leaver",
		);
		assert.equal(cpDelete.status, 409);
		assert.equal(
			((await cpDelete.json()) as { error: { code: string } }).error.code,
			"DELETE_CONFLICT",
		);
		const query = await iamForm({ Action: "DeleteUser", UserName: "leaver" });
		assert.equal(query.status, 409);
		assert.match(await query.text(), /<Code>DeleteConflict<\/Code>/);
		assert.ok(await gw.gateway.store.users.get(rootAccount, "leaver"));
	});

	test("CreateRole with a boundary that does not exist, or a description: refused, nothing created", async () => {
		const trust = JSON.stringify({
			Version: "2012-10-17",
			Statement: [
				{
					Effect: "Allow",
					Principal: { AWS: `arn:aws:iam::${rootAccount}:root` },
					Action: "sts:AssumeRole",
				},
			],
		});
		const boundary = await iamForm({
			Action: "CreateRole",
			RoleName: "bounded",
			AssumeRolePolicyDocument: trust,
			PermissionsBoundary: `arn:aws:iam::${rootAccount}:policy/limit`,
		});
		// Boundaries are implemented (issue 11): a missing policy is NoSuchEntity, and the role
		// is not created without it.
		assert.equal(boundary.status, 404);
		assert.match(await boundary.text(), /policy\/limit does not exist/);
		assert.equal(
			await gw.gateway.store.roles.get(rootAccount, "bounded"),
			undefined,
		);
		// Tags are implemented on the IAM API (issue 11); a role description is not.
		const described = await iamForm({
			Action: "CreateRole",
			RoleName: "described",
			AssumeRolePolicyDocument: trust,
			Description: "x",
		});
		assert.equal(described.status, 400);
		assert.match(await described.text(), /Description/);
		assert.equal(
			await gw.gateway.store.roles.get(rootAccount, "described"),
			undefined,
		);
		const cpTags = await signedFetch(gw.url, "POST", "/sigil/v1/users", {
			body: JSON.stringify({ userName: "tagged", tags: { team: "x" } }),
			headers: { "content-type": "application/json" },
		});
		assert.equal(cpTags.status, 400);
		assert.match(await cpTags.text(), /tags/);
	});

	test("UpdateFunctionUrlConfig InvokeMode: RESPONSE_STREAM is acted upon, an unknown mode refused", async () => {
		await deployWithPolicy(gw, "streamer", { auth: "aws_iam" }, null);
		const bogus = await signedFetch(
			gw.url,
			"PUT",
			"/2021-10-31/functions/streamer/url",
			{
				service: "lambda",
				body: JSON.stringify({ InvokeMode: "STREAMING" }),
				headers: { "content-type": "application/json" },
			},
		);
		assert.equal(bogus.status, 400);
		assert.match(await bogus.text(), /invokeMode/);
		const res = await signedFetch(
			gw.url,
			"PUT",
			"/2021-10-31/functions/streamer/url",
			{
				service: "lambda",
				body: JSON.stringify({ InvokeMode: "RESPONSE_STREAM" }),
				headers: { "content-type": "application/json" },
			},
		);
		assert.equal(res.status, 200);
		// Stored and reported (lambda-streaming-url.test.ts shows the URL then streams).
		const got = await signedFetch(
			gw.url,
			"GET",
			"/2021-10-31/functions/streamer/url",
			{ service: "lambda" },
		);
		assert.equal(
			((await got.json()) as { InvokeMode: string }).InvokeMode,
			"RESPONSE_STREAM",
		);
		const buffered = await signedFetch(
			gw.url,
			"PUT",
			"/2021-10-31/functions/streamer/url",
			{
				service: "lambda",
				body: JSON.stringify({ InvokeMode: "BUFFERED" }),
				headers: { "content-type": "application/json" },
			},
		);
		assert.equal(await status(buffered), 200);
	});

	test("an anonymous caller gets the same answer for a protected function and a name that does not exist", async () => {
		const [known, unknown] = await Promise.all([
			fetch(`${gw.url}/function/b-private/`),
			fetch(`${gw.url}/function/no-such-fn/`),
		]);
		assert.equal(known.status, unknown.status);
		assert.deepEqual(await known.json(), await unknown.json());
		assert.equal(
			known.headers.get("x-amzn-errortype"),
			unknown.headers.get("x-amzn-errortype"),
		);
		// Signed but not allowed, versus signed and absent: the same again.
		const [signedKnown, signedUnknown] = await Promise.all([
			callUrl(gw, "b-private", A.keys),
			callUrl(gw, "no-such-fn", A.keys),
		]);
		assert.equal(signedKnown.status, 403);
		assert.equal(signedUnknown.status, 403);
		assert.deepEqual(await signedKnown.json(), await signedUnknown.json());
	});
});
