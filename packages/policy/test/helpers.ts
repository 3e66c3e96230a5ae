// Shared fixtures for the policy tests: principals in two accounts and a compile-or-throw helper.
import {
	type NamedPolicy,
	type PolicyKind,
	parsePolicy,
	type RequestPrincipal,
} from "../src/index.ts";

export const A = "111111111111";
export const B = "222222222222";
export const FN = `arn:aws:lambda:us-east-1:${A}:function:f`;
export const URL_ACTION = "lambda:InvokeFunctionUrl";

export const alice: RequestPrincipal = {
	type: "User",
	arn: `arn:aws:iam::${A}:user/alice`,
	accountId: A,
	username: "alice",
	userId: "AIDAALICE",
};
export const bob: RequestPrincipal = {
	type: "User",
	arn: `arn:aws:iam::${B}:user/bob`,
	accountId: B,
	username: "bob",
	userId: "AIDABOB",
};
export const session: RequestPrincipal = {
	type: "AssumedRole",
	arn: `arn:aws:sts::${A}:assumed-role/R/s1`,
	accountId: A,
	roleArn: `arn:aws:iam::${A}:role/R`,
	userId: "AROAR:s1",
};
export const anonymous: RequestPrincipal = {
	type: "Anonymous",
	arn: "",
	accountId: "",
};

/** Compiles a policy from statements, failing the test on validation errors. */
export function compile(
	kind: PolicyKind,
	statements: unknown[],
	name?: string,
): NamedPolicy {
	const r = parsePolicy({ Version: "2012-10-17", Statement: statements }, kind);
	if (!r.ok) throw new Error(`policy rejected: ${JSON.stringify(r.errors)}`);
	return name === undefined ? { policy: r.policy } : { name, policy: r.policy };
}

export const allowUrl = (extra: Record<string, unknown> = {}) => ({
	Effect: "Allow",
	Action: URL_ACTION,
	Resource: FN,
	...extra,
});
export const denyUrl = (extra: Record<string, unknown> = {}) => ({
	Effect: "Deny",
	Action: URL_ACTION,
	Resource: FN,
	...extra,
});
