// The route table owns authorization (issue 8): every route states its authentication, its
// action, how it is authorized and what its target is — or why it needs none — and every way of
// spelling a route's parameters binds to the same target, in the account the spelling really
// names. The handler is handed that bound target (route.ts `api()`), never the raw parameters.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { SigilError } from "../../src/errors.ts";
import type { DeployedFunction } from "../../src/functions/registry.ts";
import type { GatewayContext } from "../../src/gateway/context.ts";
import type { Exchange } from "../../src/gateway/exchange.ts";
import { type ApiRoute, api } from "../../src/gateway/route.ts";
import { ROUTES } from "../../src/gateway/routes.ts";
import type { IamPrincipal } from "../../src/iam/principal.ts";
import type { AccessKey } from "../../src/store/types.ts";

const ME = "111111111111";
const OTHER = "222222222222";
const REGION = "us-east-1";

const principal: IamPrincipal = {
	accountId: ME,
	arn: `arn:aws:iam::${ME}:user/ops`,
	userId: "AIDAOPS",
	userName: "ops",
	accessKeyId: "AKIAOPSOPSOPSOPS0001",
	scheme: "sigv4",
};

/** Functions named `mine-*` live in ME, `theirs-*` in OTHER. */
function fakeFunction(name: string): DeployedFunction | undefined {
	const accountId = name.startsWith("mine")
		? ME
		: name.startsWith("theirs")
			? OTHER
			: undefined;
	if (!accountId) return undefined;
	return {
		accountId,
		name,
		arn: `arn:aws:lambda:${REGION}:${accountId}:function:${name}`,
		config: { trigger: { auth: "aws_iam" } },
	} as unknown as DeployedFunction;
}

const keys: Record<string, AccessKey> = {
	AKIAMINEMINEMINE0001: {
		accessKeyId: "AKIAMINEMINEMINE0001",
		accountId: ME,
		userName: "admin",
	} as AccessKey,
	AKIAROOTROOTROOT0001: {
		accessKeyId: "AKIAROOTROOTROOT0001",
		accountId: ME,
		userName: null,
	} as AccessKey,
	AKIATHEIRSTHEIRS001: {
		accessKeyId: "AKIATHEIRSTHEIRS001",
		accountId: OTHER,
		userName: "admin",
	} as AccessKey,
};

const ctx = {
	region: REGION,
	functions: { lookup: async (name: string) => fakeFunction(name) },
	store: {
		accessKeys: { get: async (id: string) => keys[id] },
		jobs: { get: async () => undefined },
	},
} as unknown as GatewayContext;

const exchange = (rawQuery = "", body = "") =>
	({ rawQuery, body: Buffer.from(body) }) as unknown as Exchange;

const apiRoutes = ROUTES.filter((r): r is ApiRoute => r.auth !== "trigger");
const paramsOf = (pattern: string) =>
	[...pattern.matchAll(/:(\w+)/g)].map((m) => m[1] as string);

describe("the route table", () => {
	test("every route declares authentication, action and authorization; exemptions say why", () => {
		const names = new Set<string>();
		for (const r of ROUTES) {
			assert.ok(!names.has(r.name), `duplicate route name ${r.name}`);
			names.add(r.name);
			assert.ok(["none", "sigv4", "trigger", "basic"].includes(r.auth), r.name);
			assert.match(r.action, /^[a-z]+:/, `${r.name} has an IAM action`);
			const how = r.authorization;
			if (how.by === "handler" || how.by === "nothing")
				assert.ok(how.why.length > 10, `${r.name} says why it is exempt`);
			if (r.auth === "none")
				assert.equal(
					how.by,
					"nothing",
					`${r.name}: public routes decide nothing`,
				);
			if (r.auth === "trigger")
				assert.equal(
					how.by,
					"policy",
					`${r.name}: triggers are decided by policy`,
				);
			if (r.auth !== "trigger")
				assert.equal(typeof (r as ApiRoute).bind, "function", r.name);
		}
	});

	test("the exemptions are exactly the ones reviewed", () => {
		const exempt = ROUTES.filter((r) => r.authorization.by !== "policy").map(
			(r) => `${r.name}:${r.authorization.by}`,
		);
		assert.deepEqual(exempt.sort(), [
			"account-create:gateway-root",
			"accounts-list:gateway-root",
			// The query endpoint by GET too (issue 11: presigned sts:GetCallerIdentity).
			"aws-query-get:handler",
			"aws-query:handler",
			// The web console's files (issue 13): public GET/HEAD of packages/console/dist, and the
			// redirect of a browser's GET / to them; every call behind them is signed.
			"console-root:nothing",
			"console:nothing",
			// Probes and the scrape (issue 10): orchestrators and Prometheus cannot sign; /metrics
			// admits loopback or its bearer token in the handler (metrics/access.ts).
			"healthz:nothing",
			"info:nothing",
			"metrics:nothing",
			// OpenFaaS's /system/info (issue 11): the same public facts, behind faas-cli's basic auth.
			"openfaas-info:nothing",
			"readyz:nothing",
			"whoami:nothing",
		]);
	});

	test("every route with a parameter has a resolver that rejects garbage with a 4xx, never binds it", async () => {
		for (const route of apiRoutes) {
			const names = paramsOf(route.pattern);
			if (names.length === 0) continue;
			for (const bad of ["%", "%zz", "%E0%A4%A", ""]) {
				const params = Object.fromEntries(names.map((n) => [n, bad]));
				await assert.rejects(
					route.bind(exchange(), params, ctx, principal),
					(err: unknown) =>
						err instanceof SigilError && err.status >= 400 && err.status < 500,
					`${route.name} with ${JSON.stringify(bad)}`,
				);
			}
		}
	});
});

/** Any character of `value` percent-encoded (hex of either case), or left as it is. */
function encodingOf(value: string): fc.Arbitrary<string> {
	const bytes = [...Buffer.from(value, "utf8")];
	return fc
		.tuple(
			...bytes.map((b) => {
				const ch = String.fromCharCode(b);
				const plain = /[A-Za-z0-9._~-]/.test(ch) && b < 128;
				const hex = b.toString(16).padStart(2, "0");
				const encoded = fc.constantFrom(
					`%${hex.toUpperCase()}`,
					`%${hex.toLowerCase()}`,
				);
				return plain ? fc.oneof(fc.constant(ch), encoded) : encoded;
			}),
		)
		.map((parts) => parts.join(""));
}

/** Canonical values for each parameter, per route family; hostile ones come from `hostile`. */
function canonical(route: ApiRoute, param: string): string[] {
	if (param === "id")
		return route.pattern.includes("/keys")
			? Object.keys(keys)
			: ["0f3c5a8e-1b2d-4c6e-8f00-000000000001"];
	if (param === "sid") return ["public", "s.1_x-y"];
	if (param === "policy") return ["invoke", "Esc+=,.@-_1"];
	if (route.pattern.startsWith("/20"))
		// Lambda's FunctionName
		return [
			"mine-fn",
			`${ME}:function:mine-fn`,
			`arn:aws:lambda:${REGION}:${ME}:function:mine-fn`,
			`arn:aws:lambda:${REGION}:${OTHER}:function:theirs-fn`,
			`arn:aws:lambda:${REGION}:${OTHER}:function:mine-fn`,
			`arn:aws:lambda:eu-west-1:${OTHER}:function:theirs-fn`,
			"mine-fn:$LATEST",
			`arn:aws:lambda:${REGION}:${OTHER}:function:theirs-fn:prod`,
		];
	if (route.pattern.includes("/users/") || route.pattern.includes("/roles/"))
		return ["admin", "ops", "a+b=c,d.e@f-g_h"];
	return ["mine-fn", "theirs-fn", "hello-1"];
}

async function bindOrError(route: ApiRoute, params: Record<string, string>) {
	try {
		const { target } = await route.bind(exchange(), params, ctx, principal);
		return { target };
	} catch (err) {
		if (err instanceof SigilError && err.status < 500)
			return { error: err.code };
		throw err;
	}
}

describe("property: every encoding of a parameter binds to one target, in the account it names", () => {
	for (const route of apiRoutes) {
		const names = paramsOf(route.pattern);
		if (names.length === 0) continue;
		test(route.name, async () => {
			const values = fc.record(
				Object.fromEntries(
					names.map((n) => [n, fc.constantFrom(...canonical(route, n))]),
				) as Record<string, fc.Arbitrary<string>>,
			);
			await fc.assert(
				fc.asyncProperty(
					values.chain((v) =>
						fc
							.record(
								Object.fromEntries(
									names.map((n) => [n, encodingOf(v[n] as string)]),
								) as Record<string, fc.Arbitrary<string>>,
							)
							.map((enc) => ({ v, enc })),
					),
					async ({ v, enc }) => {
						const plain = Object.fromEntries(
							names.map((n) => [n, encodeURIComponent(v[n] as string)]),
						);
						const a = await bindOrError(route, enc);
						const b = await bindOrError(route, plain);
						// The same decision whatever the spelling: one target, or one refusal.
						assert.deepEqual(a, b);
						if (!a.target) return;
						const t = a.target;
						const named = v.name ?? "";
						const namesOther = named.includes(`:${OTHER}:`);
						if (route.pattern.startsWith("/20")) {
							// Lambda: the account the ARN names, or the caller's; never a mix.
							assert.equal(t.accountId, namesOther ? OTHER : ME);
							assert.ok(t.resource.includes(`:${t.accountId}:`), t.resource);
							if (t.fn) assert.equal(t.fn.accountId, t.accountId);
						} else {
							// IAM, secrets, keys, Sigil's function routes: the caller's account only.
							assert.equal(
								t.accountId,
								ME,
								`${route.name} ${JSON.stringify(enc)}`,
							);
							assert.ok(
								t.resource.includes(`:${ME}:`) || t.resource === principal.arn,
								t.resource,
							);
							if (t.fn) assert.equal(t.fn.accountId, ME);
						}
						// The resource names what was decoded, not what was sent.
						if (v.name !== undefined && !v.name.includes(":"))
							assert.ok(
								t.resource.includes(v.name),
								`${t.resource} names ${v.name}`,
							);
						const fields = t as { policyName?: string; sid?: string };
						if (v.policy !== undefined)
							assert.equal(fields.policyName, v.policy);
						if (v.sid !== undefined) assert.equal(fields.sid, v.sid);
					},
				),
				{ numRuns: 80 },
			);
		});
	}
});

describe("the handler acts on the authorized target", () => {
	test("api(): the object the pipeline authorizes is the very object the handler receives", async () => {
		const seen: unknown[] = [];
		const route = api({
			name: "probe",
			method: "GET",
			pattern: "/probe/:name",
			action: "sigil:Probe",
			authorization: { by: "policy", crossAccount: "refused" },
			target: async ({ params }) => ({
				resource: `arn:aws:sigil:${REGION}:${ME}:probe/${decodeURIComponent(params.name ?? "")}`,
				accountId: ME,
			}),
			handle: async ({ target }) => {
				seen.push(target);
			},
		});
		await fc.assert(
			fc.asyncProperty(
				fc.string({ minLength: 1, maxLength: 8 }),
				async (name) => {
					const bound = await route.bind(
						exchange(),
						{ name: encodeURIComponent(name) },
						ctx,
						principal,
					);
					seen.length = 0;
					await bound.handle();
					assert.equal(seen.length, 1);
					assert.equal(seen[0], bound.target);
				},
			),
			{ numRuns: 50 },
		);
	});
});

describe("hostile spellings", () => {
	test("a key of another account binds to the caller's own identity (then NoSuchEntity), never to its owner", async () => {
		const route = apiRoutes.find((r) => r.name === "key-disable") as ApiRoute;
		const { target } = await route.bind(
			exchange(),
			{ id: "AKIATHEIRSTHEIRS001" },
			ctx,
			principal,
		);
		assert.equal(target.accountId, ME);
		assert.equal(target.resource, principal.arn);
		assert.equal((target as { key?: unknown }).key, undefined);
	});

	test("a key of the caller's account binds to its owner's ARN", async () => {
		const route = apiRoutes.find((r) => r.name === "key-delete") as ApiRoute;
		for (const [id, owner] of [
			["AKIAMINEMINEMINE0001", "user/admin"],
			["AKIAROOTROOTROOT0001", "root"],
		]) {
			const { target } = await route.bind(
				exchange(),
				{ id: id as string },
				ctx,
				principal,
			);
			assert.equal(target.resource, `arn:aws:iam::${ME}:${owner}`);
		}
	});

	test("ARNs, slashes and dot segments are not names on Sigil's own function, user, secret routes", async () => {
		const hostile = fc.oneof(
			fc.constant(`arn:aws:lambda:${REGION}:${OTHER}:function:theirs-fn`),
			fc.constant(`${OTHER}:function:theirs-fn`),
			fc.constant("../theirs-fn"),
			fc.constant(".."),
			fc.constant("a/b"),
			fc.constant("theirs-fn:prod"),
			fc
				.string({ minLength: 1, maxLength: 12 })
				.filter((s) => /[/:%\\ ]/.test(s)),
		);
		const routes = apiRoutes.filter((r) =>
			/^\/sigil\/v1\/(functions|users|roles|secrets)\/:name/.test(r.pattern),
		);
		await fc.assert(
			fc.asyncProperty(
				fc.constantFrom(...routes),
				hostile.chain((h) => encodingOf(h)),
				async (route, enc) => {
					const params = Object.fromEntries(
						paramsOf(route.pattern).map((n) => [
							n,
							n === "name" ? enc : n === "sid" ? "s1" : "p1",
						]),
					);
					const r = await bindOrError(route, params);
					assert.ok(r.error, `${route.name} bound ${enc}`);
				},
			),
			{ numRuns: 200 },
		);
	});
});
