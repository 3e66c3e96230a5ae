// The documented decision rules (IAM User Guide, "Policy evaluation logic"; Lambda Developer
// Guide, "Control access to Lambda function URLs") end to end through a real gateway with
// signed requests: identity-only, resource-only, account delegation, cross-account one-sided
// and both, explicit deny in each place, source-IP and auth-type conditions, NotPrincipal with
// Deny, anonymous callers — via function URLs and the Lambda API, with every decision audited.
// Each scenario deploys its own function and writes its resource policy before the first call.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import {
	ROOT_KEY,
	signedFetch,
	startTestGateway,
	type TestGateway,
} from "./helpers/gateway.ts";
import {
	callUrl,
	cp,
	createAccount,
	createUser,
	deployWithPolicy,
	fnArn,
	invokeApi,
	type Keys,
	putUserPolicy,
} from "./helpers/iam.ts";

const IAM = { auth: "aws_iam", services: ["lambda"] };
const URL_ACTION = "lambda:InvokeFunctionUrl";

let gw: TestGateway;
let A: string;
let B: { accountId: string; keys: Keys };
const users: Record<string, { arn: string; keys: Keys }> = {};

/** A fixture user made in `before`. */
function u(name: string): { arn: string; keys: Keys } {
	const user = users[name];
	if (!user) throw new Error(`no fixture user ${name}`);
	return user;
}

before(async () => {
	gw = await startTestGateway();
	A = gw.gateway.rootAccountId;
	B = await createAccount(gw, "partner");
	for (const name of ["alice", "bob", "carol", "eve"])
		users[name] = await createUser(gw, name);
	users.dave = await createUser(gw, "dave", B.keys);
	users.zed = await createUser(gw, "zed", B.keys);
});
after(() => gw.stop());

const allowUrl = (fn: string, extra: Record<string, unknown> = {}) => ({
	Effect: "Allow",
	Action: URL_ACTION,
	Resource: fnArn(A, fn),
	...extra,
});

async function status(res: Response): Promise<number> {
	await res.arrayBuffer();
	return res.status;
}

async function forbidden(res: Response): Promise<void> {
	assert.equal(res.status, 403);
	assert.deepEqual(await res.json(), { Message: "Forbidden" });
}

describe("same account", () => {
	test("identity policy only: allowed with it, Forbidden without", async () => {
		await deployWithPolicy(gw, "s-identity", IAM, null);
		await forbidden(await callUrl(gw, "s-identity", u("alice").keys));
		await putUserPolicy(gw, "alice", "invoke-identity", [
			allowUrl("s-identity"),
		]);
		assert.equal(
			await status(await callUrl(gw, "s-identity", u("alice").keys)),
			200,
		);
	});

	test("resource policy naming the user only: allowed without any identity policy", async () => {
		await deployWithPolicy(gw, "s-resource", IAM, [
			allowUrl("s-resource", { Principal: { AWS: u("bob").arn } }),
		]);
		assert.equal(
			await status(await callUrl(gw, "s-resource", u("bob").keys)),
			200,
		);
		await forbidden(await callUrl(gw, "s-resource", u("carol").keys));
	});

	test("resource policy naming the account delegates: an identity allow is still needed", async () => {
		await deployWithPolicy(gw, "s-delegate", IAM, [
			allowUrl("s-delegate", { Principal: { AWS: `arn:aws:iam::${A}:root` } }),
		]);
		await forbidden(await callUrl(gw, "s-delegate", u("carol").keys));
		await putUserPolicy(gw, "carol", "invoke-delegate", [
			allowUrl("s-delegate"),
		]);
		assert.equal(
			await status(await callUrl(gw, "s-delegate", u("carol").keys)),
			200,
		);
	});

	test("the account's root identity may invoke without any policy", async () => {
		await deployWithPolicy(gw, "s-root", IAM, null);
		assert.equal(await status(await callUrl(gw, "s-root", ROOT_KEY)), 200);
	});
});

describe("cross account", () => {
	test("identity allow alone is not enough", async () => {
		await deployWithPolicy(gw, "x-identity", IAM, null);
		await putUserPolicy(
			gw,
			"dave",
			"x-identity",
			[allowUrl("x-identity")],
			B.keys,
		);
		await forbidden(await callUrl(gw, "x-identity", u("dave").keys));
	});

	test("resource allow alone is not enough", async () => {
		await deployWithPolicy(gw, "x-resource", IAM, [
			allowUrl("x-resource", { Principal: { AWS: u("zed").arn } }),
		]);
		await forbidden(await callUrl(gw, "x-resource", u("zed").keys));
	});

	test("identity and resource allow together: allowed; the other account's root too", async () => {
		await deployWithPolicy(gw, "x-both", IAM, [
			allowUrl("x-both", { Principal: { AWS: B.accountId } }),
		]);
		await putUserPolicy(gw, "dave", "x-both", [allowUrl("x-both")], B.keys);
		assert.equal(
			await status(await callUrl(gw, "x-both", u("dave").keys)),
			200,
		);
		assert.equal(await status(await callUrl(gw, "x-both", B.keys)), 200);
		await forbidden(await callUrl(gw, "x-both", u("zed").keys));
	});
});

describe("explicit deny wins", () => {
	test("in the identity policy, over the resource allow", async () => {
		await deployWithPolicy(gw, "d-identity", IAM, [
			allowUrl("d-identity", { Principal: { AWS: u("eve").arn } }),
		]);
		assert.equal(
			await status(await callUrl(gw, "d-identity", u("eve").keys)),
			200,
		);
		await putUserPolicy(gw, "eve", "deny-d", [
			{ Effect: "Deny", Action: "lambda:*", Resource: fnArn(A, "d-identity") },
		]);
		await forbidden(await callUrl(gw, "d-identity", u("eve").keys));
	});

	test("in the resource policy, over the identity allow and over the root identity", async () => {
		await deployWithPolicy(gw, "d-resource", IAM, [
			{ ...allowUrl("d-resource"), Effect: "Deny", Principal: "*" },
		]);
		await putUserPolicy(gw, "alice", "allow-d", [allowUrl("d-resource")]);
		await forbidden(await callUrl(gw, "d-resource", u("alice").keys));
		await forbidden(await callUrl(gw, "d-resource", ROOT_KEY));
	});

	// IAM User Guide, "NotPrincipal": with Deny, name the user's account as well as the user, or
	// the account principal the request is also evaluated as falls under the deny.
	test("NotPrincipal with Deny: everyone but the named user (and its account) is denied", async () => {
		await deployWithPolicy(gw, "d-notprincipal", IAM, [
			allowUrl("d-notprincipal", { Principal: "*" }),
			{
				...allowUrl("d-notprincipal"),
				Effect: "Deny",
				NotPrincipal: { AWS: [u("bob").arn, `arn:aws:iam::${A}:root`] },
			},
		]);
		assert.equal(
			await status(await callUrl(gw, "d-notprincipal", u("bob").keys)),
			200,
		);
		await forbidden(await callUrl(gw, "d-notprincipal", u("carol").keys));
		await forbidden(await callUrl(gw, "d-notprincipal", u("dave").keys));
	});
});

describe("conditions", () => {
	test("aws:SourceIp: the socket's address decides", async () => {
		await deployWithPolicy(gw, "c-ip-in", IAM, [
			allowUrl("c-ip-in", {
				Principal: { AWS: u("bob").arn },
				Condition: { IpAddress: { "aws:SourceIp": "127.0.0.0/8" } },
			}),
		]);
		await deployWithPolicy(gw, "c-ip-out", IAM, [
			allowUrl("c-ip-out", {
				Principal: { AWS: u("bob").arn },
				Condition: { IpAddress: { "aws:SourceIp": "10.0.0.0/8" } },
			}),
		]);
		assert.equal(
			await status(await callUrl(gw, "c-ip-in", u("bob").keys)),
			200,
		);
		await forbidden(await callUrl(gw, "c-ip-out", u("bob").keys));
	});

	test("lambda:FunctionUrlAuthType: a NONE-only grant does not open an AWS_IAM URL", async () => {
		await deployWithPolicy(gw, "c-authtype", IAM, [
			allowUrl("c-authtype", {
				Principal: { AWS: u("bob").arn },
				Condition: { StringEquals: { "lambda:FunctionUrlAuthType": "NONE" } },
			}),
		]);
		await forbidden(await callUrl(gw, "c-authtype", u("bob").keys));
	});
});

describe("anonymous callers", () => {
	test("auth: none gets the public-invoke statement, visible in GetPolicy, and removable", async () => {
		await deployWithPolicy(gw, "a-public", { auth: "none" }, null);
		assert.equal(await status(await callUrl(gw, "a-public", null)), 200);
		const got = await cp<{ Policy: string }>(
			gw,
			"GET",
			"/functions/a-public/policy",
		);
		const policy = JSON.parse(got.Policy) as {
			Statement: Record<string, unknown>[];
		};
		assert.deepEqual(policy.Statement[0], {
			Sid: "FunctionURLAllowPublicAccess",
			Effect: "Allow",
			Principal: "*",
			Action: "lambda:InvokeFunctionUrl",
			Resource: fnArn(A, "a-public"),
			Condition: { StringEquals: { "lambda:FunctionUrlAuthType": "NONE" } },
		});
		await cp(
			gw,
			"DELETE",
			"/functions/a-public/policy/FunctionURLAllowPublicAccess",
		);
		await forbidden(await callUrl(gw, "a-public", null));
	});

	test("a narrowed public statement (source IP) still decides", async () => {
		await deployWithPolicy(gw, "a-narrow", { auth: "none" }, [
			allowUrl("a-narrow", {
				Principal: "*",
				Condition: { IpAddress: { "aws:SourceIp": "192.0.2.0/24" } },
			}),
		]);
		await forbidden(await callUrl(gw, "a-narrow", null));
	});

	test("only Principal * admits anonymous callers: naming an account does not", async () => {
		await deployWithPolicy(gw, "a-account", { auth: "none" }, [
			allowUrl("a-account", { Principal: { AWS: A } }),
		]);
		await forbidden(await callUrl(gw, "a-account", null));
	});
});

describe("Lambda Invoke API", () => {
	test("identity allow of lambda:InvokeFunction: 200; without: AccessDeniedException in AWS's words", async () => {
		await deployWithPolicy(gw, "l-invoke", IAM, null);
		const denied = await invokeApi(gw, "l-invoke", u("carol").keys);
		assert.equal(denied.status, 403);
		assert.equal(
			denied.headers.get("x-amzn-errortype"),
			"AccessDeniedException",
		);
		const body = (await denied.json()) as { message: string };
		assert.equal(
			body.message,
			`User: ${u("carol").arn} is not authorized to perform: lambda:InvokeFunction on resource: ${fnArn(A, "l-invoke")} because no identity-based policy allows the lambda:InvokeFunction action`,
		);
		await putUserPolicy(gw, "carol", "invoke-api", [
			{
				Effect: "Allow",
				Action: "lambda:InvokeFunction",
				Resource: fnArn(A, "l-*"),
			},
		]);
		assert.equal(
			await status(await invokeApi(gw, "l-invoke", u("carol").keys)),
			200,
		);
	});

	test("a resource statement naming the user allows the Lambda API too; explicit deny there wins", async () => {
		await deployWithPolicy(gw, "l-resource", IAM, [
			{
				Effect: "Allow",
				Principal: { AWS: u("bob").arn },
				Action: "lambda:InvokeFunction",
				Resource: fnArn(A, "l-resource"),
			},
			{
				Effect: "Deny",
				Principal: { AWS: u("eve").arn },
				Action: "lambda:InvokeFunction",
				Resource: fnArn(A, "l-resource"),
			},
		]);
		assert.equal(
			await status(await invokeApi(gw, "l-resource", u("bob").keys)),
			200,
		);
		const res = await invokeApi(gw, "l-resource", u("eve").keys);
		assert.equal(res.status, 403);
		assert.match(
			((await res.json()) as { message: string }).message,
			/with an explicit deny in a resource-based policy$/,
		);
	});
});

describe("Lambda Invoke API across accounts", () => {
	test("a full ARN in another account needs the caller's identity allow and the function's resource allow", async () => {
		await deployWithPolicy(gw, "l-xa", IAM, [
			{
				Effect: "Allow",
				Principal: { AWS: u("dave").arn },
				Action: "lambda:InvokeFunction",
				Resource: fnArn(A, "l-xa"),
			},
		]);
		await deployWithPolicy(gw, "l-xb", IAM, null);
		const resourceOnly = await invokeApi(gw, fnArn(A, "l-xa"), u("dave").keys);
		assert.equal(
			resourceOnly.status,
			403,
			"resource allow alone is not enough across accounts",
		);
		await resourceOnly.arrayBuffer();
		await putUserPolicy(
			gw,
			"dave",
			"invoke-partner",
			[
				{
					Effect: "Allow",
					Action: "lambda:InvokeFunction",
					Resource: `arn:aws:lambda:*:${A}:function:l-x*`,
				},
			],
			B.keys,
		);
		assert.equal(
			await status(await invokeApi(gw, fnArn(A, "l-xa"), u("dave").keys)),
			200,
		);
		const identityOnly = await invokeApi(gw, fnArn(A, "l-xb"), u("dave").keys);
		assert.equal(identityOnly.status, 403);
		assert.match(
			((await identityOnly.json()) as { message: string }).message,
			/because no resource-based policy allows the lambda:InvokeFunction action$/,
		);
	});
});

describe("control plane and audit", () => {
	test("a user without policies may not manage functions; the root identity may", async () => {
		const res = await fetchAs(u("alice").keys, "GET", "/sigil/v1/functions");
		assert.equal(res.status, 403);
		const err = (await res.json()) as {
			error: { code: string; message: string };
		};
		assert.equal(err.error.code, "ACCESS_DENIED");
		assert.match(err.error.message, /lambda:ListFunctions/);
		assert.equal(
			(await fetchAs(ROOT_KEY, "GET", "/sigil/v1/functions")).status,
			200,
		);
	});

	test("every decision is in the owner's log, a denial with its explanation", async () => {
		await deployWithPolicy(gw, "audit-me", IAM, null);
		await forbidden(await callUrl(gw, "audit-me", u("bob").keys));
		assert.equal(await status(await callUrl(gw, "audit-me", ROOT_KEY)), 200);
		const { records } = await cp<{
			records: {
				outcome: string;
				principal: string;
				detail: { authorization: { reason: string; explanation?: string } };
			}[];
		}>(gw, "GET", "/logs?function=audit-me");
		const denied = records.find((r) => r.outcome === "ACCESS_DENIED");
		assert.ok(denied, "the denial is recorded");
		assert.equal(denied.principal, u("bob").arn);
		assert.equal(denied.detail.authorization.reason, "NO_IDENTITY_ALLOW");
		assert.match(denied.detail.authorization.explanation ?? "", /ImplicitDeny/);
		const allowed = records.find((r) => r.outcome === "OK");
		assert.equal(allowed?.detail.authorization.reason, "ALLOW_ROOT");
	});

	test("policy simulate explains without invoking", async () => {
		const r = await cp<{
			allowed: boolean;
			reason: string;
			explanation: string;
		}>(
			gw,
			"POST",
			"/simulate",
			{
				principal: u("dave").arn,
				action: URL_ACTION,
				resource: fnArn(A, "x-both"),
			},
			B.keys,
		);
		assert.equal(r.allowed, true);
		assert.equal(r.reason, "ALLOW_IDENTITY_AND_RESOURCE");
		assert.match(r.explanation, /cross-account/);
	});
});

function fetchAs(keys: Keys, method: string, path: string): Promise<Response> {
	return signedFetch(gw.url, method, path, { credentials: keys });
}
