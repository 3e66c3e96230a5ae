import assert from "node:assert/strict";
import { test } from "node:test";
import {
	fcCanonicalResource,
	parseFcSignature,
	signFcSignature,
	verifyFcSignature,
	type WireRequest,
} from "../src/index.ts";

const AK = "LTAI5tFcLegacyKey";
const SK = "FcLegacySecretDoNotUse";
const NOW = Date.UTC(2024, 4, 20, 8, 30, 0);
const TARGET =
	"/2016-08-15/proxy/svc/fn/path-with-%20-space/action?x=1&a=2&x=3&with%20space=foo%20bar";

function signed(
	extra: Record<string, string> = {},
	body = "hello",
): WireRequest {
	const s = signFcSignature({
		method: "POST",
		target: TARGET,
		headers: {
			"content-type": "text/plain",
			"X-Fc-Invocation-Type": "Sync",
			...extra,
		},
		body,
		accessKeyId: AK,
		accessKeySecret: SK,
		now: NOW,
	});
	return {
		method: "POST",
		target: TARGET,
		rawHeaders: Object.entries(s.headers).flat(),
		body: Buffer.from(body),
	};
}

function check(req: WireRequest, now = NOW, secret = SK) {
	const parsed = parseFcSignature(req, { now });
	return parsed.ok
		? verifyFcSignature(parsed.request, { accessKeySecret: secret })
		: parsed;
}

const replaceHeader = (
	req: WireRequest,
	name: string,
	value: string | undefined,
): WireRequest => {
	const raw: string[] = [];
	for (let i = 0; i < req.rawHeaders.length; i += 2) {
		if ((req.rawHeaders[i] as string).toLowerCase() !== name)
			raw.push(req.rawHeaders[i] as string, req.rawHeaders[i + 1] as string);
		else if (value !== undefined) raw.push(req.rawHeaders[i] as string, value);
	}
	return { ...req, rawHeaders: raw };
};

test("canonical resource of an HTTP trigger: decoded path, then sorted key=value lines (FC doc example)", () => {
	assert.equal(
		fcCanonicalResource(TARGET),
		"/2016-08-15/proxy/svc/fn/path-with- -space/action\na=2\nwith space=foo bar\nx=1\nx=3",
	);
	assert.equal(fcCanonicalResource("/p"), "/p\n");
});

test("sign → verify round trip, with the x-fc- headers and the date in the string to sign", () => {
	const req = signed();
	const parsed = parseFcSignature(req, { now: NOW });
	assert.ok(parsed.ok);
	assert.match(
		parsed.request.stringToSign,
		/^POST\n[A-Za-z0-9+/=]{24}\ntext\/plain\nMon, 20 May 2024 08:30:00 GMT\nx-fc-invocation-type:Sync\n\/2016/,
	);
	assert.deepEqual(verifyFcSignature(parsed.request, { accessKeySecret: SK }), {
		ok: true,
		accessKeyId: AK,
	});
	const sts = parseFcSignature(signed({ "x-fc-security-token": "tok" }), {
		now: NOW,
	});
	assert.ok(sts.ok && sts.request.securityToken === "tok");
});

test("each failure has its code and FC's wire shape", () => {
	const cases: Array<
		[string, ReturnType<typeof check>, string, string, number]
	> = [
		[
			"wrong secret",
			check(signed(), NOW, "other"),
			"SIGNATURE_MISMATCH",
			"SignatureNotMatch",
			403,
		],
		[
			"tampered x-fc header",
			check(replaceHeader(signed(), "x-fc-invocation-type", "Async")),
			"SIGNATURE_MISMATCH",
			"SignatureNotMatch",
			403,
		],
		[
			"tampered path",
			check({ ...signed(), target: TARGET.replace("action", "actioN") }),
			"SIGNATURE_MISMATCH",
			"SignatureNotMatch",
			403,
		],
		[
			"no Date",
			check(replaceHeader(signed(), "date", undefined)),
			"MISSING_REQUIRED_HEADER",
			"MissingRequiredHeader",
			400,
		],
		[
			"no Authorization",
			check(replaceHeader(signed(), "authorization", undefined)),
			"MISSING_REQUIRED_HEADER",
			"MissingRequiredHeader",
			400,
		],
		[
			"bad Date",
			check(replaceHeader(signed(), "date", "2024-05-20T08:30:00Z")),
			"INVALID_DATE",
			"InvalidArgument",
			400,
		],
		[
			"late",
			check(signed(), NOW + 16 * 60_000),
			"TIME_SKEW",
			"RequestTimeTooSkewed",
			403,
		],
		[
			"early",
			check(signed(), NOW - 16 * 60_000),
			"TIME_SKEW",
			"RequestTimeTooSkewed",
			403,
		],
		[
			"malformed",
			check(replaceHeader(signed(), "authorization", `FC ${AK}`)),
			"MALFORMED_AUTHORIZATION",
			"InvalidArgument",
			400,
		],
		[
			"body changed",
			check({ ...signed(), body: Buffer.from("hellO") }),
			"PAYLOAD_HASH_MISMATCH",
			"InvalidArgument",
			400,
		],
	];
	for (const [name, r, code, wireCode, status] of cases) {
		assert.ok(!r.ok, name);
		assert.deepEqual(
			[r.code, r.wireCode, r.status, r.scheme],
			[code, wireCode, status, "fc"],
			name,
		);
	}
	const noDate = check(replaceHeader(signed(), "date", undefined));
	assert.ok(
		!noDate.ok &&
			noDate.message === "required HTTP header Date was not specified",
	);
	const mismatch = check(signed(), NOW, "other");
	assert.ok(
		!mismatch.ok && mismatch.diagnosis?.stringToSign?.startsWith("POST\n"),
	);
	assert.ok(!JSON.stringify(mismatch).includes(SK));
});
