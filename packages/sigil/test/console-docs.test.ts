// docs/console.md is the console's contract with the gateway: it must name every header the
// console's answers carry (the CSP verbatim), every likely-cause code and every error code the
// console's routes answer with.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { CAUSE_CODES } from "../src/console/likely-cause.ts";
import {
	CONSOLE_HEADERS,
	CONTENT_SECURITY_POLICY,
} from "../src/console/security-headers.ts";
import { ERRORS } from "../src/errors.ts";

const doc = readFileSync(
	new URL("../../../docs/console.md", import.meta.url),
	"utf8",
);

test("docs/console.md gives the CSP verbatim and names every console header", () => {
	assert.ok(doc.includes(CONTENT_SECURITY_POLICY), "the CSP as sent");
	const missing = Object.keys(CONSOLE_HEADERS).filter(
		(name) => !doc.toLowerCase().includes(name),
	);
	assert.deepEqual(missing, []);
});

test("docs/console.md lists every likely-cause code", () => {
	assert.deepEqual(
		CAUSE_CODES.filter((c) => !doc.includes(`\`${c}\``)),
		[],
	);
});

test("docs/console.md names every console and debugger error code", () => {
	const codes = Object.keys(ERRORS).filter((c) => /^(CONSOLE_|DEBUG_)/.test(c));
	assert.ok(codes.length >= 6);
	assert.deepEqual(
		codes.filter((c) => !doc.includes(`\`${c}\``) && !doc.includes(`${c}\``)),
		[],
	);
});
