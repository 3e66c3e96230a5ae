// Explanations and AWS's access-denied texts, and the per-action statement index keeping
// document order (IAM User Guide, "Troubleshoot access denied error messages").
import assert from "node:assert/strict";
import { test } from "node:test";
import {
	type AuthorizationRequest,
	accessDeniedMessage,
	evaluate,
	explain,
} from "../src/index.ts";
import {
	A,
	alice,
	allowUrl,
	anonymous,
	bob,
	compile,
	denyUrl,
	FN,
	URL_ACTION,
} from "./helpers.ts";

const req = (over: Partial<AuthorizationRequest>): AuthorizationRequest => ({
	principal: alice,
	action: URL_ACTION,
	resource: FN,
	resourceAccountId: A,
	...over,
});

test("AWS's access-denied texts", () => {
	const implicit = req({});
	assert.equal(
		accessDeniedMessage(evaluate(implicit), implicit),
		`User: ${alice.arn} is not authorized to perform: ${URL_ACTION} on resource: ${FN} because no identity-based policy allows the ${URL_ACTION} action`,
	);
	const denied = req({
		resourcePolicy: compile("resource", [denyUrl({ Principal: "*" })]),
	});
	assert.equal(
		accessDeniedMessage(evaluate(denied), denied),
		`User: ${alice.arn} is not authorized to perform: ${URL_ACTION} on resource: ${FN} with an explicit deny in a resource-based policy`,
	);
	const idDeny = req({ identityPolicies: [compile("identity", [denyUrl()])] });
	assert.match(
		accessDeniedMessage(evaluate(idDeny), idDeny),
		/with an explicit deny in an identity-based policy$/,
	);
	const cross = req({
		principal: bob,
		identityPolicies: [compile("identity", [allowUrl()])],
	});
	assert.match(
		accessDeniedMessage(evaluate(cross), cross),
		/because no resource-based policy allows the lambda:InvokeFunctionUrl action$/,
	);
});

test("explain names every applied statement and the deciding one", () => {
	const r = req({
		identityPolicies: [
			compile("identity", [{ Sid: "Invoke", ...allowUrl() }], "invoke"),
		],
		resourcePolicy: compile(
			"resource",
			[
				{
					Sid: "NoHttp",
					...denyUrl({
						Principal: "*",
						Condition: { Bool: { "aws:SecureTransport": "false" } },
					}),
				},
			],
			"function-policy",
		),
		context: { "aws:SecureTransport": false },
	});
	const d = evaluate(r);
	assert.equal(d.matched.length, 2);
	assert.equal(d.decidedBy?.sid, "NoHttp");
	const text = explain(d, r);
	assert.match(text, /ExplicitDeny \(EXPLICIT_DENY_RESOURCE\)/);
	assert.match(
		text,
		/Decided by: Deny — resource policy "function-policy", Statement\[0\] Sid "NoHttp"/,
	);
	assert.match(text, /identity policy "invoke", Statement\[0\] Sid "Invoke"/);
});

test("the per-action index keeps document order and skips statements for other actions", () => {
	const resourcePolicy = compile(
		"resource",
		[
			{
				Sid: "s0",
				Effect: "Allow",
				Principal: "*",
				Action: "lambda:InvokeFunction",
				Resource: FN,
			},
			{
				Sid: "s1",
				Effect: "Allow",
				Principal: "*",
				Action: "lambda:Invoke*",
				Resource: FN,
			},
			{
				Sid: "s2",
				Effect: "Allow",
				Principal: "*",
				Action: ["lambda:InvokeFunctionUrl", "lambda:GetFunction"],
				Resource: FN,
			},
			{
				Sid: "s3",
				Effect: "Allow",
				Principal: "*",
				NotAction: "s3:*",
				Resource: FN,
			},
		],
		"function-policy",
	);
	assert.deepEqual(
		evaluate(req({ resourcePolicy })).matched.map((m) => m.sid),
		["s1", "s2", "s3"],
	);
	assert.deepEqual(
		evaluate(
			req({ action: "LAMBDA:invokefunction", resourcePolicy }),
		).matched.map((m) => m.sid),
		["s0", "s1", "s3"],
	);
	assert.deepEqual(
		evaluate(req({ action: "lambda:ListTags", resourcePolicy })).matched.map(
			(m) => m.sid,
		),
		["s3"],
	);
});

test("an anonymous denial is explained without an account and in AWS's words", () => {
	const r = req({
		principal: anonymous,
		resourcePolicy: compile("resource", [allowUrl({ Principal: { AWS: A } })]),
	});
	const d = evaluate(r);
	assert.equal(d.crossAccount, false);
	const text = explain(d, r);
	assert.match(
		text,
		/anonymous caller; no resource-based policy statement allows this caller/,
	);
	assert.match(
		text,
		/User: anonymous is not authorized to perform: lambda:InvokeFunctionUrl on resource: /,
	);
});
