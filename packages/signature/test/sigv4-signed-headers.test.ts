// The SignedHeaders list rule, differentially: parseSigV4's one-pass reader against the rule as
// written (split on `;`; more than 64 names is TOO_MANY_SIGNED_HEADERS whatever they look like;
// otherwise every name non-empty, no A–Z / space / control character, strictly ascending).
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { parseSigV4, signSigV4, type WireRequest } from "../src/index.ts";

const creds = { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" };
const now = Date.UTC(2026, 10, 23, 12, 0, 0);
const host = "gateway.example";
const signed = signSigV4(
	{ method: "GET", host, path: "/", headers: {}, body: Buffer.alloc(0) },
	creds,
	{ region: "us-east-1", service: "lambda", now },
);

function reference(list: string): "TOO_MANY" | "MALFORMED" | string[] {
	const names = list.split(";");
	if (names.length > 64) return "TOO_MANY";
	for (let i = 0; i < names.length; i++) {
		const name = names[i] as string;
		if (name.length === 0) return "MALFORMED";
		if (i > 0 && !((names[i - 1] as string) < name)) return "MALFORMED";
		for (const ch of name) {
			const c = ch.charCodeAt(0);
			if (c <= 0x20 || c === 0x7f || (c >= 0x41 && c <= 0x5a))
				return "MALFORMED";
		}
	}
	return names;
}

function parseWith(list: string) {
	const headers = Object.entries({ host, ...signed.headers }).flat();
	const at = headers.indexOf("authorization");
	headers[at + 1] = (headers[at + 1] as string).replace(
		/SignedHeaders=[^,]*/,
		`SignedHeaders=${list}`,
	);
	const wire: WireRequest = {
		method: "GET",
		target: "/",
		rawHeaders: headers,
		body: Buffer.alloc(0),
	};
	return parseSigV4(wire, { region: "us-east-1", services: ["lambda"], now });
}

const name = fc.constantFrom(
	"",
	"a",
	"b",
	"host",
	"x-amz-date",
	"Host",
	"a\tb",
	"z\x7f",
	"é",
	"x-trace",
);

test("SignedHeaders: same verdict and names as the rule as written", () => {
	fc.assert(
		fc.property(
			fc.oneof(
				fc.array(name, { minLength: 1, maxLength: 6 }),
				fc.array(name, { minLength: 60, maxLength: 70 }),
			),
			(names) => {
				const list = names.join(";");
				const want = reference(list);
				const got = parseWith(list);
				if (want === "TOO_MANY") {
					assert.equal(got.ok ? "ok" : got.code, "TOO_MANY_SIGNED_HEADERS");
				} else if (want === "MALFORMED") {
					assert.equal(got.ok ? "ok" : got.code, "MALFORMED_SIGNED_HEADERS");
				} else if (got.ok) {
					assert.deepEqual(got.request.signedHeaders, want);
				} else {
					assert.notEqual(got.code, "MALFORMED_SIGNED_HEADERS");
					assert.notEqual(got.code, "TOO_MANY_SIGNED_HEADERS");
				}
			},
		),
		{ numRuns: 300 },
	);
});

test("a sorted, well-formed list parses to its names", () => {
	const got = parseWith("host;x-amz-date");
	assert.ok(got.ok);
	assert.deepEqual(got.request.signedHeaders, ["host", "x-amz-date"]);
});
