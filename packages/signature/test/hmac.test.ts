import assert from "node:assert/strict";
import { test } from "node:test";
import {
	signPayloadHmac,
	verifyPayloadHmac,
	type WireRequest,
} from "../src/index.ts";

const body = (s: string) => Buffer.from(s, "utf8");
const req = (headers: string[], b = "hello world"): WireRequest => ({
	method: "POST",
	target: "/function/f",
	rawHeaders: headers,
	body: body(b),
});
const SHA256 =
	"sha256=94c6c3f1c24861dcc0b495022a8af53c1d7cf9b4f089ea51bbf3f7ff05f50dfb";
const opts = {
	header: "Hmac",
	secrets: ["SECRET"],
	algorithms: ["sha256"] as const,
};

test("known vectors: faas-cli sha1 (lab 11) and sha256", () => {
	assert.equal(
		signPayloadHmac("The message", "cookie", "sha1"),
		"sha1=9239edfe20185eafd7a5513c303b03d207d22f64",
	);
	assert.equal(signPayloadHmac("hello world", "SECRET", "sha256"), SHA256);
	const ok = verifyPayloadHmac(req(["Hmac", SHA256]), opts);
	assert.deepEqual(ok, { ok: true, algorithm: "sha256", secretIndex: 0 });
	const sha1 = verifyPayloadHmac(
		req(
			["Hmac", "sha1=9239edfe20185eafd7a5513c303b03d207d22f64"],
			"The message",
		),
		{
			header: "hmac",
			secrets: ["cookie"],
			algorithms: ["sha1", "sha256"],
		},
	);
	assert.ok(sha1.ok && sha1.algorithm === "sha1");
});

test("sha512 and GitHub's X-Hub-Signature-256 header", () => {
	const sig = signPayloadHmac("hello world", "k", "sha512");
	assert.match(sig, /^sha512=[0-9a-f]{128}$/);
	assert.ok(
		verifyPayloadHmac(req(["X-Hub-Signature-512", sig]), {
			header: "x-hub-signature-512",
			secrets: ["k"],
			algorithms: ["sha512"],
		}).ok,
	);
	const gh = signPayloadHmac("hello world", "s", "sha256");
	assert.ok(
		verifyPayloadHmac(req(["X-Hub-Signature-256", gh]), {
			header: "X-Hub-Signature-256",
			secrets: ["s"],
			algorithms: ["sha256"],
		}).ok,
	);
});

const rejections: Array<[string, string[], string]> = [
	["missing header", [], "MISSING_SIGNATURE"],
	["two headers", ["Hmac", SHA256, "hmac", SHA256], "DUPLICATE_HEADER"],
	[
		"wrong prefix case",
		["Hmac", SHA256.replace("sha256", "SHA256")],
		"UNSUPPORTED_ALGORITHM",
	],
	[
		"prefix with space",
		["Hmac", SHA256.replace("=", " =")],
		"MALFORMED_SIGNATURE",
	],
	["no prefix", ["Hmac", SHA256.slice(7)], "MALFORMED_SIGNATURE"],
	[
		"upper-case hex",
		["Hmac", `sha256=${SHA256.slice(7).toUpperCase()}`],
		"MALFORMED_SIGNATURE",
	],
	["short hex", ["Hmac", SHA256.slice(0, -2)], "MALFORMED_SIGNATURE"],
	["long hex", ["Hmac", `${SHA256}00`], "MALFORMED_SIGNATURE"],
	["non-hex", ["Hmac", `${SHA256.slice(0, -1)}g`], "MALFORMED_SIGNATURE"],
	["trailing space", ["Hmac", `${SHA256} `], "MALFORMED_SIGNATURE"],
	[
		"unknown algorithm",
		["Hmac", `md5=${"0".repeat(32)}`],
		"UNSUPPORTED_ALGORITHM",
	],
	[
		"sha1 not allowed",
		["Hmac", "sha1=9239edfe20185eafd7a5513c303b03d207d22f64"],
		"ALGORITHM_NOT_ALLOWED",
	],
	["oversize", ["Hmac", `sha256=${"a".repeat(10000)}`], "HEADER_TOO_LARGE"],
	[
		"wrong signature",
		["Hmac", `sha256=${"0".repeat(64)}`],
		"SIGNATURE_MISMATCH",
	],
];
for (const [name, headers, code] of rejections) {
	test(`payload hmac rejects: ${name}`, () => {
		const r = verifyPayloadHmac(req(headers), opts);
		assert.ok(!r.ok);
		assert.equal(r.code, code);
		assert.equal(r.status, 401);
		assert.equal(r.scheme, "hmac");
	});
}

test("rotation: either of two secrets verifies and the index says which", () => {
	const two = { ...opts, secrets: ["OLD", "SECRET"] };
	assert.deepEqual(verifyPayloadHmac(req(["Hmac", SHA256]), two), {
		ok: true,
		algorithm: "sha256",
		secretIndex: 1,
	});
	const old = signPayloadHmac("hello world", "OLD", "sha256");
	assert.deepEqual(verifyPayloadHmac(req(["Hmac", old]), two), {
		ok: true,
		algorithm: "sha256",
		secretIndex: 0,
	});
	const bytes = verifyPayloadHmac(req(["Hmac", SHA256]), {
		...opts,
		secrets: [Buffer.from("SECRET")],
	});
	assert.ok(bytes.ok);
});

test("no configured secret is refused, not accepted", () => {
	const r = verifyPayloadHmac(req(["Hmac", SHA256]), { ...opts, secrets: [] });
	assert.ok(!r.ok && r.code === "NO_SECRET_CONFIGURED");
});

test("the diagnosis names a trailing newline and never holds the secret or expected value", () => {
	const withNewline = signPayloadHmac("hello world\n", "SECRET", "sha256");
	const r = verifyPayloadHmac(req(["Hmac", withNewline]), opts);
	assert.ok(!r.ok);
	assert.match(r.diagnosis?.likelyCause ?? "", /trailing newline/);
	const text = JSON.stringify(r);
	assert.ok(!text.includes("SECRET") && !text.includes(SHA256.slice(7)));
	const secretNewline = signPayloadHmac("hello world", "SECRET\n", "sha256");
	const r2 = verifyPayloadHmac(req(["Hmac", secretNewline]), opts);
	assert.ok(!r2.ok);
	assert.match(r2.diagnosis?.likelyCause ?? "", /secret ends with a newline/);
});

test("hmacKey passes ASCII byte keys as strings and others as bytes, with identical HMACs", async () => {
	const { createHmac } = await import("node:crypto");
	const { hmacKey } = await import("../src/shared/hmac-key.ts");
	const fc = await import("fast-check");
	fc.assert(
		fc.property(
			fc.uint8Array({ maxLength: 64 }),
			fc.uint8Array({ maxLength: 256 }),
			(key, body) => {
				const expected = createHmac("sha256", Buffer.from(key))
					.update(body)
					.digest("hex");
				const actual = createHmac("sha256", hmacKey(key))
					.update(body)
					.digest("hex");
				assert.equal(actual, expected);
				assert.equal(
					typeof hmacKey(key),
					key.every((b) => b < 0x80) ? "string" : "object",
				);
			},
		),
		{ numRuns: 500 },
	);
});
