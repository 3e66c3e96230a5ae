// Adversarial: the session token codec on its own. A token is attacker-controlled input: every
// alteration, truncation, foreign key, old format or malformed body must come back as
// SESSION_TOKEN_INVALID, never as a throw and never as a session; and what it seals must name
// the principal by its unique id and the time it was issued.
import assert from "node:assert/strict";
import { createCipheriv, hkdfSync, randomBytes } from "node:crypto";
import { describe, test } from "node:test";
import fc from "fast-check";
import {
	type SessionClaims,
	SessionTokenCodec,
	sessionPrincipal,
} from "../../src/iam/session-token.ts";

const MASTER = Buffer.alloc(32, 3);
const codec = new SessionTokenCodec(MASTER);
const ACCT = "123456789012";
const INVALID = { ok: false, code: "SESSION_TOKEN_INVALID" } as const;

const user = {
	accountId: ACCT,
	arn: `arn:aws:iam::${ACCT}:user/temp`,
	userId: "AIDAQ3EGRA2CLMHZ6TVLX",
	principalId: "AIDAQ3EGRA2CLMHZ6TVLX",
	type: "User" as const,
	userName: "temp",
	sourceAccessKeyId: "AKIAQ3EGRA2CLMHZ6TVL",
	expiresAt: 10_000,
};
const role = {
	accountId: ACCT,
	arn: `arn:aws:sts::${ACCT}:assumed-role/ops/s1`,
	userId: "AROAQ3EGRA2CLMHZ6TVLX:s1",
	principalId: "AROAQ3EGRA2CLMHZ6TVLX",
	type: "AssumedRole" as const,
	roleName: "ops",
	roleArn: `arn:aws:iam::${ACCT}:role/ops`,
	expiresAt: 10_000,
};

/** Seals `body` exactly as the documented format does (to build authentic but odd tokens). */
function sealRaw(
	body: unknown,
	opts: { prefix: string; info: string; master?: Buffer },
): string {
	const key = Buffer.from(
		hkdfSync("sha256", opts.master ?? MASTER, "sigil-sts", opts.info, 32),
	);
	const iv = randomBytes(12);
	const cipher = createCipheriv("aes-256-gcm", key, iv);
	cipher.setAAD(Buffer.from(opts.prefix));
	return (
		opts.prefix +
		Buffer.concat([
			iv,
			cipher.update(JSON.stringify(body)),
			cipher.final(),
			cipher.getAuthTag(),
		]).toString("base64url")
	);
}

const V2 = { prefix: "SGL2", info: "session-token-seal-v2" };

describe("what a token seals", () => {
	test("a user session: the AIDA id and the issue time come back as issued", () => {
		const s = codec.issue(user, 1_000);
		const opened = codec.open(s.sessionToken, s.accessKeyId, 1_500);
		assert.ok(opened.ok);
		assert.equal(opened.secretAccessKey, s.secretAccessKey);
		const c: SessionClaims = opened.claims;
		assert.equal(c.principalId, "AIDAQ3EGRA2CLMHZ6TVLX");
		assert.equal(c.issuedAt, 1_000);
		assert.equal(c.expiresAt, 10_000);
		assert.equal(c.accessKeyId, s.accessKeyId);
		assert.deepEqual(sessionPrincipal(c), {
			kind: "user",
			accountId: ACCT,
			name: "temp",
			principalId: "AIDAQ3EGRA2CLMHZ6TVLX",
		});
	});

	test("a role session: the AROA id of the role, not the session's AROA…:name", () => {
		const s = codec.issue(role, 1_000);
		const opened = codec.open(s.sessionToken, s.accessKeyId, 1_500);
		assert.ok(opened.ok);
		assert.deepEqual(sessionPrincipal(opened.claims), {
			kind: "role",
			accountId: ACCT,
			name: "ops",
			principalId: "AROAQ3EGRA2CLMHZ6TVLX",
		});
	});

	test("a root session is bound to its account", () => {
		const s = codec.issue(
			{
				accountId: ACCT,
				arn: `arn:aws:iam::${ACCT}:root`,
				userId: ACCT,
				principalId: ACCT,
				type: "Account",
				expiresAt: 10_000,
			},
			1_000,
		);
		const opened = codec.open(s.sessionToken, s.accessKeyId, 1_500);
		assert.ok(opened.ok);
		assert.deepEqual(sessionPrincipal(opened.claims), {
			kind: "account",
			accountId: ACCT,
			name: ACCT,
			principalId: ACCT,
		});
	});

	test("issuing refuses a unique id that is not the principal's (a bug, not a request)", () => {
		assert.throws(() =>
			codec.issue({ ...user, principalId: "AROAQ3EGRA2CLMHZ6TVLX" }, 1),
		);
		assert.throws(() =>
			codec.issue({ ...user, principalId: "AIDAOTHERUSER0000000" }, 1),
		);
		assert.throws(() => codec.issue({ ...role, principalId: ACCT }, 1));
		const { userName: _, ...noName } = user;
		assert.throws(() => codec.issue(noName, 1));
	});

	test("the token holds no secret and no claim in clear text", () => {
		const s = codec.issue(user, 1_000);
		const raw = Buffer.from(s.sessionToken.slice(4), "base64url").toString(
			"latin1",
		);
		assert.ok(!s.sessionToken.includes(s.secretAccessKey));
		for (const clear of ["AIDAQ3EGRA2CLMHZ6TVLX", "temp", ACCT])
			assert.ok(!raw.includes(clear), clear);
	});
});

describe("refused, never thrown", () => {
	const s = codec.issue(user, 1_000);
	const open = (token: string, id = s.accessKeyId, now = 1_500) =>
		codec.open(token, id, now);

	test("another master key, another key id, or past expiry", () => {
		assert.deepEqual(
			new SessionTokenCodec(Buffer.alloc(32, 4)).open(
				s.sessionToken,
				s.accessKeyId,
				1_500,
			),
			INVALID,
		);
		assert.deepEqual(open(s.sessionToken, "ASIAAAAAAAAAAAAAAAAA"), INVALID);
		assert.deepEqual(open(s.sessionToken, s.accessKeyId, 10_000), {
			ok: false,
			code: "SESSION_TOKEN_EXPIRED",
		});
	});

	test("every single-character change and every truncation", () => {
		const t = s.sessionToken;
		const alphabet =
			"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=+/!";
		for (let i = 0; i < t.length; i++) {
			for (const ch of [
				alphabet[(alphabet.indexOf(t[i] as string) + 1) % 64],
				"!",
			]) {
				const changed = t.slice(0, i) + ch + t.slice(i + 1);
				if (changed === t) continue;
				assert.deepEqual(open(changed), INVALID, `position ${i} → ${ch}`);
			}
		}
		for (let n = 0; n < t.length; n++)
			assert.deepEqual(open(t.slice(0, n)), INVALID, `first ${n} characters`);
		assert.deepEqual(open(`${t}A`), INVALID, "one character more");
		assert.deepEqual(open(` ${t}`), INVALID, "leading space");
		assert.deepEqual(open(`${t}\n`), INVALID, "trailing newline");
	});

	test("characters base64url decoding would skip, and non-canonical trailing bits", () => {
		const t = s.sessionToken;
		// Buffer.from(…, "base64url") ignores characters outside the alphabet: such a token is
		// not the one issued, so it is not a session either.
		assert.deepEqual(open(`${t.slice(0, 20)}.${t.slice(20)}`), INVALID);
		assert.deepEqual(open(`${t.slice(0, 20)}\u00e9${t.slice(20)}`), INVALID);
		// When the byte count is not a multiple of 3, the last character carries unused low
		// bits; flipping one names the same bytes in another spelling, which is refused too.
		const B64URL =
			"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
		let checked = 0;
		for (const name of ["t", "te", "tem"]) {
			const other = codec.issue({ ...user, userName: name }, 1_000);
			const body = other.sessionToken.slice(4);
			if (body.length % 4 === 0) continue;
			const last = B64URL.indexOf(body[body.length - 1] as string);
			const respelled = `SGL2${body.slice(0, -1)}${B64URL[last ^ 1]}`;
			assert.deepEqual(
				Buffer.from(respelled.slice(4), "base64url"),
				Buffer.from(body, "base64url"),
			);
			assert.deepEqual(
				codec.open(respelled, other.accessKeyId, 1_500),
				INVALID,
				"same bytes, another spelling",
			);
			checked++;
		}
		assert.ok(checked > 0);
	});

	test("the old SGL1 format, sealed under the old key, is refused", () => {
		const old = sealRaw(
			{
				accountId: ACCT,
				arn: user.arn,
				userId: user.userId,
				type: "User",
				userName: "temp",
				expiresAt: 10_000,
				accessKeyId: "ASIAAAAAAAAAAAAAAAAA",
				issuedAt: 1_000,
				n: "nonce",
			},
			{ prefix: "SGL1", info: "session-token-seal-v1" },
		);
		assert.deepEqual(open(old, "ASIAAAAAAAAAAAAAAAAA"), INVALID);
		// Relabelled as the new format it fails authentication (the prefix is the AAD).
		assert.deepEqual(
			open(`SGL2${old.slice(4)}`, "ASIAAAAAAAAAAAAAAAAA"),
			INVALID,
		);
	});

	test("an authentic body of the wrong shape (no unique id, wrong types) is refused", () => {
		const base = {
			...user,
			accessKeyId: "ASIAAAAAAAAAAAAAAAAA",
			issuedAt: 1_000,
			n: "nonce",
		};
		const { principalId: _p, ...noPrincipal } = base;
		const { issuedAt: _i, ...noIssued } = base;
		const { userName: _u, ...noUserName } = base;
		const bodies: unknown[] = [
			noPrincipal,
			noIssued,
			noUserName,
			{ ...base, principalId: "AROAQ3EGRA2CLMHZ6TVLX" },
			{ ...base, principalId: "AIDAOTHER" },
			{ ...base, type: "Federated" },
			{ ...base, expiresAt: "10000" },
			{ ...base, issuedAt: null },
			{ ...base, accountId: 123456789012 },
			{ ...base, sessionPolicy: {} },
			{
				...role,
				accessKeyId: base.accessKeyId,
				issuedAt: 1,
				n: "x",
				roleName: undefined,
			},
			[],
			"a string",
			null,
			42,
		];
		for (const body of bodies)
			assert.deepEqual(
				open(sealRaw(body, V2), "ASIAAAAAAAAAAAAAAAAA"),
				INVALID,
				JSON.stringify(body),
			);
		// The same construction with the right shape opens: the refusals above are the shape's.
		assert.equal(open(sealRaw(base, V2), "ASIAAAAAAAAAAAAAAAAA").ok, true);
	});

	test("property: arbitrary strings and arbitrary byte edits are refused without a throw", () => {
		fc.assert(
			fc.property(fc.string({ maxLength: 600 }), (junk) => {
				assert.equal(open(junk).ok, false);
				assert.equal(open(`SGL2${junk}`).ok, false);
			}),
			{ numRuns: 500 },
		);
		const raw = Buffer.from(s.sessionToken.slice(4), "base64url");
		fc.assert(
			fc.property(
				fc.integer({ min: 0, max: raw.length - 1 }),
				fc.integer({ min: 1, max: 255 }),
				(at, xor) => {
					const copy = Buffer.from(raw);
					copy[at] = (copy[at] as number) ^ xor;
					assert.deepEqual(open(`SGL2${copy.toString("base64url")}`), INVALID);
				},
			),
			{ numRuns: 500 },
		);
	});

	test("an oversized token is refused before any decryption", () => {
		assert.deepEqual(open(`SGL2${"A".repeat(20_000)}`), INVALID);
	});
});
