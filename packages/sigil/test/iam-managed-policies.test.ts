// Issue 11: customer managed policies — CreatePolicy, GetPolicy, GetPolicyVersion, ListPolicies,
// CreatePolicyVersion (five at most), ListPolicyVersions, SetDefaultPolicyVersion,
// DeletePolicyVersion, DeletePolicy (DeleteConflict while attached or with other versions), and
// Attach/Detach/ListAttached{User,Role}Policies — stored, validated by the engine when written,
// and EVALUATED: attaching, re-versioning and detaching change the next decision at once.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { startTestGateway, type TestGateway } from "./helpers/gateway.ts";
import {
	callUrl,
	createAccount,
	createUser,
	deployWithPolicy,
	fnArn,
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

const invokeAll = doc([
	{ Effect: "Allow", Action: "lambda:InvokeFunctionUrl", Resource: "*" },
]);
const denyAll = doc([
	{ Effect: "Deny", Action: "lambda:InvokeFunctionUrl", Resource: "*" },
]);
const policyArn = (name: string, path = "/") =>
	`arn:aws:iam::${A}:policy${path}${name}`;

before(async () => {
	gw = await startTestGateway();
	A = gw.gateway.rootAccountId;
	cli = await awsCli(gw);
	await deployWithPolicy(
		gw,
		"managed-fn",
		{ auth: "aws_iam", services: ["lambda"] },
		null,
	);
});
after(async () => {
	await cli?.close();
	await gw?.stop();
});

async function status(res: Response): Promise<number> {
	await res.arrayBuffer();
	return res.status;
}

describe("managed policies change real decisions", () => {
	test("attach → allowed at once; a new default version → its verdict; set back; detach → denied", async () => {
		const carol = await createUser(gw, "carol");
		await iamOk(gw, {
			Action: "CreatePolicy",
			PolicyName: "invoke-all",
			PolicyDocument: invokeAll,
		});
		assert.equal(
			await status(await callUrl(gw, "managed-fn", carol.keys)),
			403,
		);
		await iamOk(gw, {
			Action: "AttachUserPolicy",
			UserName: "carol",
			PolicyArn: policyArn("invoke-all"),
		});
		assert.equal(
			await status(await callUrl(gw, "managed-fn", carol.keys)),
			200,
		);
		// A version that is not the default changes nothing.
		const v2 = await iamOk(gw, {
			Action: "CreatePolicyVersion",
			PolicyArn: policyArn("invoke-all"),
			PolicyDocument: denyAll,
		});
		assert.equal(tag(v2, "VersionId"), "v2");
		assert.equal(tag(v2, "IsDefaultVersion"), "false");
		assert.equal(
			await status(await callUrl(gw, "managed-fn", carol.keys)),
			200,
		);
		await iamOk(gw, {
			Action: "SetDefaultPolicyVersion",
			PolicyArn: policyArn("invoke-all"),
			VersionId: "v2",
		});
		assert.equal(
			await status(await callUrl(gw, "managed-fn", carol.keys)),
			403,
		);
		await iamOk(gw, {
			Action: "CreatePolicyVersion",
			PolicyArn: policyArn("invoke-all"),
			PolicyDocument: invokeAll,
			SetAsDefault: "true",
		});
		assert.equal(
			await status(await callUrl(gw, "managed-fn", carol.keys)),
			200,
		);
		await iamOk(gw, {
			Action: "DetachUserPolicy",
			UserName: "carol",
			PolicyArn: policyArn("invoke-all"),
		});
		assert.equal(
			await status(await callUrl(gw, "managed-fn", carol.keys)),
			403,
		);
	});

	test("a managed policy attached to a role decides for the role's sessions", async () => {
		const dave = await createUser(gw, "dave");
		await iamOk(gw, {
			Action: "CreateRole",
			RoleName: "managed-invoker",
			AssumeRolePolicyDocument: trustPolicy({ AWS: dave.arn }),
		});
		await iamOk(gw, {
			Action: "CreatePolicy",
			PolicyName: "role-invoke",
			Path: "/svc/",
			PolicyDocument: doc([
				{
					Effect: "Allow",
					Action: "lambda:InvokeFunctionUrl",
					Resource: fnArn(A, "managed-fn"),
				},
			]),
		});
		const assumed = await query(
			gw,
			"sts",
			{
				Action: "AssumeRole",
				RoleArn: `arn:aws:iam::${A}:role/managed-invoker`,
				RoleSessionName: "s1",
			},
			dave.keys,
		);
		assert.equal(assumed.status, 200, assumed.xml);
		const session = credentialsOf(assumed.xml);
		assert.equal(await status(await callUrl(gw, "managed-fn", session)), 403);
		await iamOk(gw, {
			Action: "AttachRolePolicy",
			RoleName: "managed-invoker",
			PolicyArn: policyArn("role-invoke", "/svc/"),
		});
		assert.equal(await status(await callUrl(gw, "managed-fn", session)), 200);
		const listed = await iamOk(gw, {
			Action: "ListAttachedRolePolicies",
			RoleName: "managed-invoker",
		});
		assert.match(
			listed,
			/<AttachedPolicies><member><PolicyName>role-invoke<\/PolicyName><PolicyArn>arn:aws:iam::\d{12}:policy\/svc\/role-invoke<\/PolicyArn><\/member><\/AttachedPolicies>/,
		);
		// The path is part of the ARN: the same name without it is another (missing) policy.
		const wrongPath = await query(gw, "iam", {
			Action: "DetachRolePolicy",
			RoleName: "managed-invoker",
			PolicyArn: policyArn("role-invoke"),
		});
		assert.equal(wrongPath.status, 404);
		// DeleteRole is DeleteConflict while a managed policy is attached, as IAM.
		const conflict = await query(gw, "iam", {
			Action: "DeleteRole",
			RoleName: "managed-invoker",
		});
		assert.equal(conflict.status, 409);
		assert.match(conflict.xml, /must detach all policies first/);
	});

	test("iam:PolicyARN: a delegated admin may attach only the policy its own policy names", async () => {
		const admin = await createUser(gw, "delegated");
		await createUser(gw, "target-user");
		for (const name of ["safe", "powerful"])
			await iamOk(gw, {
				Action: "CreatePolicy",
				PolicyName: name,
				PolicyDocument: invokeAll,
			});
		await iamOk(gw, {
			Action: "PutUserPolicy",
			UserName: "delegated",
			PolicyName: "attach-safe-only",
			PolicyDocument: doc([
				{
					Effect: "Allow",
					Action: "iam:AttachUserPolicy",
					Resource: `arn:aws:iam::${A}:user/*`,
					Condition: { ArnEquals: { "iam:PolicyARN": policyArn("safe") } },
				},
			]),
		});
		const attach = (arn: string) =>
			query(
				gw,
				"iam",
				{ Action: "AttachUserPolicy", UserName: "target-user", PolicyArn: arn },
				admin.keys,
			);
		assert.equal((await attach(policyArn("safe"))).status, 200);
		const denied = await attach(policyArn("powerful"));
		assert.equal(denied.status, 403);
		assert.match(denied.xml, /<Code>AccessDenied<\/Code>/);
		const attached = await iamOk(gw, {
			Action: "ListAttachedUserPolicies",
			UserName: "target-user",
		});
		assert.deepEqual(
			[...attached.matchAll(/<PolicyName>([^<]+)</g)].map((m) => m[1]),
			["safe"],
		);
		// DeleteUser is DeleteConflict while a managed policy is attached.
		const conflict = await query(gw, "iam", {
			Action: "DeleteUser",
			UserName: "target-user",
		});
		assert.equal(conflict.status, 409);
		assert.match(conflict.xml, /<Code>DeleteConflict<\/Code>/);
	});
});

describe("managed policies: IAM's rules", () => {
	test("documents are validated by the engine when written; nothing is stored otherwise", async () => {
		const bad = doc([{ Effect: "Allow", Action: "lambda:Invoke*" }]);
		const created = await query(gw, "iam", {
			Action: "CreatePolicy",
			PolicyName: "malformed",
			PolicyDocument: bad,
		});
		assert.equal(created.status, 400);
		assert.match(created.xml, /<Code>MalformedPolicyDocument<\/Code>/);
		assert.match(created.xml, /Statement\[0\]/);
		assert.equal(
			await gw.gateway.store.managedPolicies.get(A, "malformed"),
			undefined,
		);
		await iamOk(gw, {
			Action: "CreatePolicy",
			PolicyName: "good",
			PolicyDocument: invokeAll,
		});
		const version = await query(gw, "iam", {
			Action: "CreatePolicyVersion",
			PolicyArn: policyArn("good"),
			PolicyDocument: bad,
			SetAsDefault: "true",
		});
		assert.equal(version.status, 400);
		assert.match(version.xml, /<Code>MalformedPolicyDocument<\/Code>/);
		assert.equal(
			(await gw.gateway.store.managedPolicies.listVersions(A, "good")).length,
			1,
		);
		const dup = await query(gw, "iam", {
			Action: "CreatePolicy",
			PolicyName: "GOOD",
			PolicyDocument: invokeAll,
		});
		assert.equal(dup.status, 409);
		assert.match(dup.xml, /<Code>EntityAlreadyExists<\/Code>/);
		const big = await query(gw, "iam", {
			Action: "CreatePolicy",
			PolicyName: "too-big",
			PolicyDocument: doc(
				Array.from({ length: 120 }, (_, i) => ({
					Sid: `s${i}`,
					Effect: "Allow",
					Action: "lambda:InvokeFunctionUrl",
					Resource: fnArn(A, `f${i}`),
				})),
			),
		});
		assert.equal(big.status, 409);
		assert.match(big.xml, /<Code>LimitExceeded<\/Code>.*PolicySize: 6144/);
	});

	test("policies of another account, AWS managed policies and bad ARNs are not found / invalid", async () => {
		const other = await createAccount(gw, "other");
		await iamOk(
			gw,
			{
				Action: "CreatePolicy",
				PolicyName: "theirs",
				PolicyDocument: invokeAll,
			},
			other.keys,
		);
		await createUser(gw, "eve");
		for (const arn of [
			`arn:aws:iam::${other.accountId}:policy/theirs`,
			"arn:aws:iam::aws:policy/AdministratorAccess",
		]) {
			const get = await query(gw, "iam", {
				Action: "GetPolicy",
				PolicyArn: arn,
			});
			assert.equal(get.status, 404, arn);
			const attach = await query(gw, "iam", {
				Action: "AttachUserPolicy",
				UserName: "eve",
				PolicyArn: arn,
			});
			assert.equal(attach.status, 404, arn);
			assert.match(attach.xml, /does not exist or is not attachable/);
		}
		const bad = await query(gw, "iam", {
			Action: "GetPolicy",
			PolicyArn: "arn:aws:iam::123:user/x",
		});
		assert.equal(bad.status, 400);
		assert.match(bad.xml, /is not valid/);
		assert.deepEqual(
			(await gw.gateway.store.managedPolicies.list(other.accountId)).map(
				(p) => p.attachmentCount,
			),
			[0],
		);
	});

	test("ListPolicies: Scope, OnlyAttached, PathPrefix, paging; AWS scope is empty here", async () => {
		const b = await createAccount(gw, "lister");
		for (const [name, path] of [
			["p1", "/"],
			["p2", "/x/"],
			["p3", "/x/"],
		] as const)
			await iamOk(
				gw,
				{
					Action: "CreatePolicy",
					PolicyName: name,
					Path: path,
					PolicyDocument: invokeAll,
				},
				b.keys,
			);
		const names = (xml: string) =>
			[...xml.matchAll(/<PolicyName>([^<]+)</g)].map((m) => m[1]);
		const local = await iamOk(
			gw,
			{ Action: "ListPolicies", Scope: "Local" },
			b.keys,
		);
		assert.deepEqual(names(local), ["p1", "p2", "p3"]);
		assert.doesNotMatch(local, /<Description>/);
		assert.deepEqual(
			names(
				await iamOk(gw, { Action: "ListPolicies", PathPrefix: "/x/" }, b.keys),
			),
			["p2", "p3"],
		);
		assert.deepEqual(
			names(await iamOk(gw, { Action: "ListPolicies", Scope: "AWS" }, b.keys)),
			[],
		);
		assert.deepEqual(
			names(
				await iamOk(
					gw,
					{ Action: "ListPolicies", OnlyAttached: "true" },
					b.keys,
				),
			),
			[],
		);
		const first = await iamOk(
			gw,
			{ Action: "ListPolicies", MaxItems: "2" },
			b.keys,
		);
		assert.equal(tag(first, "IsTruncated"), "true");
		const rest = await iamOk(
			gw,
			{ Action: "ListPolicies", MaxItems: "2", Marker: tag(first, "Marker") },
			b.keys,
		);
		assert.deepEqual([...names(first), ...names(rest)], ["p1", "p2", "p3"]);
	});
});

describe("aws iam … managed policy commands", { skip: awsCliMissing() }, () => {
	test("create/get/list-policies, versions (five at most), attach/list/detach, delete in IAM's order", async () => {
		const { aws, awsFails } = cli;
		await aws(["iam", "create-user", "--user-name", "cli-managed"]);
		const created = await aws([
			"iam",
			"create-policy",
			"--policy-name",
			"cli-invoke",
			"--path",
			"/cli/",
			"--description",
			"invoke every function URL",
			"--policy-document",
			invokeAll,
		]);
		const arn = policyArn("cli-invoke", "/cli/");
		assert.equal(created.Policy.Arn, arn);
		assert.equal(created.Policy.DefaultVersionId, "v1");
		assert.equal(created.Policy.IsAttachable, true);
		assert.match(created.Policy.PolicyId, /^ANPA/);
		const got = await aws(["iam", "get-policy", "--policy-arn", arn]);
		assert.equal(got.Policy.Description, "invoke every function URL");
		assert.equal(got.Policy.AttachmentCount, 0);
		const v1 = await aws([
			"iam",
			"get-policy-version",
			"--policy-arn",
			arn,
			"--version-id",
			"v1",
		]);
		assert.equal(v1.PolicyVersion.IsDefaultVersion, true);
		assert.deepEqual(v1.PolicyVersion.Document, JSON.parse(invokeAll));
		const listed = await aws(["iam", "list-policies", "--scope", "Local"]);
		assert.ok(
			listed.Policies.some((p: { Arn: string }) => p.Arn === arn),
			JSON.stringify(listed),
		);
		for (let i = 2; i <= 5; i++) {
			const v = await aws([
				"iam",
				"create-policy-version",
				"--policy-arn",
				arn,
				"--policy-document",
				invokeAll,
				...(i === 5 ? ["--set-as-default"] : []),
			]);
			assert.equal(v.PolicyVersion.VersionId, `v${i}`);
		}
		assert.match(
			await awsFails([
				"iam",
				"create-policy-version",
				"--policy-arn",
				arn,
				"--policy-document",
				invokeAll,
			]),
			/LimitExceeded.*up to 5 versions/,
		);
		const versions = await aws([
			"iam",
			"list-policy-versions",
			"--policy-arn",
			arn,
		]);
		assert.deepEqual(
			versions.Versions.map(
				(v: { VersionId: string; IsDefaultVersion: boolean }) =>
					`${v.VersionId}${v.IsDefaultVersion ? "*" : ""}`,
			),
			["v5*", "v4", "v3", "v2", "v1"],
		);
		await aws([
			"iam",
			"set-default-policy-version",
			"--policy-arn",
			arn,
			"--version-id",
			"v1",
		]);
		await aws([
			"iam",
			"attach-user-policy",
			"--user-name",
			"cli-managed",
			"--policy-arn",
			arn,
		]);
		const attached = await aws([
			"iam",
			"list-attached-user-policies",
			"--user-name",
			"cli-managed",
		]);
		assert.deepEqual(attached.AttachedPolicies, [
			{ PolicyName: "cli-invoke", PolicyArn: arn },
		]);
		assert.match(
			await awsFails(["iam", "delete-policy", "--policy-arn", arn]),
			/DeleteConflict.*attached to entities/,
		);
		await aws([
			"iam",
			"detach-user-policy",
			"--user-name",
			"cli-managed",
			"--policy-arn",
			arn,
		]);
		assert.match(
			await awsFails(["iam", "delete-policy", "--policy-arn", arn]),
			/DeleteConflict.*more than one version/,
		);
		assert.match(
			await awsFails([
				"iam",
				"delete-policy-version",
				"--policy-arn",
				arn,
				"--version-id",
				"v1",
			]),
			/DeleteConflict.*default version/,
		);
		for (const v of ["v2", "v3", "v4", "v5"])
			await aws([
				"iam",
				"delete-policy-version",
				"--policy-arn",
				arn,
				"--version-id",
				v,
			]);
		await aws(["iam", "delete-policy", "--policy-arn", arn]);
		assert.match(
			await awsFails(["iam", "get-policy", "--policy-arn", arn]),
			/NoSuchEntity/,
		);
	});
});
