// AddPermission / RemovePermission statements as Lambda writes them, and that they evaluate as
// AWS documents (public function URL, cross-account grant, service with source ARN).
import assert from "node:assert/strict";
import { test } from "node:test";
import {
	addPermission,
	evaluate,
	lambdaPermissionStatement,
	parsePolicy,
	removePermission,
} from "../src/index.ts";
import { A, anonymous, B, bob, FN, URL_ACTION } from "./helpers.ts";

test("the public function-URL statement, as the console writes it", () => {
	assert.deepEqual(
		lambdaPermissionStatement({
			statementId: "FunctionURLAllowPublicAccess",
			action: URL_ACTION,
			principal: "*",
			functionArn: FN,
			functionUrlAuthType: "NONE",
		}),
		{
			Sid: "FunctionURLAllowPublicAccess",
			Effect: "Allow",
			Principal: "*",
			Action: URL_ACTION,
			Resource: FN,
			Condition: { StringEquals: { "lambda:FunctionUrlAuthType": "NONE" } },
		},
	);
});

test("principal forms, qualifier and conditions", () => {
	const s = lambdaPermissionStatement({
		statementId: "s3",
		action: "lambda:InvokeFunction",
		principal: "s3.amazonaws.com",
		functionArn: FN,
		qualifier: "prod",
		sourceArn: "arn:aws:s3:::bucket",
		sourceAccount: A,
		principalOrgId: "o-abc",
	});
	assert.deepEqual(s.Principal, { Service: "s3.amazonaws.com" });
	assert.equal(s.Resource, `${FN}:prod`);
	assert.deepEqual(s.Condition, {
		StringEquals: { "AWS:SourceAccount": A, "aws:PrincipalOrgID": "o-abc" },
		ArnLike: { "AWS:SourceArn": "arn:aws:s3:::bucket" },
	});
	assert.deepEqual(
		lambdaPermissionStatement({
			statementId: "x",
			action: URL_ACTION,
			principal: B,
			functionArn: FN,
		}).Principal,
		{ AWS: `arn:aws:iam::${B}:root` },
	);
	assert.deepEqual(
		lambdaPermissionStatement({
			statementId: "x",
			action: URL_ACTION,
			principal: bob.arn,
			functionArn: FN,
		}).Principal,
		{ AWS: bob.arn },
	);
});

test("add, duplicate id (409), remove, missing id (404); the result evaluates as AWS documents", () => {
	const added = addPermission(undefined, {
		statementId: "public",
		action: URL_ACTION,
		principal: "*",
		functionArn: FN,
		functionUrlAuthType: "NONE",
	});
	assert.ok(added.ok);
	const dup = addPermission(added.document, {
		statementId: "public",
		action: URL_ACTION,
		principal: B,
		functionArn: FN,
	});
	assert.equal(dup.ok, false);
	assert.equal(dup.ok ? "" : dup.code, "DUPLICATE_STATEMENT_ID");
	const cross = addPermission(added.document, {
		statementId: "partner",
		action: URL_ACTION,
		principal: B,
		functionArn: FN,
		functionUrlAuthType: "AWS_IAM",
	});
	assert.ok(cross.ok);
	const compiled = parsePolicy(cross.document, "resource");
	assert.ok(compiled.ok, JSON.stringify(!compiled.ok && compiled.errors));
	const resourcePolicy = { name: "function-policy", policy: compiled.policy };
	const anon = evaluate({
		principal: anonymous,
		action: URL_ACTION,
		resource: FN,
		resourceAccountId: A,
		resourcePolicy,
		context: { "lambda:FunctionUrlAuthType": "NONE" },
	});
	assert.equal(anon.allowed, true);
	const idPolicy = parsePolicy(
		{
			Version: "2012-10-17",
			Statement: [{ Effect: "Allow", Action: URL_ACTION, Resource: "*" }],
		},
		"identity",
	);
	assert.ok(idPolicy.ok);
	const partner = evaluate({
		principal: bob,
		action: URL_ACTION,
		resource: FN,
		resourceAccountId: A,
		resourcePolicy,
		identityPolicies: [{ policy: idPolicy.policy }],
		context: { "lambda:FunctionUrlAuthType": "AWS_IAM" },
	});
	assert.equal(partner.allowed, true);
	assert.equal(partner.decidedBy?.sid, "partner");
	const removed = removePermission(cross.document, "public");
	assert.ok(removed.ok);
	assert.deepEqual(
		removed.document.Statement.map((s) => s.Sid),
		["partner"],
	);
	const missing = removePermission(removed.document, "public");
	assert.equal(missing.ok ? "" : missing.code, "STATEMENT_NOT_FOUND");
});
