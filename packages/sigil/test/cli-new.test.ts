// `sigil new`: the generated folder, the stack-file entry (comments and other entries kept, no
// clobbering), refusals in the CLI's fixed error shape, --help and --json. In-process, no gateway.
import assert from "node:assert/strict";
import {
	mkdir,
	mkdtemp,
	readdir,
	readFile,
	rm,
	writeFile,
} from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { parse } from "yaml";
import { parseStackFile } from "../src/config/stack-file.ts";
import { run } from "./cli-helpers.ts";

const ERROR_SHAPE = /^error: .+\n {2}fix: .+\n$/s;
let root = "";
let n = 0;
/** A fresh empty folder per test. */
async function folder(): Promise<string> {
	const dir = join(root, `case-${++n}`);
	await mkdir(dir);
	return dir;
}

before(async () => {
	root = await mkdtemp(join(tmpdir(), "sigil-cli-new-"));
});
after(() => rm(root, { recursive: true, force: true }));

describe("sigil new", () => {
	it("python3: handler.py skeleton, sigil.yml created with version 1 and a valid entry", async () => {
		const cwd = await folder();
		const r = await run(
			[
				"new",
				"--lang",
				"python3",
				"hmac-protected",
				"--secret",
				"payload-secret",
			],
			{ cwd },
		);
		assert.equal(r.code, 0, r.stderr);
		assert.match(
			r.stdout,
			/created hmac-protected\/ from the python3 template \(handler\.py\)/,
		);
		assert.match(r.stdout, /created sigil\.yml: functions\.hmac-protected/);
		assert.deepEqual(await readdir(join(cwd, "hmac-protected")), [
			"handler.py",
		]);
		assert.match(
			await readFile(join(cwd, "hmac-protected", "handler.py"), "utf8"),
			/^def handle\(req\):/m,
		);
		const text = await readFile(join(cwd, "sigil.yml"), "utf8");
		assert.deepEqual(parse(text), {
			version: 1,
			functions: {
				"hmac-protected": {
					runtime: "python3",
					handler: "./hmac-protected",
					secrets: ["payload-secret"],
					trigger: { auth: "none" },
				},
			},
		});
		// What `sigil deploy` will read validates, and points at the new folder.
		const stack = parseStackFile(text, "sigil.yml", cwd);
		assert.equal(stack.functions[0]?.handlerDir, join(cwd, "hmac-protected"));
	});

	it("node: a Lambda-style index.mjs; an existing stack file keeps its comments and entries", async () => {
		const cwd = await folder();
		const original = [
			"# team functions",
			"version: 1",
			"gateway: http://127.0.0.1:8080",
			"functions:",
			"  # the old one",
			"  old:",
			"    runtime: process # forked per call",
			"    fprocess: cat",
			"",
		].join("\n");
		await writeFile(join(cwd, "sigil.yml"), original);
		const r = await run(
			["new", "--lang", "node", "hello", "--auth", "aws_iam"],
			{ cwd },
		);
		assert.equal(r.code, 0, r.stderr);
		const text = await readFile(join(cwd, "sigil.yml"), "utf8");
		assert.ok(text.startsWith(original.trimEnd()), text);
		for (const comment of [
			"# team functions",
			"# the old one",
			"# forked per call",
		])
			assert.ok(text.includes(comment), comment);
		const doc = parse(text) as { functions: Record<string, unknown> };
		assert.deepEqual(Object.keys(doc.functions), ["old", "hello"]);
		assert.deepEqual(doc.functions.hello, {
			runtime: "node",
			handler: "./hello",
			trigger: { auth: "aws_iam" },
		});
		const index = await readFile(join(cwd, "hello", "index.mjs"), "utf8");
		assert.match(index, /export const handler = async \(event\)/);
	});

	it("--auth hmac takes --hmac-secret; -f puts the handler path relative to the stack file", async () => {
		const cwd = await folder();
		await mkdir(join(cwd, "stacks"));
		const r = await run(
			[
				"new",
				"--lang",
				"python3",
				"hook",
				"--auth",
				"hmac",
				"--hmac-secret",
				"hook-key",
				"-f",
				"stacks/fns.yml",
				"--json",
			],
			{ cwd },
		);
		assert.equal(r.code, 0, r.stderr);
		const out = JSON.parse(r.stdout) as Record<string, unknown>;
		assert.equal(out.name, "hook");
		assert.equal(out.stackFileCreated, true);
		assert.deepEqual(out.files, ["handler.py"]);
		const doc = parse(
			await readFile(join(cwd, "stacks", "fns.yml"), "utf8"),
		) as {
			functions: Record<string, { handler: string; trigger: unknown }>;
		};
		assert.equal(doc.functions.hook?.handler, "../hook");
		assert.deepEqual(doc.functions.hook?.trigger, {
			auth: "hmac",
			secrets: ["hook-key"],
		});
	});

	it("refuses to clobber an entry or a folder, and writes nothing when it refuses", async () => {
		const cwd = await folder();
		const stack =
			"version: 1\nfunctions:\n  taken:\n    runtime: node\n    handler: ./elsewhere\n";
		await writeFile(join(cwd, "sigil.yml"), stack);
		const dup = await run(["new", "--lang", "node", "taken"], { cwd });
		assert.equal(dup.code, 1);
		assert.match(dup.stderr, ERROR_SHAPE);
		assert.match(dup.stderr, /already declares a function taken/);
		assert.deepEqual(await readdir(cwd), ["sigil.yml"]);
		assert.equal(await readFile(join(cwd, "sigil.yml"), "utf8"), stack);

		await mkdir(join(cwd, "busy"));
		await writeFile(join(cwd, "busy", "keep.txt"), "mine");
		const busy = await run(["new", "--lang", "node", "busy", "--json"], {
			cwd,
		});
		assert.equal(busy.code, 1);
		const err = JSON.parse(busy.stderr) as {
			error: { code: string; fix: string };
		};
		assert.equal(err.error.code, "FOLDER_EXISTS");
		assert.ok(err.error.fix.length > 0);
		assert.deepEqual(await readdir(join(cwd, "busy")), ["keep.txt"]);
		assert.equal(await readFile(join(cwd, "sigil.yml"), "utf8"), stack);
	});

	it("usage errors exit 2: no --lang, unknown lang, bad name, hmac without a secret, bad auth", async () => {
		const cwd = await folder();
		const cases: [string[], RegExp][] = [
			[["new", "fn"], /--lang is required/],
			[
				["new", "fn", "--lang", "go"],
				/no template \(available: python3, node\)/,
			],
			[["new", "Bad_Name", "--lang", "node"], /must be lower-case/],
			[
				["new", "fn", "--lang", "node", "--auth", "hmac"],
				/needs --hmac-secret/,
			],
			[["new", "fn", "--lang", "node", "--auth", "kerberos"], /trigger\.auth/],
			[["new", "--lang", "node"], /missing NAME/],
		];
		for (const [argv, message] of cases) {
			const r = await run(argv, { cwd });
			assert.equal(r.code, 2, `${argv.join(" ")}: ${r.stderr}`);
			assert.match(r.stderr, ERROR_SHAPE);
			assert.match(r.stderr, message);
		}
		assert.deepEqual(await readdir(cwd), []);
	});

	it("a stack file that is not YAML is an error, not overwritten", async () => {
		const cwd = await folder();
		await writeFile(join(cwd, "sigil.yml"), "functions: [unclosed\n");
		const r = await run(["new", "--lang", "node", "fn"], { cwd });
		assert.equal(r.code, 1);
		assert.match(r.stderr, /STACK_FILE_INVALID|is not valid YAML/);
		assert.equal(
			await readFile(join(cwd, "sigil.yml"), "utf8"),
			"functions: [unclosed\n",
		);
	});

	it("--help names the languages and the options", async () => {
		const r = await run(["new", "--help"]);
		assert.equal(r.code, 0);
		assert.match(r.stdout, /^usage: sigil new NAME --lang python3\|node/);
		for (const flag of [
			"--lang",
			"--auth",
			"--hmac-secret",
			"--secret",
			"--file",
			"--json",
		])
			assert.ok(r.stdout.includes(flag), flag);
		const top = await run(["--help"]);
		assert.match(
			top.stdout,
			/\n {2}new\s+Create a function from a language template/,
		);
	});
});
