// Differential tests against Alibaba's own signer, @alicloud/openapi-util `getAuthorization`:
// requests built the way FC's Node sample builds them are signed by the SDK and must verify
// here; any single change to a signed part must fail; our signer must equal theirs.
import assert from "node:assert/strict";
import { test } from "node:test";
import * as openapiUtil from "@alicloud/openapi-util";
import fc from "fast-check";
import {
	parseAcs3,
	signAcs3,
	verifyAcs3,
	type WireRequest,
} from "../src/index.ts";

const AK = "LTAI5tDifferentialKey";
const SK = "DifferentialSecretDoNotUse0001";
const NOW = Date.UTC(2025, 0, 2, 3, 4, 5);
const DATE = "2025-01-02T03:04:05Z";
type Sdk = { getAuthorization: (...a: unknown[]) => string };
// A CommonJS module whose `exports.default` is the class: reach it however the loader wraps it.
const loaded = openapiUtil as unknown as { default: Sdk & { default?: Sdk } };
const sdk: Sdk = loaded.default.default ?? loaded.default;

const pathChar = fc.constantFrom(
	..."abcXYZ019-._~!$&'()*+,;=:@% é你[]{}|^`".split(""),
);
const segment = fc.array(pathChar, { maxLength: 6 }).map((cs) => cs.join(""));
const text = fc.oneof(
	fc.string({ maxLength: 8 }),
	fc.array(pathChar, { maxLength: 6 }).map((cs) => cs.join("")),
);
const alnum = fc.stringMatching(/^[A-Za-z0-9]{1,10}$/);

const requestArb = fc.record({
	method: fc.constantFrom("GET", "POST", "PUT", "DELETE", "PATCH", "HEAD"),
	segments: fc.array(segment, { minLength: 1, maxLength: 4 }),
	query: fc.array(fc.tuple(text, text), { maxLength: 5 }),
	extra: fc.dictionary(fc.stringMatching(/^x-acs-[a-z]{1,8}$/), alnum, {
		maxKeys: 4,
	}),
	host: fc.option(fc.constantFrom("fn.example.test", "127.0.0.1:8080"), {
		nil: undefined,
	}),
});

type Req = typeof requestArb extends fc.Arbitrary<infer T> ? T : never;

/** FC's Node sample: WHATWG URL, pathname with the first $ as %24, query via fromEntries. */
function sdkSigned(r: Req): {
	target: string;
	headers: Record<string, string>;
	authorization: string;
} {
	const url = new URL(`https://fn.example.test/${r.segments.join("/")}`);
	const params = new URLSearchParams();
	for (const [k, v] of r.query) params.append(k, v);
	url.search = params.toString();
	const headers: Record<string, string> = {
		...r.extra,
		"x-acs-date": DATE,
		"x-acs-security-token": "",
	};
	if (r.host !== undefined) headers.host = r.host;
	const authorization = sdk.getAuthorization(
		{
			method: r.method,
			pathname: url.pathname.replace("$", "%24"),
			headers,
			query: Object.fromEntries(url.searchParams),
		},
		"ACS3-HMAC-SHA256",
		"",
		AK,
		SK,
	);
	return { target: url.pathname + url.search, headers, authorization };
}

function wire(
	method: string,
	target: string,
	headers: Record<string, string>,
	authorization: string,
): WireRequest {
	return {
		method,
		target,
		rawHeaders: [
			...Object.entries(headers).flat(),
			"Authorization",
			authorization,
		],
		body: new Uint8Array(),
	};
}

function verifies(req: WireRequest): boolean {
	const parsed = parseAcs3(req, { now: NOW });
	return parsed.ok && verifyAcs3(parsed.request, { accessKeySecret: SK }).ok;
}

test("every request the official SDK signs verifies (compatible mode)", () => {
	fc.assert(
		fc.property(requestArb, (r) => {
			const s = sdkSigned(r);
			const parsed = parseAcs3(
				wire(r.method, s.target, s.headers, s.authorization),
				{ now: NOW },
			);
			assert.ok(parsed.ok, JSON.stringify(parsed));
			const verified = verifyAcs3(parsed.request, { accessKeySecret: SK });
			assert.ok(verified.ok, `${s.target}\n${JSON.stringify(verified)}`);
		}),
		{ numRuns: 400 },
	);
});

test("changing any signed part by one character makes verification fail", () => {
	const tamper = fc.constantFrom(
		"method",
		"path",
		"query",
		"header",
		"signature",
	);
	fc.assert(
		fc.property(requestArb, tamper, fc.nat(), (r, what, pick) => {
			const s = sdkSigned(r);
			let { target, authorization } = s;
			const headers = { ...s.headers };
			let method = r.method;
			if (what === "method") method = method === "GET" ? "POST" : "GET";
			if (what === "path") target = target.replace(/^\/[^?]*/, (p) => `${p}z`);
			if (what === "query")
				target += `${target.includes("?") ? "&" : "?"}tamper=1`;
			if (what === "header") {
				const names = Object.keys(headers).filter((n) => n !== "x-acs-date");
				const name = names[pick % names.length] as string;
				headers[name] = `${headers[name]}Q`;
			}
			if (what === "signature") {
				const i = authorization.length - 1 - (pick % 64);
				const c = authorization[i] === "0" ? "1" : "0";
				authorization =
					authorization.slice(0, i) + c + authorization.slice(i + 1);
			}
			assert.equal(
				verifies(wire(method, target, headers, authorization)),
				false,
			);
		}),
		{ numRuns: 400 },
	);
});

test("signAcs3 produces the same Authorization as the SDK for the same wire request", () => {
	fc.assert(
		fc.property(requestArb, (r) => {
			const s = sdkSigned(r);
			const ours = signAcs3({
				method: r.method,
				target: s.target,
				headers: s.headers,
				accessKeyId: AK,
				accessKeySecret: SK,
				now: NOW,
				signBody: false,
			});
			assert.equal(ours.authorization, s.authorization);
		}),
		{ numRuns: 300 },
	);
});

test("signAcs3 with the body signed verifies in both modes, and a changed body is refused", () => {
	fc.assert(
		fc.property(requestArb, fc.uint8Array({ maxLength: 64 }), (r, body) => {
			const s = sdkSigned(r);
			for (const mode of ["compatible", "strict"] as const) {
				const signed = signAcs3({
					method: r.method,
					target: s.target,
					headers: r.extra,
					body,
					accessKeyId: AK,
					accessKeySecret: SK,
					now: NOW,
					mode,
				});
				const req = {
					method: r.method,
					target: s.target,
					rawHeaders: Object.entries(signed.headers).flat(),
					body,
				};
				const parsed = parseAcs3(req, { now: NOW, mode });
				assert.ok(
					parsed.ok && verifyAcs3(parsed.request, { accessKeySecret: SK }).ok,
				);
				const changed = parseAcs3(
					{ ...req, body: Uint8Array.from([...body, 1]) },
					{ now: NOW, mode },
				);
				assert.ok(!changed.ok && changed.code === "PAYLOAD_HASH_MISMATCH");
			}
		}),
		{ numRuns: 200 },
	);
});
