// canonicalHeaders against the rule as written: each signed header's values trimmed and
// collapsed (canonicalHeaderValue), joined with ',' in wire order; width 2 when any value holds
// a character past U+00FF, else 1 when any holds one past U+007F, else 0.
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { canonicalHeaders, canonicalHeaderValue } from "../src/index.ts";

const value = fc
	.array(fc.constantFrom("a", " ", "  ", "\t", "\r\n", "é", "ሴ", "~", "x"), {
		maxLength: 8,
	})
	.map((parts) => parts.join(""));
const name = fc.constantFrom("host", "Host", "x-a", "X-A", "other");

test("canonical headers text and width equal the rule as written", () => {
	fc.assert(
		fc.property(fc.array(fc.tuple(name, value), { maxLength: 6 }), (pairs) => {
			const signed = ["host", "x-a"];
			const raw = pairs.flat();
			let width = 0;
			let text = "";
			for (const s of signed) {
				const values = pairs
					.filter(([n]) => n.toLowerCase() === s)
					.map(([, v]) => canonicalHeaderValue(v));
				for (const v of values)
					for (const ch of v) {
						const c = ch.codePointAt(0) as number;
						width = Math.max(width, c > 0xff ? 2 : c > 0x7f ? 1 : 0);
					}
				text += `${s}:${values.join(",")}\n`;
			}
			assert.deepEqual(canonicalHeaders(raw, signed), { text, width });
		}),
		{ numRuns: 300 },
	);
});
