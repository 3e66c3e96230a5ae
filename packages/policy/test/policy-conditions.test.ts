// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${…} here is IAM policy-variable syntax, not a JS template
// Every condition operator, IfExists, the set qualifiers with AWS's missing-key rules, and policy
// variables (IAM User Guide, "Condition operators", "Single-valued vs. multivalued context keys",
// "Variables and tags").
import assert from "node:assert/strict";
import { test } from "node:test";
import {
	evaluate,
	type RequestContext,
	type RequestPrincipal,
} from "../src/index.ts";
import {
	A,
	alice,
	allowUrl,
	compile,
	FN,
	session,
	URL_ACTION,
} from "./helpers.ts";

/** Whether a statement with `condition` applies for the given context. */
function holds(
	condition: Record<string, unknown>,
	context: RequestContext = {},
	principal: RequestPrincipal = alice,
	resource = FN,
): boolean {
	const identity = compile("identity", [
		allowUrl({ Condition: condition, Resource: "*" }),
	]);
	return evaluate({
		principal,
		action: URL_ACTION,
		resource,
		resourceAccountId: A,
		identityPolicies: [identity],
		context,
	}).allowed;
}

const table: [string, Record<string, unknown>, RequestContext, boolean][] = [
	[
		"StringEquals match",
		{ StringEquals: { "lambda:FunctionUrlAuthType": "AWS_IAM" } },
		{ "lambda:FunctionUrlAuthType": "AWS_IAM" },
		true,
	],
	[
		"StringEquals is case-sensitive",
		{ StringEquals: { "lambda:FunctionUrlAuthType": "aws_iam" } },
		{ "lambda:FunctionUrlAuthType": "AWS_IAM" },
		false,
	],
	[
		"StringEquals: values OR",
		{ StringEquals: { "aws:RequestedRegion": ["eu-west-1", "us-east-1"] } },
		{ "aws:RequestedRegion": "us-east-1" },
		true,
	],
	[
		"StringEquals: missing key is false",
		{ StringEquals: { "aws:RequestedRegion": "us-east-1" } },
		{},
		false,
	],
	[
		"StringEquals treats * literally",
		{ StringEquals: { "aws:RequestedRegion": "us-*" } },
		{ "aws:RequestedRegion": "us-east-1" },
		false,
	],
	[
		"StringNotEquals: none of the values",
		{ StringNotEquals: { "aws:RequestedRegion": ["eu-west-1", "us-east-1"] } },
		{ "aws:RequestedRegion": "us-east-1" },
		false,
	],
	[
		"StringNotEquals: missing key is true",
		{ StringNotEquals: { "aws:RequestedRegion": "us-east-1" } },
		{},
		true,
	],
	[
		"StringEqualsIgnoreCase",
		{ StringEqualsIgnoreCase: { "lambda:FunctionUrlAuthType": "aws_iam" } },
		{ "lambda:FunctionUrlAuthType": "AWS_IAM" },
		true,
	],
	[
		"StringNotEqualsIgnoreCase",
		{ StringNotEqualsIgnoreCase: { "lambda:FunctionUrlAuthType": "aws_iam" } },
		{ "lambda:FunctionUrlAuthType": "AWS_IAM" },
		false,
	],
	[
		"StringLike with * and ?",
		{ StringLike: { "aws:RequestedRegion": "us-?ast-*" } },
		{ "aws:RequestedRegion": "us-east-1" },
		true,
	],
	[
		"StringNotLike",
		{ StringNotLike: { "aws:RequestedRegion": "eu-*" } },
		{ "aws:RequestedRegion": "us-east-1" },
		true,
	],
	[
		"NumericEquals",
		{ NumericEquals: { "aws:MultiFactorAuthAge": "3600" } },
		{ "aws:MultiFactorAuthAge": 3600 },
		true,
	],
	[
		"NumericNotEquals",
		{ NumericNotEquals: { "aws:MultiFactorAuthAge": "3600" } },
		{ "aws:MultiFactorAuthAge": "3600" },
		false,
	],
	[
		"NumericLessThan",
		{ NumericLessThan: { "aws:MultiFactorAuthAge": 3600 } },
		{ "aws:MultiFactorAuthAge": "100" },
		true,
	],
	[
		"NumericLessThanEquals",
		{ NumericLessThanEquals: { "aws:MultiFactorAuthAge": "100" } },
		{ "aws:MultiFactorAuthAge": "100" },
		true,
	],
	[
		"NumericGreaterThan",
		{ NumericGreaterThan: { "aws:MultiFactorAuthAge": "100" } },
		{ "aws:MultiFactorAuthAge": "100" },
		false,
	],
	[
		"NumericGreaterThanEquals",
		{ NumericGreaterThanEquals: { "aws:MultiFactorAuthAge": "100.5" } },
		{ "aws:MultiFactorAuthAge": "101" },
		true,
	],
	[
		"Numeric on a non-number is false",
		{ NumericLessThan: { "aws:MultiFactorAuthAge": "100" } },
		{ "aws:MultiFactorAuthAge": "abc" },
		false,
	],
	[
		"DateLessThan (ISO 8601)",
		{ DateLessThan: { "aws:CurrentTime": "2027-01-01T00:00:00Z" } },
		{ "aws:CurrentTime": "2026-11-23T12:00:00Z" },
		true,
	],
	[
		"DateGreaterThan (epoch seconds vs ISO)",
		{ DateGreaterThan: { "aws:EpochTime": "2026-01-01T00:00:00Z" } },
		{ "aws:EpochTime": 1795000000 },
		true,
	],
	[
		"DateEquals",
		{ DateEquals: { "aws:CurrentTime": "2026-11-23T12:00:00Z" } },
		{ "aws:CurrentTime": "2026-11-23T12:00:00.000Z" },
		true,
	],
	[
		"DateNotEquals",
		{ DateNotEquals: { "aws:CurrentTime": "2026-11-23T12:00:00Z" } },
		{ "aws:CurrentTime": "2026-11-23T12:00:01Z" },
		true,
	],
	[
		"DateLessThanEquals",
		{ DateLessThanEquals: { "aws:CurrentTime": "2026-11-23T12:00:00Z" } },
		{ "aws:CurrentTime": "2026-11-23T12:00:00Z" },
		true,
	],
	[
		"DateGreaterThanEquals",
		{ DateGreaterThanEquals: { "aws:CurrentTime": "2026-11-23T12:00:00Z" } },
		{ "aws:CurrentTime": "2026-11-23T11:59:59Z" },
		false,
	],
	[
		"Bool true",
		{ Bool: { "aws:SecureTransport": "true" } },
		{ "aws:SecureTransport": true },
		true,
	],
	[
		"Bool false vs true",
		{ Bool: { "aws:SecureTransport": "false" } },
		{ "aws:SecureTransport": "true" },
		false,
	],
	[
		"BinaryEquals",
		{ BinaryEquals: { "lambda:Blob": "aGVsbG8=" } },
		{ "lambda:Blob": "aGVsbG8=" },
		true,
	],
	[
		"BinaryEquals differs",
		{ BinaryEquals: { "lambda:Blob": "aGVsbG8=" } },
		{ "lambda:Blob": "aGVsbG9v" },
		false,
	],
	[
		"IpAddress IPv4 CIDR",
		{ IpAddress: { "aws:SourceIp": "203.0.113.0/24" } },
		{ "aws:SourceIp": "203.0.113.77" },
		true,
	],
	[
		"IpAddress IPv6 CIDR",
		{ IpAddress: { "aws:SourceIp": "2001:db8:1234::/48" } },
		{ "aws:SourceIp": "2001:db8:1234:ffff::1" },
		true,
	],
	[
		"IpAddress IPv6 outside",
		{ IpAddress: { "aws:SourceIp": "2001:db8:1234::/48" } },
		{ "aws:SourceIp": "2001:db8:1235::1" },
		false,
	],
	[
		"IpAddress IPv4-mapped IPv6 caller",
		{ IpAddress: { "aws:SourceIp": "10.0.0.0/8" } },
		{ "aws:SourceIp": "::ffff:10.1.2.3" },
		true,
	],
	[
		"IpAddress 0.0.0.0/0",
		{ IpAddress: { "aws:SourceIp": "0.0.0.0/0" } },
		{ "aws:SourceIp": "8.8.8.8" },
		true,
	],
	[
		"NotIpAddress",
		{ NotIpAddress: { "aws:SourceIp": ["10.0.0.0/8", "192.168.0.0/16"] } },
		{ "aws:SourceIp": "8.8.8.8" },
		true,
	],
	[
		"NotIpAddress inside",
		{ NotIpAddress: { "aws:SourceIp": "10.0.0.0/8" } },
		{ "aws:SourceIp": "10.9.9.9" },
		false,
	],
	[
		"ArnLike per component",
		{ ArnLike: { "aws:SourceArn": "arn:aws:execute-api:*:111111111111:*" } },
		{
			"aws:SourceArn":
				"arn:aws:execute-api:us-east-1:111111111111:api/prod/GET/",
		},
		true,
	],
	[
		"ArnLike: * does not cross a component",
		{ ArnLike: { "aws:SourceArn": "arn:aws:execute-api:*:api/*" } },
		{ "aws:SourceArn": "arn:aws:execute-api:us-east-1:111111111111:api/x" },
		false,
	],
	[
		"ArnEquals accepts wildcards like ArnLike",
		{ ArnEquals: { "aws:SourceArn": "arn:aws:s3:::bucket-*" } },
		{ "aws:SourceArn": "arn:aws:s3:::bucket-1" },
		true,
	],
	[
		"ArnNotEquals",
		{ ArnNotEquals: { "aws:SourceArn": "arn:aws:s3:::bucket-1" } },
		{ "aws:SourceArn": "arn:aws:s3:::bucket-1" },
		false,
	],
	[
		"ArnNotLike on a non-ARN value",
		{ ArnNotLike: { "aws:SourceArn": "arn:aws:s3:::*" } },
		{ "aws:SourceArn": "not-an-arn" },
		true,
	],
	["Null true: key absent", { Null: { "aws:SourceIp": "true" } }, {}, true],
	[
		"Null false: key present",
		{ Null: { "aws:SourceIp": "false" } },
		{ "aws:SourceIp": "1.2.3.4" },
		true,
	],
	[
		"Null true with key present",
		{ Null: { "aws:SourceIp": "true" } },
		{ "aws:SourceIp": "1.2.3.4" },
		false,
	],
	[
		"IfExists: missing key is true",
		{ StringEqualsIfExists: { "lambda:FunctionUrlAuthType": "AWS_IAM" } },
		{},
		true,
	],
	[
		"IfExists: present key is checked",
		{ StringEqualsIfExists: { "lambda:FunctionUrlAuthType": "AWS_IAM" } },
		{ "lambda:FunctionUrlAuthType": "NONE" },
		false,
	],
	[
		"IpAddressIfExists missing",
		{ IpAddressIfExists: { "aws:SourceIp": "10.0.0.0/8" } },
		{},
		true,
	],
	[
		"ForAnyValue: one match",
		{ "ForAnyValue:StringEquals": { "aws:TagKeys": ["a", "z"] } },
		{ "aws:TagKeys": ["b", "z"] },
		true,
	],
	[
		"ForAnyValue: missing key is false",
		{ "ForAnyValue:StringEquals": { "aws:TagKeys": ["a"] } },
		{},
		false,
	],
	[
		"ForAnyValue: empty set is false",
		{ "ForAnyValue:StringEquals": { "aws:TagKeys": ["a"] } },
		{ "aws:TagKeys": [] },
		false,
	],
	[
		"ForAllValues: every value listed",
		{ "ForAllValues:StringLike": { "aws:TagKeys": ["a*", "b"] } },
		{ "aws:TagKeys": ["ab", "b"] },
		true,
	],
	[
		"ForAllValues: one outside",
		{ "ForAllValues:StringEquals": { "aws:TagKeys": ["a", "b"] } },
		{ "aws:TagKeys": ["a", "c"] },
		false,
	],
	[
		"ForAllValues: missing key is true",
		{ "ForAllValues:StringEquals": { "aws:TagKeys": ["a"] } },
		{},
		true,
	],
	[
		"ForAllValues:StringNotEquals: none listed",
		{ "ForAllValues:StringNotEquals": { "aws:TagKeys": ["secret"] } },
		{ "aws:TagKeys": ["a", "b"] },
		true,
	],
	[
		"ForAnyValue:StringNotEquals: some value not listed",
		{ "ForAnyValue:StringNotEquals": { "aws:TagKeys": ["a"] } },
		{ "aws:TagKeys": ["a", "b"] },
		true,
	],
	[
		"ForAnyValue:StringNotEquals: missing key is false",
		{ "ForAnyValue:StringNotEquals": { "aws:TagKeys": ["a"] } },
		{},
		false,
	],
	[
		"keys AND",
		{
			StringEquals: {
				"aws:RequestedRegion": "us-east-1",
				"lambda:FunctionUrlAuthType": "NONE",
			},
		},
		{
			"aws:RequestedRegion": "us-east-1",
			"lambda:FunctionUrlAuthType": "AWS_IAM",
		},
		false,
	],
	[
		"operators AND",
		{
			StringEquals: { "aws:RequestedRegion": "us-east-1" },
			Bool: { "aws:SecureTransport": "true" },
		},
		{ "aws:RequestedRegion": "us-east-1", "aws:SecureTransport": "true" },
		true,
	],
	[
		"condition keys are case-insensitive",
		{ StringEquals: { "AWS:REQUESTEDREGION": "us-east-1" } },
		{ "aws:requestedregion": "us-east-1" },
		true,
	],
	[
		"variable ${aws:username}",
		{ StringEquals: { "aws:RequestedRegion": "${aws:username}" } },
		{ "aws:RequestedRegion": "alice" },
		true,
	],
	[
		"variable default when missing",
		{ StringEquals: { "aws:RequestedRegion": "${aws:SourceVpc, 'none'}" } },
		{ "aws:RequestedRegion": "none" },
		true,
	],
	[
		"variable without value never matches",
		{ StringEquals: { "aws:RequestedRegion": "${aws:SourceVpc}" } },
		{ "aws:RequestedRegion": "" },
		false,
	],
	[
		"variable without value fails a negated operator too",
		{ StringNotEquals: { "aws:RequestedRegion": "${aws:SourceVpc}" } },
		{ "aws:RequestedRegion": "x" },
		false,
	],
	[
		"escapes ${*} ${?} ${$} are literal",
		{ StringLike: { "aws:RequestedRegion": "a${*}b${?}c${$}*" } },
		{ "aws:RequestedRegion": "a*b?c$zzz" },
		true,
	],
	[
		"escaped ${*} does not act as a wildcard",
		{ StringLike: { "aws:RequestedRegion": "a${*}" } },
		{ "aws:RequestedRegion": "abc" },
		false,
	],
	[
		"${aws:PrincipalAccount} comes from the principal",
		{ StringEquals: { "aws:RequestedRegion": "${aws:PrincipalAccount}" } },
		{ "aws:RequestedRegion": A },
		true,
	],
];

for (const [name, condition, context, expected] of table) {
	test(name, () => assert.equal(holds(condition, context), expected));
}

test("aws:PrincipalArn of a role session is the role ARN; aws:userid is ROLEID:session", () => {
	assert.equal(
		holds({ ArnEquals: { "aws:PrincipalArn": session.roleArn } }, {}, session),
		true,
	);
	assert.equal(
		holds({ StringEquals: { "aws:userid": "AROAR:s1" } }, {}, session),
		true,
	);
	assert.equal(holds({ Null: { "aws:username": "true" } }, {}, session), true);
});

test("a variable in Resource selects the caller's own functions", () => {
	const identity = compile("identity", [
		{
			Effect: "Allow",
			Action: URL_ACTION,
			Resource: `arn:aws:lambda:*:\${aws:PrincipalAccount}:function:\${aws:username}-*`,
		},
	]);
	const run = (resource: string) =>
		evaluate({
			principal: alice,
			action: URL_ACTION,
			resource,
			resourceAccountId: A,
			identityPolicies: [identity],
		}).allowed;
	assert.equal(run(`arn:aws:lambda:us-east-1:${A}:function:alice-app`), true);
	assert.equal(run(`arn:aws:lambda:us-east-1:${A}:function:bob-app`), false);
});

test("actions match case-insensitively with * and ?", () => {
	for (const [pattern, expected] of [
		["LAMBDA:invokefunctionURL", true],
		["lambda:Invoke?unctionUrl", true],
		["lambda:Get*", false],
		["*", true],
	] as const) {
		const identity = compile("identity", [
			{ Effect: "Allow", Action: pattern, Resource: "*" },
		]);
		assert.equal(
			evaluate({
				principal: alice,
				action: URL_ACTION,
				resource: FN,
				resourceAccountId: A,
				identityPolicies: [identity],
			}).allowed,
			expected,
			pattern,
		);
	}
});
