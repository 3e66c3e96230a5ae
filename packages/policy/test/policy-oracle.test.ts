// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${…} here is IAM policy-variable syntax, not a JS template
// Differential test: random policies and requests evaluated by our engine and by
// @cloud-copilot/iam-simulate (an independent evaluator, used here only as a test oracle).
// Every disagreement is either fixed in src/ or listed in KNOWN_DIFFERENCES with the AWS
// documentation that justifies our answer.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
	anonymousPrincipal,
	runSimulation,
	type Simulation,
} from "@cloud-copilot/iam-simulate";
import fc from "fast-check";
import {
	type AuthorizationRequest,
	evaluate,
	parsePolicy,
	principalContext,
	type RequestPrincipal,
} from "../src/index.ts";

const A = "111111111111";
const B = "222222222222";
const fn = (account: string, name: string) =>
	`arn:aws:lambda:us-east-1:${account}:function:${name}`;

const PRINCIPALS: Record<string, RequestPrincipal> = {
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

const scenario = fc.record({
	principal: fc.constantFrom(...Object.keys(PRINCIPALS)),
	action: fc.constantFrom(...ACTIONS),
	resource: fc.constantFrom(...RESOURCES),
	identity: fc.option(policy(false), { nil: undefined, freq: 4 }),
	resourcePolicy: fc.option(policy(true), { nil: undefined, freq: 4 }),
	boundary: fc.option(policy(false), { nil: undefined, freq: 2 }),
	session: fc.option(policy(false), { nil: undefined, freq: 2 }),
	context,
});

type Scenario = typeof scenario extends fc.Arbitrary<infer T> ? T : never;

const OURS = {
	Allow: "Allowed",
	ExplicitDeny: "ExplicitlyDenied",
	ImplicitDeny: "ImplicitlyDenied",
} as const;

/**
 * Documented differences between the oracle and AWS's documented behaviour, each a predicate on
 * the scenario. Keep this list short and honest.
 */
const KNOWN_DIFFERENCES: {
	name: string;
	why: string;
	/** The same scenario written so that the oracle's limitation does not apply; undefined if it never did. */
	rewrite: (s: Scenario) => Scenario | undefined;
}[] = [
	{
		name: "variable inside an ARN component other than the last",
		why:
			"IAM User Guide, 'IAM policy elements: Variables and tags' — 'You can use policy variables in the Resource element', " +
			"e.g. arn:aws:lambda:us-east-1:${aws:PrincipalAccount}:function:*. The oracle splits the pattern at colons before " +
			"substituting, so the variable's colon breaks its account match. Justified when the oracle agrees once the variable is substituted by hand.",
		rewrite: (s) => {
			const text = JSON.stringify(s);
			if (!text.includes(":${aws:PrincipalAccount}:")) return undefined;
			const account = (PRINCIPALS[s.principal] as RequestPrincipal).accountId;
			const substituted = JSON.parse(
				text.replaceAll(":${aws:PrincipalAccount}:", `:${account}:`),
			) as Scenario;
			return substituted;
		},
	},
	{
		name: "0.0.0.0/0 covers every IPv4 address",
		why:
			"IAM User Guide, 'Condition operators — IP address condition operators': values are CIDR blocks per RFC 4632, " +
			"and 0.0.0.0/0 is the block of all IPv4 addresses. The oracle matches nothing with a /0 IPv4 block. Justified when " +
			"the oracle agrees once 0.0.0.0/0 is written as the equivalent pair 0.0.0.0/1 + 128.0.0.0/1.",
		rewrite: (s) => {
			const text = JSON.stringify(s);
			if (!text.includes('"0.0.0.0/0"')) return undefined;
			const split = JSON.parse(
				text.replaceAll('"0.0.0.0/0"', '"0.0.0.0/1","128.0.0.0/1"'),
			) as Scenario;
			return split;
		},
	},
	{
		name: "NotIpAddress with blocks of the other IP family",
		why:
			"IAM User Guide, 'Condition operators — IP address condition operators': NotIpAddress holds when the address is " +
			"not in any listed block; an IPv6 address is in no IPv4 block, so it holds (the AWS IPv6 migration guides warn that " +
			"IPv4-only IP policies change access for IPv6 callers). The oracle counts a block of the other family as a " +
			"match for NotIpAddress. Justified when the oracle agrees once those blocks are replaced by a non-matching block of the caller's family.",
		rewrite: (s) => {
			const ip = s.context["aws:SourceIp"];
			if (ip === undefined || !JSON.stringify(s).includes("NotIpAddress"))
				return undefined;
			const extra = ip.includes(":") ? "fd00::/64" : "203.0.113.7/32";
			const v6 = ip.includes(":");
			const sameFamily = (block: string) =>
				v6 ? block.includes(":") : !block.includes(":");
			const widened = JSON.parse(JSON.stringify(s), (key, value) =>
				key.startsWith("NotIpAddress")
					? {
							...value,
							"aws:SourceIp": value["aws:SourceIp"].map((b: string) =>
								sameFamily(b) ? b : extra,
							),
						}
					: value,
			) as Scenario;
			return widened;
		},
	},
	{
		name: "a resource policy naming the session ARN is not limited by session policies",
		why:
			"IAM User Guide, 'Policy evaluation logic' → 'Session policies': 'If the resource-based policy specifies the ARN of " +
			"the session as a principal, the permissions from the resource-based policy are added after the session policy' " +
			"(the oracle lists session policies as not yet fully supported). Justified when the oracle agrees once every " +
			"resource Allow naming the session ARN is also copied into the session policy.",
		rewrite: (s) => {
			const sessionArn = PRINCIPALS.session?.arn;
			if (
				s.principal !== "session" ||
				s.session === undefined ||
				s.resourcePolicy === undefined
			)
				return undefined;
			const naming = s.resourcePolicy.Statement.filter(
				(st) =>
					st.Effect === "Allow" &&
					JSON.stringify(
						(st as { Principal?: unknown }).Principal ?? null,
					).includes(`"${sessionArn}"`),
			);
			if (naming.length === 0) return undefined;
			const copies = naming.map((st) => {
				const { Principal: _principal, ...rest } = st as Record<
					string,
					unknown
				>;
				return rest;
			});
			return {
				...s,
				session: {
					...s.session,
					Statement: [...s.session.Statement, ...copies],
				},
			} as Scenario;
		},
	},
	{
		name: "numeric dates are epoch seconds",
		why:
			"IAM User Guide, 'Condition operators — Date condition operators' and 'aws:EpochTime' (\"the date in epoch or " +
			'Unix time", seconds, as in 1526574430). The oracle reads numeric dates as JavaScript milliseconds. Justified ' +
			"when the oracle agrees once every numeric date (policy values of Date operators, aws:EpochTime) is written in ms.",
		rewrite: (s) => {
			const text = JSON.stringify(s);
			if (
				!/"Date[A-Za-z]*":/.test(text) &&
				s.context["aws:EpochTime"] === undefined
			)
				return undefined;
			const ms = (v: string) => (/^\d+$/.test(v) ? `${v}000` : v);
			const out = JSON.parse(text, (key, value) =>
				key.startsWith("Date") && typeof value === "object" && value !== null
					? Object.fromEntries(
							Object.entries(value as Record<string, string[]>).map(
								([k, vs]) => [k, vs.map(ms)],
							),
						)
					: value,
			) as Scenario;
			const epoch = out.context["aws:EpochTime"];
			return epoch === undefined
				? out
				: ({
						...out,
						context: { ...out.context, "aws:EpochTime": ms(epoch) },
					} as Scenario);
		},
	},
	{
		name: "the root user has full access",
		why:
			"IAM User Guide, 'How AWS enforcement code logic evaluates requests': 'all requests are implicitly denied with the " +
			"exception of the AWS account root user, which has full access'. The oracle evaluates the root user like any " +
			"identity. Justified when the oracle agrees once root is given an identity policy allowing everything.",
		rewrite: (s) => {
			if (PRINCIPALS[s.principal]?.type !== "Account") return undefined;
			const all = { Effect: "Allow", Action: "*", Resource: "*" };
			return {
				...s,
				identity: {
					Version: "2012-10-17",
					Statement: [...(s.identity?.Statement ?? []), all],
				},
			} as Scenario;
		},
	},
];

/**
 * Service keys only exist for the actions that define them (Service Authorization Reference:
 * lambda:FunctionUrlAuthType is a key of lambda:InvokeFunctionUrl and the function-URL config
 * actions), and the oracle drops keys an action does not define. Sigil's gateway sets it only for
 * function-URL calls, so the generated context follows the same rule for both engines.
 */
function requestContext(s: Scenario): Record<string, string | string[]> {
	const ctx: Record<string, string | string[]> = {
		...(s.context as Record<string, string | string[]>),
	};
	if (s.action !== "lambda:InvokeFunctionUrl")
		delete ctx["lambda:FunctionUrlAuthType"];
	return ctx;
}

const oracleContext = requestContext;

function compiled(doc: unknown, kind: "identity" | "resource", name: string) {
	const r = parsePolicy(doc, kind);
	if (!r.ok)
		throw new Error(`${name} policy rejected: ${JSON.stringify(r.errors)}`);
	return { name, policy: r.policy };
}

function ours(s: Scenario): string {
	const principal = PRINCIPALS[s.principal] as RequestPrincipal;
	const request: AuthorizationRequest = {
		principal,
		action: s.action,
		resource: s.resource,
		resourceAccountId: s.resource.split(":")[4] as string,
		identityPolicies:
			s.identity === undefined ? [] : [compiled(s.identity, "identity", "id")],
		...(s.resourcePolicy !== undefined
			? { resourcePolicy: compiled(s.resourcePolicy, "resource", "res") }
			: {}),
		...(s.boundary !== undefined && principal.type !== "Account"
			? { permissionsBoundary: compiled(s.boundary, "identity", "pb") }
			: {}),
		...(principal.type === "AssumedRole" && s.session !== undefined
			? { sessionPolicies: [compiled(s.session, "identity", "session")] }
			: {}),
		context: requestContext(s),
	};
	return OURS[evaluate(request).decision];
}

async function theirs(s: Scenario): Promise<string> {
	const principal = PRINCIPALS[s.principal] as RequestPrincipal;
	const anonymous = principal.type === "Anonymous";
	const simulation: Simulation = {
		request: {
			principal: anonymous ? anonymousPrincipal : principal.arn,
			action: s.action,
			resource: {
				resource: s.resource,
				accountId: s.resource.split(":")[4] as string,
			},
			contextVariables: {
				...oracleContext(s),
				...(anonymous ? {} : principalContext(principal)),
			},
		},
		identityPolicies:
			anonymous || s.identity === undefined
				? []
				: [{ name: "id", policy: s.identity }],
		serviceControlPolicies: [],
		resourceControlPolicies: [],
		...(s.resourcePolicy !== undefined
			? { resourcePolicy: s.resourcePolicy }
			: {}),
		...(!anonymous && principal.type !== "Account" && s.boundary !== undefined
			? { permissionBoundaryPolicies: [{ name: "pb", policy: s.boundary }] }
			: {}),
		...(principal.type === "AssumedRole" && s.session !== undefined
			? { sessionPolicy: s.session }
			: {}),
	};
	const result = await runSimulation(simulation, {});
	if (result.resultType === "error")
		throw new Error(
			`oracle rejected the simulation: ${JSON.stringify(result.errors)}`,
		);
	return result.overallResult;
}

test("our decisions agree with @cloud-copilot/iam-simulate on random policies and requests", async (t) => {
	const seen: Record<string, number> = {};
	const explained: Record<string, number> = {};
	await fc.assert(
		fc.asyncProperty(scenario, async (s) => {
			const a = ours(s);
			const b = await theirs(s);
			seen[a] = (seen[a] ?? 0) + 1;
			const text = JSON.stringify(s);
			for (const feature of [
				"NotPrincipal",
				'"boundary":{',
				'"session":{',
				"IfExists",
				"ForAllValues",
				"${",
			])
				if (text.includes(feature)) seen[feature] = (seen[feature] ?? 0) + 1;
			if (a === b) return true;
			// Rewrite the scenario around every documented oracle limitation that applies; the
			// disagreement is explained only if the oracle then agrees with us.
			let rewritten = s;
			const used: string[] = [];
			for (const k of KNOWN_DIFFERENCES) {
				const r = k.rewrite(rewritten);
				if (r !== undefined) {
					rewritten = r;
					used.push(k.name);
				}
			}
			if (used.length > 0 && (await theirs(rewritten)) === a) {
				for (const name of used) explained[name] = (explained[name] ?? 0) + 1;
				return true;
			}
			throw new Error(`ours ${a} vs oracle ${b}`);
		}),
		{
			numRuns: Number(process.env.ORACLE_RUNS ?? 600),
			seed: Number(process.env.ORACLE_SEED ?? 20261123),
		},
	);
	t.diagnostic(
		`outcomes ${JSON.stringify(seen)}; explained by KNOWN_DIFFERENCES ${JSON.stringify(explained)}`,
	);
	// The generator must reach every outcome, or the agreement proves little.
	for (const feature of [
		"NotPrincipal",
		'"boundary":{',
		'"session":{',
		"IfExists",
		"ForAllValues",
		"${",
	])
		assert.ok(
			(seen[feature] ?? 0) > 10,
			`too few scenarios with ${feature}: ${JSON.stringify(seen)}`,
		);
	assert.ok(
		(seen.Allowed ?? 0) > 20 &&
			(seen.ExplicitlyDenied ?? 0) > 20 &&
			(seen.ImplicitlyDenied ?? 0) > 20,
		JSON.stringify(seen),
	);
});
