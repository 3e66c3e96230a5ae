// Fuzz: whatever arrives in the Authorization, date and signature headers, every verifier
// answers with a typed failure (never throws), and oversize values are refused before parsing.
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import {
	parseAcs3,
	parseFcSignature,
	verifyPayloadHmac,
	verifyStandardWebhook,
	type WireRequest,
} from "../src/index.ts";

const NOW = Date.UTC(2024, 4, 20, 8, 30, 0);
const anyText = fc.oneof(
	fc.string({ maxLength: 300 }),
	fc.string({ unit: "binary", maxLength: 300 }),
);
const authLike = fc.oneof(
	anyText,
	anyText.map((s) => `ACS3-HMAC-SHA256 ${s}`),
	fc
		.tuple(anyText, anyText, anyText)
		.map(
			([a, b, c]) =>
				`ACS3-HMAC-SHA256 Credential=${a},SignedHeaders=${b},Signature=${c}`,
		),
	anyText.map((s) => `FC ${s}`),
);
const dateLike = fc.oneof(
	anyText,
	fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
	fc.date({ noInvalidDate: true }).map((d) => d.toUTCString()),
);
const targetLike = fc.oneof(
	anyText,
	anyText.map((s) => `/${s}`),
);

function isTypedFailure(r: {
	ok: boolean;
	code?: string;
	status?: number;
}): boolean {
	return (
		r.ok ||
		(typeof r.code === "string" &&
			/^[A-Z_]+$/.test(r.code) &&
			typeof r.status === "number")
	);
}

test("ACS3 and FC parsers never throw on arbitrary Authorization, date and target", () => {
	fc.assert(
		fc.property(authLike, dateLike, targetLike, (auth, date, target) => {
			const req: WireRequest = {
				method: "GET",
				target,
				rawHeaders: ["Authorization", auth, "x-acs-date", date, "Date", date],
				body: new Uint8Array(),
			};
			assert.ok(isTypedFailure(parseAcs3(req, { now: NOW })));
			assert.ok(isTypedFailure(parseAcs3(req, { now: NOW, mode: "strict" })));
			assert.ok(isTypedFailure(parseFcSignature(req, { now: NOW })));
		}),
		{ numRuns: 1500 },
	);
});

test("HMAC and webhook verifiers never throw on arbitrary header values", () => {
	fc.assert(
		fc.property(
			anyText,
			anyText,
			anyText,
			fc.uint8Array({ maxLength: 64 }),
			(sig, ts, id, body) => {
				const req: WireRequest = {
					method: "POST",
					target: "/",
					rawHeaders: [
						"Hmac",
						sig,
						"webhook-id",
						id,
						"webhook-timestamp",
						ts,
						"webhook-signature",
						sig,
					],
					body,
				};
				const h = verifyPayloadHmac(req, {
					header: "Hmac",
					secrets: ["s"],
					algorithms: ["sha1", "sha256", "sha512"],
				});
				assert.ok(!h.ok && isTypedFailure(h));
				const w = verifyStandardWebhook(req, {
					secrets: ["whsec_AAAA", "not base64!"],
					now: NOW,
				});
				assert.ok(!w.ok && isTypedFailure(w));
			},
		),
		{ numRuns: 1500 },
	);
});

test("oversize values are refused early with HEADER_TOO_LARGE", () => {
	const huge = "A".repeat(1_000_000);
	const req: WireRequest = {
		method: "GET",
		target: "/",
		rawHeaders: [
			"Authorization",
			`ACS3-HMAC-SHA256 ${huge}`,
			"Hmac",
			`sha256=${huge}`,
		],
		body: new Uint8Array(),
	};
	const a = parseAcs3(req, { now: NOW });
	assert.ok(!a.ok && a.code === "HEADER_TOO_LARGE");
	const f = parseFcSignature(
		{ ...req, rawHeaders: ["Authorization", `FC ${huge}`] },
		{ now: NOW },
	);
	assert.ok(!f.ok && f.code === "HEADER_TOO_LARGE");
	const t = parseAcs3({ ...req, target: `/${huge}` }, { now: NOW });
	assert.ok(!t.ok && t.code === "HEADER_TOO_LARGE");
	const h = verifyPayloadHmac(req, {
		header: "Hmac",
		secrets: ["s"],
		algorithms: ["sha256"],
	});
	assert.ok(!h.ok && h.code === "HEADER_TOO_LARGE");
});
