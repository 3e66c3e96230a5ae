// docs/errors.md lists every code the registries hold; regenerate it when adding one.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { renderErrorsDoc, storeCodes } from "../../../scripts/errors-doc.ts";
import { CLI_ERRORS } from "../src/cli/cli-codes.ts";
import { ERRORS } from "../src/errors.ts";

test("docs/errors.md is generated from the registries and up to date", () => {
	const onDisk = readFileSync(
		join(import.meta.dirname, "..", "..", "..", "docs", "errors.md"),
		"utf8",
	);
	assert.equal(
		onDisk,
		renderErrorsDoc(),
		"run: node scripts/errors-doc.ts > docs/errors.md",
	);
});

test("the store's code list is read from its source (none silently dropped)", () => {
	const codes = storeCodes().map((c) => c.code);
	assert.ok(
		codes.includes("STORE_NOT_FOUND") &&
			codes.includes("STORE_MASTER_KEY_MISMATCH"),
		codes.join(","),
	);
	const source = readFileSync(
		join(import.meta.dirname, "..", "src", "store", "errors.ts"),
		"utf8",
	);
	const union =
		source.slice(source.indexOf("export type StoreErrorCode")).split(";")[0] ??
		"";
	const declared = [...union.matchAll(/"([A-Z_]+)"/g)].map((m) => m[1]);
	assert.deepEqual(codes, declared);
});

test("packages/policy/README.md documents every validation and decision code the engine emits", () => {
	const policy = join(import.meta.dirname, "..", "..", "policy");
	const readme = readFileSync(join(policy, "README.md"), "utf8");
	const sources = readdirSync(join(policy, "src"))
		.filter((f) => f.endsWith(".ts"))
		.map((f) => readFileSync(join(policy, "src", f), "utf8"))
		.join("\n");
	const emitted = new Set(
		[...sources.matchAll(/code: "([A-Z_]+)"/g)].map((m) => m[1] as string),
	);
	const types = readFileSync(join(policy, "src", "types.ts"), "utf8");
	const reasons =
		types.slice(types.indexOf("export type DecisionReason")).split(";")[0] ??
		"";
	for (const m of reasons.matchAll(/"([A-Z_]+)"/g)) emitted.add(m[1] as string);
	assert.ok(emitted.size > 20, `found only ${emitted.size} codes`);
	const undocumented = [...emitted].filter((code) => !readme.includes(code));
	assert.deepEqual(undocumented, []);
});

test("every code the CLI raises itself is in the CLI's registry or the gateway's (so in docs/errors.md)", () => {
	const cliDir = join(import.meta.dirname, "..", "src", "cli");
	const files = readdirSync(cliDir, { recursive: true, encoding: "utf8" })
		.filter((f) => f.endsWith(".ts"))
		.map((f) => readFileSync(join(cliDir, f), "utf8"));
	// `new CliError("CODE", …` on one line or with the code on the next; `FILE_${e.code}` too.
	const raised = new Set<string>();
	for (const source of files) {
		for (const m of source.matchAll(/new CliError\(\s*"([A-Z][A-Z0-9_]+)"/g))
			raised.add(m[1] as string);
		for (const m of source.matchAll(/`FILE_\$\{[^}]+\}`/g))
			if (m) for (const c of ["FILE_ENOENT", "FILE_EACCES"]) raised.add(c);
	}
	assert.ok(
		raised.size >= 25,
		`found only ${raised.size} codes: the scan is broken`,
	);
	const known = new Set([...Object.keys(CLI_ERRORS), ...Object.keys(ERRORS)]);
	assert.deepEqual(
		[...raised].filter((c) => !known.has(c)).sort(),
		[],
		"add them to packages/sigil/src/cli/cli-codes.ts, then node scripts/errors-doc.ts > docs/errors.md",
	);
	const docs = renderErrorsDoc();
	for (const code of raised) assert.ok(docs.includes(`\`${code}\``), code);
});
