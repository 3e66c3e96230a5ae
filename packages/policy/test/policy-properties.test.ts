// Properties AWS documents for every decision, checked on random policies: statement order does
// not matter ("the order of statements is not significant"), action names and condition-key
// names are case-insensitive, and adding a Deny that applies can only turn an allow into an
// explicit deny.
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import {
	type AuthorizationRequest,
	evaluate,
	parsePolicy,
} from "../src/index.ts";
import { A, alice, bob, FN, session } from "./helpers.ts";

const statement = fc.record({
	Effect: fc.constantFrom("Allow", "Allow", "Deny"),
	Action: fc.subarray(
		["lambda:InvokeFunctionUrl", "lambda:Invoke*", "lambda:*", "s3:*", "*"],
		{ minLength: 1, maxLength: 2 },
	),
	Resource: fc.subarray(
		[
			FN,
			"*",
			`arn:aws:lambda:*:${A}:function:?`,
			"arn:aws:lambda:us-east-1:*:function:g",
		],
		{ minLength: 1, maxLength: 2 },
	),
	Condition: fc.option(
		fc.constantFrom(
			{ IpAddress: { "aws:SourceIp": "10.0.0.0/8" } },
			{ StringEquals: { "lambda:FunctionUrlAuthType": "AWS_IAM" } },
			{ BoolIfExists: { "aws:SecureTransport": "true" } },
		),
		{ nil: undefined },
	),
});
const withPrincipal = fc
	.tuple(
		statement,
		fc.constantFrom<unknown>(
			"*",
			{ AWS: A },
			{ AWS: alice.arn },
			{ AWS: session.roleArn },
		),
	)
	.map(([s, Principal]) => ({ ...s, Principal }));
const clean = <T extends { Condition?: unknown }>(s: T) =>
	s.Condition === undefined ? { ...s, Condition: undefined } : s;

const scenario = fc.record({
	principal: fc.constantFrom(alice, bob, session),
	identity: fc.array(statement, { minLength: 0, maxLength: 4 }),
	resource: fc.array(withPrincipal, { minLength: 0, maxLength: 4 }),
	context: fc.record({
		"aws:SourceIp": fc.constantFrom("10.1.1.1", "8.8.8.8"),
		"lambda:FunctionUrlAuthType": fc.constantFrom("AWS_IAM", "NONE"),
	}),
	seed: fc.integer(),
});

function request(
	s: {
		principal: typeof alice;
		identity: unknown[];
		resource: unknown[];
		context: Record<string, string>;
	},
	action = "lambda:InvokeFunctionUrl",
): AuthorizationRequest {
	const strip = (list: unknown[]) =>
		list.map((x) =>
			JSON.parse(JSON.stringify(clean(x as { Condition?: unknown }))),
		);
	const id = parsePolicy(
		{ Version: "2012-10-17", Statement: strip(s.identity) },
		"identity",
	);
	const res = parsePolicy(
		{ Version: "2012-10-17", Statement: strip(s.resource) },
		"resource",
	);
	if (!id.ok || !res.ok) throw new Error("generated policy rejected");
	return {
		principal: s.principal,
		action,
		resource: FN,
		resourceAccountId: A,
		identityPolicies: [{ policy: id.policy }],
		...(s.resource.length > 0
			? { resourcePolicy: { policy: res.policy } }
			: {}),
		context: s.context,
	};
}

function shuffled<T>(list: readonly T[], seed: number): T[] {
	const out = [...list];
	let x = seed >>> 0 || 1;
	for (let i = out.length - 1; i > 0; i--) {
		x = (x * 1103515245 + 12345) >>> 0;
		const j = x % (i + 1);
		[out[i], out[j]] = [out[j] as T, out[i] as T];
	}
	return out;
}

test("statement order does not change the decision", () => {
	fc.assert(
		fc.property(scenario, (s) => {
			const a = evaluate(request(s));
			const b = evaluate(
				request({
					...s,
					identity: shuffled(s.identity, s.seed),
					resource: shuffled(s.resource, s.seed + 1),
				}),
			);
			assert.equal(b.decision, a.decision);
			assert.equal(b.reason, a.reason);
		}),
		{ numRuns: 300, seed: 7 },
	);
});

test("action names and context-key names are case-insensitive", () => {
	fc.assert(
		fc.property(scenario, (s) => {
			const a = evaluate(request(s));
			const upperKeys = Object.fromEntries(
				Object.entries(s.context).map(([k, v]) => [k.toUpperCase(), v]),
			);
			const b = evaluate(
				request({ ...s, context: upperKeys }, "LAMBDA:invokefunctionurl"),
			);
			assert.equal(b.decision, a.decision);
		}),
		{ numRuns: 300, seed: 8 },
	);
});

test("adding an applicable Deny makes any decision an explicit deny", () => {
	fc.assert(
		fc.property(scenario, fc.boolean(), (s, inResource) => {
			const deny = {
				Effect: "Deny",
				Action: "lambda:InvokeFunctionUrl",
				Resource: FN,
			};
			const withDeny = inResource
				? { ...s, resource: [...s.resource, { ...deny, Principal: "*" }] }
				: { ...s, identity: [...s.identity, deny] };
			const d = evaluate(request(withDeny));
			assert.equal(d.decision, "ExplicitDeny");
			assert.match(d.reason, /^EXPLICIT_DENY_/);
			assert.equal(d.decidedBy?.effect, "Deny");
		}),
		{ numRuns: 200, seed: 9 },
	);
});
