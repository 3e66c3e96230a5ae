// Issue 11: IAM groups — CreateGroup, GetGroup, ListGroups, DeleteGroup, AddUserToGroup,
// RemoveUserFromGroup, ListGroupsForUser, Put/Get/List/DeleteGroupPolicy, Attach/Detach/
// ListAttachedGroupPolicies — and their policies EVALUATED for the members: a managed policy
// attached to a user's group lets the user invoke a function, and leaving the group ends it at
// once.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { startTestGateway, type TestGateway } from "./helpers/gateway.ts";
import { callUrl, createUser, deployWithPolicy, fnArn } from "./helpers/iam.ts";
import { awsCliMissing } from "./helpers/system-tools.ts";
import { type AwsCli, awsCli, doc, iamOk, query } from "./iam-query.ts";

let gw: TestGateway;
let A: string;
let cli: AwsCli;

const invoke = (name: string) =>
	doc([
		{
			Effect: "Allow",
			Action: "lambda:InvokeFunctionUrl",
			Resource: fnArn(A, name),
		},
	]);

before(async () => {
	gw = await startTestGateway();
	A = gw.gateway.rootAccountId;
	cli = await awsCli(gw);
	await deployWithPolicy(
		gw,
		"group-fn",
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

describe("group policies decide for the members", () => {
	test("a managed policy attached to the user's group lets the user invoke; leaving the group ends it", async () => {
		const member = await createUser(gw, "member");
		await iamOk(gw, { Action: "CreateGroup", GroupName: "invokers" });
		await iamOk(gw, {
			Action: "CreatePolicy",
			PolicyName: "invoke-group-fn",
			PolicyDocument: invoke("group-fn"),
		});
		await iamOk(gw, {
			Action: "AttachGroupPolicy",
			GroupName: "invokers",
			PolicyArn: `arn:aws:iam::${A}:policy/invoke-group-fn`,
		});
		assert.equal(await status(await callUrl(gw, "group-fn", member.keys)), 403);
		await iamOk(gw, {
			Action: "AddUserToGroup",
			GroupName: "invokers",
			UserName: "member",
		});
		assert.equal(await status(await callUrl(gw, "group-fn", member.keys)), 200);
		await iamOk(gw, {
			Action: "RemoveUserFromGroup",
			GroupName: "invokers",
			UserName: "member",
		});
		assert.equal(await status(await callUrl(gw, "group-fn", member.keys)), 403);
		// Back in the group, then the policy is detached from the group: denied at once.
		await iamOk(gw, {
			Action: "AddUserToGroup",
			GroupName: "invokers",
			UserName: "member",
		});
		assert.equal(await status(await callUrl(gw, "group-fn", member.keys)), 200);
		await iamOk(gw, {
			Action: "DetachGroupPolicy",
			GroupName: "invokers",
			PolicyArn: `arn:aws:iam::${A}:policy/invoke-group-fn`,
		});
		assert.equal(await status(await callUrl(gw, "group-fn", member.keys)), 403);
	});

	test("a group's inline policy, and a Deny in another group, apply to every member at once", async () => {
		const one = await createUser(gw, "one");
		const two = await createUser(gw, "two");
		await iamOk(gw, { Action: "CreateGroup", GroupName: "inline-group" });
		for (const u of ["one", "two"])
			await iamOk(gw, {
				Action: "AddUserToGroup",
				GroupName: "inline-group",
				UserName: u,
			});
		await iamOk(gw, {
			Action: "PutGroupPolicy",
			GroupName: "inline-group",
			PolicyName: "invoke",
			PolicyDocument: invoke("group-fn"),
		});
		assert.equal(await status(await callUrl(gw, "group-fn", one.keys)), 200);
		assert.equal(await status(await callUrl(gw, "group-fn", two.keys)), 200);
		await iamOk(gw, { Action: "CreateGroup", GroupName: "quarantine" });
		await iamOk(gw, {
			Action: "PutGroupPolicy",
			GroupName: "quarantine",
			PolicyName: "deny",
			PolicyDocument: doc([{ Effect: "Deny", Action: "*", Resource: "*" }]),
		});
		await iamOk(gw, {
			Action: "AddUserToGroup",
			GroupName: "quarantine",
			UserName: "two",
		});
		assert.equal(await status(await callUrl(gw, "group-fn", one.keys)), 200);
		const denied = await callUrl(gw, "group-fn", two.keys);
		assert.equal(denied.status, 403);
		await denied.arrayBuffer();
		await iamOk(gw, {
			Action: "DeleteGroupPolicy",
			GroupName: "inline-group",
			PolicyName: "invoke",
		});
		assert.equal(await status(await callUrl(gw, "group-fn", one.keys)), 403);
	});

	test("AddUserToGroup is authorized on the group: a user allowed one group cannot join another", async () => {
		const climber = await createUser(gw, "climber");
		await iamOk(gw, { Action: "CreateGroup", GroupName: "readers" });
		await iamOk(gw, { Action: "CreateGroup", GroupName: "admins" });
		await iamOk(gw, {
			Action: "PutGroupPolicy",
			GroupName: "admins",
			PolicyName: "all",
			PolicyDocument: doc([{ Effect: "Allow", Action: "*", Resource: "*" }]),
		});
		await iamOk(gw, {
			Action: "PutUserPolicy",
			UserName: "climber",
			PolicyName: "join-readers",
			PolicyDocument: doc([
				{
					Effect: "Allow",
					Action: "iam:AddUserToGroup",
					Resource: `arn:aws:iam::${A}:group/readers`,
				},
			]),
		});
		const join = (group: string) =>
			query(
				gw,
				"iam",
				{ Action: "AddUserToGroup", GroupName: group, UserName: "climber" },
				climber.keys,
			);
		assert.equal((await join("readers")).status, 200);
		const denied = await join("admins");
		assert.equal(denied.status, 403);
		assert.match(denied.xml, /iam:AddUserToGroup/);
		assert.deepEqual(
			(await gw.gateway.store.groups.listGroupsForUser(A, "climber")).map(
				(g) => g.groupName,
			),
			["readers"],
		);
	});
});

describe("groups: IAM's rules", () => {
	test("DeleteGroup is DeleteConflict while it has members or policies; DeleteUser while in a group", async () => {
		await createUser(gw, "stuck");
		await iamOk(gw, { Action: "CreateGroup", GroupName: "sticky" });
		await iamOk(gw, {
			Action: "AddUserToGroup",
			GroupName: "sticky",
			UserName: "stuck",
		});
		await iamOk(gw, {
			Action: "PutGroupPolicy",
			GroupName: "sticky",
			PolicyName: "p",
			PolicyDocument: invoke("group-fn"),
		});
		const del = () =>
			query(gw, "iam", { Action: "DeleteGroup", GroupName: "sticky" });
		let r = await del();
		assert.equal(r.status, 409);
		assert.match(r.xml, /must remove users from group first/);
		const user = await query(gw, "iam", {
			Action: "DeleteUser",
			UserName: "stuck",
		});
		assert.equal(user.status, 409);
		assert.match(user.xml, /<Code>DeleteConflict<\/Code>/);
		await iamOk(gw, {
			Action: "RemoveUserFromGroup",
			GroupName: "sticky",
			UserName: "stuck",
		});
		r = await del();
		assert.equal(r.status, 409);
		assert.match(r.xml, /must delete policies first/);
		await iamOk(gw, {
			Action: "DeleteGroupPolicy",
			GroupName: "sticky",
			PolicyName: "p",
		});
		await iamOk(gw, { Action: "DeleteGroup", GroupName: "sticky" });
		const gone = await query(gw, "iam", {
			Action: "GetGroup",
			GroupName: "sticky",
		});
		assert.equal(gone.status, 404);
		assert.match(gone.xml, /<Code>NoSuchEntity<\/Code>/);
	});

	test("names collide case-insensitively; malformed group policies are refused and not stored", async () => {
		await iamOk(gw, { Action: "CreateGroup", GroupName: "Case" });
		const dup = await query(gw, "iam", {
			Action: "CreateGroup",
			GroupName: "CASE",
		});
		assert.equal(dup.status, 409);
		assert.match(dup.xml, /<Code>EntityAlreadyExists<\/Code>/);
		const bad = await query(gw, "iam", {
			Action: "PutGroupPolicy",
			GroupName: "Case",
			PolicyName: "bad",
			PolicyDocument: doc([{ Effect: "Permit", Action: "*", Resource: "*" }]),
		});
		assert.equal(bad.status, 400);
		assert.match(bad.xml, /<Code>MalformedPolicyDocument<\/Code>/);
		assert.deepEqual(await gw.gateway.store.groups.listPolicies(A, "case"), []);
		const missingUser = await query(gw, "iam", {
			Action: "AddUserToGroup",
			GroupName: "Case",
			UserName: "ghost",
		});
		assert.equal(missingUser.status, 404);
	});
});

describe("aws iam … group commands", { skip: awsCliMissing() }, () => {
	test("create-group … delete-group, as a user of the AWS CLI runs them", async () => {
		const { aws, awsFails } = cli;
		await aws(["iam", "create-user", "--user-name", "cli-member"]);
		const created = await aws([
			"iam",
			"create-group",
			"--group-name",
			"cli-group",
			"--path",
			"/teams/",
		]);
		assert.equal(created.Group.Arn, `arn:aws:iam::${A}:group/teams/cli-group`);
		assert.match(created.Group.GroupId, /^AGPA/);
		await aws([
			"iam",
			"add-user-to-group",
			"--group-name",
			"cli-group",
			"--user-name",
			"cli-member",
		]);
		const got = await aws(["iam", "get-group", "--group-name", "cli-group"]);
		assert.deepEqual(
			got.Users.map((u: { UserName: string }) => u.UserName),
			["cli-member"],
		);
		const groups = await aws([
			"iam",
			"list-groups",
			"--path-prefix",
			"/teams/",
		]);
		assert.deepEqual(
			groups.Groups.map((g: { GroupName: string }) => g.GroupName),
			["cli-group"],
		);
		const forUser = await aws([
			"iam",
			"list-groups-for-user",
			"--user-name",
			"cli-member",
		]);
		assert.equal(forUser.Groups[0].GroupName, "cli-group");
		await aws([
			"iam",
			"put-group-policy",
			"--group-name",
			"cli-group",
			"--policy-name",
			"inline",
			"--policy-document",
			invoke("group-fn"),
		]);
		const inline = await aws([
			"iam",
			"get-group-policy",
			"--group-name",
			"cli-group",
			"--policy-name",
			"inline",
		]);
		assert.equal(inline.GroupName, "cli-group");
		assert.equal(
			inline.PolicyDocument.Statement[0].Resource,
			fnArn(A, "group-fn"),
		);
		const names = await aws([
			"iam",
			"list-group-policies",
			"--group-name",
			"cli-group",
		]);
		assert.deepEqual(names.PolicyNames, ["inline"]);
		const { Policy } = await aws([
			"iam",
			"create-policy",
			"--policy-name",
			"cli-group-managed",
			"--policy-document",
			invoke("group-fn"),
		]);
		await aws([
			"iam",
			"attach-group-policy",
			"--group-name",
			"cli-group",
			"--policy-arn",
			Policy.Arn,
		]);
		const attached = await aws([
			"iam",
			"list-attached-group-policies",
			"--group-name",
			"cli-group",
		]);
		assert.deepEqual(attached.AttachedPolicies, [
			{ PolicyName: "cli-group-managed", PolicyArn: Policy.Arn },
		]);
		assert.match(
			await awsFails(["iam", "delete-group", "--group-name", "cli-group"]),
			/DeleteConflict/,
		);
		await aws([
			"iam",
			"detach-group-policy",
			"--group-name",
			"cli-group",
			"--policy-arn",
			Policy.Arn,
		]);
		await aws([
			"iam",
			"delete-group-policy",
			"--group-name",
			"cli-group",
			"--policy-name",
			"inline",
		]);
		await aws([
			"iam",
			"remove-user-from-group",
			"--group-name",
			"cli-group",
			"--user-name",
			"cli-member",
		]);
		await aws(["iam", "delete-group", "--group-name", "cli-group"]);
		assert.match(
			await awsFails(["iam", "get-group", "--group-name", "cli-group"]),
			/NoSuchEntity/,
		);
	});
});
