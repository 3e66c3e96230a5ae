// Issue 11: the policy simulator — SimulatePrincipalPolicy (a user's, role's or group's stored
// policies, its groups' and its boundary, plus given ones) and SimulateCustomPolicy, decided by
// the same engine as real requests and answered in IAM's EvaluationResults shape (EvalDecision,
// MatchedStatements with SourcePolicyId/SourcePolicyType, MissingContextValues,
// PermissionsBoundaryDecisionDetail, ResourceSpecificResults); the AWS CLI parses it.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { startTestGateway, type TestGateway } from "./helpers/gateway.ts";
import {
	callUrl,
	createAccount,
	createUser,
	deployWithPolicy,
	fnArn,
	type Keys,
	putUserPolicy,
} from "./helpers/iam.ts";
import { awsCliMissing } from "./helpers/system-tools.ts";
import {
	type AwsCli,
	awsCli,
	doc,
	iamOk,
	query,
	trustPolicy,
} from "./iam-query.ts";

let gw: TestGateway;
let A: string;
let cli: AwsCli;
let sim: { arn: string; keys: Keys };

const INVOKE = "lambda:InvokeFunctionUrl";
const policyArn = (name: string) => `arn:aws:iam::${A}:policy/${name}`;
const list = (name: string, values: readonly string[]) =>
	Object.fromEntries(values.map((v, i) => [`${name}.member.${i + 1}`, v]));

/** The EvaluationResults of a simulate answer, as plain objects. */
function results(xml: string) {
	const body =
		xml.split("<EvaluationResults>")[1]?.split("</EvaluationResults>")[0] ?? "";
	// Top-level members only: each starts with <member><EvalActionName>.
	return body
		.split("<member><EvalActionName>")
		.slice(1)
		.map((m) => {
			const top = m.split("<ResourceSpecificResults>")[0] as string;
			const get = (tag: string) =>
				new RegExp(`<${tag}>([^<]*)</${tag}>`).exec(top)?.[1];
			return {
				action: m.split("<")[0],
				resource: get("EvalResourceName"),
				decision: get("EvalDecision"),
				matched: [
					...top.matchAll(
						/<SourcePolicyId>([^<]*)<\/SourcePolicyId><SourcePolicyType>([^<]*)<\/SourcePolicyType>/g,
					),
				].map((x) => `${x[2]}:${x[1]}`),
				missing: [
					...(
						/<MissingContextValues>(.*?)<\/MissingContextValues>/.exec(
							top,
						)?.[1] ?? ""
					).matchAll(/<member>([^<]*)<\/member>/g),
				].map((x) => x[1]),
				boundary: get("AllowedByPermissionsBoundary"),
			};
		});
}

before(async () => {
	gw = await startTestGateway();
	A = gw.gateway.rootAccountId;
	cli = await awsCli(gw);
	for (const name of ["sim-a", "sim-b"])
		await deployWithPolicy(
			gw,
			name,
			{ auth: "aws_iam", services: ["lambda"] },
			null,
		);
	// sim: invoke-all through a group's managed policy, bounded to sim-a, and an inline Deny
	// on sim-b's ops path (never reached: the boundary already stops sim-b).
	sim = await createUser(gw, "sim");
	await iamOk(gw, {
		Action: "CreatePolicy",
		PolicyName: "invoke-all",
		PolicyDocument: doc([{ Effect: "Allow", Action: INVOKE, Resource: "*" }]),
	});
	await iamOk(gw, {
		Action: "CreatePolicy",
		PolicyName: "bound-a",
		PolicyDocument: doc([
			{ Effect: "Allow", Action: "lambda:*", Resource: fnArn(A, "sim-a") },
		]),
	});
	await iamOk(gw, { Action: "CreateGroup", GroupName: "sim-group" });
	await iamOk(gw, {
		Action: "AttachGroupPolicy",
		GroupName: "sim-group",
		PolicyArn: policyArn("invoke-all"),
	});
	await iamOk(gw, {
		Action: "AddUserToGroup",
		GroupName: "sim-group",
		UserName: "sim",
	});
	await iamOk(gw, {
		Action: "PutUserPermissionsBoundary",
		UserName: "sim",
		PermissionsBoundary: policyArn("bound-a"),
	});
});
after(async () => {
	await cli?.close();
	await gw?.stop();
});

describe("SimulatePrincipalPolicy", () => {
	test("the simulator's verdicts are the real decisions: group policy allows, boundary stops", async () => {
		const xml = await iamOk(gw, {
			Action: "SimulatePrincipalPolicy",
			PolicySourceArn: sim.arn,
			...list("ActionNames", [INVOKE]),
			...list("ResourceArns", [fnArn(A, "sim-a"), fnArn(A, "sim-b")]),
		});
		assert.match(
			xml,
			/^<SimulatePrincipalPolicyResponse xmlns="https:\/\/iam\.amazonaws\.com\/doc\/2010-05-08\/"><SimulatePrincipalPolicyResult><EvaluationResults>/,
		);
		const [a, b] = results(xml);
		assert.deepEqual(a, {
			action: INVOKE,
			resource: fnArn(A, "sim-a"),
			decision: "allowed",
			matched: ["user-managed:invoke-all"],
			missing: [],
			boundary: "true",
		});
		assert.equal(b?.decision, "implicitDeny");
		assert.equal(b?.boundary, "false");
		assert.deepEqual(b?.matched, []);
		// The same principal, for real.
		const real = async (fn: string) => {
			const r = await callUrl(gw, fn, sim.keys);
			await r.arrayBuffer();
			return r.status === 200 ? "allowed" : "implicitDeny";
		};
		assert.equal(await real("sim-a"), a?.decision);
		assert.equal(await real("sim-b"), b?.decision);
	});

	test("an explicit Deny names its statement; PolicyInputList and a boundary input are simulated, not stored", async () => {
		await putUserPolicy(gw, "sim", "no-a", [
			{ Effect: "Deny", Action: INVOKE, Resource: fnArn(A, "sim-a") },
		]);
		const denied = results(
			await iamOk(gw, {
				Action: "SimulatePrincipalPolicy",
				PolicySourceArn: sim.arn,
				...list("ActionNames", [INVOKE]),
				...list("ResourceArns", [fnArn(A, "sim-a")]),
			}),
		);
		assert.equal(denied[0]?.decision, "explicitDeny");
		assert.deepEqual(denied[0]?.matched, ["user:no-a"]);
		await iamOk(gw, {
			Action: "DeleteUserPolicy",
			UserName: "sim",
			PolicyName: "no-a",
		});
		// A wider boundary given as input lets sim-b through; the stored boundary is untouched.
		const wider = results(
			await iamOk(gw, {
				Action: "SimulatePrincipalPolicy",
				PolicySourceArn: sim.arn,
				...list("ActionNames", [INVOKE, "lambda:InvokeFunction"]),
				...list("ResourceArns", [fnArn(A, "sim-b")]),
				...list("PermissionsBoundaryPolicyInputList", [
					doc([{ Effect: "Allow", Action: "lambda:*", Resource: "*" }]),
				]),
				...list("PolicyInputList", [
					doc([
						{ Effect: "Allow", Action: "lambda:InvokeFunction", Resource: "*" },
					]),
				]),
			}),
		);
		assert.deepEqual(
			wider.map((r) => [r.action, r.decision, r.matched.join(",")]),
			[
				[INVOKE, "allowed", "user-managed:invoke-all"],
				["lambda:InvokeFunction", "allowed", "none:PolicyInputList.1"],
			],
		);
		const stillReal = await callUrl(gw, "sim-b", sim.keys);
		await stillReal.arrayBuffer();
		assert.equal(stillReal.status, 403);
		assert.equal(
			(await gw.gateway.store.managedPolicies.getBoundary(A, "user", "sim"))
				?.policyName,
			"bound-a",
		);
	});

	test("MissingContextValues names the condition keys not given; ContextEntries decide them", async () => {
		await iamOk(gw, {
			Action: "CreateRole",
			RoleName: "office",
			AssumeRolePolicyDocument: trustPolicy({ AWS: sim.arn }),
		});
		await iamOk(gw, {
			Action: "PutRolePolicy",
			RoleName: "office",
			PolicyName: "from-office",
			PolicyDocument: doc([
				{
					Effect: "Allow",
					Action: INVOKE,
					Resource: "*",
					Condition: {
						IpAddress: { "aws:SourceIp": "10.0.0.0/8" },
						NumericLessThan: { "aws:MultiFactorAuthAge": "3600" },
					},
				},
			]),
		});
		const base = {
			Action: "SimulatePrincipalPolicy",
			PolicySourceArn: `arn:aws:iam::${A}:role/office`,
			...list("ActionNames", [INVOKE]),
		};
		const none = results(await iamOk(gw, base));
		assert.equal(none[0]?.resource, "*");
		assert.equal(none[0]?.decision, "implicitDeny");
		assert.deepEqual(none[0]?.missing, [
			"aws:MultiFactorAuthAge",
			"aws:SourceIp",
		]);
		const entries = (ip: string) => ({
			"ContextEntries.member.1.ContextKeyName": "aws:SourceIp",
			"ContextEntries.member.1.ContextKeyValues.member.1": ip,
			"ContextEntries.member.1.ContextKeyType": "ip",
			"ContextEntries.member.2.ContextKeyName": "aws:MultiFactorAuthAge",
			"ContextEntries.member.2.ContextKeyValues.member.1": "60",
			"ContextEntries.member.2.ContextKeyType": "numeric",
		});
		const inside = results(
			await iamOk(gw, { ...base, ...entries("10.1.2.3") }),
		);
		assert.equal(inside[0]?.decision, "allowed");
		assert.deepEqual(inside[0]?.matched, ["role:from-office"]);
		assert.deepEqual(inside[0]?.missing, []);
		const outside = results(
			await iamOk(gw, { ...base, ...entries("192.0.2.1") }),
		);
		assert.equal(outside[0]?.decision, "implicitDeny");
	});

	test("a group as the source: its own policies, without any member's boundary", async () => {
		const [r] = results(
			await iamOk(gw, {
				Action: "SimulatePrincipalPolicy",
				PolicySourceArn: `arn:aws:iam::${A}:group/sim-group`,
				...list("ActionNames", [INVOKE]),
				...list("ResourceArns", [fnArn(A, "sim-b")]),
			}),
		);
		assert.equal(r?.decision, "allowed");
		assert.deepEqual(r?.matched, ["user-managed:invoke-all"]);
		assert.equal(r?.boundary, undefined);
	});

	test("authorized on the source ARN; another account's principal is not found; bad input refused", async () => {
		const peeker = await createUser(gw, "peeker");
		const denied = await query(
			gw,
			"iam",
			{
				Action: "SimulatePrincipalPolicy",
				PolicySourceArn: sim.arn,
				...list("ActionNames", [INVOKE]),
			},
			peeker.keys,
		);
		assert.equal(denied.status, 403);
		assert.match(denied.xml, /iam:SimulatePrincipalPolicy/);
		const other = await createAccount(gw, "sim-other");
		const foreign = await query(gw, "iam", {
			Action: "SimulatePrincipalPolicy",
			PolicySourceArn: `arn:aws:iam::${other.accountId}:user/anyone`,
			...list("ActionNames", [INVOKE]),
		});
		assert.equal(foreign.status, 404);
		const malformed = await query(gw, "iam", {
			Action: "SimulatePrincipalPolicy",
			PolicySourceArn: sim.arn,
			...list("ActionNames", [INVOKE]),
			...list("PolicyInputList", [doc([{ Effect: "Allow", Action: INVOKE }])]),
		});
		assert.equal(malformed.status, 400);
		assert.match(malformed.xml, /<Code>MalformedPolicyDocument<\/Code>/);
		const noActions = await query(gw, "iam", {
			Action: "SimulatePrincipalPolicy",
			PolicySourceArn: sim.arn,
		});
		assert.equal(noActions.status, 400);
	});
});

describe("SimulateCustomPolicy", () => {
	test("identity and resource policies with a CallerArn; paging with MaxItems", async () => {
		const resourcePolicy = JSON.stringify({
			Version: "2012-10-17",
			Statement: [
				{
					Effect: "Allow",
					Principal: { AWS: sim.arn },
					Action: INVOKE,
					Resource: fnArn(A, "sim-b"),
				},
			],
		});
		const base = {
			Action: "SimulateCustomPolicy",
			...list("PolicyInputList", [
				doc([
					{ Effect: "Deny", Action: "lambda:DeleteFunction", Resource: "*" },
				]),
			]),
			...list("ActionNames", [INVOKE, "lambda:DeleteFunction"]),
			...list("ResourceArns", [fnArn(A, "sim-b")]),
			ResourcePolicy: resourcePolicy,
		};
		const missingCaller = await query(gw, "iam", base);
		assert.equal(missingCaller.status, 400);
		assert.match(missingCaller.xml, /CallerArn/);
		const xml = await iamOk(gw, { ...base, CallerArn: sim.arn });
		assert.deepEqual(
			results(xml).map((r) => [r.action, r.decision, r.matched.join(",")]),
			[
				[INVOKE, "allowed", "resource:ResourcePolicy"],
				["lambda:DeleteFunction", "explicitDeny", "none:PolicyInputList.1"],
			],
		);
		const first = await iamOk(gw, {
			...base,
			CallerArn: sim.arn,
			MaxItems: "1",
		});
		assert.match(first, /<IsTruncated>true<\/IsTruncated><Marker>/);
		const marker = /<Marker>([^<]+)<\/Marker>/.exec(first)?.[1] as string;
		const second = await iamOk(gw, {
			...base,
			CallerArn: sim.arn,
			MaxItems: "1",
			Marker: marker,
		});
		assert.deepEqual(
			[...results(first), ...results(second)].map((r) => r.action),
			[INVOKE, "lambda:DeleteFunction"],
		);
		const bare = await query(gw, "iam", {
			Action: "SimulateCustomPolicy",
			...list("ActionNames", [INVOKE]),
		});
		assert.equal(bare.status, 400);
	});
});

describe("aws iam simulate-… commands", { skip: awsCliMissing() }, () => {
	test("simulate-principal-policy and simulate-custom-policy parse as AWS's", async () => {
		const { aws } = cli;
		const principal = await aws([
			"iam",
			"simulate-principal-policy",
			"--policy-source-arn",
			sim.arn,
			"--action-names",
			INVOKE,
			"--resource-arns",
			fnArn(A, "sim-a"),
			fnArn(A, "sim-b"),
		]);
		assert.deepEqual(
			principal.EvaluationResults.map(
				(r: { EvalResourceName: string; EvalDecision: string }) => [
					r.EvalResourceName,
					r.EvalDecision,
				],
			),
			[
				[fnArn(A, "sim-a"), "allowed"],
				[fnArn(A, "sim-b"), "implicitDeny"],
			],
		);
		const first = principal.EvaluationResults[0];
		assert.deepEqual(first.MatchedStatements, [
			{ SourcePolicyId: "invoke-all", SourcePolicyType: "user-managed" },
		]);
		assert.deepEqual(first.PermissionsBoundaryDecisionDetail, {
			AllowedByPermissionsBoundary: true,
		});
		assert.equal(
			first.ResourceSpecificResults[0].EvalResourceDecision,
			"allowed",
		);
		const custom = await aws([
			"iam",
			"simulate-custom-policy",
			"--policy-input-list",
			doc([
				{
					Effect: "Allow",
					Action: INVOKE,
					Resource: "*",
					Condition: { IpAddress: { "aws:SourceIp": "10.0.0.0/8" } },
				},
			]),
			"--action-names",
			INVOKE,
			"--context-entries",
			"ContextKeyName=aws:SourceIp,ContextKeyValues=10.9.8.7,ContextKeyType=ip",
		]);
		assert.equal(custom.EvaluationResults[0].EvalDecision, "allowed");
		assert.deepEqual(custom.EvaluationResults[0].MissingContextValues, []);
	});
});
