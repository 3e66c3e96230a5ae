// Docs that cannot drift (issue 10): every link in the README and docs/ leads somewhere, every
// key the stack-file schema knows is documented in docs/stack-file.md and every example there
// validates, and every /sigil/v1 route of the route table is in docs/control-plane.md.
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { test } from "node:test";
import { functionConfigRule } from "../src/config/function-config.ts";
import { check } from "../src/config/schema.ts";
import { parseStackFile } from "../src/config/stack-file.ts";
import { ROUTES } from "../src/gateway/routes.ts";

const ROOT = join(import.meta.dirname, "..", "..", "..");
const docs = readdirSync(join(ROOT, "docs"))
	.filter((f) => f.endsWith(".md"))
	.map((f) => join(ROOT, "docs", f));
const pages = [join(ROOT, "README.md"), ...docs];
const read = (p: string) => readFileSync(p, "utf8");

test("every relative link in the README and docs/ points at a file that exists", () => {
	const broken: string[] = [];
	for (const page of pages) {
		for (const m of read(page).matchAll(/\]\(([^)\s]+)\)/g)) {
			const href = (m[1] as string).split("#")[0] as string;
			if (href === "" || /^[a-z]+:/i.test(href)) continue;
			if (!existsSync(resolve(dirname(page), href)))
				broken.push(`${page.slice(ROOT.length + 1)} → ${href}`);
		}
		// Docs named in backticks as files (`docs/x.md`) must exist too.
		for (const m of read(page).matchAll(/`(docs\/[\w.-]+\.(?:md|yaml))`/g))
			if (!existsSync(join(ROOT, m[1] as string)))
				broken.push(`${page.slice(ROOT.length + 1)} → ${m[1]}`);
	}
	assert.deepEqual(broken, []);
});

/** The keys a schema object knows, as its own "not a known key" answer lists them. */
function knownKeys(value: Record<string, unknown>, at: string): string[] {
	const result = check(functionConfigRule, value);
	assert.equal(result.ok, false);
	const issue = (
		result as { issues: { path: string; message: string }[] }
	).issues.find((i) => i.path === at);
	const m = /\(known: ([^)]*)\)/.exec(issue?.message ?? "");
	assert.ok(m, `the schema names its keys at ${at}`);
	return (m[1] as string).split(", ");
}

test("docs/stack-file.md documents every key the schema accepts", () => {
	const page = read(join(ROOT, "docs", "stack-file.md"));
	const probe = "__undocumented_probe";
	const surfaces: [string, Record<string, unknown>, string][] = [
		["entry", { runtime: "node", [probe]: 1 }, probe],
		[
			"trigger",
			{ runtime: "node", trigger: { auth: "none", [probe]: 1 } },
			`trigger.${probe}`,
		],
		[
			"trigger.cors",
			{ runtime: "node", trigger: { auth: "none", cors: { [probe]: 1 } } },
			`trigger.cors.${probe}`,
		],
		[
			"concurrency",
			{ runtime: "node", concurrency: { [probe]: 1 } },
			`concurrency.${probe}`,
		],
	];
	const missing: string[] = [];
	for (const [surface, value, at] of surfaces)
		for (const key of knownKeys(value, at))
			if (!new RegExp(`\\|\\s*\`${key}\`\\s*\\|`).test(page))
				missing.push(`${surface}.${key}`);
	assert.deepEqual(missing, []);
});

test("every example in docs/stack-file.md is a valid stack file", () => {
	const page = read(join(ROOT, "docs", "stack-file.md"));
	const blocks = [...page.matchAll(/```yaml\n([\s\S]*?)```/g)].map(
		(m) => m[1] as string,
	);
	assert.ok(blocks.length >= 2);
	for (const yaml of blocks) {
		const stack = parseStackFile(yaml, "docs/stack-file.md", ROOT);
		assert.ok(stack.functions.length > 0);
	}
});

test("docs/control-plane.md lists every /sigil/v1 route with its method", () => {
	const page = read(join(ROOT, "docs", "control-plane.md"));
	const rows = new Set(
		[...page.matchAll(/^\|\s*([A-Z]+)\s*\|\s*`([^`?]+)[^`]*`/gm)].map(
			(m) => `${m[1]} ${m[2]}`,
		),
	);
	const missing = ROUTES.filter((r) => r.pattern.startsWith("/sigil/v1"))
		.map((r) => `${r.method} ${r.pattern.replace(/:(\w+)/g, "{$1}")}`)
		.filter((row) => !rows.has(row));
	assert.deepEqual(missing, []);
});
