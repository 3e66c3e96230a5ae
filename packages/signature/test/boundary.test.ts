// The pure parts (signature, policy) import nothing of Sigil, do no I/O and read no clock:
// time is an argument and every cache is an object the caller owns. This test keeps it so.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { test } from "node:test";

const root = join(import.meta.dirname, "..", "..");
const PURE_PACKAGES = ["signature", "policy"];
const ALLOWED_MODULES = new Set(["node:crypto", "node:buffer"]);
const FORBIDDEN_CALLS: Array<[RegExp, string]> = [
	[/\bDate\.now\s*\(/, "reads the clock (Date.now)"],
	[/new Date\(\s*\)/, "reads the clock (new Date())"],
	[/\bperformance\.now\s*\(/, "reads the clock (performance.now)"],
	[/\bprocess\./, "touches the process"],
	[/\bfetch\s*\(/, "does network I/O"],
	[/\bsetTimeout\s*\(|\bsetInterval\s*\(/, "schedules timers"],
	[/\bMath\.random\s*\(/, "uses unseeded randomness"],
];

function sourceFiles(dir: string): string[] {
	return readdirSync(dir, { withFileTypes: true, recursive: true })
		.filter((e) => e.isFile() && e.name.endsWith(".ts"))
		.map((e) => join(e.parentPath, e.name));
}

function importsOf(source: string): string[] {
	const found: string[] = [];
	const pattern =
		/(?:^|[\s;])(?:import|export)\s[^"'`]*?from\s*["']([^"']+)["']|import\s*\(\s*["']([^"']+)["']\s*\)|^\s*import\s*["']([^"']+)["']/gm;
	for (const m of source.matchAll(pattern))
		found.push((m[1] ?? m[2] ?? m[3]) as string);
	return found;
}

for (const pkg of PURE_PACKAGES) {
	test(`${pkg} imports only node:crypto and its own files, and does no I/O`, () => {
		const srcDir = join(root, pkg, "src");
		const files = sourceFiles(srcDir);
		assert.ok(files.length > 0, `no sources found in ${srcDir}`);
		const problems: string[] = [];
		for (const file of files) {
			const source = readFileSync(file, "utf8");
			const code = source.replace(/\/\*[\s\S]*?\*\/|\/\/[^\n]*/g, "");
			for (const spec of importsOf(code)) {
				if (spec.startsWith(".")) {
					const target = join(file, "..", spec);
					if (relative(srcDir, target).startsWith(".."))
						problems.push(
							`${relative(root, file)} reaches outside ${pkg}: ${spec}`,
						);
				} else if (!ALLOWED_MODULES.has(spec)) {
					problems.push(`${relative(root, file)} imports ${spec}`);
				}
			}
			for (const [pattern, what] of FORBIDDEN_CALLS) {
				if (pattern.test(code))
					problems.push(`${relative(root, file)} ${what}`);
			}
		}
		assert.deepEqual(problems, []);
	});
}

test("the boundary check itself catches a forbidden import and a clock read", () => {
	assert.deepEqual(
		importsOf(
			'import { x } from "../../sigil/src/store/index.ts";\nimport "node:fs";',
		),
		["../../sigil/src/store/index.ts", "node:fs"],
	);
	assert.ok(FORBIDDEN_CALLS.some(([p]) => p.test("const t = Date.now();")));
});
