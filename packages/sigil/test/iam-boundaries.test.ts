// Issue 11: permissions boundaries — Put/Delete{User,Role}PermissionsBoundary and
// `PermissionsBoundary` on CreateUser/CreateRole, stored and EVALUATED by the engine: a boundary
// denies what the inline policy allows; a role session is bounded by the role's; the
// `iam:PermissionsBoundary` condition key lets an administrator create users only with a
// boundary it names.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { startTestGateway, type TestGateway } from "./helpers/gateway.ts";
import {
	callUrl,
	createUser,
	deployWithPolicy,
	fnArn,
	putUserPolicy,
} from "./helpers/iam.ts";
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

const policyArn = (name: string) => `arn:aws:iam::${A}:policy/${name}`;
const invokeOnly = (...names: string[]) =>
	doc([
		{
			Effect: "Allow",
			Action: "lambda:InvokeFunctionUrl",
			Resource: names.map((n) => fnArn(A, n)),
		},
	]);

before(async () => {
	gw = await startTestGateway();
	A = gw.gateway.rootAccountId;
	cli = await awsCli(gw);
	for (const name of ["fn-a", "fn-b"])
		await deployWithPolicy(
			gw,
			name,
			{ auth: "aws_iam", services: ["lambda"] },
			null,
		);
	await iamOk(gw, {
		Action: "CreatePolicy",
		PolicyName: "only-a",
		PolicyDocument: invokeOnly("fn-a"),
	});
});
after(async () => {
	await cli?.close();
	await gw?.stop();
});

async function status(res: Response): Promise<number> {
	await res.arrayBuffer();
	return res.status;
}

describe("boundaries bound real decisions", () => {
	test("a boundary denies what the inline policy allows; deleting it gives it back", async () => {
		const u = await createUser(gw, "bounded-user");
		await putUserPolicy(gw, "bounded-user", "invoke-all", [
			{ Effect: "Allow", Action: "lambda:InvokeFunctionUrl", Resource: "*" },
		]);
		assert.equal(await status(await callUrl(gw, "fn-b", u.keys)), 200);
		await iamOk(gw, {
			Action: "PutUserPermissionsBoundary",
			UserName: "bounded-user",
			PermissionsBoundary: policyArn("only-a"),
		});
		assert.equal(await status(await callUrl(gw, "fn-a", u.keys)), 200);
		const denied = await callUrl(gw, "fn-b", u.keys);
		assert.equal(denied.status, 403);
		await denied.arrayBuffer();
		const user = await iamOk(gw, {
			Action: "GetUser",
			UserName: "bounded-user",
		});
		assert.equal(tag(user, "PermissionsBoundaryArn"), policyArn("only-a"));
		assert.equal(tag(user, "PermissionsBoundaryType"), "Policy");
		await iamOk(gw, {
			Action: "DeleteUserPermissionsBoundary",
			UserName: "bounded-user",
		});
		assert.equal(await status(await callUrl(gw, "fn-b", u.keys)), 200);
		assert.doesNotMatch(
			await iamOk(gw, { Action: "GetUser", UserName: "bounded-user" }),
			/PermissionsBoundary/,
		);
	});

	test("a boundary allows nothing by itself", async () => {
		const u = await createUser(gw, "boundary-only");
		await iamOk(gw, {
			Action: "PutUserPermissionsBoundary",
			UserName: "boundary-only",
			PermissionsBoundary: policyArn("only-a"),
		});
		assert.equal(await status(await callUrl(gw, "fn-a", u.keys)), 403);
	});

	test("CreateRole with PermissionsBoundary: the role's sessions are bounded; a new default version of the boundary applies at once", async () => {
		const caller = await createUser(gw, "role-caller");
		await iamOk(gw, {
			Action: "CreatePolicy",
			PolicyName: "role-boundary",
			PolicyDocument: invokeOnly("fn-a"),
		});
		const created = await iamOk(gw, {
			Action: "CreateRole",
			RoleName: "bounded-role",
			AssumeRolePolicyDocument: trustPolicy({ AWS: caller.arn }),
			PermissionsBoundary: policyArn("role-boundary"),
		});
		assert.equal(
			tag(created, "PermissionsBoundaryArn"),
			policyArn("role-boundary"),
		);
		await iamOk(gw, {
			Action: "PutRolePolicy",
			RoleName: "bounded-role",
			PolicyName: "all",
			PolicyDocument: doc([
				{ Effect: "Allow", Action: "lambda:InvokeFunctionUrl", Resource: "*" },
			]),
		});
		const assumed = await query(
			gw,
			"sts",
			{
				Action: "AssumeRole",
				RoleArn: `arn:aws:iam::${A}:role/bounded-role`,
				RoleSessionName: "s1",
			},
			caller.keys,
		);
		assert.equal(assumed.status, 200, assumed.xml);
		const session = credentialsOf(assumed.xml);
		assert.equal(await status(await callUrl(gw, "fn-a", session)), 200);
		assert.equal(await status(await callUrl(gw, "fn-b", session)), 403);
		await iamOk(gw, {
			Action: "CreatePolicyVersion",
			PolicyArn: policyArn("role-boundary"),
			PolicyDocument: invokeOnly("fn-a", "fn-b"),
			SetAsDefault: "true",
		});
		assert.equal(await status(await callUrl(gw, "fn-b", session)), 200);
		const role = await iamOk(gw, {
			Action: "GetRole",
			RoleName: "bounded-role",
		});
		assert.equal(
			tag(role, "PermissionsBoundaryArn"),
			policyArn("role-boundary"),
		);
		// In use as a boundary: counted, and not deletable.
		const policy = await iamOk(gw, {
			Action: "GetPolicy",
			PolicyArn: policyArn("role-boundary"),
		});
		assert.equal(tag(policy, "PermissionsBoundaryUsageCount"), "1");
		assert.equal(tag(policy, "AttachmentCount"), "0");
		await iamOk(gw, {
			Action: "DeletePolicyVersion",
			PolicyArn: policyArn("role-boundary"),
			VersionId: "v1",
		});
		const del = await query(gw, "iam", {
			Action: "DeletePolicy",
			PolicyArn: policyArn("role-boundary"),
		});
		assert.equal(del.status, 409);
		assert.match(del.xml, /<Code>DeleteConflict<\/Code>/);
		const usedAs = await iamOk(gw, {
			Action: "ListPolicies",
			PolicyUsageFilter: "PermissionsBoundary",
		});
		// only-a bounds boundary-only (the previous test), role-boundary this role.
		assert.deepEqual(
			[...usedAs.matchAll(/<PolicyName>([^<]+)</g)].map((m) => m[1]),
			["only-a", "role-boundary"],
		);
	});

	test("a create with a boundary that does not exist creates nothing", async () => {
		const r = await query(gw, "iam", {
			Action: "CreateUser",
			UserName: "never-made",
			PermissionsBoundary: policyArn("no-such-policy"),
		});
		assert.equal(r.status, 404);
		assert.match(r.xml, /<Code>NoSuchEntity<\/Code>/);
		assert.equal(await gw.gateway.store.users.get(A, "never-made"), undefined);
		const bad = await query(gw, "iam", {
			Action: "PutUserPermissionsBoundary",
			UserName: "bounded-user",
			PermissionsBoundary: "not-an-arn",
		});
		assert.equal(bad.status, 400);
	});

	test("iam:PermissionsBoundary: a delegated admin may create users only with the boundary it is given", async () => {
		const admin = await createUser(gw, "user-admin");
		await iamOk(gw, {
			Action: "PutUserPolicy",
			UserName: "user-admin",
			PolicyName: "create-bounded",
			PolicyDocument: doc([
				{
					Effect: "Allow",
					Action: ["iam:CreateUser", "iam:PutUserPermissionsBoundary"],
					Resource: `arn:aws:iam::${A}:user/*`,
					Condition: {
						StringEquals: { "iam:PermissionsBoundary": policyArn("only-a") },
					},
				},
			]),
		});
		await iamOk(gw, {
			Action: "CreatePolicy",
			PolicyName: "wide-open",
			PolicyDocument: doc([{ Effect: "Allow", Action: "*", Resource: "*" }]),
		});
		const create = (name: string, boundary?: string) =>
			query(
				gw,
				"iam",
				{
					Action: "CreateUser",
					UserName: name,
					...(boundary && { PermissionsBoundary: boundary }),
				},
				admin.keys,
			);
		assert.equal((await create("no-boundary")).status, 403);
		assert.equal((await create("wide", policyArn("wide-open"))).status, 403);
		const ok = await create("narrow", policyArn("only-a"));
		assert.equal(ok.status, 200, ok.xml);
		assert.equal(tag(ok.xml, "PermissionsBoundaryArn"), policyArn("only-a"));
		assert.equal(await gw.gateway.store.users.get(A, "no-boundary"), undefined);
		assert.equal(await gw.gateway.store.users.get(A, "wide"), undefined);
		// Nor may it swap the boundary for a wider one afterwards.
		const swap = await query(
			gw,
			"iam",
			{
				Action: "PutUserPermissionsBoundary",
				UserName: "narrow",
				PermissionsBoundary: policyArn("wide-open"),
			},
			admin.keys,
		);
		assert.equal(swap.status, 403);
	});
});

describe("aws iam … boundary commands", { skip: awsCliMissing() }, () => {
	test("create-user --permissions-boundary, get-user, put/delete-role-permissions-boundary, get-role", async () => {
		const { aws } = cli;
		const created = await aws([
			"iam",
			"create-user",
			"--user-name",
			"cli-bounded",
			"--permissions-boundary",
			policyArn("only-a"),
		]);
		assert.deepEqual(created.User.PermissionsBoundary, {
			PermissionsBoundaryType: "Policy",
			PermissionsBoundaryArn: policyArn("only-a"),
		});
		const got = await aws(["iam", "get-user", "--user-name", "cli-bounded"]);
		assert.equal(
			got.User.PermissionsBoundary.PermissionsBoundaryArn,
			policyArn("only-a"),
		);
		await aws([
			"iam",
			"create-role",
			"--role-name",
			"cli-bounded-role",
			"--assume-role-policy-document",
			trustPolicy({ AWS: `arn:aws:iam::${A}:root` }),
		]);
		await aws([
			"iam",
			"put-role-permissions-boundary",
			"--role-name",
			"cli-bounded-role",
			"--permissions-boundary",
			policyArn("only-a"),
		]);
		const role = await aws([
			"iam",
			"get-role",
			"--role-name",
			"cli-bounded-role",
		]);
		assert.equal(
			role.Role.PermissionsBoundary.PermissionsBoundaryArn,
			policyArn("only-a"),
		);
		await aws([
			"iam",
			"delete-role-permissions-boundary",
			"--role-name",
			"cli-bounded-role",
		]);
		const after = await aws([
			"iam",
			"get-role",
			"--role-name",
			"cli-bounded-role",
		]);
		assert.equal(after.Role.PermissionsBoundary, undefined);
	});
});
