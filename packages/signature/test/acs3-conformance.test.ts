// Conformance: the 65 ACS3 cases Alibaba's own Node SDK produced (shared/conformance/acs3).
// Each positive case must verify with every intermediate stage equal to the SDK's; each negative
// must fail with the code its rejectReason names; strict mode must reject exactly the ten quirks.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import {
	type Acs3Mode,
	fcFailure,
	parseAcs3,
	verifyAcs3,
	type WireRequest,
} from "../src/index.ts";
import type { Result } from "../src/result.ts";

interface Case {
	name: string;
	expect: "accept" | "reject";
	rejectReason?: string;
	accessKeyId: string;
	accessKeySecret: string;
	securityToken?: string;
	method: string;
	rawPath: string;
	rawHeaders: [string, string][];
	body: string;
	canonicalRequest?: string;
	stringToSign?: string;
	verifyAt: string;
}

const CASES_FILE = join(
	import.meta.dirname,
	"..",
	"..",
	"..",
	"..",
	"shared",
	"conformance",
	"acs3",
	"cases.json",
);
const cases = JSON.parse(readFileSync(CASES_FILE, "utf8")) as Case[];

const CODE_FOR_REASON: Record<string, string> = {
	"signature-mismatch": "SIGNATURE_MISMATCH",
	"time-skew": "TIME_SKEW",
	"missing-header": "MISSING_REQUIRED_HEADER",
	"unknown-access-key": "INVALID_ACCESS_KEY_ID",
	"malformed-authorization": "MALFORMED_AUTHORIZATION",
	"payload-hash-mismatch": "PAYLOAD_HASH_MISMATCH",
	"date-not-signed": "DATE_NOT_SIGNED",
};

const QUIRKS = [
	"path-two-dollars",
	"path-plus",
	"path-two-plus",
	"path-star",
	"path-encoded-tilde",
	"path-sub-delims",
	"path-brackets-braces",
	"path-literal-percent",
	"path-invalid-percent",
	"query-special-keys",
];

// The credential store of the test: each case's key, and its STS token when it has one.
const keys = new Map<string, { secret: string; token?: string }>();
for (const c of cases) {
	if (c.name !== "neg-unknown-access-key" && c.name !== "neg-wrong-secret") {
		keys.set(c.accessKeyId, {
			secret: c.accessKeySecret,
			...(c.securityToken ? { token: c.securityToken } : {}),
		});
	}
}

function wire(c: Case): WireRequest {
	return {
		method: c.method,
		target: c.rawPath,
		rawHeaders: c.rawHeaders.flat(),
		body: Buffer.from(c.body, "utf8"),
	};
}

/** What the gateway does: parse, look the key up, verify, then check the STS token. */
function authenticate(
	c: Case,
	mode: Acs3Mode,
): Result<{ accessKeyId: string }> {
	const parsed = parseAcs3(wire(c), { now: Date.parse(c.verifyAt), mode });
	if (!parsed.ok) return parsed;
	const key = keys.get(parsed.request.accessKeyId);
	if (key === undefined)
		return fcFailure(
			"acs3",
			"INVALID_ACCESS_KEY_ID",
			parsed.request.accessKeyId,
		);
	const secret = c.name === "neg-wrong-secret" ? c.accessKeySecret : key.secret;
	const verified = verifyAcs3(parsed.request, { accessKeySecret: secret });
	if (!verified.ok) return verified;
	if (parsed.request.securityToken !== key.token)
		return fcFailure("acs3", "INVALID_SECURITY_TOKEN");
	return verified;
}

test("the conformance file holds 65 cases, 51 accept and 14 reject", () => {
	assert.equal(cases.length, 65);
	assert.equal(cases.filter((c) => c.expect === "accept").length, 51);
});

for (const c of cases) {
	test(`acs3 conformance (compatible): ${c.name}`, () => {
		const outcome = authenticate(c, "compatible");
		if (c.expect === "accept") {
			const parsed = parseAcs3(wire(c), { now: Date.parse(c.verifyAt) });
			assert.ok(parsed.ok, JSON.stringify(parsed));
			assert.equal(parsed.request.canonicalRequest, c.canonicalRequest);
			assert.equal(parsed.request.stringToSign, c.stringToSign);
			assert.ok(outcome.ok, JSON.stringify(outcome));
			assert.equal(outcome.accessKeyId, c.accessKeyId);
		} else {
			assert.equal(outcome.ok, false);
			assert.ok(!outcome.ok);
			assert.equal(
				outcome.code,
				CODE_FOR_REASON[c.rejectReason as string],
				outcome.message,
			);
		}
	});
}

test("strict mode rejects exactly the ten Node-SDK quirk cases", () => {
	const rejected = cases
		.filter((c) => c.expect === "accept" && !authenticate(c, "strict").ok)
		.map((c) => c.name);
	assert.deepEqual(rejected.sort(), [...QUIRKS].sort());
	for (const c of cases.filter((x) => x.expect === "reject")) {
		assert.equal(authenticate(c, "strict").ok, false, c.name);
	}
});

test("a quirk case rejected in strict mode is explained as the other mode's encoding", () => {
	const c = cases.find((x) => x.name === "path-plus") as Case;
	const parsed = parseAcs3(wire(c), {
		now: Date.parse(c.verifyAt),
		mode: "strict",
	});
	assert.ok(parsed.ok);
	const verified = verifyAcs3(parsed.request, {
		accessKeySecret: c.accessKeySecret,
	});
	assert.ok(!verified.ok);
	assert.equal(verified.wireCode, "SignatureNotMatch");
	assert.equal(verified.status, 403);
	assert.match(
		verified.diagnosis?.likelyCause ?? "",
		/other verification mode/,
	);
	assert.ok(!JSON.stringify(verified).includes(c.accessKeySecret));
});

test("the failures carry FC's wire shape", () => {
	const byName = (n: string) =>
		authenticate(cases.find((x) => x.name === n) as Case, "compatible");
	const missing = byName("neg-missing-date-header");
	assert.ok(!missing.ok);
	assert.deepEqual(
		[missing.wireCode, missing.status, missing.message],
		[
			"MissingRequiredHeader",
			400,
			// FC's text, as seed 001 quotes it: the header is named `Date`.
			"required HTTP header Date was not specified",
		],
	);
	const skew = byName("neg-expired");
	assert.ok(!skew.ok);
	assert.match(
		skew.message,
		/^the difference between the request time '.+' and the current time '.+' is too large$/,
	);
	const unknown = byName("neg-unknown-access-key");
	assert.ok(!unknown.ok);
	assert.deepEqual(
		[unknown.wireCode, unknown.status],
		["InvalidAccessKeyID", 403],
	);
	const tampered = byName("neg-tampered-path");
	assert.ok(!tampered.ok);
	assert.match(
		tampered.message,
		/^The request signature we calculated does not match the signature you provided/,
	);
	assert.equal(tampered.diagnosis?.canonicalRequest?.split("\n")[1], "/hellx");
});
