import assert from "node:assert/strict";
import { test } from "node:test";
import {
	signStandardWebhook,
	verifyStandardWebhook,
	type WireRequest,
} from "../src/index.ts";

// The example of the Standard Webhooks reference libraries' test suites.
const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const ID = "msg_p5jXN8AQM9LWM0D4loKWxJek";
const TS = 1614265330;
const BODY = '{"test": 2432232314}';
const SIG = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";
const NOW = TS * 1000;

const req = (headers: Record<string, string>, body = BODY): WireRequest => ({
	method: "POST",
	target: "/hook",
	rawHeaders: Object.entries(headers).flat(),
	body: Buffer.from(body),
});
const headers = (sig = SIG, ts = String(TS)) => ({
	"webhook-id": ID,
	"webhook-timestamp": ts,
	"webhook-signature": sig,
});

test("the reference example verifies and the signer reproduces it", () => {
	assert.deepEqual(
		verifyStandardWebhook(req(headers()), { secrets: [SECRET], now: NOW }),
		{
			ok: true,
			webhookId: ID,
			timestamp: TS,
			secretIndex: 0,
		},
	);
	assert.deepEqual(
		signStandardWebhook({
			id: ID,
			now: NOW + 999,
			body: BODY,
			secrets: [SECRET],
		}),
		headers(),
	);
});

test("timestamp tolerance applies both ways", () => {
	const opts = { secrets: [SECRET], toleranceSeconds: 300 };
	assert.ok(
		verifyStandardWebhook(req(headers()), { ...opts, now: NOW + 300_000 }).ok,
	);
	assert.ok(
		verifyStandardWebhook(req(headers()), { ...opts, now: NOW - 300_000 }).ok,
	);
	const old = verifyStandardWebhook(req(headers()), {
		...opts,
		now: NOW + 301_000,
	});
	assert.ok(
		!old.ok &&
			old.code === "TIMESTAMP_OUT_OF_TOLERANCE" &&
			/too old/.test(old.message),
	);
	const future = verifyStandardWebhook(req(headers()), {
		...opts,
		now: NOW - 301_000,
	});
	assert.ok(
		!future.ok &&
			future.code === "TIMESTAMP_OUT_OF_TOLERANCE" &&
			/future/.test(future.message),
	);
});

test("several signatures: one valid v1 entry among others is enough; unknown versions are skipped", () => {
	const list = `v1a,AAAA v1,${"A".repeat(43)}= ${SIG}`;
	assert.ok(
		verifyStandardWebhook(req(headers(list)), { secrets: [SECRET], now: NOW })
			.ok,
	);
	const none = verifyStandardWebhook(
		req(headers(`v1,${"A".repeat(43)}= v2,xyz`)),
		{ secrets: [SECRET], now: NOW },
	);
	assert.ok(!none.ok && none.code === "SIGNATURE_MISMATCH");
	const noV1 = verifyStandardWebhook(req(headers("v2,abc")), {
		secrets: [SECRET],
		now: NOW,
	});
	assert.ok(!noV1.ok && noV1.code === "MALFORMED_SIGNATURE");
});

test("rotation: a sender signing with two secrets, a receiver holding either", () => {
	const other = `whsec_${Buffer.from("another key of thirty-two bytes!").toString("base64")}`;
	const h = signStandardWebhook({
		id: ID,
		now: NOW,
		body: BODY,
		secrets: [other, SECRET],
	});
	assert.equal(h["webhook-signature"]?.split(" ").length, 2);
	const r = verifyStandardWebhook(req(h), {
		secrets: ["whsec_AAAA", SECRET],
		now: NOW,
	});
	assert.ok(r.ok && r.secretIndex === 1);
	assert.ok(
		verifyStandardWebhook(req(h), { secrets: [Buffer.from(SECRET)], now: NOW })
			.ok,
		"whsec_ text stored as bytes",
	);
});

test("tampering with id, timestamp or body fails", () => {
	const opts = { secrets: [SECRET], now: NOW };
	assert.equal(
		verifyStandardWebhook(req({ ...headers(), "webhook-id": `${ID}x` }), opts)
			.ok,
		false,
	);
	assert.equal(
		verifyStandardWebhook(req(headers(SIG, String(TS + 1))), opts).ok,
		false,
	);
	assert.equal(
		verifyStandardWebhook(req(headers(), `${BODY} `), opts).ok,
		false,
	);
});

test("missing, duplicate and malformed headers are typed failures", () => {
	const opts = { secrets: [SECRET], now: NOW };
	const { "webhook-id": _, ...noId } = headers();
	const missing = verifyStandardWebhook(req(noId), opts);
	assert.ok(
		!missing.ok &&
			missing.code === "MISSING_SIGNATURE" &&
			missing.status === 401,
	);
	const dup = verifyStandardWebhook(
		{
			...req(headers()),
			rawHeaders: [...Object.entries(headers()).flat(), "Webhook-Id", "x"],
		},
		opts,
	);
	assert.ok(!dup.ok && dup.code === "DUPLICATE_HEADER");
	const ts = verifyStandardWebhook(req(headers(SIG, "16142653e3")), opts);
	assert.ok(!ts.ok && ts.code === "MALFORMED_SIGNATURE");
	const big = verifyStandardWebhook(req(headers(`${SIG} `.repeat(200))), opts);
	assert.ok(!big.ok && big.code === "HEADER_TOO_LARGE");
});
