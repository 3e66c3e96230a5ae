// Argument parsing in Sigil's own voice: global flags before or after the command, -v, typos
// answered with the nearest valid flag or command, shell completion generated from the command
// table, colour only on a terminal.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { after, before, test } from "node:test";
import { closest, editDistance, parseTokens } from "../src/cli/command.ts";
import { bashScript, zshScript } from "../src/cli/commands/completion.ts";
import type { CliIo } from "../src/cli/io.ts";
import { COMMANDS, main } from "../src/cli/main.ts";
import { run } from "./cli-helpers.ts";
import { BIN, type RealGateway, startGateway } from "./cli-real-gateway.ts";

const USAGE = /^error: .+\n {2}fix: usage: .+\n$/s;
let gw: RealGateway;

before(async () => {
	gw = await startGateway();
});
after(async () => {
	await gw?.stop();
});

test("global flags work before the command as well as after it, against a real gateway", async () => {
	// A second profile pointing nowhere: only the flag, wherever it stands, can make it work.
	const cfg = join(gw.root, "cfg");
	const broken = { SIGIL_URL: undefined, SIGIL_CONFIG_DIR: cfg };
	const before = await gw.cli(["--gateway", gw.url, "--json", "whoami"], {
		env: broken,
	});
	assert.equal(before.code, 0, before.stderr);
	assert.match((JSON.parse(before.stdout) as { Arn: string }).Arn, /:root$/);
	const mixed = await gw.cli(["--json", "whoami", "--gateway", gw.url], {
		env: broken,
	});
	assert.equal(mixed.code, 0, mixed.stderr);
	assert.deepEqual(JSON.parse(mixed.stdout), JSON.parse(before.stdout));
	const equals = await gw.cli([
		`--gateway=${gw.url}`,
		"--profile=default",
		"list",
		"--json",
	]);
	assert.equal(equals.code, 0, equals.stderr);
	assert.deepEqual(JSON.parse(equals.stdout), { functions: [] });
	// The later one wins: before says nowhere, after says the gateway.
	const twice = await gw.cli([
		"--gateway",
		"http://127.0.0.1:1",
		"list",
		"--gateway",
		gw.url,
	]);
	assert.equal(twice.code, 0, twice.stderr);
	// Unreachable before the command is really used (not silently dropped).
	const nowhere = await gw.cli(["--gateway", "http://127.0.0.1:1", "list"]);
	assert.equal(nowhere.code, 1);
	assert.match(
		nowhere.stderr,
		/cannot reach the gateway at http:\/\/127\.0\.0\.1:1/,
	);
});

test("-v, --version and version print the version; -v after invoke is still verbose", async () => {
	for (const argv of [["-v"], ["--version"], ["version"], ["--json", "-v"]]) {
		const r = await run(argv);
		assert.equal(r.code, 0, argv.join(" "));
		assert.match(
			r.stdout,
			argv.includes("--json")
				? /^\{"version":"0\.1\.0"\}\n$/
				: /^sigil 0\.1\.0\n$/,
		);
	}
	await writeFile(
		join(gw.root, "hi.mjs"),
		"export const handler = async () => ({ statusCode: 200, body: 'hi' });\n",
	);
	const deployed = await gw.cli([
		"deploy",
		"--name",
		"hi",
		"--runtime",
		"node",
		"--handler",
		"hi.mjs",
	]);
	assert.equal(deployed.code, 0, deployed.stderr);
	const verbose = await gw.cli(["invoke", "hi", "-v"]);
	assert.equal(verbose.code, 0, verbose.stderr);
	assert.match(
		verbose.stderr,
		/^signing: none \(chosen by the trigger\)\nHTTP 200 OK\n/,
		"the scheme and status line of -v",
	);
	assert.equal(verbose.stdout, "hi");
});

test("typos are answered in Sigil's voice with the closest valid flag or command", async () => {
	const cases: [string[], RegExp][] = [
		[
			["deploy", "--hanlder", "x"],
			/^error: unknown flag --hanlder for sigil deploy; did you mean --handler\?\n/,
		],
		[
			["deploy", "--runtme=node"],
			/^error: unknown flag --runtme for sigil deploy; did you mean --runtime\?\n/,
		],
		[["invoke", "f", "--sing", "hmac"], /did you mean --sign\?/],
		[["list", "--jsno"], /did you mean --json\?/],
		[
			["--gatway", "http://x", "list"],
			/^error: unknown flag --gatway for sigil; did you mean --gateway\?\n/,
		],
		[
			["invoke", "f", "--handler", "x"],
			/unknown flag --handler for sigil invoke \(--handler is a flag of sigil deploy\)/,
		],
		[
			["--handler", "x", "deploy"],
			/--handler is a flag of sigil deploy; a command's own flags go after it/,
		],
		[["deplyo"], /^error: unknown command "deplyo"; did you mean deploy\?\n/],
		[
			["key", "craete"],
			/^error: unknown subcommand key craete; did you mean key create\?\n/,
		],
		[["list", "--zzzzzz"], /^error: unknown flag --zzzzzz for sigil list\n/],
		[["deploy", "--name"], /^error: --name needs a value \(--name NAME\)\n/],
		[["deploy", "--name", "--runtime", "node"], /^error: --name needs a value/],
		[["list", "--json=yes"], /^error: --json takes no value \(got "yes"\)\n/],
		[["invoke", "f", "-x"], /^error: unknown flag -x for sigil invoke\n/],
	];
	for (const [argv, expected] of cases) {
		const r = await run(argv);
		assert.equal(r.code, 2, argv.join(" "));
		assert.match(r.stderr, USAGE, argv.join(" "));
		assert.match(r.stderr, expected, argv.join(" "));
		assert.ok(
			!r.stderr.includes("parseArgs") &&
				!r.stderr.includes("To specify a positional"),
			"not Node's message",
		);
	}
});

test("the parser: values with =, glued short values, grouped booleans, -- ends the flags", () => {
	const invoke = COMMANDS.find((c) => c.name === "invoke");
	assert.ok(invoke);
	const options = {
		...invoke.options,
		json: { type: "boolean", description: "" },
	} as const;
	const scope = { where: "sigil invoke", usage: invoke.usage };
	const p = parseTokens(
		["f", "--data=-v", "-mPUT", "-vH", "A: 1", "--", "--not-a-flag"],
		options,
		scope,
	);
	assert.deepEqual(p.positionals, ["f", "--not-a-flag"]);
	assert.equal(p.values.data, "-v");
	assert.equal(p.values.method, "PUT");
	assert.equal(p.values.verbose, true);
	assert.deepEqual(p.values.header, ["A: 1"]);
	assert.equal(
		parseTokens(["--key", ""], options, scope).values.key,
		"",
		"an empty value is a value (invoke refuses it)",
	);
	assert.equal(editDistance("hanlder", "handler"), 1);
	assert.equal(editDistance("kitten", "sitting"), 3);
	assert.equal(
		closest("hand", ["handler", "header"]),
		"handler",
		"a unique prefix",
	);
	assert.equal(
		closest("xyz", ["handler", "header"]),
		undefined,
		"no wild guess",
	);
});

test("completion bash: generated from the command table, and it completes in a real bash", async () => {
	const script = bashScript(COMMANDS);
	const viaCli = await run(["completion", "bash"]);
	assert.equal(viaCli.code, 0);
	assert.equal(viaCli.stdout, script);
	const home = await mkdtemp(join(tmpdir(), "sigil-completion-"));
	await mkdir(join(home, ".sigil"));
	await writeFile(
		join(home, ".sigil", "credentials"),
		"[default]\nx = 1\n\n[profile ci]\nx = 2\n",
	);
	const file = join(home, "sigil.bash");
	await writeFile(file, script);
	const probe = (words: string[]) => {
		const r = spawnSync(
			"bash",
			[
				"-c",
				`source ${JSON.stringify(file)}; COMP_WORDS=(${words.map((w) => `'${w}'`).join(" ")}); COMP_CWORD=$((\${#COMP_WORDS[@]}-1)); _sigil_complete; printf '%s\\n' "\${COMPREPLY[@]}"`,
			],
			{ encoding: "utf8", env: { HOME: home, PATH: "/usr/bin:/bin" } },
		);
		assert.equal(r.status, 0, r.stderr);
		return r.stdout.split("\n").filter(Boolean);
	};
	assert.deepEqual(probe(["sigil", "de"]), ["deploy", "describe"]);
	assert.deepEqual(probe(["sigil", "key", ""]), [
		"create",
		"list",
		"disable",
		"enable",
		"delete",
	]);
	assert.deepEqual(probe(["sigil", "--profile", "x", "deploy", "--han"]), [
		"--handler",
	]);
	assert.deepEqual(probe(["sigil", "completion", ""]), ["bash", "zsh"]);
	assert.deepEqual(probe(["sigil", "--profile", ""]), ["default", "ci"]);
	assert.deepEqual(probe(["sigil", "--pro"]), ["--profile"]);
	assert.ok(probe(["sigil", "invoke", "f", "--"]).includes("--sign"));
	// Every command and every flag of it is in the script.
	for (const c of COMMANDS) {
		assert.ok(script.includes(`"${c.name}") opts="`), c.name);
		for (const flag of Object.keys(c.options))
			assert.ok(script.includes(`--${flag}`), `${c.name} --${flag}`);
	}
});

test("completion of a function argument asks the gateway (sigil list --names), with the line's global flags", async () => {
	const dir = await mkdtemp(join(tmpdir(), "sigil-completion-fn-"));
	// `sigil` on PATH as the launcher would put it, pointed at this gateway's config.
	await writeFile(
		join(dir, "sigil"),
		`#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} "$@"\n`,
		{ mode: 0o755 },
	);
	const file = join(dir, "sigil.bash");
	await writeFile(file, bashScript(COMMANDS));
	const probe = (words: string[], env: Record<string, string> = {}) => {
		const r = spawnSync(
			"bash",
			[
				"-c",
				`source ${JSON.stringify(file)}; COMP_WORDS=(${words.map((w) => `'${w}'`).join(" ")}); COMP_CWORD=$((\${#COMP_WORDS[@]}-1)); _sigil_complete; printf '%s\\n' "\${COMPREPLY[@]}"`,
			],
			{
				encoding: "utf8",
				env: {
					HOME: gw.root,
					SIGIL_CONFIG_DIR: join(gw.root, "cfg"),
					PATH: `${dir}:/usr/bin:/bin`,
					...env,
				},
			},
		);
		assert.equal(r.status, 0, r.stderr);
		return r.stdout.split("\n").filter(Boolean);
	};
	const names = await gw.cli(["list", "--names"]);
	assert.equal(names.code, 0, names.stderr);
	assert.deepEqual(names.stdout.split("\n").filter(Boolean), ["hi"]);
	assert.deepEqual(probe(["sigil", "invoke", ""]), ["hi"]);
	assert.deepEqual(probe(["sigil", "permission", "list", "h"]), ["hi"]);
	assert.deepEqual(
		probe(["sigil", "invoke", "hi", ""]).includes("hi"),
		false,
		"only the first argument",
	);
	// The global flags on the line reach the look-up: a gateway that is not there lists nothing.
	assert.deepEqual(
		probe(["sigil", "--gateway", "http://127.0.0.1:1", "invoke", ""]),
		[],
	);
	assert.deepEqual(probe(["sigil", `--gateway=${gw.url}`, "describe", ""]), [
		"hi",
	]);
});

test("completion zsh: a compdef function with every command and flag (syntax-checked when zsh exists)", async () => {
	const script = zshScript(COMMANDS);
	assert.equal((await run(["completion", "zsh"])).stdout, script);
	assert.match(script, /^#compdef sigil\n/);
	assert.match(script, /compdef _sigil sigil/);
	for (const c of COMMANDS) {
		assert.ok(script.includes(`('${c.name}') opts=(`), c.name);
		for (const flag of Object.keys(c.options))
			assert.ok(script.includes(`'--${flag}:`), `${c.name} --${flag}`);
	}
	assert.match(script, /'deploy:Deploy functions/);
	if (spawnSync("zsh", ["--version"]).status === 0) {
		const file = join(await mkdtemp(join(tmpdir(), "sigil-zsh-")), "_sigil");
		await writeFile(file, script);
		const r = spawnSync("zsh", ["-n", file], { encoding: "utf8" });
		assert.equal(r.status, 0, r.stderr);
	}
	const bad = await run(["completion", "fish"]);
	assert.equal(bad.code, 2);
	assert.match(bad.stderr, /sigil completes in bash and zsh/);
});

/** The CLI in-process with stdout/stderr claiming to be terminals (or not). */
async function runTty(
	argv: string[],
	env: Record<string, string>,
	tty: boolean,
) {
	let out = "";
	let err = "";
	const io: CliIo = {
		stdout: { write: (c) => (out += String(c)), isTTY: tty },
		stderr: { write: (c) => (err += String(c)), isTTY: tty },
		stdin: Readable.from([]) as CliIo["stdin"],
		env,
		cwd: process.cwd(),
		stopSignal: () => new Promise(() => {}),
	};
	const code = await main(argv, io);
	return { code, out, err };
}

test("colour on a terminal only; NO_COLOR and TERM=dumb turn it off; piped output is plain", async () => {
	const ESC = "\u001b[";
	const tty = await runTty(["deplyo"], {}, true);
	assert.ok(
		tty.err.includes(`${ESC}31merror:${ESC}39m`),
		JSON.stringify(tty.err),
	);
	assert.ok(tty.err.includes(`${ESC}36mfix:${ESC}39m`));
	assert.ok(
		!(await runTty(["deplyo"], { NO_COLOR: "1" }, true)).err.includes(ESC),
	);
	assert.ok(
		!(await runTty(["deplyo"], { TERM: "dumb" }, true)).err.includes(ESC),
	);
	assert.ok(!(await runTty(["deplyo"], {}, false)).err.includes(ESC));
	assert.ok(
		(await runTty(["deplyo"], { FORCE_COLOR: "1" }, false)).err.includes(ESC),
	);
	assert.ok(
		!(
			await runTty(["deplyo"], { FORCE_COLOR: "1", NO_COLOR: "1" }, false)
		).err.includes(ESC),
	);
	assert.ok(
		!(await runTty(["deplyo", "--json"], {}, true)).err.includes(ESC),
		"JSON is never coloured",
	);
	// The real binary, piped: plain.
	const piped = spawnSync(process.execPath, [BIN, "deplyo"], {
		encoding: "utf8",
		env: { PATH: process.env.PATH ?? "" },
	});
	assert.equal(piped.status, 2);
	assert.ok(!piped.stderr.includes(ESC));
	assert.match(piped.stderr, USAGE);
});

test("a real terminal (script(1) gives the CLI a pty): coloured, and NO_COLOR honoured", {
	skip:
		spawnSync("script", ["--version"]).status === 0 ? false : "no script(1)",
}, () => {
	const cmd = `${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} deplyo`;
	const coloured = spawnSync("script", ["-qec", cmd, "/dev/null"], {
		encoding: "utf8",
		env: { PATH: process.env.PATH ?? "", TERM: "xterm" },
	});
	assert.ok(
		coloured.stdout.includes("\u001b[31merror:"),
		JSON.stringify(coloured.stdout),
	);
	const plain = spawnSync("script", ["-qec", cmd, "/dev/null"], {
		encoding: "utf8",
		env: { PATH: process.env.PATH ?? "", TERM: "xterm", NO_COLOR: "1" },
	});
	assert.match(plain.stdout, /error: unknown command/);
	assert.ok(!plain.stdout.includes("\u001b["), JSON.stringify(plain.stdout));
});
