// Sigil's own CLI for identity and access, in-process against a real gateway: accounts (root
// account only), users, roles, inline policies, function permissions and `policy simulate`.
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { run } from "./cli-helpers.ts";
import {
	ROOT_KEY,
	startTestGateway,
	type TestGateway,
} from "./helpers/gateway.ts";
import { deployWithPolicy, fnArn, type Keys } from "./helpers/iam.ts";
import { iamOk, query, tag } from "./iam-query.ts";

let gw: TestGateway;
let dir: string;
let A: string;

function sigil(argv: string[], keys: Keys = ROOT_KEY) {
	return run([...argv, "--gateway", gw.url], {
		env: {
			SIGIL_ACCESS_KEY_ID: keys.accessKeyId,
			SIGIL_SECRET_ACCESS_KEY: keys.secretAccessKey,
			SIGIL_CONFIG_DIR: join(dir, "none"),
			SIGIL_REGION: "us-east-1",
		},
	});
}

async function json<T = Record<string, unknown>>(
	argv: string[],
	keys?: Keys,
): Promise<T> {
	const r = await sigil([...argv, "--json"], keys);
	assert.equal(r.code, 0, r.stderr);
	return JSON.parse(r.stdout) as T;
}

before(async () => {
	gw = await startTestGateway();
	A = gw.gateway.rootAccountId;
	dir = await mkdtemp(join(tmpdir(), "sigil-iam-cli-"));
	await deployWithPolicy(
		gw,
		"cli-hello",
		{ auth: "aws_iam", services: ["lambda"] },
		null,
	);
});
after(async () => {
	await gw.stop();
	await rm(dir, { recursive: true, force: true });
});

describe("sigil account", () => {
	test("create --json prints the account id and its admin key; list shows it; others may not", async () => {
		const a = await json<{
			accountId: string;
			accessKey: { AccessKeyId: string; SecretAccessKey: string };
		}>(["account", "create", "--name", "partner"]);
		assert.match(a.accountId, /^\d{12}$/);
		assert.match(a.accessKey.AccessKeyId, /^AKIA/);
		const listed = await json<{ accounts: { accountId: string }[] }>([
			"account",
			"list",
		]);
		assert.ok(listed.accounts.some((x) => x.accountId === a.accountId));
		const theirs = {
			accessKeyId: a.accessKey.AccessKeyId,
			secretAccessKey: a.accessKey.SecretAccessKey,
		};
		const denied = await sigil(["account", "list"], theirs);
		assert.equal(denied.code, 1);
		assert.match(denied.stderr, /root account's root identity/);
		const text = await sigil(["account", "create"]);
		assert.match(text.stdout, /SecretAccessKey: \S+/);
	});
});

describe("sigil user / role / policy", () => {
	test("user create --key, policy put from a file, get, list, simulate, delete; user list and delete", async () => {
		const u = await json<{
			user: { arn: string };
			AccessKey: { AccessKeyId: string };
		}>(["user", "create", "alice", "--key"]);
		assert.equal(u.user.arn, `arn:aws:iam::${A}:user/alice`);
		const file = join(dir, "invoke.json");
		await writeFile(
			file,
			JSON.stringify({
				Version: "2012-10-17",
				Statement: [
					{
						Effect: "Allow",
						Action: "lambda:InvokeFunctionUrl",
						Resource: fnArn(A, "cli-*"),
						Condition: { IpAddress: { "aws:SourceIp": "10.0.0.0/8" } },
					},
				],
			}),
		);
		assert.equal(
			(
				await sigil([
					"policy",
					"put",
					"invoke",
					"--user",
					"alice",
					"--document",
					`file://${file}`,
				])
			).code,
			0,
		);
		const got = await json<{ policy: { document: { Statement: unknown[] } } }>([
			"policy",
			"get",
			"invoke",
			"--user",
			"alice",
		]);
		assert.equal(got.policy.document.Statement.length, 1);
		const listed = await sigil(["policy", "list", "--user", "alice"]);
		assert.match(listed.stdout, /^invoke\s/m);
		const base = [
			"policy",
			"simulate",
			"--principal",
			u.user.arn,
			"--action",
			"lambda:InvokeFunctionUrl",
			"--resource",
			fnArn(A, "cli-hello"),
		];
		const inside = await sigil([...base, "--context", "aws:SourceIp=10.1.2.3"]);
		assert.match(inside.stdout, /^Allow \(ALLOW_IDENTITY\)/);
		const outside = await sigil([
			...base,
			"--context",
			"aws:SourceIp=192.0.2.1",
		]);
		assert.match(outside.stdout, /^ImplicitDeny \(NO_IDENTITY_ALLOW\)/);
		assert.match(
			outside.stdout,
			/because no identity-based policy allows the lambda:InvokeFunctionUrl action/,
		);
		assert.equal(
			(await sigil(["policy", "delete", "invoke", "--user", "alice"])).code,
			0,
		);
		assert.match((await sigil(["user", "list"])).stdout, /alice/);
		assert.equal((await sigil(["user", "delete", "alice"])).code, 0);
		assert.doesNotMatch((await sigil(["user", "list"])).stdout, /alice/);
	});

	test("a malformed policy is refused with the place named; --user and --role are exclusive", async () => {
		await json(["user", "create", "bob"]);
		const bad = await sigil([
			"policy",
			"put",
			"p",
			"--user",
			"bob",
			"--document",
			'{"Version":"2012-10-17","Statement":[{"Effect":"Maybe","Action":"*","Resource":"*"}]}',
		]);
		assert.equal(bad.code, 1);
		assert.match(bad.stderr, /MALFORMED_POLICY|Statement\[0\]\.Effect/);
		const both = await sigil([
			"policy",
			"list",
			"--user",
			"bob",
			"--role",
			"r",
		]);
		assert.equal(both.code, 2);
	});

	test("role create with a trust policy, then a role policy", async () => {
		const trust = JSON.stringify({
			Version: "2012-10-17",
			Statement: [
				{ Effect: "Allow", Principal: { AWS: A }, Action: "sts:AssumeRole" },
			],
		});
		const r = await json<{ role: { arn: string } }>([
			"role",
			"create",
			"runner",
			"--trust-policy",
			trust,
		]);
		assert.equal(r.role.arn, `arn:aws:iam::${A}:role/runner`);
		assert.equal(
			(
				await sigil([
					"policy",
					"put",
					"all",
					"--role",
					"runner",
					"--document",
					'{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"lambda:*","Resource":"*"}]}',
				])
			).code,
			0,
		);
	});
});

describe("sigil user delete", () => {
	/** A new managed policy (lambda:ListFunctions) attached to `user`; its ARN. */
	async function attachManaged(
		user: string,
		policyName: string,
	): Promise<string> {
		const arn = tag(
			await iamOk(gw, {
				Action: "CreatePolicy",
				PolicyName: policyName,
				PolicyDocument: JSON.stringify({
					Version: "2012-10-17",
					Statement: [
						{ Effect: "Allow", Action: "lambda:ListFunctions", Resource: "*" },
					],
				}),
			}),
			"Arn",
		);
		await iamOk(gw, {
			Action: "AttachUserPolicy",
			UserName: user,
			PolicyArn: arn,
		});
		return arn;
	}

	test("a user with keys, inline and managed policies and groups is deleted whole, and its key stops working at once", async () => {
		const made = await json<{
			AccessKey: { AccessKeyId: string; SecretAccessKey: string };
		}>(["user", "create", "del-dora", "--key"]);
		const bob: Keys = {
			accessKeyId: made.AccessKey.AccessKeyId,
			secretAccessKey: made.AccessKey.SecretAccessKey,
		};
		const policyArn = await attachManaged("del-dora", "dora-managed");
		const doc = JSON.stringify({
			Version: "2012-10-17",
			Statement: [
				{ Effect: "Allow", Action: "lambda:ListFunctions", Resource: "*" },
			],
		});
		await iamOk(gw, { Action: "CreateGroup", GroupName: "dora-team" });
		await iamOk(gw, {
			Action: "AddUserToGroup",
			GroupName: "dora-team",
			UserName: "del-dora",
		});
		await iamOk(gw, {
			Action: "PutUserPolicy",
			UserName: "del-dora",
			PolicyName: "inline",
			PolicyDocument: doc,
		});
		const before = await sigil(["list"], bob);
		assert.equal(
			before.code,
			0,
			`the user's key works before: ${before.stderr}`,
		);
		// What IAM alone answers: DeleteConflict while anything is attached.
		const direct = await query(gw, "iam", {
			Action: "DeleteUser",
			UserName: "del-dora",
		});
		assert.equal(direct.status, 409, direct.xml);

		const r = await sigil(["user", "delete", "del-dora"]);
		assert.equal(r.code, 0, r.stderr);
		assert.match(r.stdout, /deleted user del-dora/);
		const gone = await query(gw, "iam", {
			Action: "GetUser",
			UserName: "del-dora",
		});
		assert.equal(gone.status, 404, gone.xml);
		// The managed policy and the group outlive their member, now detached and empty.
		const policy = await iamOk(gw, {
			Action: "GetPolicy",
			PolicyArn: policyArn,
		});
		assert.equal(tag(policy, "AttachmentCount"), "0");
		const group = await iamOk(gw, {
			Action: "GetGroup",
			GroupName: "dora-team",
		});
		assert.ok(!group.includes("<UserName>del-dora</UserName>"), group);
		const after = await sigil(["list"], bob);
		assert.notEqual(after.code, 0, "the deleted user's key is refused");
	});

	test("a user the caller may not detach from stays whole: the first refused step stops the delete", async () => {
		await json(["user", "create", "del-erin", "--key"]);
		const arn = await attachManaged("del-erin", "erin-managed");
		// An operator who may delete users and keys but not detach policies.
		const op = await json<{
			AccessKey: { AccessKeyId: string; SecretAccessKey: string };
		}>(["user", "create", "del-operator", "--key"]);
		await iamOk(gw, {
			Action: "PutUserPolicy",
			UserName: "del-operator",
			PolicyName: "some",
			PolicyDocument: JSON.stringify({
				Version: "2012-10-17",
				Statement: [
					{
						Effect: "Allow",
						Action: [
							"iam:DeleteUser",
							"iam:ListAccessKeys",
							"iam:DeleteAccessKey",
							"iam:ListUserPolicies",
							"iam:DeleteUserPolicy",
							"iam:ListAttachedUserPolicies",
						],
						Resource: "*",
					},
				],
			}),
		});
		const r = await sigil(["user", "delete", "del-erin"], {
			accessKeyId: op.AccessKey.AccessKeyId,
			secretAccessKey: op.AccessKey.SecretAccessKey,
		});
		assert.notEqual(r.code, 0);
		assert.match(r.stderr, /AccessDenied|ACCESS_DENIED|not authorized/i);
		const still = await iamOk(gw, { Action: "GetUser", UserName: "del-erin" });
		assert.match(still, /<UserName>del-erin<\/UserName>/);
		const attached = await iamOk(gw, {
			Action: "ListAttachedUserPolicies",
			UserName: "del-erin",
		});
		assert.ok(
			attached.includes(arn),
			"still attached: nothing half-done past the refusal",
		);
	});
});

describe("sigil permission", () => {
	test("add, list, remove; a duplicate statement id is a conflict", async () => {
		const added = await json<{
			Statement: { Principal: unknown; Condition: unknown };
		}>([
			"permission",
			"add",
			"cli-hello",
			"--statement-id",
			"partner",
			"--principal",
			"210987654321",
			"--function-url-auth-type",
			"AWS_IAM",
		]);
		assert.deepEqual(added.Statement.Principal, {
			AWS: "arn:aws:iam::210987654321:root",
		});
		assert.deepEqual(added.Statement.Condition, {
			StringEquals: { "lambda:FunctionUrlAuthType": "AWS_IAM" },
		});
		const dup = await sigil([
			"permission",
			"add",
			"cli-hello",
			"--statement-id",
			"partner",
			"--principal",
			"*",
		]);
		assert.equal(dup.code, 1);
		assert.match(dup.stderr, /already exists/);
		assert.match(
			(await sigil(["permission", "list", "cli-hello"])).stdout,
			/^partner\s+Allow/m,
		);
		assert.equal(
			(await sigil(["permission", "remove", "cli-hello", "partner"])).code,
			0,
		);
		const gone = await sigil(["permission", "list", "cli-hello"]);
		assert.equal(gone.code, 1);
	});

	test("--help of every new command shows its usage", async () => {
		for (const cmd of [
			"account create",
			"user create",
			"role create",
			"policy put",
			"policy simulate",
			"permission add",
		]) {
			const r = await sigil([...cmd.split(" "), "--help"]);
			assert.equal(r.code, 0);
			assert.match(r.stdout, new RegExp(`^usage: sigil ${cmd}`));
		}
	});
});
