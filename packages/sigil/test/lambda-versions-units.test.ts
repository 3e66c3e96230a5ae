// Properties of the qualifier rules (store/function-version-rows.ts, gateway/lambda-qualifiers.ts,
// gateway/lambda-api.ts's FunctionName parser): a qualifier is exactly one of $LATEST, a version
// number or an alias name; version numbers round-trip and never overflow; routing picks only
// the alias's two versions, and weights 0 and 1 are exact.
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { parseFunctionRef } from "../src/gateway/lambda-api.ts";
import { versionToRun } from "../src/gateway/lambda-qualifiers.ts";
import { isStoreError } from "../src/store/errors.ts";
import {
	ALIAS_NAME,
	checkAliasTarget,
	checkRouting,
	VERSION_NUMBER,
	versionNumber,
} from "../src/store/function-version-rows.ts";
import type { FunctionAliasRecord } from "../src/store/types.ts";

const qualifierChars = fc.constantFrom(..."abcXYZ019_-.:/%$ \u00e9".split(""));
const anyText = fc.string({ unit: qualifierChars, maxLength: 40 });

test("a version number round-trips through its text; nothing else is one", () => {
	fc.assert(
		fc.property(fc.integer({ min: 1, max: 999_999_999_999_999 }), (n) => {
			assert.equal(versionNumber(String(n)), n);
		}),
	);
	fc.assert(
		fc.property(anyText, (s) => {
			const n = versionNumber(s);
			if (n === undefined) return;
			// Only canonical decimal text within 2^53: no sign, no leading zero, no overflow.
			assert.equal(String(n), s);
			assert.ok(Number.isSafeInteger(n) && n >= 1);
		}),
	);
	for (const s of ["0", "01", "-1", "+1", "1e3", "1.0", " 1", "9".repeat(16)])
		assert.equal(versionNumber(s), undefined, s);
});

test("alias names and version numbers never overlap, and neither contains a separator", () => {
	fc.assert(
		fc.property(anyText, (s) => {
			const alias = ALIAS_NAME.test(s);
			const version = VERSION_NUMBER.test(s);
			assert.ok(!(alias && version), s);
			if (alias || version) assert.doesNotMatch(s, /[:/.%$ ]/);
		}),
	);
});

test("an alias points at $LATEST or a version number only", () => {
	fc.assert(
		fc.property(anyText, (s) => {
			let ok = true;
			try {
				checkAliasTarget(s);
			} catch (err) {
				assert.ok(isStoreError(err, "STORE_INVALID"));
				ok = false;
			}
			assert.equal(ok, s === "$LATEST" || versionNumber(s) !== undefined, s);
		}),
	);
});

test("a FunctionName's qualifier is what follows the name, decoded forms included", () => {
	fc.assert(
		fc.property(
			fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/),
			fc.oneof(
				fc.constant("$LATEST"),
				fc.integer({ min: 1, max: 10_000 }).map(String),
				fc.stringMatching(/^[a-z][a-z0-9_-]{0,20}$/),
			),
			fc.constantFrom(
				"",
				"123456789012:function:",
				"arn:aws:lambda:us-east-1:123456789012:function:",
			),
			(name, qualifier, prefix) => {
				const ref = parseFunctionRef(`${prefix}${name}:${qualifier}`);
				assert.equal(ref?.name, name);
				assert.equal(ref?.qualifier, qualifier);
			},
		),
	);
	for (const bad of ["fn:..", "fn:1/2", "fn:a:b", "fn:", "fn:1.0"])
		assert.equal(parseFunctionRef(bad), undefined, bad);
});

test("routing picks only the alias's two versions; weight 0 and 1 are exact", () => {
	const alias = (weight: number): FunctionAliasRecord => ({
		accountId: "123456789012",
		name: "fn",
		alias: "a",
		functionVersion: "1",
		description: "",
		routing: { version: "2", weight },
		revision: 1,
		policyRevision: 0,
		createdAt: 0,
		updatedAt: 0,
	});
	fc.assert(
		fc.property(fc.double({ min: 0, max: 1, noNaN: true }), (w) => {
			assert.ok(["1", "2"].includes(versionToRun(alias(w))));
		}),
	);
	for (let i = 0; i < 200; i++) {
		assert.equal(versionToRun(alias(0)), "1");
		assert.equal(versionToRun(alias(1)), "2");
	}
	for (const bad of [
		{ version: "1", weight: 0.5 },
		{ version: "x", weight: 0.5 },
		{ version: "2", weight: -0.1 },
		{ version: "2", weight: Number.NaN },
		{ version: "2", weight: 1.01 },
	])
		assert.throws(
			() => checkRouting("1", bad),
			(err: unknown) => isStoreError(err, "STORE_INVALID"),
		);
});
