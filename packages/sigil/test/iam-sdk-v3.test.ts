// IAM and STS through the AWS SDK for JavaScript v3 (@aws-sdk/client-iam, @aws-sdk/client-sts,
// issue 11), unmodified, pointed at the gateway: create a user, a role, a managed policy,
// attach it, AssumeRole, GetCallerIdentity — and the decisions they make change real calls; an
// execution role made with the IAM SDK serves Lambda's CreateFunction (SDK v3 too); operations
// Sigil does not implement raise a named error in each SDK.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import {
	AttachRolePolicyCommand,
	CreateAccessKeyCommand,
	CreatePolicyCommand,
	CreateRoleCommand,
	CreateUserCommand,
	DetachRolePolicyCommand,
	GetRoleCommand,
	IAMClient,
	ListAttachedRolePoliciesCommand,
	ListOpenIDConnectProvidersCommand,
	ListRolesCommand,
	NoSuchEntityException,
} from "@aws-sdk/client-iam";
import {
	CreateFunctionCommand,
	InvokeCommand,
	LambdaClient,
} from "@aws-sdk/client-lambda";
import {
	AssumeRoleCommand,
	GetCallerIdentityCommand,
	GetFederationTokenCommand,
	STSClient,
} from "@aws-sdk/client-sts";
import { writeZip } from "../src/functions/zip.ts";
import {
	REGION,
	ROOT_KEY,
	startTestGateway,
	type TestGateway,
} from "./helpers/gateway.ts";
import { callUrl, deployWithPolicy, fnArn, type Keys } from "./helpers/iam.ts";

let gw: TestGateway;
let account: string;
const clients: { destroy(): void }[] = [];

function iam(credentials: Keys = ROOT_KEY): IAMClient {
	const c = new IAMClient({
		endpoint: gw.url,
		region: REGION,
		credentials,
		maxAttempts: 1,
	});
	clients.push(c);
	return c;
}
function sts(credentials: Keys = ROOT_KEY): STSClient {
	const c = new STSClient({
		endpoint: gw.url,
		region: REGION,
		credentials,
		maxAttempts: 1,
	});
	clients.push(c);
	return c;
}
function lambda(credentials: Keys = ROOT_KEY): LambdaClient {
	const c = new LambdaClient({
		endpoint: gw.url,
		region: REGION,
		credentials,
		maxAttempts: 1,
	});
	clients.push(c);
	return c;
}

before(async () => {
	gw = await startTestGateway();
	account = gw.gateway.rootAccountId;
	await deployWithPolicy(gw, "target", { auth: "aws_iam" }, null);
});
after(async () => {
	for (const c of clients) c.destroy();
	await gw.stop();
});

describe("user, role, managed policy, AssumeRole, GetCallerIdentity", () => {
	let alice: Keys;
	let roleArn: string;
	let policyArn: string;

	before(async () => {
		const user = await iam().send(
			new CreateUserCommand({ UserName: "sdk-alice" }),
		);
		assert.equal(user.User?.Arn, `arn:aws:iam::${account}:user/sdk-alice`);
		assert.match(user.User?.UserId ?? "", /^AIDA/);
		const key = await iam().send(
			new CreateAccessKeyCommand({ UserName: "sdk-alice" }),
		);
		alice = {
			accessKeyId: key.AccessKey?.AccessKeyId as string,
			secretAccessKey: key.AccessKey?.SecretAccessKey as string,
		};
		const role = await iam().send(
			new CreateRoleCommand({
				RoleName: "sdk-invoker",
				AssumeRolePolicyDocument: JSON.stringify({
					Version: "2012-10-17",
					Statement: [
						{
							Effect: "Allow",
							Principal: { AWS: user.User?.Arn },
							Action: "sts:AssumeRole",
						},
					],
				}),
				MaxSessionDuration: 7200,
			}),
		);
		roleArn = role.Role?.Arn as string;
		assert.equal(roleArn, `arn:aws:iam::${account}:role/sdk-invoker`);
		const policy = await iam().send(
			new CreatePolicyCommand({
				PolicyName: "invoke-target",
				PolicyDocument: JSON.stringify({
					Version: "2012-10-17",
					Statement: [
						{
							Effect: "Allow",
							Action: "lambda:InvokeFunctionUrl",
							Resource: fnArn(account, "target"),
						},
					],
				}),
			}),
		);
		policyArn = policy.Policy?.Arn as string;
		assert.equal(policyArn, `arn:aws:iam::${account}:policy/invoke-target`);
		await iam().send(
			new AttachRolePolicyCommand({
				RoleName: "sdk-invoker",
				PolicyArn: policyArn,
			}),
		);
	});

	test("GetRole and ListRoles parse: ARN, id, trust document, max session", async () => {
		const got = await iam().send(
			new GetRoleCommand({ RoleName: "sdk-invoker" }),
		);
		assert.equal(got.Role?.Arn, roleArn);
		assert.match(got.Role?.RoleId ?? "", /^AROA/);
		assert.equal(got.Role?.MaxSessionDuration, 7200);
		const trust = JSON.parse(
			decodeURIComponent(got.Role?.AssumeRolePolicyDocument ?? ""),
		) as {
			Statement: { Principal: { AWS: string } }[];
		};
		assert.equal(
			trust.Statement[0]?.Principal.AWS,
			`arn:aws:iam::${account}:user/sdk-alice`,
		);
		const listed = await iam().send(new ListRolesCommand({}));
		assert.ok(listed.Roles?.some((r) => r.RoleName === "sdk-invoker"));
		const attached = await iam().send(
			new ListAttachedRolePoliciesCommand({ RoleName: "sdk-invoker" }),
		);
		assert.deepEqual(
			attached.AttachedPolicies?.map((p) => p.PolicyArn),
			[policyArn],
		);
	});

	test("GetCallerIdentity for the root key and for the user's key", async () => {
		const root = await sts().send(new GetCallerIdentityCommand({}));
		assert.equal(root.Arn, `arn:aws:iam::${account}:root`);
		assert.equal(root.Account, account);
		const me = await sts(alice).send(new GetCallerIdentityCommand({}));
		assert.equal(me.Arn, `arn:aws:iam::${account}:user/sdk-alice`);
	});

	test("AssumeRole as the user the trust names; the session's identity and the attached policy decide", async () => {
		const assumed = await sts(alice).send(
			new AssumeRoleCommand({
				RoleArn: roleArn,
				RoleSessionName: "sdk-session",
				DurationSeconds: 900,
			}),
		);
		assert.equal(
			assumed.AssumedRoleUser?.Arn,
			`arn:aws:sts::${account}:assumed-role/sdk-invoker/sdk-session`,
		);
		assert.match(
			assumed.AssumedRoleUser?.AssumedRoleId ?? "",
			/^AROA[A-Z0-9]+:sdk-session$/,
		);
		const c = assumed.Credentials;
		assert.ok(c?.Expiration instanceof Date);
		const session: Keys = {
			accessKeyId: c?.AccessKeyId as string,
			secretAccessKey: c?.SecretAccessKey as string,
			sessionToken: c?.SessionToken as string,
		};
		const who = await sts(session).send(new GetCallerIdentityCommand({}));
		assert.equal(
			who.Arn,
			`arn:aws:sts::${account}:assumed-role/sdk-invoker/sdk-session`,
		);
		// The attached managed policy allows the function URL; detaching it takes that away.
		const allowed = await callUrl(gw, "target", session);
		assert.equal(allowed.status, 200, await allowed.text());
		await iam().send(
			new DetachRolePolicyCommand({
				RoleName: "sdk-invoker",
				PolicyArn: policyArn,
			}),
		);
		const denied = await callUrl(gw, "target", session);
		assert.equal(denied.status, 403);
		await denied.arrayBuffer();
	});

	test("a user the trust does not name cannot assume the role: AccessDenied, as the SDK names it", async () => {
		await iam().send(new CreateUserCommand({ UserName: "sdk-mallory" }));
		const key = await iam().send(
			new CreateAccessKeyCommand({ UserName: "sdk-mallory" }),
		);
		const mallory = {
			accessKeyId: key.AccessKey?.AccessKeyId as string,
			secretAccessKey: key.AccessKey?.SecretAccessKey as string,
		};
		await assert.rejects(
			sts(mallory).send(
				new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: "nope" }),
			),
			(err: Error & { $metadata?: { httpStatusCode?: number } }) => {
				assert.equal(err.name, "AccessDenied");
				assert.equal(err.$metadata?.httpStatusCode, 403);
				assert.match(
					err.message,
					/is not authorized to perform: sts:AssumeRole/,
				);
				return true;
			},
		);
	});

	test("a role that does not exist: the modeled NoSuchEntityException", async () => {
		await assert.rejects(
			iam().send(new GetRoleCommand({ RoleName: "sdk-ghost" })),
			(err: Error) => {
				assert.ok(err instanceof NoSuchEntityException, err.name);
				return true;
			},
		);
	});
});

describe("an execution role made with the IAM SDK, used by Lambda's CreateFunction", () => {
	const zip = writeZip([
		{
			path: "index.mjs",
			data: "export const handler = async () => ({ id: process.env.AWS_ACCESS_KEY_ID ?? null, token: typeof process.env.AWS_SESSION_TOKEN });",
		},
	]);

	test("trusted by lambda.amazonaws.com: the function runs with a session of it", async () => {
		const role = await iam().send(
			new CreateRoleCommand({
				RoleName: "sdk-exec",
				AssumeRolePolicyDocument: JSON.stringify({
					Version: "2012-10-17",
					Statement: [
						{
							Effect: "Allow",
							Principal: { Service: "lambda.amazonaws.com" },
							Action: "sts:AssumeRole",
						},
					],
				}),
			}),
		);
		const created = await lambda().send(
			new CreateFunctionCommand({
				FunctionName: "sdk-exec-fn",
				Runtime: "nodejs22.x",
				Role: role.Role?.Arn,
				Handler: "index.handler",
				Code: { ZipFile: zip },
			}),
		);
		assert.equal(created.Role, role.Role?.Arn);
		const out = await lambda().send(
			new InvokeCommand({
				FunctionName: "sdk-exec-fn",
				Payload: Buffer.from("{}"),
			}),
		);
		const body = JSON.parse(Buffer.from(out.Payload ?? []).toString()) as {
			id: string;
			token: string;
		};
		assert.match(body.id, /^ASIA/);
		assert.equal(body.token, "string");
	});

	test("a role Lambda may not assume: InvalidParameterValueException with AWS's words", async () => {
		const role = await iam().send(
			new CreateRoleCommand({
				RoleName: "sdk-not-lambda",
				AssumeRolePolicyDocument: JSON.stringify({
					Version: "2012-10-17",
					Statement: [
						{
							Effect: "Allow",
							Principal: { Service: "ec2.amazonaws.com" },
							Action: "sts:AssumeRole",
						},
					],
				}),
			}),
		);
		await assert.rejects(
			lambda().send(
				new CreateFunctionCommand({
					FunctionName: "sdk-refused-fn",
					Runtime: "nodejs22.x",
					Role: role.Role?.Arn,
					Handler: "index.handler",
					Code: { ZipFile: zip },
				}),
			),
			(err: Error) => {
				assert.equal(err.name, "InvalidParameterValueException");
				assert.equal(
					err.message,
					"The role defined for the function cannot be assumed by Lambda.",
				);
				return true;
			},
		);
	});
});

describe("operations Sigil does not implement raise a named error", () => {
	test("IAM ListOpenIDConnectProviders: InvalidAction (400)", async () => {
		await assert.rejects(
			iam().send(new ListOpenIDConnectProvidersCommand({})),
			(
				err: Error & {
					$metadata?: { httpStatusCode?: number; requestId?: string };
				},
			) => {
				assert.equal(err.name, "InvalidAction");
				assert.equal(err.$metadata?.httpStatusCode, 400);
				assert.match(err.message, /ListOpenIDConnectProviders/);
				assert.ok(err.$metadata?.requestId, "a request id");
				return true;
			},
		);
	});

	test("STS GetFederationToken: InvalidAction (400)", async () => {
		await assert.rejects(
			sts().send(new GetFederationTokenCommand({ Name: "x" })),
			(err: Error & { $metadata?: { httpStatusCode?: number } }) => {
				assert.equal(err.name, "InvalidAction");
				assert.equal(err.$metadata?.httpStatusCode, 400);
				return true;
			},
		);
	});
});
