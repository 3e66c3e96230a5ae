// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${…} here is IAM policy-variable syntax, not a JS template
// Validation when a policy is written: each error with its code and its place in the document.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
	createCompileCache,
	type PolicyKind,
	parsePolicy,
} from "../src/index.ts";

const ok = {
	Effect: "Allow",
	Action: "lambda:InvokeFunctionUrl",
	Resource: "*",
};
const okRes = { ...ok, Principal: "*" };

function errorsOf(doc: unknown, kind: PolicyKind = "identity") {
	const r = parsePolicy(doc, kind);
	assert.equal(r.ok, false, "expected a validation error");
	return r.ok ? [] : r.errors.map((e) => `${e.code} @ ${e.path}`);
}

const cases: {
	name: string;
	doc: unknown;
	kind?: PolicyKind;
	expect: string;
}[] = [
	{ name: "not JSON", doc: "{nope", expect: "INVALID_JSON @ " },
	{ name: "not an object", doc: "[]", expect: "INVALID_DOCUMENT @ " },
	{
		name: "bad version",
		doc: { Version: "2012-10-18", Statement: [ok] },
		expect: "INVALID_VERSION @ Version",
	},
	{
		name: "unknown top-level field",
		doc: { Version: "2012-10-17", Statment: [ok] },
		expect: "UNKNOWN_FIELD @ Statment",
	},
	{
		name: "missing Statement",
		doc: { Version: "2012-10-17" },
		expect: "MISSING_STATEMENT @ Statement",
	},
	{
		name: "unknown statement field",
		doc: { Version: "2012-10-17", Statement: [ok, { ...ok, Efect: "Allow" }] },
		expect: "UNKNOWN_FIELD @ Statement[1].Efect",
	},
	{
		name: "bad Effect",
		doc: { Version: "2012-10-17", Statement: [{ ...ok, Effect: "allow" }] },
		expect: "INVALID_EFFECT @ Statement[0].Effect",
	},
	{
		name: "missing Effect",
		doc: { Version: "2012-10-17", Statement: { Action: "*", Resource: "*" } },
		expect: "MISSING_EFFECT @ Statement.Effect",
	},
	{
		name: "Action and NotAction",
		doc: { Version: "2012-10-17", Statement: [{ ...ok, NotAction: "s3:*" }] },
		expect: "ACTION_AND_NOTACTION @ Statement[0].NotAction",
	},
	{
		name: "no Action",
		doc: {
			Version: "2012-10-17",
			Statement: [{ Effect: "Allow", Resource: "*" }],
		},
		expect: "MISSING_ACTION @ Statement[0].Action",
	},
	{
		name: "bad action",
		doc: {
			Version: "2012-10-17",
			Statement: [{ ...ok, Action: ["lambda:Invoke", "invoke"] }],
		},
		expect: "INVALID_ACTION @ Statement[0].Action[1]",
	},
	{
		name: "bad ARN",
		doc: {
			Version: "2012-10-17",
			Statement: [{ ...ok, Resource: "arn:aws:lambda" }],
		},
		expect: "INVALID_ARN @ Statement[0].Resource",
	},
	{
		name: "Resource and NotResource",
		doc: { Version: "2012-10-17", Statement: [{ ...ok, NotResource: "*" }] },
		expect: "RESOURCE_AND_NOTRESOURCE @ Statement[0].NotResource",
	},
	{
		name: "no Resource",
		doc: {
			Version: "2012-10-17",
			Statement: [{ Effect: "Allow", Action: "*" }],
		},
		expect: "MISSING_RESOURCE @ Statement[0].Resource",
	},
	{
		name: "Principal in identity policy",
		doc: { Version: "2012-10-17", Statement: [okRes] },
		expect: "PRINCIPAL_IN_IDENTITY_POLICY @ Statement[0].Principal",
	},
	{
		name: "missing Principal in resource policy",
		kind: "resource",
		doc: { Version: "2012-10-17", Statement: [ok] },
		expect: "MISSING_PRINCIPAL @ Statement[0].Principal",
	},
	{
		name: "Principal and NotPrincipal",
		kind: "resource",
		doc: {
			Version: "2012-10-17",
			Statement: [{ ...okRes, NotPrincipal: { AWS: "111111111111" } }],
		},
		expect: "PRINCIPAL_AND_NOTPRINCIPAL @ Statement[0].NotPrincipal",
	},
	{
		name: "partial wildcard principal",
		kind: "resource",
		doc: {
			Version: "2012-10-17",
			Statement: [
				{ ...ok, Principal: { AWS: "arn:aws:iam::111111111111:user/*" } },
			],
		},
		expect: "PRINCIPAL_WILDCARD @ Statement[0].Principal.AWS",
	},
	{
		name: "bad principal",
		kind: "resource",
		doc: {
			Version: "2012-10-17",
			Statement: [{ ...ok, Principal: { AWS: ["111111111111", "alice"] } }],
		},
		expect: "INVALID_PRINCIPAL @ Statement[0].Principal.AWS[1]",
	},
	{
		name: "unknown principal type",
		kind: "resource",
		doc: {
			Version: "2012-10-17",
			Statement: [{ ...ok, Principal: { Aws: "*" } }],
		},
		expect: "UNKNOWN_PRINCIPAL_TYPE @ Statement[0].Principal.Aws",
	},
	{
		name: "Resource in trust policy",
		kind: "trust",
		doc: {
			Version: "2012-10-17",
			Statement: [
				{
					Effect: "Allow",
					Action: "sts:AssumeRole",
					Principal: { AWS: "111111111111" },
					Resource: "*",
				},
			],
		},
		expect: "RESOURCE_IN_TRUST_POLICY @ Statement[0].Resource",
	},
	{
		name: "unknown condition operator",
		doc: {
			Version: "2012-10-17",
			Statement: [
				{ ...ok, Condition: { StringEqual: { "aws:username": "a" } } },
			],
		},
		expect: "UNKNOWN_CONDITION_OPERATOR @ Statement[0].Condition.StringEqual",
	},
	{
		name: "NullIfExists is not an operator",
		doc: {
			Version: "2012-10-17",
			Statement: [
				{ ...ok, Condition: { NullIfExists: { "aws:SourceIp": "true" } } },
			],
		},
		expect: "UNKNOWN_CONDITION_OPERATOR @ Statement[0].Condition.NullIfExists",
	},
	{
		name: "bad CIDR",
		doc: {
			Version: "2012-10-17",
			Statement: [
				{
					...ok,
					Condition: {
						IpAddress: { "aws:SourceIp": ["10.0.0.0/8", "10.0.0.0/33"] },
					},
				},
			],
		},
		expect:
			"INVALID_CONDITION_VALUE @ Statement[0].Condition.IpAddress.aws:SourceIp[1]",
	},
	{
		name: "bad number",
		doc: {
			Version: "2012-10-17",
			Statement: [
				{
					...ok,
					Condition: { NumericLessThan: { "aws:MultiFactorAuthAge": "soon" } },
				},
			],
		},
		expect:
			"INVALID_CONDITION_VALUE @ Statement[0].Condition.NumericLessThan.aws:MultiFactorAuthAge",
	},
	{
		name: "bad date",
		doc: {
			Version: "2012-10-17",
			Statement: [
				{
					...ok,
					Condition: { DateLessThan: { "aws:CurrentTime": "tomorrow" } },
				},
			],
		},
		expect:
			"INVALID_CONDITION_VALUE @ Statement[0].Condition.DateLessThan.aws:CurrentTime",
	},
	{
		name: "bad bool",
		doc: {
			Version: "2012-10-17",
			Statement: [
				{ ...ok, Condition: { Bool: { "aws:SecureTransport": "yes" } } },
			],
		},
		expect:
			"INVALID_CONDITION_VALUE @ Statement[0].Condition.Bool.aws:SecureTransport",
	},
	{
		name: "empty value list",
		doc: {
			Version: "2012-10-17",
			Statement: [
				{ ...ok, Condition: { StringEquals: { "aws:username": [] } } },
			],
		},
		expect:
			"INVALID_CONDITION_VALUE @ Statement[0].Condition.StringEquals.aws:username",
	},
	{
		name: "unterminated variable",
		doc: {
			Version: "2012-10-17",
			Statement: [
				{
					...ok,
					Resource:
						"arn:aws:lambda:us-east-1:111111111111:function:${aws:username",
				},
			],
		},
		expect: "INVALID_VARIABLE @ Statement[0].Resource",
	},
	{
		name: "duplicate Sid",
		doc: {
			Version: "2012-10-17",
			Statement: [
				{ ...ok, Sid: "A" },
				{ ...ok, Sid: "A" },
			],
		},
		expect: "DUPLICATE_SID @ Statement[1].Sid",
	},
	{
		name: "too large",
		doc: {
			Version: "2012-10-17",
			Statement: Array.from({ length: 200 }, (_, i) => ({
				...ok,
				Sid: `S${i}`,
			})),
		},
		expect: "POLICY_TOO_LARGE @ ",
	},
];

for (const c of cases) {
	test(`rejects: ${c.name}`, () => {
		const errors = errorsOf(c.doc, c.kind);
		assert.ok(
			errors.includes(c.expect),
			`expected ${c.expect}, got ${JSON.stringify(errors)}`,
		);
	});
}

test("reports every problem at once", () => {
	const errors = errorsOf({
		Version: "x",
		Statement: [{ Effect: "Maybe", Action: "bad", Resource: "bad" }],
	});
	assert.deepEqual(errors, [
		"INVALID_VERSION @ Version",
		"INVALID_EFFECT @ Statement[0].Effect",
		"INVALID_ACTION @ Statement[0].Action",
		"INVALID_ARN @ Statement[0].Resource",
	]);
});

test("accepts AWS's shapes: single statement object, JSON text, all principal forms, variables", () => {
	const r = parsePolicy(
		JSON.stringify({
			Version: "2012-10-17",
			Id: "function-policy",
			Statement: {
				Sid: "lambda-url",
				Effect: "Allow",
				Principal: {
					AWS: [
						"111111111111",
						"arn:aws:iam::111111111111:root",
						"arn:aws:iam::111111111111:user/a/b",
						"arn:aws:sts::111111111111:assumed-role/R/s",
					],
					Service: "events.amazonaws.com",
				},
				Action: ["lambda:InvokeFunctionUrl", "lambda:Get*"],
				Resource:
					"arn:aws:lambda:us-east-1:111111111111:function:${aws:username}-*",
				Condition: {
					"ForAnyValue:StringLike": { "aws:TagKeys": ["a*"] },
					StringEqualsIfExists: { "lambda:FunctionUrlAuthType": "AWS_IAM" },
				},
			},
		}),
		"resource",
	);
	assert.ok(r.ok, JSON.stringify(!r.ok && r.errors));
	assert.equal(r.policy.id, "function-policy");
	assert.equal(r.policy.statements.length, 1);
	assert.equal(r.policy.statements[0]?.sid, "lambda-url");
	assert.ok(Object.isFrozen(r.policy));
});

test("a document without Version is 2008-10-17: variables stay literal", () => {
	const r = parsePolicy(
		{
			Statement: [
				{
					...ok,
					Resource: "arn:aws:lambda:us-east-1:1:function:${aws:username}",
				},
			],
		},
		"identity",
	);
	assert.ok(r.ok);
	assert.equal(r.policy.version, "2008-10-17");
});

test("a compile cache shares matchers across policies and never hides an error", () => {
	const cache = createCompileCache();
	const doc = (user: string) => ({
		Version: "2012-10-17",
		Statement: [
			{
				...ok,
				Resource: `arn:aws:lambda:us-east-1:111111111111:function:${user}-*`,
			},
		],
	});
	const a = parsePolicy(doc("a"), "identity", { cache });
	const b = parsePolicy(doc("b"), "identity", { cache });
	assert.ok(a.ok && b.ok);
	assert.equal(
		a.policy.statements[0]?.matchAction,
		b.policy.statements[0]?.matchAction,
		"same Action element → one matcher",
	);
	assert.notEqual(
		a.policy.statements[0]?.matchResource,
		b.policy.statements[0]?.matchResource,
	);
	const bad = {
		Version: "2012-10-17",
		Statement: [
			{ ...ok, Condition: { IpAddress: { "aws:SourceIp": "300.0.0.1" } } },
		],
	};
	for (let i = 0; i < 2; i++) {
		const r = parsePolicy(bad, "identity", { cache });
		assert.equal(r.ok, false);
		assert.deepEqual(r.ok ? [] : r.errors.map((e) => e.path), [
			"Statement[0].Condition.IpAddress.aws:SourceIp",
		]);
	}
});

test("2008-10-17 keeps ${…} literal in Resource", () => {
	const r = parsePolicy(
		{
			Version: "2008-10-17",
			Statement: [{ ...ok, Resource: "arn:aws:s3:::b/${aws:username}" }],
		},
		"identity",
	);
	assert.ok(r.ok);
	const target = (text: string) => ({
		text,
		parts: text
			.split(":")
			.slice(0, 5)
			.concat(text.split(":").slice(5).join(":")),
	});
	assert.equal(
		r.policy.statements[0]?.matchResource(
			target("arn:aws:s3:::b/${aws:username}"),
			new Map(),
		),
		true,
	);
	assert.equal(
		r.policy.statements[0]?.matchResource(
			target("arn:aws:s3:::b/alice"),
			new Map([["aws:username", ["alice"]]]),
		),
		false,
	);
});

test("the compile cache shares identical statements but never a rejected Sid", () => {
	const cache = createCompileCache();
	const st = { ...ok, Sid: "A" };
	const dup = parsePolicy(
		{ Version: "2012-10-17", Statement: [st, st] },
		"identity",
		{ cache },
	);
	assert.equal(dup.ok, false);
	const fine = parsePolicy(
		{ Version: "2012-10-17", Statement: [{ ...ok, Sid: "B" }, st] },
		"identity",
		{ cache },
	);
	assert.ok(fine.ok);
	assert.equal(fine.policy.statements[1]?.sid, "A");
	const again = parsePolicy(
		{ Version: "2012-10-17", Statement: [{ ...ok, Sid: "C" }, st] },
		"identity",
		{ cache },
	);
	assert.ok(again.ok);
	assert.equal(
		again.policy.statements[1],
		fine.policy.statements[1],
		"same statement at the same index → shared",
	);
});
