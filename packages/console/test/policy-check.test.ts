// The policy editor's checker: its JSON parser accepts exactly what JSON.parse accepts and
// gives the same value, and every problem it reports points inside the text at the right place.
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import {
	lineColumn,
	parseJsonWithPositions,
	toValue,
} from "../src/lib/json-positions.ts";
import { checkPolicy } from "../src/lib/policy-check.ts";

function jsonParses(text: string): { ok: boolean; value?: unknown } {
	try {
		return { ok: true, value: JSON.parse(text) };
	} catch {
		return { ok: false };
	}
}

test("the parser agrees with JSON.parse on every JSON value, however it is spaced", () => {
	fc.assert(
		fc.property(
			fc.jsonValue({ maxDepth: 5 }),
			fc.constantFrom(undefined, 2, "\t"),
			(value, indent) => {
				const text = JSON.stringify(value, null, indent);
				const parsed = parseJsonWithPositions(text);
				assert.equal(parsed.ok, true);
				if (parsed.ok) assert.deepEqual(toValue(parsed.node), JSON.parse(text));
			},
		),
		{ numRuns: 500 },
	);
});

test("the parser accepts a string exactly when JSON.parse does (mutated JSON, random text)", () => {
	const mutated = fc
		.tuple(
			fc.json({ maxDepth: 3 }),
			fc.nat(),
			fc.constantFrom(
				"",
				",",
				"}",
				"]",
				'"',
				":",
				"\\",
				"\n",
				"01",
				"-",
				"tru",
				"\u0001",
				"1e",
			),
			fc.nat(3),
		)
		.map(([text, at, insert, cut]) => {
			const k = at % (text.length + 1);
			return text.slice(0, k) + insert + text.slice(k + cut);
		});
	fc.assert(
		fc.property(fc.oneof(mutated, fc.string({ maxLength: 30 })), (text) => {
			const ours = parseJsonWithPositions(text);
			const theirs = jsonParses(text);
			assert.equal(ours.ok, theirs.ok, `disagree on ${JSON.stringify(text)}`);
			if (ours.ok) assert.deepEqual(toValue(ours.node), theirs.value);
			else assert.ok(ours.at >= 0 && ours.at <= text.length);
		}),
		{ numRuns: 2000 },
	);
});

test("lineColumn counts lines and columns from 1", () => {
	assert.deepEqual(lineColumn("ab\ncd", 0), { line: 1, column: 1 });
	assert.deepEqual(lineColumn("ab\ncd", 4), { line: 2, column: 2 });
	fc.assert(
		fc.property(
			fc.array(
				fc.string({ unit: "grapheme-ascii" }).filter((s) => !s.includes("\n")),
				{ minLength: 1, maxLength: 6 },
			),
			fc.nat(),
			(lines, pick) => {
				const text = lines.join("\n");
				const line = pick % lines.length;
				const offset = lines
					.slice(0, line)
					.reduce((n, l) => n + l.length + 1, 0);
				assert.deepEqual(lineColumn(text, offset), {
					line: line + 1,
					column: 1,
				});
			},
		),
	);
});

const GOOD = `{
  "Version": "2012-10-17",
  "Statement": [
    { "Effect": "Allow", "Action": "lambda:InvokeFunction", "Resource": "*" }
  ]
}`;

test("a valid identity policy passes and gives its document", () => {
	const r = checkPolicy(GOOD, "identity");
	assert.equal(r.ok, true);
	if (r.ok) assert.deepEqual(r.document, JSON.parse(GOOD));
});

test("a missing comma is pointed at the line and column where the parser stopped", () => {
	const text = '{\n  "Version": "2012-10-17"\n  "Statement": []\n}';
	const r = checkPolicy(text, "identity");
	assert.equal(r.ok, false);
	if (!r.ok) {
		assert.deepEqual([r.problem.line, r.problem.column], [3, 3]);
		assert.match(r.problem.message, /expected ',' or '}'/);
	}
});

test("grammar mistakes point at the offending value", () => {
	// [document, message, the text the problem must point at (its first occurrence)]
	const cases: [string, RegExp, string][] = [
		[
			GOOD.replace('"Allow"', '"allow"'),
			/Effect must be "Allow" or "Deny"/,
			'"allow"',
		],
		[
			GOOD.replace('"lambda:InvokeFunction"', '"InvokeFunction"'),
			/is not an action/,
			'"InvokeFunction"',
		],
		[
			GOOD.replace('"Resource": "*"', '"Resorce": "*"'),
			/unknown key "Resorce"/,
			'"Resorce"',
		],
		[
			GOOD.replace("2012-10-17", "2012-10-18"),
			/Version must be/,
			'"2012-10-18"',
		],
		[
			GOOD.replace(' "Resource": "*"', ' "Resource": "*", "Principal": "*"'),
			/identity policy has no Principal/,
			'"Principal"',
		],
	];
	for (const [text, message, marker] of cases) {
		const r = checkPolicy(text, "identity");
		assert.equal(r.ok, false, text);
		if (!r.ok) {
			assert.match(r.problem.message, message);
			const want = lineColumn(text, text.indexOf(marker));
			assert.ok(want.line > 1 && want.column > 1);
			assert.deepEqual(
				[r.problem.line, r.problem.column],
				[want.line, want.column],
				r.problem.message,
			);
		}
	}
});

test("a trust policy needs a Principal and no Resource", () => {
	const trust =
		'{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::000000000001:root"},"Action":"sts:AssumeRole"}}';
	assert.equal(checkPolicy(trust, "trust").ok, true);
	const r = checkPolicy(trust.replace(/"Principal":\{[^}]*\},/, ""), "trust");
	assert.equal(r.ok, false);
	if (!r.ok) assert.match(r.problem.message, /needs a Principal/);
});

test("every problem of any mangled policy is located inside the text", () => {
	fc.assert(
		fc.property(fc.nat(GOOD.length), fc.nat(GOOD.length), (a, b) => {
			const text = GOOD.slice(0, Math.min(a, b)) + GOOD.slice(Math.max(a, b));
			const r = checkPolicy(text, "identity");
			if (r.ok) return;
			const lines = text.split("\n");
			assert.ok(r.problem.line >= 1 && r.problem.line <= lines.length);
			const lineText = lines[r.problem.line - 1] ?? "";
			assert.ok(
				r.problem.column >= 1 && r.problem.column <= lineText.length + 1,
			);
		}),
		{ numRuns: 1000 },
	);
});
