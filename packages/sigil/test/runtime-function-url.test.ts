import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
	buildFunctionUrlEvent,
	formatRequestTime,
	isTextualContentType,
	parseQueryParameters,
} from "../src/runtime/function-url-event.ts";
import { mapFunctionUrlResponse } from "../src/runtime/function-url-response.ts";
import type { HttpInvocation } from "../src/runtime/types.ts";

const at = Date.UTC(2026, 10, 23, 13, 20, 0, 123);

function request(over: Partial<HttpInvocation> = {}): HttpInvocation {
	return {
		requestId: "req-1",
		functionName: "fn",
		method: "post",
		path: "/a/b%20c",
		rawQuery: "",
		rawHeaders: ["Host", "abc123.fn.example.com:8080", "User-Agent", "curl/8"],
		body: Buffer.alloc(0),
		sourceIp: "203.0.113.9",
		host: "abc123.fn.example.com:8080",
		receivedAt: at,
		...over,
	};
}

describe("function URL event (payload format 2.0)", () => {
	it("fills the fixed fields and the request context", () => {
		const e = buildFunctionUrlEvent(request(), { accountId: "123456789012" });
		assert.equal(e.version, "2.0");
		assert.equal(e.routeKey, "$default");
		assert.equal(e.rawPath, "/a/b%20c");
		assert.equal(e.rawQueryString, "");
		assert.equal(e.isBase64Encoded, false);
		assert.equal("body" in e, false);
		assert.equal("cookies" in e, false);
		assert.equal("queryStringParameters" in e, false);
		assert.deepEqual(e.requestContext, {
			accountId: "123456789012",
			apiId: "abc123",
			domainName: "abc123.fn.example.com:8080",
			domainPrefix: "abc123",
			http: {
				method: "POST",
				path: "/a/b%20c",
				protocol: "HTTP/1.1",
				sourceIp: "203.0.113.9",
				userAgent: "curl/8",
			},
			requestId: "req-1",
			routeKey: "$default",
			stage: "$default",
			time: "23/Nov/2026:13:20:00 +0000",
			timeEpoch: at,
		});
	});

	it("lower-cases header names, joins repeats with a comma and moves cookies out", () => {
		const e = buildFunctionUrlEvent(
			request({
				rawHeaders: [
					"X-Multi",
					"a",
					"x-multi",
					"b",
					"Cookie",
					"s=1; t=2",
					"cookie",
					"u=3",
					"Content-Type",
					"text/plain",
				],
			}),
		);
		assert.equal(e.headers["x-multi"], "a,b");
		assert.equal(e.headers["content-type"], "text/plain");
		assert.equal(e.headers.cookie, undefined);
		assert.deepEqual(e.cookies, ["s=1", "t=2", "u=3"]);
	});

	it("decodes query parameters and joins duplicates", () => {
		assert.deepEqual(parseQueryParameters("a=1&b=x%20y&a=2&flag&=v&bad=%zz"), {
			a: "1,2",
			b: "x y",
			flag: "",
			"": "v",
			bad: "%zz",
		});
		assert.equal(parseQueryParameters(""), undefined);
		const e = buildFunctionUrlEvent(request({ rawQuery: "name=Jane" }));
		assert.equal(e.rawQueryString, "name=Jane");
		assert.deepEqual(e.queryStringParameters, { name: "Jane" });
	});

	it("puts the verified caller under authorizer.iam", () => {
		const e = buildFunctionUrlEvent(
			request({
				caller: {
					accessKey: "AKIAIOSFODNN7EXAMPLE",
					accountId: "111122223333",
					callerId: "AIDACKCEVSQ6C2EXAMPLE",
					userArn: "arn:aws:iam::111122223333:user/alice",
					userId: "AIDACKCEVSQ6C2EXAMPLE",
					scheme: "sigv4",
				},
			}),
		);
		assert.deepEqual(e.requestContext.authorizer, {
			iam: {
				accessKey: "AKIAIOSFODNN7EXAMPLE",
				accountId: "111122223333",
				callerId: "AIDACKCEVSQ6C2EXAMPLE",
				cognitoIdentity: null,
				principalOrgId: null,
				userArn: "arn:aws:iam::111122223333:user/alice",
				userId: "AIDACKCEVSQ6C2EXAMPLE",
			},
		});
		assert.equal(
			buildFunctionUrlEvent(request()).requestContext.authorizer,
			undefined,
		);
	});

	it("sends textual bodies as text and everything else as base64", () => {
		const json = buildFunctionUrlEvent(
			request({
				rawHeaders: ["content-type", "application/json; charset=utf-8"],
				body: Buffer.from('{"k":"é"}'),
			}),
		);
		assert.equal(json.body, '{"k":"é"}');
		assert.equal(json.isBase64Encoded, false);
		const bin = buildFunctionUrlEvent(
			request({
				rawHeaders: ["content-type", "application/octet-stream"],
				body: Buffer.from([0, 255, 1]),
			}),
		);
		assert.equal(bin.body, "AP8B");
		assert.equal(bin.isBase64Encoded, true);
		// Text-typed but not UTF-8: still must not be corrupted.
		const bad = buildFunctionUrlEvent(
			request({
				rawHeaders: ["content-type", "text/plain"],
				body: Buffer.from([0xc3]),
			}),
		);
		assert.equal(bad.isBase64Encoded, true);
		assert.equal(Buffer.from(bad.body as string, "base64")[0], 0xc3);
	});

	it("classifies content types", () => {
		for (const t of [
			"text/html",
			"application/json",
			"application/vnd.api+json",
			"image/svg+xml",
			"application/x-www-form-urlencoded",
		]) {
			assert.equal(isTextualContentType(t), true, t);
		}
		for (const t of [
			undefined,
			"image/png",
			"application/octet-stream",
			"multipart/form-data; boundary=x",
		]) {
			assert.equal(isTextualContentType(t), false, String(t));
		}
	});

	it("formats request time in UTC with a zero-padded day", () => {
		assert.equal(
			formatRequestTime(Date.UTC(2021, 8, 7, 22, 50, 22)),
			"07/Sep/2021:22:50:22 +0000",
		);
	});

	it("round-trips any body byte for byte (property)", () => {
		fc.assert(
			fc.property(
				fc.uint8Array({ maxLength: 256 }),
				fc.constantFrom("text/plain", "image/png", "application/json"),
				(bytes, type) => {
					const body = Buffer.from(bytes);
					const e = buildFunctionUrlEvent(
						request({ rawHeaders: ["content-type", type], body }),
					);
					const back =
						e.body === undefined
							? Buffer.alloc(0)
							: Buffer.from(e.body, e.isBase64Encoded ? "base64" : "utf8");
					assert.deepEqual(back, body);
				},
			),
		);
	});
});

describe("function URL response mapping", () => {
	const map = (v: unknown) => {
		const r = mapFunctionUrlResponse(JSON.stringify(v));
		assert.ok(r.ok, JSON.stringify(r));
		return r.result;
	};

	it("returns a value without statusCode as 200 application/json of its JSON", () => {
		const obj = map({ message: "Hello, world!" });
		assert.equal(obj.status, 200);
		assert.deepEqual(obj.headers, ["content-type", "application/json"]);
		assert.equal(obj.body.toString(), '{"message":"Hello, world!"}');
		// AWS documents a returned string arriving quoted (content-length 15 for "Hello, world!").
		const str = map("Hello, world!");
		assert.equal(str.body.toString(), '"Hello, world!"');
		assert.equal(str.body.length, 15);
		assert.equal(map(42).body.toString(), "42");
		assert.equal(map(null).body.toString(), "null");
		assert.equal(map([1, 2]).body.toString(), "[1,2]");
	});

	it("maps a custom response with headers, cookies and a base64 body", () => {
		const r = map({
			statusCode: 201,
			headers: { "Content-Type": "image/png", "My-Header": "v", "X-Num": 3 },
			cookies: ["a=1; Max-Age=60", "b=2"],
			body: Buffer.from([1, 2, 3]).toString("base64"),
			isBase64Encoded: true,
		});
		assert.equal(r.status, 201);
		assert.deepEqual(r.headers, [
			"content-type",
			"image/png",
			"my-header",
			"v",
			"x-num",
			"3",
			"set-cookie",
			"a=1; Max-Age=60",
			"set-cookie",
			"b=2",
		]);
		assert.deepEqual(r.body, Buffer.from([1, 2, 3]));
	});

	it("defaults content-type to JSON and tolerates a missing or structured body", () => {
		const r = map({ statusCode: 200, body: "ok" });
		assert.deepEqual(r.headers, ["content-type", "application/json"]);
		const empty = map({ statusCode: 204 });
		assert.equal(empty.body.length, 0);
		assert.deepEqual(empty.headers, []);
		assert.equal(
			map({ statusCode: 200, body: { a: 1 } }).body.toString(),
			'{"a":1}',
		);
	});

	it("refuses invalid response descriptions with a stable code", () => {
		for (const bad of [
			{ statusCode: "200" },
			{ statusCode: 99 },
			{ statusCode: 200.5 },
			{ statusCode: 200, headers: [1] },
			{ statusCode: 200, cookies: "a=1" },
			{ statusCode: 200, headers: { x: { y: 1 } } },
		]) {
			const r = mapFunctionUrlResponse(JSON.stringify(bad));
			assert.equal(r.ok, false, JSON.stringify(bad));
			if (!r.ok) assert.equal(r.code, "INVALID_FUNCTION_RESPONSE");
		}
		assert.equal(mapFunctionUrlResponse("{not json").ok, false);
	});

	it("never fails on a JSON value without statusCode (property)", () => {
		fc.assert(
			fc.property(fc.jsonValue(), (v) => {
				fc.pre(
					!(
						typeof v === "object" &&
						v !== null &&
						!Array.isArray(v) &&
						"statusCode" in v
					),
				);
				const text = JSON.stringify(v);
				const r = mapFunctionUrlResponse(text);
				assert.ok(r.ok);
				assert.equal(r.result.status, 200);
				assert.equal(r.result.body.toString(), text);
			}),
		);
	});
});
