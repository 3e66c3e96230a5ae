// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${…} here is IAM policy-variable syntax, not a JS template
// Generators for the differential test: principals in two accounts, random identity, resource,
// boundary and session policies over Lambda actions, and request contexts.
import fc from "fast-check";
import type { RequestPrincipal } from "../src/index.ts";

export const A = "111111111111";
export const B = "222222222222";
const fn = (account: string, name: string) =>
	`arn:aws:lambda:us-east-1:${account}:function:${name}`;

export const PRINCIPALS: Record<string, RequestPrincipal> = {
	alice: {
		type: "User",
		arn: `arn:aws:iam::${A}:user/alice`,
		accountId: A,
		username: "alice",
		userId: "AIDAALICE",
	},
	bob: {
		type: "User",
		arn: `arn:aws:iam::${B}:user/bob`,
		accountId: B,
		username: "bob",
		userId: "AIDABOB",
	},
	session: {
		type: "AssumedRole",
		arn: `arn:aws:sts::${A}:assumed-role/R/s1`,
		accountId: A,
		roleArn: `arn:aws:iam::${A}:role/R`,
		userId: "AROAR:s1",
	},
	anonymous: { type: "Anonymous", arn: "", accountId: "" },
	rootB: { type: "Account", arn: `arn:aws:iam::${B}:root`, accountId: B },
};

const ACTIONS = [
	"lambda:InvokeFunctionUrl",
	"lambda:InvokeFunction",
	"lambda:GetFunction",
];
const ACTION_PATTERNS = [
	"*",
	"lambda:*",
	"lambda:Invoke*",
	"lambda:InvokeFunction",
	"lambda:invokefunctionurl",
	"lambda:InvokeFunction?rl",
	"lambda:Get*",
	"s3:*",
];
const RESOURCES = [fn(A, "f"), fn(A, "alice-f"), fn(A, "g"), fn(B, "f")];
const RESOURCE_PATTERNS = [
	"*",
	"arn:aws:lambda:*:*:function:*",
	fn(A, "f"),
	fn(A, "${aws:username}-*"),
	"arn:aws:lambda:us-east-1:*:function:g",
	fn(A, "?"),
	fn(B, "*"),
	"arn:aws:lambda:us-east-1:${aws:PrincipalAccount}:function:*",
];
const RESOURCE_PRINCIPALS: unknown[] = [
	"*",
	{ AWS: "*" },
	{ AWS: A },
	{ AWS: B },
	{ AWS: `arn:aws:iam::${A}:root` },
	{ AWS: `arn:aws:iam::${B}:root` },
	{ AWS: PRINCIPALS.alice?.arn },
	{ AWS: PRINCIPALS.bob?.arn },
	{ AWS: PRINCIPALS.session?.roleArn },
	{ AWS: PRINCIPALS.session?.arn },
	{ AWS: [A, PRINCIPALS.bob?.arn] },
];

/**
 * NotPrincipal lists that name someone other than the caller, so the Deny applies. Which lists
 * exclude a caller is where the oracle and the IAM User Guide ("NotPrincipal": the account, and
 * for a session also the role and session ARNs, must all be listed) diverge inconsistently, so
 * exclusion is covered by named scenarios in policy-scenarios.test.ts rather than here.
 */
const NOT_PRINCIPALS: unknown[] = [
	{ AWS: `arn:aws:iam::${A}:user/carol` },
	{ AWS: [`arn:aws:iam::${B}:user/dave`, `arn:aws:iam::${A}:role/Other`] },
];

/** Condition generators: operator families with keys and values that exercise them. */
const STRING_OPS = [
	"StringEquals",
	"StringNotEquals",
	"StringEqualsIgnoreCase",
	"StringNotEqualsIgnoreCase",
	"StringLike",
	"StringNotLike",
];
const condition = fc.oneof(
	fc.record({
		op: fc.constantFrom(...STRING_OPS),
		key: fc.constantFrom(
			"lambda:FunctionUrlAuthType",
			"aws:RequestedRegion",
			"aws:username",
		),
		values: fc.subarray(
			[
				"AWS_IAM",
				"aws_iam",
				"NONE",
				"AWS_*",
				"us-east-1",
				"us-*",
				"alice",
				"${aws:username}",
				"bo?",
			],
			{ minLength: 1, maxLength: 3 },
		),
	}),
	fc.record({
		op: fc.constantFrom("IpAddress", "NotIpAddress"),
		key: fc.constant("aws:SourceIp"),
		values: fc.subarray(
			[
				"10.0.0.0/8",
				"192.168.1.1",
				"2001:db8::/32",
				"0.0.0.0/0",
				"192.168.0.0/16",
			],
			{ minLength: 1, maxLength: 2 },
		),
	}),
	fc.record({
		op: fc.constant("Bool"),
		key: fc.constant("aws:SecureTransport"),
		values: fc.subarray(["true", "false"], { minLength: 1, maxLength: 1 }),
	}),
	fc.record({
		op: fc.constantFrom(
			"NumericEquals",
			"NumericNotEquals",
			"NumericLessThan",
			"NumericLessThanEquals",
			"NumericGreaterThan",
			"NumericGreaterThanEquals",
		),
		key: fc.constant("aws:MultiFactorAuthAge"),
		values: fc.subarray(["100", "3600", "50"], { minLength: 1, maxLength: 2 }),
	}),
	fc.record({
		op: fc.constantFrom(
			"DateEquals",
			"DateNotEquals",
			"DateLessThan",
			"DateLessThanEquals",
			"DateGreaterThan",
			"DateGreaterThanEquals",
		),
		key: fc.constantFrom("aws:CurrentTime", "aws:EpochTime"),
		values: fc.subarray(
			[
				"2026-01-01T00:00:00Z",
				"2026-11-23T12:00:00Z",
				"2027-01-01T00:00:00Z",
				"1795435200",
				"2026-11-23T12:00:00+01:00",
			],
			{ minLength: 1, maxLength: 2 },
		),
	}),
	fc.record({
		op: fc.constantFrom("ArnLike", "ArnNotLike", "ArnEquals", "ArnNotEquals"),
		key: fc.constant("aws:SourceArn"),
		values: fc.subarray(
			[
				`arn:aws:execute-api:us-east-1:${A}:*`,
				`arn:aws:execute-api:us-east-1:${A}:api/prod`,
				"arn:aws:*:*:*:*",
			],
			{ minLength: 1, maxLength: 2 },
		),
	}),
	fc.record({
		op: fc.constant("Null"),
		key: fc.constantFrom("aws:SourceIp", "aws:SourceArn", "aws:TagKeys"),
		values: fc.subarray(["true", "false"], { minLength: 1, maxLength: 1 }),
	}),
	fc.record({
		op: fc.constantFrom(
			"ForAnyValue:StringEquals",
			"ForAllValues:StringEquals",
			"ForAnyValue:StringLike",
			"ForAllValues:StringNotEquals",
			"ForAnyValue:StringNotEquals",
		),
		key: fc.constant("aws:TagKeys"),
		values: fc.subarray(["a", "b", "c*"], { minLength: 1, maxLength: 2 }),
	}),
);

const conditionBlock = fc.option(
	fc
		.tuple(fc.array(condition, { minLength: 1, maxLength: 2 }), fc.boolean())
		.map(([conds, ifExists]) => {
			const block: Record<string, Record<string, string[]>> = {};
			for (const c of conds) {
				const op =
					ifExists && c.op !== "Null" && !c.op.includes(":")
						? `${c.op}IfExists`
						: c.op;
				block[op] = { ...block[op], [c.key]: c.values };
			}
			return block;
		}),
	{ nil: undefined, freq: 2 },
);

function statement(withPrincipal: boolean) {
	return fc
		.record({
			Effect: fc.constantFrom("Allow", "Allow", "Deny"),
			Action: fc.subarray(ACTION_PATTERNS, { minLength: 1, maxLength: 2 }),
			Resource: fc.subarray(RESOURCE_PATTERNS, { minLength: 1, maxLength: 2 }),
			Principal: fc.constantFrom(...RESOURCE_PRINCIPALS),
			NotPrincipal: fc.option(fc.constantFrom(...NOT_PRINCIPALS), {
				nil: undefined,
				freq: 3,
			}),
			Condition: conditionBlock,
		})
		.map(({ Principal, NotPrincipal, Condition, ...s }) => ({
			...s,
			// NotPrincipal only with Deny, the one combination AWS supports in practice.
			...(withPrincipal
				? NotPrincipal !== undefined && s.Effect === "Deny"
					? { NotPrincipal }
					: { Principal }
				: {}),
			...(Condition !== undefined ? { Condition } : {}),
		}));
}

const policy = (withPrincipal: boolean) =>
	fc
		.array(statement(withPrincipal), { minLength: 1, maxLength: 3 })
		.map((Statement) => ({ Version: "2012-10-17", Statement }));

const context = fc.record(
	{
		"aws:SourceIp": fc.constantFrom(
			"10.1.2.3",
			"192.168.1.1",
			"2001:db8::1",
			"8.8.8.8",
		),
		"lambda:FunctionUrlAuthType": fc.constantFrom("AWS_IAM", "NONE"),
		"aws:RequestedRegion": fc.constantFrom("us-east-1", "eu-west-1"),
		"aws:SecureTransport": fc.constantFrom("true", "false"),
		"aws:MultiFactorAuthAge": fc.constantFrom("50", "100", "5000"),
		"aws:EpochTime": fc.constantFrom("1795435200", "1700000000"),
		"aws:CurrentTime": fc.constantFrom(
			"2026-11-23T12:00:00Z",
			"2025-06-01T00:00:00Z",
			"2027-01-01T00:00:00Z",
		),
		"aws:SourceArn": fc.constantFrom(
			`arn:aws:execute-api:us-east-1:${A}:api/prod`,
			`arn:aws:execute-api:us-east-1:${B}:api/prod`,
		),
		"aws:TagKeys": fc.subarray(["a", "b", "cc", "d"]),
	},
	{ requiredKeys: [] },
);

export const scenario = fc.record({
	principal: fc.constantFrom(...Object.keys(PRINCIPALS)),
	action: fc.constantFrom(...ACTIONS),
	resource: fc.constantFrom(...RESOURCES),
	identity: fc.option(policy(false), { nil: undefined, freq: 4 }),
	resourcePolicy: fc.option(policy(true), { nil: undefined, freq: 4 }),
	boundary: fc.option(policy(false), { nil: undefined, freq: 2 }),
	session: fc.option(policy(false), { nil: undefined, freq: 2 }),
	context,
});

export type Scenario =
	typeof scenario extends fc.Arbitrary<infer T> ? T : never;
