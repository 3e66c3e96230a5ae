// The console is an ordinary HTTP client of the gateway: it imports its UI library, its browser
// signer and its own files, nothing of Sigil's server; and it never hands a string to the DOM as
// HTML, so nothing a function logs or an API answers can become markup.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { test } from "node:test";

const src = join(import.meta.dirname, "..", "src");
const ALLOWED =
	/^(?:preact|preact\/hooks|aws4fetch|\.{1,2}\/[\w./-]+\.(?:ts|tsx|css))$/;
const FORBIDDEN: [RegExp, string][] = [
	[/dangerouslySetInnerHTML/, "renders a string as HTML"],
	[/\.(?:innerHTML|outerHTML)\s*=/, "assigns HTML"],
	[
		/insertAdjacentHTML|document\.write|createContextualFragment/,
		"parses HTML",
	],
	[/\beval\s*\(|new Function\s*\(/, "evaluates code"],
	[/localStorage/, "uses storage that outlives the tab"],
	[/document\.cookie/, "uses cookies"],
];

const files = readdirSync(src, { withFileTypes: true, recursive: true })
	.filter((e) => e.isFile() && /\.tsx?$/.test(e.name))
	.map((e) => join(e.parentPath, e.name));

test("the console imports only preact, aws4fetch and its own files", () => {
	assert.ok(files.length > 10, "the sources were found");
	const pattern =
		/(?:^|\n)\s*(?:import|export)\s[^"'`;]*?from\s*["']([^"']+)["']|(?:^|\n)\s*import\s*["']([^"']+)["']/g;
	for (const file of files) {
		const source = readFileSync(file, "utf8");
		for (const m of source.matchAll(pattern)) {
			const spec = (m[1] ?? m[2]) as string;
			assert.match(spec, ALLOWED, `${relative(src, file)} imports ${spec}`);
			if (spec.startsWith("."))
				assert.ok(
					!relative(src, resolve(dirname(file), spec)).startsWith(".."),
					`${relative(src, file)} reaches outside the console: ${spec}`,
				);
		}
	}
});

test("no source renders HTML from a string, evaluates code, or keeps state beyond the tab", () => {
	for (const file of files) {
		const source = readFileSync(file, "utf8")
			.replace(/^\s*\/\/.*$/gm, "")
			.replace(/\/\*[\s\S]*?\*\//g, "");
		for (const [pattern, what] of FORBIDDEN)
			assert.doesNotMatch(source, pattern, `${relative(src, file)} ${what}`);
	}
});
