// The AWS CLI, unmodified (`--endpoint-url` at a real gateway), for every IAM, STS and Lambda
// permission / function-URL command issue 5 lists. Skipped with the reason where the CLI is not
// installed locally; in CI (`CI` set) a missing CLI fails the run (helpers/system-tools.ts).
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { promisify } from "node:util";
import {
	ROOT_KEY,
	startTestGateway,
	type TestGateway,
} from "./helpers/gateway.ts";
import { callUrl, deployWithPolicy, type Keys } from "./helpers/iam.ts";
import { awsCliMissing } from "./helpers/system-tools.ts";

const run = promisify(execFile);
const skip = awsCliMissing();

// biome-ignore lint/suspicious/noExplicitAny: the CLI's JSON output is read field by field, as a script would.
type Json = Record<string, any>;

describe("aws iam|sts|lambda … --endpoint-url", { skip }, () => {
	let gw: TestGateway;
	let dir: string;
	let account: string;

	before(async () => {
		gw = await startTestGateway();
		account = gw.gateway.rootAccountId;
		dir = await mkdtemp(join(tmpdir(), "sigil-awscli-"));
		await deployWithPolicy(
			gw,
			"cli-fn",
			{ auth: "aws_iam", services: ["lambda"] },
			null,
		);
	});
	after(async () => {
		await gw?.stop();
		await rm(dir, { recursive: true, force: true });
	});

	function env(keys: Keys): NodeJS.ProcessEnv {
		return {
			PATH: process.env.PATH,
			HOME: dir,
			AWS_ACCESS_KEY_ID: keys.accessKeyId,
			AWS_SECRET_ACCESS_KEY: keys.secretAccessKey,
			...(keys.sessionToken && { AWS_SESSION_TOKEN: keys.sessionToken }),
			AWS_DEFAULT_REGION: "us-east-1",
			AWS_CONFIG_FILE: join(dir, "none"),
			AWS_SHARED_CREDENTIALS_FILE: join(dir, "none"),
			AWS_MAX_ATTEMPTS: "1",
		};
	}

	/** Runs `aws …`; resolves the parsed JSON output ({} when empty). */
	async function aws(args: string[], keys: Keys = ROOT_KEY): Promise<Json> {
		const { stdout } = await run(
			"aws",
			[...args, "--endpoint-url", gw.url, "--output", "json"],
			{
				env: env(keys),
				timeout: 30_000,
			},
		);
		return stdout.trim() ? (JSON.parse(stdout) as Json) : {};
	}

	/** Runs `aws …` expecting failure; resolves its stderr. */
	async function awsFails(
		args: string[],
		keys: Keys = ROOT_KEY,
	): Promise<string> {
		try {
			await run(
				"aws",
				[...args, "--endpoint-url", gw.url, "--output", "json"],
				{
					env: env(keys),
					timeout: 30_000,
				},
			);
		} catch (err) {
			return (err as { stderr: string }).stderr;
		}
		throw new Error(`aws ${args.join(" ")} succeeded`);
	}

	const policy = (statements: unknown[]) =>
		JSON.stringify({ Version: "2012-10-17", Statement: statements });
	const invokeAll = policy([
		{ Effect: "Allow", Action: "lambda:InvokeFunctionUrl", Resource: "*" },
	]);

	test("iam create-user, get-user; a second create-user is EntityAlreadyExists", async () => {
		const created = await aws([
			"iam",
			"create-user",
			"--user-name",
			"cli-alice",
		]);
		assert.equal(created.User.UserName, "cli-alice");
		assert.equal(created.User.Arn, `arn:aws:iam::${account}:user/cli-alice`);
		assert.match(created.User.UserId, /^AIDA/);
		const got = await aws(["iam", "get-user", "--user-name", "cli-alice"]);
		assert.equal(got.User.UserId, created.User.UserId);
		const again = await awsFails([
			"iam",
			"create-user",
			"--user-name",
			"cli-alice",
		]);
		assert.match(again, /EntityAlreadyExists/);
		assert.match(
			await awsFails(["iam", "get-user", "--user-name", "nobody"]),
			/NoSuchEntity/,
		);
	});

	test("iam create-access-key, list-access-keys, update-access-key, delete-access-key", async () => {
		await aws(["iam", "create-user", "--user-name", "cli-keys"]);
		const { AccessKey } = await aws([
			"iam",
			"create-access-key",
			"--user-name",
			"cli-keys",
		]);
		assert.match(AccessKey.AccessKeyId, /^AKIA/);
		assert.equal(AccessKey.Status, "Active");
		assert.equal(typeof AccessKey.SecretAccessKey, "string");
		const listed = await aws([
			"iam",
			"list-access-keys",
			"--user-name",
			"cli-keys",
		]);
		assert.deepEqual(
			listed.AccessKeyMetadata.map((k: Json) => [k.AccessKeyId, k.Status]),
			[[AccessKey.AccessKeyId, "Active"]],
		);
		await aws([
			"iam",
			"update-access-key",
			"--user-name",
			"cli-keys",
			"--access-key-id",
			AccessKey.AccessKeyId,
			"--status",
			"Inactive",
		]);
		const after = await aws([
			"iam",
			"list-access-keys",
			"--user-name",
			"cli-keys",
		]);
		assert.equal(after.AccessKeyMetadata[0].Status, "Inactive");
		await aws([
			"iam",
			"delete-access-key",
			"--user-name",
			"cli-keys",
			"--access-key-id",
			AccessKey.AccessKeyId,
		]);
		assert.deepEqual(
			(await aws(["iam", "list-access-keys", "--user-name", "cli-keys"]))
				.AccessKeyMetadata,
			[],
		);
	});

	test("iam put-user-policy, get-user-policy, list-user-policies, delete-user-policy; the new key then works", async () => {
		await aws(["iam", "create-user", "--user-name", "cli-bob"]);
		const { AccessKey } = await aws([
			"iam",
			"create-access-key",
			"--user-name",
			"cli-bob",
		]);
		const bob = {
			accessKeyId: AccessKey.AccessKeyId,
			secretAccessKey: AccessKey.SecretAccessKey,
		};
		const denied = await callUrl(gw, "cli-fn", bob);
		assert.equal(denied.status, 403);
		await denied.arrayBuffer();
		await aws([
			"iam",
			"put-user-policy",
			"--user-name",
			"cli-bob",
			"--policy-name",
			"invoke",
			"--policy-document",
			invokeAll,
		]);
		const got = await aws([
			"iam",
			"get-user-policy",
			"--user-name",
			"cli-bob",
			"--policy-name",
			"invoke",
		]);
		assert.deepEqual(got.PolicyDocument, JSON.parse(invokeAll));
		assert.deepEqual(
			(await aws(["iam", "list-user-policies", "--user-name", "cli-bob"]))
				.PolicyNames,
			["invoke"],
		);
		const allowed = await callUrl(gw, "cli-fn", bob);
		assert.equal(allowed.status, 200);
		await allowed.arrayBuffer();
		// The user's own key can read itself (GetUser needs iam:GetUser, which it lacks): denied in IAM's words.
		assert.match(
			await awsFails(["iam", "get-user"], bob),
			/AccessDenied.*iam:GetUser/s,
		);
		await aws([
			"iam",
			"delete-user-policy",
			"--user-name",
			"cli-bob",
			"--policy-name",
			"invoke",
		]);
		assert.deepEqual(
			(await aws(["iam", "list-user-policies", "--user-name", "cli-bob"]))
				.PolicyNames,
			[],
		);
	});

	test("iam put-user-policy with a malformed document is MalformedPolicyDocument naming the place", async () => {
		await aws(["iam", "create-user", "--user-name", "cli-bad"]);
		const err = await awsFails([
			"iam",
			"put-user-policy",
			"--user-name",
			"cli-bad",
			"--policy-name",
			"bad",
			"--policy-document",
			policy([
				{ Effect: "Allow", Action: "lambda:Invoke Function", Resource: "*" },
			]),
		]);
		assert.match(err, /MalformedPolicyDocument/);
		assert.match(err, /Statement\[0\]\.Action/);
	});

	test("iam create-role, put-role-policy, get-role; sts assume-role, get-caller-identity; the session invokes", async () => {
		const trust = policy([
			{
				Effect: "Allow",
				Principal: { AWS: `arn:aws:iam::${account}:root` },
				Action: "sts:AssumeRole",
			},
		]);
		const created = await aws([
			"iam",
			"create-role",
			"--role-name",
			"cli-role",
			"--assume-role-policy-document",
			trust,
		]);
		assert.equal(created.Role.Arn, `arn:aws:iam::${account}:role/cli-role`);
		assert.match(created.Role.RoleId, /^AROA/);
		await aws([
			"iam",
			"put-role-policy",
			"--role-name",
			"cli-role",
			"--policy-name",
			"invoke",
			"--policy-document",
			invokeAll,
		]);
		const got = await aws(["iam", "get-role", "--role-name", "cli-role"]);
		assert.deepEqual(got.Role.AssumeRolePolicyDocument, JSON.parse(trust));
		const assumed = await aws([
			"sts",
			"assume-role",
			"--role-arn",
			created.Role.Arn,
			"--role-session-name",
			"cli",
			"--duration-seconds",
			"900",
		]);
		assert.equal(
			assumed.AssumedRoleUser.Arn,
			`arn:aws:sts::${account}:assumed-role/cli-role/cli`,
		);
		const session = {
			accessKeyId: assumed.Credentials.AccessKeyId,
			secretAccessKey: assumed.Credentials.SecretAccessKey,
			sessionToken: assumed.Credentials.SessionToken,
		};
		const who = await aws(["sts", "get-caller-identity"], session);
		assert.deepEqual(who, {
			UserId: assumed.AssumedRoleUser.AssumedRoleId,
			Account: account,
			Arn: assumed.AssumedRoleUser.Arn,
		});
		const res = await callUrl(gw, "cli-fn", session);
		assert.equal(res.status, 200);
		await res.arrayBuffer();
	});

	test("sts get-session-token and get-caller-identity with it", async () => {
		const { Credentials } = await aws([
			"sts",
			"get-session-token",
			"--duration-seconds",
			"900",
		]);
		assert.match(Credentials.AccessKeyId, /^ASIA/);
		const who = await aws(["sts", "get-caller-identity"], {
			accessKeyId: Credentials.AccessKeyId,
			secretAccessKey: Credentials.SecretAccessKey,
			sessionToken: Credentials.SessionToken,
		});
		assert.equal(who.Arn, `arn:aws:iam::${account}:root`);
		const bad = await awsFails(["sts", "get-caller-identity"], {
			accessKeyId: Credentials.AccessKeyId,
			secretAccessKey: Credentials.SecretAccessKey,
			sessionToken: `${Credentials.SessionToken.slice(0, -4)}AAAA`,
		});
		assert.match(bad, /InvalidClientTokenId/);
	});

	test("lambda add-permission (as AWS builds the statement), get-policy, duplicate → 409, remove-permission", async () => {
		const added = await aws([
			"lambda",
			"add-permission",
			"--function-name",
			"cli-fn",
			"--statement-id",
			"partner",
			"--action",
			"lambda:InvokeFunctionUrl",
			"--principal",
			"210987654321",
			"--function-url-auth-type",
			"AWS_IAM",
			"--source-account",
			"210987654321",
		]);
		assert.deepEqual(JSON.parse(added.Statement), {
			Sid: "partner",
			Effect: "Allow",
			Principal: { AWS: "arn:aws:iam::210987654321:root" },
			Action: "lambda:InvokeFunctionUrl",
			Resource: `arn:aws:lambda:us-east-1:${account}:function:cli-fn`,
			Condition: {
				StringEquals: {
					"AWS:SourceAccount": "210987654321",
					"lambda:FunctionUrlAuthType": "AWS_IAM",
				},
			},
		});
		await aws([
			"lambda",
			"add-permission",
			"--function-name",
			"cli-fn",
			"--statement-id",
			"events",
			"--action",
			"lambda:InvokeFunction",
			"--principal",
			"events.amazonaws.com",
			"--source-arn",
			`arn:aws:events:us-east-1:${account}:rule/nightly`,
		]);
		const got = await aws([
			"lambda",
			"get-policy",
			"--function-name",
			"cli-fn",
		]);
		const doc = JSON.parse(got.Policy);
		assert.deepEqual(
			doc.Statement.map((s: Json) => s.Sid),
			["partner", "events"],
		);
		assert.deepEqual(doc.Statement[1].Principal, {
			Service: "events.amazonaws.com",
		});
		assert.deepEqual(doc.Statement[1].Condition, {
			ArnLike: {
				"AWS:SourceArn": `arn:aws:events:us-east-1:${account}:rule/nightly`,
			},
		});
		assert.equal(typeof got.RevisionId, "string");
		const dup = await awsFails([
			"lambda",
			"add-permission",
			"--function-name",
			"cli-fn",
			"--statement-id",
			"partner",
			"--action",
			"lambda:InvokeFunction",
			"--principal",
			"*",
		]);
		assert.match(dup, /ResourceConflictException/);
		await aws([
			"lambda",
			"remove-permission",
			"--function-name",
			"cli-fn",
			"--statement-id",
			"partner",
		]);
		const left = JSON.parse(
			(await aws(["lambda", "get-policy", "--function-name", "cli-fn"])).Policy,
		);
		assert.deepEqual(
			left.Statement.map((s: Json) => s.Sid),
			["events"],
		);
		assert.match(
			await awsFails([
				"lambda",
				"remove-permission",
				"--function-name",
				"cli-fn",
				"--statement-id",
				"partner",
			]),
			/ResourceNotFoundException/,
		);
	});

	test("lambda create/get/update/delete-function-url-config map onto the trigger", async () => {
		await deployWithPolicy(
			gw,
			"cli-url",
			{ auth: "aws_iam", services: ["lambda"] },
			null,
		);
		const created = await aws([
			"lambda",
			"create-function-url-config",
			"--function-name",
			"cli-url",
			"--auth-type",
			"NONE",
			"--cors",
			'{"AllowOrigins":["https://app.example"],"MaxAge":60}',
		]);
		assert.equal(created.AuthType, "NONE");
		assert.match(
			created.FunctionUrl,
			/^http:\/\/127\.0\.0\.1:\d+\/function\/cli-url\/$/,
		);
		assert.deepEqual(created.Cors, {
			AllowOrigins: ["https://app.example"],
			MaxAge: 60,
		});
		const anon = await callUrl(gw, "cli-url", null);
		assert.equal(anon.status, 200, "NONE adds the public-invoke statement");
		await anon.arrayBuffer();
		const got = await aws([
			"lambda",
			"get-function-url-config",
			"--function-name",
			"cli-url",
		]);
		assert.equal(
			got.FunctionArn,
			`arn:aws:lambda:us-east-1:${account}:function:cli-url`,
		);
		const updated = await aws([
			"lambda",
			"update-function-url-config",
			"--function-name",
			"cli-url",
			"--auth-type",
			"AWS_IAM",
		]);
		assert.equal(updated.AuthType, "AWS_IAM");
		const closed = await callUrl(gw, "cli-url", null);
		assert.equal(closed.status, 403);
		await closed.arrayBuffer();
		await aws([
			"lambda",
			"delete-function-url-config",
			"--function-name",
			"cli-url",
		]);
		assert.equal(
			(
				await aws([
					"lambda",
					"get-function-url-config",
					"--function-name",
					"cli-url",
				])
			).AuthType,
			"AWS_IAM",
		);
	});
});
