// "Revoke active sessions" (IAM User Guide, "Revoke IAM role temporary security credentials"):
// an identity policy denying everything when `DateLessThan aws:TokenIssueTime` a cutoff. The
// engine needs nothing special for it; these tests pin what callers rely on: the cutoff bites on
// sessions issued before it and not at or after it, at millisecond precision, whatever the
// spelling (ISO 8601 or epoch seconds, key case); and a request without the key (long-term
// credentials have no token) is not subject to the Deny, as AWS's missing-key rule says.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
	evaluate,
	parsePolicy,
	type RequestContext,
	type RequestPrincipal,
} from "../src/index.ts";
import {
	A,
	alice,
	allowUrl,
	compile,
	FN,
	session,
	URL_ACTION,
} from "./helpers.ts";

const CUTOFF = "2026-05-07T23:47:00Z";

function revokeOlder(cutoff: unknown, key = "aws:TokenIssueTime") {
	return compile(
		"identity",
		[
			{
				Effect: "Deny",
				Action: "*",
				Resource: "*",
				Condition: { DateLessThan: { [key]: cutoff } },
			},
		],
		"AWSRevokeOlderSessions",
	);
}

function decide(
	context: RequestContext,
	principal: RequestPrincipal = session,
	revoke = revokeOlder(CUTOFF),
) {
	return evaluate({
		principal,
		action: URL_ACTION,
		resource: FN,
		resourceAccountId: A,
		identityPolicies: [compile("identity", [allowUrl()], "invoke"), revoke],
		context,
	});
}

test("a session issued before the cutoff is explicitly denied; at or after it, allowed", () => {
	const before = decide({ "aws:TokenIssueTime": "2026-05-07T23:46:59.999Z" });
	assert.equal(before.allowed, false);
	assert.equal(before.reason, "EXPLICIT_DENY_IDENTITY");
	assert.equal(
		decide({ "aws:TokenIssueTime": "2026-05-07T23:47:00.000Z" }).allowed,
		true,
	);
	assert.equal(
		decide({ "aws:TokenIssueTime": "2026-05-07T23:47:00.001Z" }).allowed,
		true,
	);
});

test("no aws:TokenIssueTime (long-term credentials): the Deny does not apply", () => {
	assert.equal(decide({}, alice).allowed, true);
	assert.equal(
		decide({ "aws:CurrentTime": "2020-01-01T00:00:00Z" }, alice).allowed,
		true,
	);
});

test("the cutoff in epoch seconds, and the key in any case, mean the same", () => {
	const epoch = String(Date.parse(CUTOFF) / 1000);
	for (const revoke of [
		revokeOlder(epoch),
		revokeOlder(Number(epoch)),
		revokeOlder(CUTOFF, "AWS:TOKENISSUETIME"),
	]) {
		assert.equal(
			decide({ "aws:TokenIssueTime": "2026-05-07T23:46:00Z" }, session, revoke)
				.allowed,
			false,
		);
		assert.equal(
			decide({ "aws:tokenissuetime": "2026-05-07T23:48:00Z" }, session, revoke)
				.allowed,
			true,
		);
	}
});

test("a cutoff that is not a date is refused when the policy is written", () => {
	const r = parsePolicy(
		{
			Version: "2012-10-17",
			Statement: [
				{
					Effect: "Deny",
					Action: "*",
					Resource: "*",
					Condition: { DateLessThan: { "aws:TokenIssueTime": "yesterday" } },
				},
			],
		},
		"identity",
	);
	assert.equal(r.ok, false);
	assert.ok(
		!r.ok && r.errors.some((e) => e.code === "INVALID_CONDITION_VALUE"),
	);
});
