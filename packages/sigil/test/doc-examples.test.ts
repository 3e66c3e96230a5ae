// Doc tests (issue 10): the README's shell examples, and every docs/ block marked
// `<!-- doctest -->`, run as printed — in bash, with `sigil` put on PATH by the README's own
// `npm run install-cli`, against a real gateway started by `sigil up --examples` — so an example
// that stops working fails CI. The one liberty taken: the gateway listens on a free port, and
// `http://127.0.0.1:8080` in the text is replaced by its URL (SIGIL_URL says the same to the CLI).
// A README block that cannot run here says so right above it: `<!-- doctest: skip (reason) -->`.
import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";

const ROOT = join(import.meta.dirname, "..", "..", "..");
const DEFAULT_URL = "http://127.0.0.1:8080";

export interface DocBlock {
	readonly page: string;
	readonly line: number;
	readonly text: string;
	/** Why it does not run, when marked `<!-- doctest: skip (…) -->`. */
	readonly skip?: string;
	/** Marked `<!-- doctest -->` (docs pages run only these). */
	readonly marked: boolean;
}

/** The ```sh / ```bash blocks of a markdown page, with the marker comment right above each. */
export function shellBlocks(page: string, markdown: string): DocBlock[] {
	const lines = markdown.split("\n");
	const blocks: DocBlock[] = [];
	for (let i = 0; i < lines.length; i++) {
		if (!/^```(sh|bash)\s*$/.test(lines[i] as string)) continue;
		const end = lines.findIndex((l, j) => j > i && l.startsWith("```"));
		assert.ok(end > i, `${page}:${i + 1}: unterminated code block`);
		let k = i - 1;
		while (k >= 0 && (lines[k] as string).trim() === "") k--;
		const above = k >= 0 ? (lines[k] as string).trim() : "";
		const skip = /^<!-- doctest: skip \((.+)\) -->$/.exec(above)?.[1];
		blocks.push({
			page,
			line: i + 1,
			text: lines.slice(i + 1, end).join("\n"),
			marked: above === "<!-- doctest -->",
			...(skip !== undefined && { skip }),
		});
		i = end;
	}
	return blocks;
}

/**
 * One bash script running the blocks' commands in order in one shell (so `eval "$(sigil env)"`
 * holds for what follows, as in a terminal); each command announced on stderr first, so a failure
 * names the example that broke.
 */
function script(blocks: readonly DocBlock[], url: string): string {
	const out = ["set -euo pipefail"];
	for (const b of blocks) {
		// Join backslash continuations: one example, one command.
		const commands = b.text.replaceAll("\\\n", " ").split("\n");
		commands.forEach((raw, n) => {
			const command = raw.replaceAll(DEFAULT_URL, url).trim();
			if (command === "" || command.startsWith("#")) return;
			const where = `${b.page}:${b.line + 1 + n}`;
			out.push(`printf '%s\\n' ${shellQuote(`### ${where}: ${command}`)} >&2`);
			out.push(command);
		});
	}
	return `${out.join("\n")}\n`;
}

/** One single-quoted shell word holding `text` as is. */
function shellQuote(text: string): string {
	return `'${text.replaceAll("'", "'\\''")}'`;
}

function readmeBlocks(): DocBlock[] {
	return shellBlocks(
		"README.md",
		readFileSync(join(ROOT, "README.md"), "utf8"),
	);
}

function docsBlocks(): DocBlock[] {
	return readdirSync(join(ROOT, "docs"))
		.filter((f) => f.endsWith(".md"))
		.flatMap((f) =>
			shellBlocks(`docs/${f}`, readFileSync(join(ROOT, "docs", f), "utf8")),
		)
		.filter((b) => b.marked);
}

describe("shell blocks are found with their markers", () => {
	test("a block, a skipped block and a marked one", () => {
		const md = [
			"```sh",
			"echo one",
			"```",
			"<!-- doctest: skip (installs) -->",
			"",
			"```sh",
			"npm install",
			"```",
			"<!-- doctest -->",
			"```bash",
			"echo two \\",
			"  three",
			"```",
			"```yaml",
			"a: 1",
			"```",
		].join("\n");
		const found = shellBlocks("x.md", md);
		assert.deepEqual(
			found.map((b) => [b.line, b.text, b.skip, b.marked]),
			[
				[1, "echo one", undefined, false],
				[6, "npm install", "installs", false],
				[10, "echo two \\\n  three", undefined, true],
			],
		);
	});
});

describe("the README's and docs' examples run as printed", () => {
	let root: string;
	let bin: string;
	let gateway: ChildProcess;
	let url: string;
	let env: Record<string, string>;

	before(async () => {
		root = await mkdtemp(join(tmpdir(), "sigil-doctest-"));
		bin = join(root, "bin");
		await mkdir(bin);
		env = {
			PATH: `${bin}:${process.env.PATH ?? ""}`,
			HOME: root,
			LANG: "C.UTF-8",
		};
		// The README's third line, as a new user runs it (into a folder of our own).
		const install = spawnSync(
			process.execPath,
			[join(ROOT, "packages/sigil/bin/install-cli.ts"), "--dir", bin],
			{ env, encoding: "utf8" },
		);
		assert.equal(install.status, 0, install.stderr);
		gateway = spawn(
			join(bin, "sigil"),
			[
				"up",
				"--examples",
				"--port",
				"0",
				"--data-dir",
				join(root, "data"),
				"--json",
			],
			{ env, cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] },
		);
		url = await new Promise<string>((resolve, reject) => {
			let out = "";
			let err = "";
			const timer = setTimeout(
				() => reject(new Error(`sigil up did not start in 60 s: ${err}`)),
				60_000,
			);
			gateway.stderr?.on("data", (d) => {
				err += d;
			});
			gateway.stdout?.on("data", (d) => {
				out += d;
				const nl = out.indexOf("\n");
				if (nl === -1) return;
				clearTimeout(timer);
				resolve((JSON.parse(out.slice(0, nl)) as { url: string }).url);
			});
			gateway.once("exit", (code) => {
				clearTimeout(timer);
				reject(new Error(`sigil up exited ${code}: ${err}`));
			});
		});
		gateway.removeAllListeners("exit");
		env.SIGIL_URL = url;
	});

	after(async () => {
		if (gateway && gateway.exitCode === null) {
			const exited = new Promise((r) => gateway.once("exit", r));
			gateway.kill("SIGTERM");
			await exited;
		}
		await rm(root, { recursive: true, force: true });
	});

	function runBlocks(blocks: readonly DocBlock[]) {
		const ran = spawnSync("bash", ["-c", script(blocks, url)], {
			env,
			cwd: root,
			encoding: "utf8",
			timeout: 120_000,
		});
		const lastStep = ran.stderr
			.split("\n")
			.filter((l) => l.startsWith("### "))
			.at(-1);
		assert.equal(
			ran.status,
			0,
			`the example that failed: ${lastStep}\n--- stdout ---\n${ran.stdout.slice(-3000)}\n--- stderr ---\n${ran.stderr.slice(-3000)}`,
		);
		return ran;
	}

	test("README.md: every shell block runs (or says why it cannot), in order, in one shell", () => {
		const blocks = readmeBlocks();
		assert.ok(blocks.length >= 3, "the README has its shell examples");
		for (const b of blocks.filter((x) => x.skip))
			assert.ok(
				(b.skip as string).length > 5,
				`${b.page}:${b.line} names its reason`,
			);
		const ran = runBlocks(blocks.filter((b) => !b.skip));
		// What the examples say they show.
		assert.match(
			ran.stdout,
			/Http_Hmac/,
			"the env example shows the HMAC header",
		);
		assert.match(ran.stdout, /"status":\s*"ok"/, "healthz answers ok");
		assert.match(
			ran.stdout,
			/gateway_function_invocation_total|sigil_/,
			"metrics are Prometheus text",
		);
	});

	test("docs/: every block marked <!-- doctest --> runs", () => {
		const blocks = docsBlocks();
		assert.ok(blocks.length >= 1, "some docs blocks are doc tests");
		runBlocks(blocks);
	});
});
