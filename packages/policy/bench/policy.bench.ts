// Decisions per second of @sigil/policy, for a realistic policy set (a user with 10 statements,
// a function policy with 20), the same with 100,000 principals and 10,000 functions held in Maps
// of compiled policies (looked up by key per decision, to show the cost is flat), and the oracle
// (@cloud-copilot/iam-simulate) on the same request in the same run.
// Run: npx node packages/policy/bench/policy.bench.ts [--json]
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { runSimulation, type Simulation } from "@cloud-copilot/iam-simulate";
import {
	type AuthorizationRequest,
	createCompileCache,
	evaluate,
	type NamedPolicy,
	parsePolicy,
	principalContext,
	type RequestPrincipal,
} from "../src/index.ts";

const json = process.argv.includes("--json");
// A full GC after building each store, so the figures are the steady state of a long-running
// gateway rather than one mark-compact of the build's garbage landing inside a 1.5 s window.
setFlagsFromString("--expose-gc");
const collectGarbage = runInNewContext("gc") as () => void;
const A = "111111111111";
const B = "222222222222";
const fn = (name: string) => `arn:aws:lambda:us-east-1:${A}:function:${name}`;

function userStatements(user: string): unknown[] {
	return [
		{
			Sid: "Logs",
			Effect: "Allow",
			Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
			Resource: `arn:aws:logs:us-east-1:${A}:log-group:/sigil/*`,
		},
		{
			Sid: "ReadOwn",
			Effect: "Allow",
			Action: ["lambda:Get*", "lambda:List*"],
			Resource: fn(`${user}-*`),
		},
		{
			Sid: "S3",
			Effect: "Allow",
			Action: "s3:GetObject",
			Resource: `arn:aws:s3:::team-bucket/${user}/*`,
		},
		{
			Sid: "NoDelete",
			Effect: "Deny",
			Action: "lambda:DeleteFunction",
			Resource: "*",
		},
		{
			Sid: "Mfa",
			Effect: "Deny",
			Action: "iam:*",
			Resource: "*",
			Condition: { BoolIfExists: { "aws:MultiFactorAuthPresent": "false" } },
		},
		{
			Sid: "Region",
			Effect: "Deny",
			NotAction: ["iam:*", "sts:*"],
			Resource: "*",
			Condition: {
				StringNotEquals: { "aws:RequestedRegion": ["us-east-1", "eu-west-1"] },
			},
		},
		{
			Sid: "Tags",
			Effect: "Allow",
			Action: "lambda:TagResource",
			Resource: "*",
			Condition: {
				"ForAllValues:StringEquals": { "aws:TagKeys": ["team", "env"] },
			},
		},
		{
			Sid: "Sqs",
			Effect: "Allow",
			Action: "sqs:SendMessage",
			Resource: `arn:aws:sqs:us-east-1:${A}:${user}-queue`,
		},
		{
			Sid: "Office",
			Effect: "Deny",
			Action: "lambda:Invoke*",
			Resource: "*",
			Condition: {
				NotIpAddress: { "aws:SourceIp": ["203.0.113.0/24", "2001:db8::/32"] },
			},
		},
		{
			Sid: "Invoke",
			Effect: "Allow",
			Action: "lambda:InvokeFunctionUrl",
			Resource: fn("*"),
			Condition: { StringEquals: { "lambda:FunctionUrlAuthType": "AWS_IAM" } },
		},
	];
}

function functionStatements(name: string): unknown[] {
	const out: unknown[] = [];
	for (let i = 0; i < 17; i++) {
		out.push({
			Sid: `partner${i}`,
			Effect: "Allow",
			Principal: { AWS: `arn:aws:iam::${String(300000000000 + i)}:root` },
			Action: "lambda:InvokeFunction",
			Resource: fn(name),
		});
	}
	out.push({
		Sid: "events",
		Effect: "Allow",
		Principal: { Service: "events.amazonaws.com" },
		Action: "lambda:InvokeFunction",
		Resource: fn(name),
		Condition: {
			ArnLike: { "aws:SourceArn": `arn:aws:events:us-east-1:${A}:rule/*` },
		},
	});
	out.push({
		Sid: "NoHttp",
		Effect: "Deny",
		Principal: "*",
		Action: "lambda:*",
		Resource: fn(name),
		Condition: { Bool: { "aws:SecureTransport": "false" } },
	});
	out.push({
		Sid: "url",
		Effect: "Allow",
		Principal: { AWS: [A, B] },
		Action: "lambda:InvokeFunctionUrl",
		Resource: fn(name),
		Condition: { StringEquals: { "lambda:FunctionUrlAuthType": "AWS_IAM" } },
	});
	return out;
}

// One compile cache for the whole "store", as the gateway would keep one per process.
const cache = createCompileCache();

function compiled(
	doc: unknown,
	kind: "identity" | "resource",
	name: string,
): NamedPolicy {
	const r = parsePolicy(doc, kind, { cache });
	if (!r.ok) throw new Error(`${name}: ${JSON.stringify(r.errors)}`);
	return { name, policy: r.policy };
}

const principalOf = (i: number): RequestPrincipal => ({
	type: "User",
	arn: `arn:aws:iam::${A}:user/u${i}`,
	accountId: A,
	username: `u${i}`,
	userId: `AIDA${i}`,
});
const context = {
	"aws:SourceIp": "203.0.113.9",
	"aws:SecureTransport": true,
	"aws:CurrentTime": "2026-11-23T12:00:00Z",
	"aws:EpochTime": 1795000000,
	"aws:RequestedRegion": "us-east-1",
	"lambda:FunctionUrlAuthType": "AWS_IAM",
	"lambda:InvokedViaFunctionUrl": true,
};

function measure(name: string, run: () => unknown, ms = 1500): number {
	for (let i = 0; i < 2000; i++) run(); // warm-up
	let n = 0;
	const start = performance.now();
	let now = start;
	while (now - start < ms) {
		for (let i = 0; i < 500; i++) run();
		n += 500;
		now = performance.now();
	}
	const opsPerSec = Math.round((n * 1000) / (now - start));
	report(name, opsPerSec);
	return opsPerSec;
}

function report(
	name: string,
	opsPerSec: number,
	extra: Record<string, unknown> = {},
	unit = "decisions/s",
) {
	if (json) console.log(JSON.stringify({ name, opsPerSec, ...extra }));
	else
		console.log(
			`${name.padEnd(58)} ${opsPerSec.toLocaleString("en-US").padStart(12)} ${unit}`,
		);
}

// 1. Realistic set: one user, one function.
const user = principalOf(1);
const request: AuthorizationRequest = {
	principal: user,
	action: "lambda:InvokeFunctionUrl",
	resource: fn("u1-api"),
	resourceAccountId: A,
	identityPolicies: [
		compiled(
			{ Version: "2012-10-17", Statement: userStatements("u1") },
			"identity",
			"u1-inline",
		),
	],
	resourcePolicy: compiled(
		{ Version: "2012-10-17", Statement: functionStatements("u1-api") },
		"resource",
		"function-policy",
	),
	context,
};
if (!evaluate(request).allowed)
	throw new Error("benchmark request should be allowed");
measure("realistic: user 10 statements, function 20", () => evaluate(request));
const crossRequest = {
	...request,
	principal: { ...user, arn: `arn:aws:iam::${B}:user/u1`, accountId: B },
};
measure("realistic, cross-account (identity AND resource)", () =>
	evaluate(crossRequest),
);

// 2. The same decision through a "store": Maps of compiled policies keyed by principal ARN and
// function ARN, grown from 1,000 to 100,000 principals (and 100 to 10,000 functions). At each
// size, a random caller invokes a random function, so every decision is a lookup by key plus an
// evaluation; flat figures across sizes mean the cost does not grow with the store.
const identityByPrincipal = new Map<
	string,
	{ principal: RequestPrincipal; policies: NamedPolicy[] }
>();
const policyByFunction = new Map<string, NamedPolicy>();
let buildMs = 0;

function grow(principals: number, functions: number): void {
	const t0 = performance.now();
	for (let i = identityByPrincipal.size; i < principals; i++) {
		const p = principalOf(i);
		identityByPrincipal.set(p.arn, {
			principal: p,
			policies: [
				compiled(
					{ Version: "2012-10-17", Statement: userStatements(`u${i}`) },
					"identity",
					`u${i}-inline`,
				),
			],
		});
	}
	for (let i = policyByFunction.size; i < functions; i++) {
		policyByFunction.set(
			fn(`u${i}-api`),
			compiled(
				{ Version: "2012-10-17", Statement: functionStatements(`u${i}-api`) },
				"resource",
				"function-policy",
			),
		);
	}
	buildMs += performance.now() - t0;
}

let allowed = 0;
let decisions = 0;
/** One decision through the store: look the caller's and the function's policies up by key. */
function decideFromStore(principalKey: string, resource: string): void {
	const id = identityByPrincipal.get(principalKey);
	const policy = policyByFunction.get(resource);
	if (id === undefined || policy === undefined) throw new Error("missing key");
	const d = evaluate({
		principal: id.principal,
		action: "lambda:InvokeFunctionUrl",
		resource,
		resourceAccountId: A,
		identityPolicies: id.policies,
		resourcePolicy: policy,
		context,
	});
	decisions++;
	if (d.allowed) allowed++;
}

// Pre-drawn keys (seeded LCG), so the loop measures lookup + decision, not random numbers.
const KEYS = 65536;
let seed = 42;
const next = () => {
	seed = (seed * 1103515245 + 12345) % 2147483648;
	return seed;
};
for (const [principals, functions] of [
	[1_000, 100],
	[10_000, 1_000],
	[100_000, 10_000],
] as const) {
	grow(principals, functions);
	const principalKeys: string[] = [];
	const functionKeys: string[] = [];
	for (let i = 0; i < KEYS; i++) {
		principalKeys.push(principalOf(next() % principals).arn);
		functionKeys.push(fn(`u${next() % functions}-api`));
	}
	collectGarbage();
	let k = 0;
	measure(
		`store ${principals / 1000}k principals/${functions / 1000}k functions, random callers`,
		() => {
			const i = k++ & (KEYS - 1);
			decideFromStore(principalKeys[i] as string, functionKeys[i] as string);
		},
	);
}
collectGarbage();
const heapMb = Math.round(process.memoryUsage().heapUsed / 1e6); // live heap: store + compile cache
report(
	"store build (policies compiled per second)",
	Math.round(
		((identityByPrincipal.size + policyByFunction.size) * 1000) / buildMs,
	),
	{ heapMb },
	"policies/s",
);
if (!json)
	console.log(
		`  (${identityByPrincipal.size} principals + ${policyByFunction.size} functions compiled in ${Math.round(buildMs)} ms; heap ${heapMb} MB)`,
	);
// The realistic request's caller and function, looked up in the full store every time: compare
// with the realistic figure above — same work, a store 100,000 times larger.
measure("store 100k/10k, one caller and function (hot)", () =>
	decideFromStore(principalOf(1).arn, fn("u1-api")),
);
if (allowed !== decisions)
	throw new Error(
		`store benchmark: ${decisions - allowed} of ${decisions} decisions denied`,
	);

// 3. The oracle on the same request.
const simulation: Simulation = {
	request: {
		principal: user.arn,
		action: request.action,
		resource: { resource: request.resource, accountId: A },
		contextVariables: {
			...Object.fromEntries(
				Object.entries(context).map(([key, v]) => [key, String(v)]),
			),
			...principalContext(user),
		},
	},
	identityPolicies: [
		{
			name: "u1-inline",
			policy: { Version: "2012-10-17", Statement: userStatements("u1") },
		},
	],
	serviceControlPolicies: [],
	resourceControlPolicies: [],
	resourcePolicy: {
		Version: "2012-10-17",
		Statement: functionStatements("u1-api"),
	},
};
const check = await runSimulation(simulation, {});
if (check.resultType !== "single" || check.overallResult !== "Allowed")
	throw new Error(
		`oracle disagrees on the benchmark request: ${JSON.stringify(check)}`,
	);

{
	let n = 0;
	const start = performance.now();
	while (performance.now() - start < 1500) {
		await runSimulation(simulation, {});
		n++;
	}
	report(
		"oracle: iam-simulate runSimulation, same request",
		Math.round((n * 1000) / (performance.now() - start)),
	);
}
