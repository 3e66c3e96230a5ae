// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${…} here is IAM policy-variable syntax, not a JS template
// Where the oracle (@cloud-copilot/iam-simulate) and AWS's documentation part ways. Each entry
// names the AWS documentation behind our answer and rewrites a scenario around the oracle's
// limitation; a disagreement counts as explained only if the oracle then agrees with us.
import type { RequestPrincipal } from "../src/index.ts";
import { PRINCIPALS, type Scenario } from "./oracle-scenarios.ts";

/**
 * Documented differences between the oracle and AWS's documented behaviour, each a predicate on
 * the scenario. Keep this list short and honest.
 */
export const KNOWN_DIFFERENCES: {
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
