// Issue 11, "IAM and STS, the rest a user reaches for": the role operations an `aws iam` user
// reaches for after create-role — list-roles (paged), get-role, update-assume-role-policy,
// list/get/delete-role-policy, delete-role (DeleteConflict while policies remain, as IAM) —
// through the real AWS CLI and @smithy/signature-v4-signed forms; DeleteRole ends the role's
// STS sessions at once, and a new trust policy decides the next AssumeRole.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { startTestGateway, type TestGateway } from "./helpers/gateway.ts";
import { createUser, type Keys } from "./helpers/iam.ts";
import { awsCliMissing } from "./helpers/system-tools.ts";
import {
	type AwsCli,
	awsCli,
	credentialsOf,
	doc,
	iamOk,
	query,
	tag,
	trustPolicy,
} from "./iam-query.ts";

let gw: TestGateway;
let A: string;
let cli: AwsCli;
let alice: { arn: string; keys: Keys };
let bob: { arn: string; keys: Keys };

before(async () => {
	gw = await startTestGateway();
	A = gw.gateway.rootAccountId;
	cli = await awsCli(gw);
	alice = await createUser(gw, "alice");
	bob = await createUser(gw, "bob");
});
after(async () => {
	await cli?.close();
	await gw?.stop();
});

const assume = (keys: Keys, role: string) =>
	query(
		gw,
		"sts",
		{
			Action: "AssumeRole",
			RoleArn: `arn:aws:iam::${A}:role/${role}`,
			RoleSessionName: "s1",
		},
		keys,
	);

describe("roles over the query API (signed forms)", () => {
	test("ListRoles pages with MaxItems/Marker and filters by PathPrefix", async () => {
		for (const [name, path] of [
			["list-a", "/"],
			["list-b", "/team/"],
			["list-c", "/team/"],
		] as const)
			await iamOk(gw, {
				Action: "CreateRole",
				RoleName: name,
				Path: path,
				AssumeRolePolicyDocument: trustPolicy({ AWS: alice.arn }),
			});
		const first = await iamOk(gw, { Action: "ListRoles", MaxItems: "2" });
		assert.equal(tag(first, "IsTruncated"), "true");
		assert.equal((first.match(/<RoleName>/g) ?? []).length, 2);
		const second = await iamOk(gw, {
			Action: "ListRoles",
			MaxItems: "2",
			Marker: tag(first, "Marker"),
		});
		const names = [...`${first}${second}`.matchAll(/<RoleName>([^<]+)</g)].map(
			(m) => m[1],
		);
		assert.deepEqual(
			names.filter((n) => n?.startsWith("list-")),
			["list-a", "list-b", "list-c"],
		);
		const team = await iamOk(gw, { Action: "ListRoles", PathPrefix: "/team/" });
		assert.deepEqual(
			[...team.matchAll(/<RoleName>([^<]+)</g)].map((m) => m[1]),
			["list-b", "list-c"],
		);
		assert.match(team, /<Arn>arn:aws:iam::\d{12}:role\/team\/list-b<\/Arn>/);
		const bad = await query(gw, "iam", { Action: "ListRoles", MaxItems: "0" });
		assert.equal(bad.status, 400);
	});

	test("DeleteRole ends the role's sessions at once; a namesake does not revive them", async () => {
		await iamOk(gw, {
			Action: "CreateRole",
			RoleName: "short-lived",
			AssumeRolePolicyDocument: trustPolicy({ AWS: alice.arn }),
		});
		const assumed = await assume(alice.keys, "short-lived");
		assert.equal(assumed.status, 200, assumed.xml);
		const session = credentialsOf(assumed.xml);
		const who = await query(
			gw,
			"sts",
			{ Action: "GetCallerIdentity" },
			session,
		);
		assert.equal(who.status, 200);
		assert.match(who.xml, /assumed-role\/short-lived\/s1/);
		await iamOk(gw, { Action: "DeleteRole", RoleName: "short-lived" });
		const after = await query(
			gw,
			"sts",
			{ Action: "GetCallerIdentity" },
			session,
		);
		assert.equal(after.status, 403);
		assert.match(after.xml, /<Code>InvalidClientTokenId<\/Code>/);
		await iamOk(gw, {
			Action: "CreateRole",
			RoleName: "short-lived",
			AssumeRolePolicyDocument: trustPolicy({ AWS: alice.arn }),
		});
		const again = await query(
			gw,
			"sts",
			{ Action: "GetCallerIdentity" },
			session,
		);
		assert.equal(again.status, 403);
		await iamOk(gw, { Action: "DeleteRole", RoleName: "short-lived" });
	});

	test("DeleteRole is authorized on the role it deletes", async () => {
		await iamOk(gw, {
			Action: "CreateRole",
			RoleName: "guarded",
			AssumeRolePolicyDocument: trustPolicy({ AWS: alice.arn }),
		});
		await iamOk(gw, {
			Action: "PutUserPolicy",
			UserName: "bob",
			PolicyName: "delete-other",
			PolicyDocument: doc([
				{
					Effect: "Allow",
					Action: "iam:DeleteRole",
					Resource: `arn:aws:iam::${A}:role/other`,
				},
			]),
		});
		const denied = await query(
			gw,
			"iam",
			{ Action: "DeleteRole", RoleName: "guarded" },
			bob.keys,
		);
		assert.equal(denied.status, 403);
		assert.match(denied.xml, /<Code>AccessDenied<\/Code>/);
		assert.ok(await gw.gateway.store.roles.get(A, "guarded"));
		const notFound = await query(gw, "iam", {
			Action: "DeleteRole",
			RoleName: "never-was",
		});
		assert.equal(notFound.status, 404);
		assert.match(notFound.xml, /<Code>NoSuchEntity<\/Code>/);
	});

	test("UpdateAssumeRolePolicy: validated by the engine, then it decides the next AssumeRole", async () => {
		await iamOk(gw, {
			Action: "CreateRole",
			RoleName: "switch",
			AssumeRolePolicyDocument: trustPolicy({ AWS: alice.arn }),
		});
		assert.equal((await assume(alice.keys, "switch")).status, 200);
		assert.equal((await assume(bob.keys, "switch")).status, 403);
		const malformed = await query(gw, "iam", {
			Action: "UpdateAssumeRolePolicy",
			RoleName: "switch",
			PolicyDocument: doc([{ Effect: "Allow", Action: "sts:AssumeRole" }]),
		});
		assert.equal(malformed.status, 400);
		assert.match(malformed.xml, /<Code>MalformedPolicyDocument<\/Code>/);
		await iamOk(gw, {
			Action: "UpdateAssumeRolePolicy",
			RoleName: "switch",
			PolicyDocument: trustPolicy({ AWS: bob.arn }),
		});
		assert.equal((await assume(alice.keys, "switch")).status, 403);
		assert.equal((await assume(bob.keys, "switch")).status, 200);
	});
});

describe("aws iam … role commands", { skip: awsCliMissing() }, () => {
	test("list-roles, get-role, put/list/get/delete-role-policy, delete-role with DeleteConflict", async () => {
		const { aws, awsFails } = cli;
		await aws([
			"iam",
			"create-role",
			"--role-name",
			"cli-lifecycle",
			"--assume-role-policy-document",
			trustPolicy({ AWS: alice.arn }),
		]);
		// --page-size makes the CLI send MaxItems and follow every Marker.
		const listed = await aws(["iam", "list-roles", "--page-size", "1"]);
		assert.ok(
			listed.Roles.some(
				(r: { RoleName: string }) => r.RoleName === "cli-lifecycle",
			),
		);
		const got = await aws(["iam", "get-role", "--role-name", "cli-lifecycle"]);
		assert.equal(got.Role.Arn, `arn:aws:iam::${A}:role/cli-lifecycle`);
		assert.equal(
			got.Role.AssumeRolePolicyDocument.Statement[0].Principal.AWS,
			alice.arn,
		);
		await aws([
			"iam",
			"update-assume-role-policy",
			"--role-name",
			"cli-lifecycle",
			"--policy-document",
			trustPolicy({ AWS: bob.arn }),
		]);
		const updated = await aws([
			"iam",
			"get-role",
			"--role-name",
			"cli-lifecycle",
		]);
		assert.equal(
			updated.Role.AssumeRolePolicyDocument.Statement[0].Principal.AWS,
			bob.arn,
		);
		const inline = doc([
			{ Effect: "Allow", Action: "lambda:InvokeFunction", Resource: "*" },
		]);
		await aws([
			"iam",
			"put-role-policy",
			"--role-name",
			"cli-lifecycle",
			"--policy-name",
			"invoke",
			"--policy-document",
			inline,
		]);
		const names = await aws([
			"iam",
			"list-role-policies",
			"--role-name",
			"cli-lifecycle",
		]);
		assert.deepEqual(names.PolicyNames, ["invoke"]);
		const policy = await aws([
			"iam",
			"get-role-policy",
			"--role-name",
			"cli-lifecycle",
			"--policy-name",
			"invoke",
		]);
		assert.equal(policy.RoleName, "cli-lifecycle");
		assert.equal(
			policy.PolicyDocument.Statement[0].Action,
			"lambda:InvokeFunction",
		);
		assert.match(
			await awsFails(["iam", "delete-role", "--role-name", "cli-lifecycle"]),
			/DeleteConflict.*must delete policies first/,
		);
		await aws([
			"iam",
			"delete-role-policy",
			"--role-name",
			"cli-lifecycle",
			"--policy-name",
			"invoke",
		]);
		await aws(["iam", "delete-role", "--role-name", "cli-lifecycle"]);
		assert.match(
			await awsFails(["iam", "get-role", "--role-name", "cli-lifecycle"]),
			/NoSuchEntity/,
		);
	});
});
