// Issue 11: tags of users and roles — TagUser, UntagUser, ListUserTags, TagRole, UntagRole,
// ListRoleTags, `Tags` on CreateUser/CreateRole — stored and IN DECISIONS: the principal's tags
// are `aws:PrincipalTag/KEY` in every decision it makes (a role session carries the role's), and
// tagging operations offer `aws:RequestTag/KEY` and `aws:TagKeys` to the policy deciding them.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { startTestGateway, type TestGateway } from "./helpers/gateway.ts";
import {
	callUrl,
	createUser,
	deployWithPolicy,
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
	trustPolicy,
} from "./iam-query.ts";

let gw: TestGateway;
let A: string;
let cli: AwsCli;

/** Invoke anything, for principals tagged team=payments. */
const paymentsOnly = [
	{
		Effect: "Allow",
		Action: "lambda:InvokeFunctionUrl",
		Resource: "*",
		Condition: { StringEquals: { "aws:PrincipalTag/team": "payments" } },
	},
];

before(async () => {
	gw = await startTestGateway();
	A = gw.gateway.rootAccountId;
	cli = await awsCli(gw);
	await deployWithPolicy(
		gw,
		"tag-fn",
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

const tagsForm = (tags: Record<string, string>) =>
	Object.fromEntries(
		Object.entries(tags).flatMap(([k, v], i) => [
			[`Tags.member.${i + 1}.Key`, k],
			[`Tags.member.${i + 1}.Value`, v],
		]),
	);

const tagsOf = (xml: string) =>
	Object.fromEntries(
		[
			...xml.matchAll(
				/<member><Key>([^<]*)<\/Key><Value>([^<]*)<\/Value><\/member>/g,
			),
		].map((m) => [m[1], m[2]]),
	);

describe("aws:PrincipalTag in real decisions", () => {
	test("a tag condition: tagged → allowed; untagged or re-tagged → denied, at once", async () => {
		const u = await createUser(gw, "tagged-user");
		await putUserPolicy(gw, "tagged-user", "abac", paymentsOnly);
		assert.equal(await status(await callUrl(gw, "tag-fn", u.keys)), 403);
		await iamOk(gw, {
			Action: "TagUser",
			UserName: "tagged-user",
			...tagsForm({ team: "payments", env: "prod" }),
		});
		assert.equal(await status(await callUrl(gw, "tag-fn", u.keys)), 200);
		// Keys are case-insensitive: "Team" updates "team" (its spelling stays).
		await iamOk(gw, {
			Action: "TagUser",
			UserName: "tagged-user",
			...tagsForm({ Team: "search" }),
		});
		assert.equal(await status(await callUrl(gw, "tag-fn", u.keys)), 403);
		const listed = await iamOk(gw, {
			Action: "ListUserTags",
			UserName: "tagged-user",
		});
		assert.deepEqual(tagsOf(listed), { env: "prod", team: "search" });
		await iamOk(gw, {
			Action: "TagUser",
			UserName: "tagged-user",
			...tagsForm({ team: "payments" }),
		});
		assert.equal(await status(await callUrl(gw, "tag-fn", u.keys)), 200);
		await iamOk(gw, {
			Action: "UntagUser",
			UserName: "tagged-user",
			"TagKeys.member.1": "TEAM",
		});
		assert.equal(await status(await callUrl(gw, "tag-fn", u.keys)), 403);
		assert.deepEqual(
			tagsOf(
				await iamOk(gw, { Action: "ListUserTags", UserName: "tagged-user" }),
			),
			{ env: "prod" },
		);
	});

	test("a role's tags are its sessions' aws:PrincipalTag; Tags on CreateRole", async () => {
		const caller = await createUser(gw, "tag-role-caller");
		const created = await iamOk(gw, {
			Action: "CreateRole",
			RoleName: "payments-role",
			AssumeRolePolicyDocument: trustPolicy({ AWS: caller.arn }),
			...tagsForm({ team: "payments" }),
		});
		assert.deepEqual(tagsOf(created), { team: "payments" });
		await iamOk(gw, {
			Action: "PutRolePolicy",
			RoleName: "payments-role",
			PolicyName: "abac",
			PolicyDocument: doc(paymentsOnly),
		});
		const assumed = await query(
			gw,
			"sts",
			{
				Action: "AssumeRole",
				RoleArn: `arn:aws:iam::${A}:role/payments-role`,
				RoleSessionName: "s1",
			},
			caller.keys,
		);
		assert.equal(assumed.status, 200, assumed.xml);
		const session = credentialsOf(assumed.xml);
		assert.equal(await status(await callUrl(gw, "tag-fn", session)), 200);
		await iamOk(gw, {
			Action: "UntagRole",
			RoleName: "payments-role",
			"TagKeys.member.1": "team",
		});
		assert.equal(await status(await callUrl(gw, "tag-fn", session)), 403);
		// The caller's own tags are not the session's.
		await iamOk(gw, {
			Action: "TagUser",
			UserName: "tag-role-caller",
			...tagsForm({ team: "payments" }),
		});
		assert.equal(await status(await callUrl(gw, "tag-fn", session)), 403);
	});

	test("aws:TagKeys / aws:RequestTag: a delegated admin may set only the tags its policy names", async () => {
		const admin = await createUser(gw, "tag-admin");
		await createUser(gw, "tag-target");
		await putUserPolicy(gw, "tag-admin", "tag-env-only", [
			{
				Effect: "Allow",
				Action: "iam:TagUser",
				Resource: `arn:aws:iam::${A}:user/*`,
				Condition: {
					"ForAllValues:StringEquals": { "aws:TagKeys": ["env"] },
					StringEquals: { "aws:RequestTag/env": ["dev", "test"] },
				},
			},
		]);
		const tag = (tags: Record<string, string>) =>
			query(
				gw,
				"iam",
				{ Action: "TagUser", UserName: "tag-target", ...tagsForm(tags) },
				admin.keys,
			);
		assert.equal((await tag({ env: "dev" })).status, 200);
		assert.equal((await tag({ env: "prod" })).status, 403);
		// Setting team=payments would grant paymentsOnly policies: refused.
		assert.equal((await tag({ env: "dev", team: "payments" })).status, 403);
		assert.deepEqual(
			await gw.gateway.store.tags.list(A, "user", "tag-target"),
			[{ key: "env", value: "dev" }],
		);
	});
});

describe("tags: IAM's rules", () => {
	test("Tags on CreateUser: shown by GetUser; bad tags refuse the create and store nothing", async () => {
		const created = await iamOk(gw, {
			Action: "CreateUser",
			UserName: "born-tagged",
			...tagsForm({ team: "payments", "cost:center": "42" }),
		});
		assert.deepEqual(tagsOf(created), {
			team: "payments",
			"cost:center": "42",
		});
		assert.deepEqual(
			tagsOf(await iamOk(gw, { Action: "GetUser", UserName: "born-tagged" })),
			{ "cost:center": "42", team: "payments" },
		);
		for (const [why, tags] of [
			[
				"duplicate keys",
				{
					"Tags.member.1.Key": "a",
					"Tags.member.1.Value": "1",
					"Tags.member.2.Key": "A",
					"Tags.member.2.Value": "2",
				},
			],
			["aws: prefix", tagsForm({ "aws:team": "x" })],
			["bad character", tagsForm({ "team!": "x" })],
			["no value", { "Tags.member.1.Key": "team" }],
			[
				"51 tags",
				tagsForm(
					Object.fromEntries(
						Array.from({ length: 51 }, (_, i) => [`k${i}`, "v"]),
					),
				),
			],
		] as const) {
			const r = await query(gw, "iam", {
				Action: "CreateUser",
				UserName: "never-tagged",
				...tags,
			});
			assert.ok(r.status === 400 || r.status === 409, `${why}: ${r.status}`);
			assert.equal(
				await gw.gateway.store.users.get(A, "never-tagged"),
				undefined,
				why,
			);
		}
		const dup = await query(gw, "iam", {
			Action: "TagUser",
			UserName: "born-tagged",
			"Tags.member.1.Key": "x",
			"Tags.member.1.Value": "1",
			"Tags.member.2.Key": "X",
			"Tags.member.2.Value": "2",
		});
		assert.match(dup.xml, /Duplicate tag keys found/);
	});

	test("at most 50 tags per principal: a TagUser past it is LimitExceeded and adds none", async () => {
		await createUser(gw, "full");
		await iamOk(gw, {
			Action: "TagUser",
			UserName: "full",
			...tagsForm(
				Object.fromEntries(
					Array.from({ length: 49 }, (_, i) => [`k${i}`, "v"]),
				),
			),
		});
		const over = await query(gw, "iam", {
			Action: "TagUser",
			UserName: "full",
			...tagsForm({ extra1: "v", extra2: "v" }),
		});
		assert.equal(over.status, 409);
		assert.match(over.xml, /<Code>LimitExceeded<\/Code>/);
		assert.equal(
			(await gw.gateway.store.tags.list(A, "user", "full")).length,
			49,
		);
		// Updating existing keys does not count twice.
		await iamOk(gw, {
			Action: "TagUser",
			UserName: "full",
			...tagsForm({ k1: "new", extra: "v" }),
		});
		assert.equal(
			(await gw.gateway.store.tags.list(A, "user", "full")).length,
			50,
		);
	});
});

describe("aws iam … tag commands", { skip: awsCliMissing() }, () => {
	test("create-user --tags, tag/list/untag-user, tag/list/untag-role, get-role shows Tags", async () => {
		const { aws } = cli;
		const created = await aws([
			"iam",
			"create-user",
			"--user-name",
			"cli-tagged",
			"--tags",
			"Key=team,Value=payments",
		]);
		assert.deepEqual(created.User.Tags, [{ Key: "team", Value: "payments" }]);
		await aws([
			"iam",
			"tag-user",
			"--user-name",
			"cli-tagged",
			"--tags",
			"Key=env,Value=prod",
			"Key=owner,Value=ana",
		]);
		const listed = await aws([
			"iam",
			"list-user-tags",
			"--user-name",
			"cli-tagged",
		]);
		assert.deepEqual(listed.Tags, [
			{ Key: "env", Value: "prod" },
			{ Key: "owner", Value: "ana" },
			{ Key: "team", Value: "payments" },
		]);
		await aws([
			"iam",
			"untag-user",
			"--user-name",
			"cli-tagged",
			"--tag-keys",
			"env",
			"owner",
		]);
		const got = await aws(["iam", "get-user", "--user-name", "cli-tagged"]);
		assert.deepEqual(got.User.Tags, [{ Key: "team", Value: "payments" }]);
		await aws([
			"iam",
			"create-role",
			"--role-name",
			"cli-tagged-role",
			"--assume-role-policy-document",
			trustPolicy({ AWS: `arn:aws:iam::${A}:root` }),
		]);
		await aws([
			"iam",
			"tag-role",
			"--role-name",
			"cli-tagged-role",
			"--tags",
			"Key=team,Value=payments",
		]);
		const roleTags = await aws([
			"iam",
			"list-role-tags",
			"--role-name",
			"cli-tagged-role",
		]);
		assert.deepEqual(roleTags.Tags, [{ Key: "team", Value: "payments" }]);
		const role = await aws([
			"iam",
			"get-role",
			"--role-name",
			"cli-tagged-role",
		]);
		assert.deepEqual(role.Role.Tags, [{ Key: "team", Value: "payments" }]);
		await aws([
			"iam",
			"untag-role",
			"--role-name",
			"cli-tagged-role",
			"--tag-keys",
			"team",
		]);
		const none = await aws([
			"iam",
			"list-role-tags",
			"--role-name",
			"cli-tagged-role",
		]);
		assert.deepEqual(none.Tags, []);
	});
});
