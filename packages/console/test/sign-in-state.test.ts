// What the sign-in keeps and reads: a pasted profile yields the pair and nothing else; storage
// gives back only unexpired session credentials (ASIA…), never a long-term key put there; the
// location hash carries page names and ids only.
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { parsePastedKey } from "../src/lib/profile.ts";
import { href, parseRoute, type Route } from "../src/lib/route.ts";
import { loadSession, type Session, saveSession } from "../src/lib/session.ts";

const ID = "AKIAIOSFODNN7EXAMPLE";
const SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

class MemoryStorage {
	readonly map = new Map<string, string>();
	get length() {
		return this.map.size;
	}
	clear() {
		this.map.clear();
	}
	getItem(k: string) {
		return this.map.get(k) ?? null;
	}
	key(i: number) {
		return [...this.map.keys()][i] ?? null;
	}
	removeItem(k: string) {
		this.map.delete(k);
	}
	setItem(k: string, v: string) {
		this.map.set(k, String(v));
	}
}

test("a credentials-file profile, CreateAccessKey JSON and KEY:SECRET all give the pair", () => {
	const want = { accessKeyId: ID, secretAccessKey: SECRET };
	assert.deepEqual(
		parsePastedKey(
			`[default]\naws_access_key_id = ${ID}\naws_secret_access_key = ${SECRET}\nregion = us-east-1\n`,
		),
		want,
	);
	assert.deepEqual(
		parsePastedKey(
			JSON.stringify({
				AccessKey: {
					AccessKeyId: ID,
					SecretAccessKey: SECRET,
					Status: "Active",
				},
			}),
		),
		want,
	);
	assert.deepEqual(parsePastedKey(`  ${ID}:${SECRET}\n`), want);
});

test("anything else is refused, never half-read", () => {
	for (const text of [
		"",
		`aws_access_key_id = ${ID}`,
		`aws_secret_access_key = ${SECRET}`,
		`${ID}:short`,
		`notakey:${SECRET}`,
		'{"AccessKeyId": 1}',
		"{not json",
		`${ID}:${SECRET}`.repeat(400),
	])
		assert.equal(parsePastedKey(text), null, JSON.stringify(text.slice(0, 60)));
	fc.assert(
		fc.property(fc.string({ maxLength: 200 }), (text) => {
			const r = parsePastedKey(text);
			if (r) {
				assert.match(r.accessKeyId, /^(AKIA|ASIA)[A-Z0-9]+$/);
				assert.ok(text.includes(r.secretAccessKey));
			}
		}),
	);
});

function session(over: Partial<Session> = {}): Session {
	return {
		accessKeyId: "ASIAXXXXXXXXXXXXXXXX",
		secretAccessKey: "session-secret",
		sessionToken: "token",
		expiration: "2026-12-03T13:00:00Z",
		region: "us-east-1",
		arn: "arn:aws:iam::000000000001:root",
		account: "000000000001",
		...over,
	};
}

test("storage gives back unexpired session credentials and drops anything else", () => {
	const now = Date.parse("2026-12-03T12:00:00Z");
	const s = new MemoryStorage();
	saveSession(s, session());
	assert.deepEqual(loadSession(s, now), session());
	assert.equal(
		loadSession(s, Date.parse("2026-12-03T13:00:00Z")),
		null,
		"expired",
	);
	assert.equal(s.length, 0, "an expired session is removed");
	saveSession(s, session({ accessKeyId: ID, secretAccessKey: SECRET }));
	assert.equal(
		loadSession(s, now),
		null,
		"a long-term key is never taken from storage",
	);
	assert.equal(s.length, 0);
	s.setItem("sigil.console.session", "{broken");
	assert.equal(loadSession(s, now), null);
});

test("routes round-trip through the hash, names percent-encoded", () => {
	const routes: Route[] = [
		{ page: "functions" },
		{ page: "function", name: "hello" },
		{ page: "function", name: "a/b?c#d" },
		{ page: "auth-log" },
		{ page: "auth-log", function: "x y" },
		{ page: "debugger", requestId: "0a5b1115-c55e" },
		{ page: "access" },
		{ page: "simulator" },
		{ page: "jobs", id: "job-1" },
	];
	for (const r of routes) assert.deepEqual(parseRoute(href(r)), r);
	fc.assert(
		fc.property(fc.string({ minLength: 1, maxLength: 40 }), (name) => {
			assert.deepEqual(parseRoute(href({ page: "function", name })), {
				page: "function",
				name,
			});
		}),
	);
	assert.deepEqual(parseRoute("#/nowhere"), { page: "functions" });
	assert.deepEqual(parseRoute("#/functions/%E0%A4%A"), {
		page: "function",
		name: "%E0%A4%A",
	});
});
