// The command surface: --help for every command, usage errors (exit 2) and the fixed error shape.
import assert from "node:assert/strict";
import { test } from "node:test";
import { parseCommandArgs } from "../src/cli/command.ts";
import { COMMANDS, findCommand } from "../src/cli/main.ts";
import { run } from "./cli-helpers.ts";

const ERROR_SHAPE = /^error: .+\n {2}fix: .+\n$/s;

test("every command answers --help with exit 0 and a usage line naming it", async () => {
	assert.ok(
		COMMANDS.length >= 15,
		`only ${COMMANDS.length} commands registered`,
	);
	for (const spec of COMMANDS) {
		for (const flag of ["--help", "-h"]) {
			const r = await run([...spec.name.split(" "), flag]);
			assert.equal(
				r.code,
				0,
				`sigil ${spec.name} ${flag} exited ${r.code}: ${r.stderr}`,
			);
			assert.match(
				r.stdout,
				new RegExp(`^usage: sigil ${spec.name}\\b`),
				`sigil ${spec.name} ${flag}`,
			);
			assert.match(r.stdout, /--json/, "global options listed");
			assert.equal(r.stderr, "");
		}
	}
});

test("the command list covers the issue's commands", () => {
	const names = COMMANDS.map((c) => c.name);
	for (const n of [
		"up",
		"deploy",
		"list",
		"describe",
		"remove",
		"invoke",
		"key create",
		"key list",
		"key disable",
		"key enable",
		"key delete",
		"secret create",
		"secret list",
		"secret remove",
		"logs",
	])
		assert.ok(names.includes(n), `missing ${n}`);
});

test("sigil --help lists every command; bare sigil prints it to stderr with exit 2", async () => {
	const help = await run(["--help"]);
	assert.equal(help.code, 0);
	for (const spec of COMMANDS)
		assert.ok(help.stdout.includes(spec.name), spec.name);
	const bare = await run([]);
	assert.equal(bare.code, 2);
	assert.match(bare.stderr, /^usage: sigil <command>/);
	const helpTopic = await run(["help", "key", "create"]);
	assert.match(helpTopic.stdout, /^usage: sigil key create/);
	const group = await run(["key", "--help"]);
	assert.equal(group.code, 0);
	assert.match(group.stdout, /key create/);
});

test("unknown commands, subcommands and flags are usage errors: exit 2 in the fixed shape", async () => {
	for (const argv of [
		["frobnicate"],
		["key"],
		["key", "rotate"],
		["list", "--bogus"],
		["describe"],
		["remove", "a", "b"],
		["invoke", "f", "--sign", "Hmac"],
	]) {
		const r = await run(argv);
		assert.equal(r.code, 2, `${argv.join(" ")}: ${r.stderr}`);
		assert.match(r.stderr, ERROR_SHAPE, argv.join(" "));
		assert.equal(r.stdout, "");
	}
});

test("--json turns errors into {error: {code, message, fix}} on stderr", async () => {
	const r = await run(["describe", "--json"]);
	assert.equal(r.code, 2);
	const body = JSON.parse(r.stderr) as {
		error: { code: string; message: string; fix: string };
	};
	assert.equal(body.error.code, "USAGE");
	assert.match(body.error.message, /missing NAME/);
	assert.match(body.error.fix, /usage: sigil describe/);
});

test("an unreachable gateway is exit 1 with a fix that says how to start one", async () => {
	const r = await run(["list", "--gateway", "http://127.0.0.1:1"], {
		env: {
			SIGIL_ACCESS_KEY_ID: "AKIAEXAMPLE",
			SIGIL_SECRET_ACCESS_KEY: "x".repeat(40),
			SIGIL_CONFIG_DIR: "/nonexistent-sigil",
		},
	});
	// Before the signing SDK lands this fails as SDK_MISSING (also exit 1, same shape).
	assert.equal(r.code, 1);
	assert.match(r.stderr, ERROR_SHAPE);
	assert.match(
		r.stderr,
		/GATEWAY_UNREACHABLE|cannot reach the gateway|signature/i,
	);
	assert.ok(
		!r.stderr.includes("x".repeat(40)),
		"the secret never appears in an error",
	);
});

test("findCommand prefers two-word commands and leaves the rest as arguments", () => {
	assert.equal(
		findCommand(["key", "create", "--json"])?.spec.name,
		"key create",
	);
	assert.deepEqual(findCommand(["key", "create", "--json"])?.rest, ["--json"]);
	assert.equal(findCommand(["invoke", "key"])?.spec.name, "invoke");
	assert.equal(findCommand(["nope"]), undefined);
});

test("repeatable options collect every value; short flags work", () => {
	const spec = COMMANDS.find((c) => c.name === "invoke");
	assert.ok(spec);
	const { values, positionals } = parseCommandArgs(spec, [
		"fn",
		"-H",
		"A: 1",
		"-H",
		"B: 2",
		"--query",
		"x=1",
		"-m",
		"PUT",
		"-v",
	]);
	assert.deepEqual(positionals, ["fn"]);
	assert.deepEqual(values.header, ["A: 1", "B: 2"]);
	assert.deepEqual(values.query, ["x=1"]);
	assert.equal(values.method, "PUT");
	assert.equal(values.verbose, true);
});

test("sigil --version prints the version", async () => {
	const r = await run(["--version"]);
	assert.equal(r.code, 0);
	assert.match(r.stdout, /^sigil \d+\.\d+\.\d+\n$/);
});

test("docs/cli.md documents every command", async () => {
	const { readFile } = await import("node:fs/promises");
	const docs = await readFile(
		new URL("../../../docs/cli.md", import.meta.url),
		"utf8",
	);
	for (const spec of COMMANDS)
		assert.ok(
			docs.includes(`\`${spec.name}`),
			`docs/cli.md does not mention \`${spec.name}\``,
		);
});

test("thrown errors become CliErrors: gateway codes kept, port problems explained, the rest INTERNAL", async () => {
	const { toCliError, formatError } = await import("../src/cli/cli-error.ts");
	const store = Object.assign(new Error("x.db is not an SQLite database"), {
		code: "STORE_FOREIGN",
	});
	assert.deepEqual(
		[toCliError(store).code, toCliError(store).exitCode],
		["STORE_FOREIGN", 1],
	);
	assert.equal(
		toCliError(
			Object.assign(new Error("listen EADDRINUSE"), { code: "EADDRINUSE" }),
		).code,
		"PORT_UNAVAILABLE",
	);
	const bug = toCliError(new TypeError("x is undefined"));
	assert.equal(bug.code, "INTERNAL");
	assert.match(formatError(bug, false), ERROR_SHAPE);
});

test("up prints ready-to-paste calls: sigil invoke for each, curl --aws-sigv4 for aws_iam", async () => {
	const { howToCall } = await import("../src/cli/commands/up.ts");
	const iam = howToCall(
		{ name: "whoami", auth: "aws_iam", path: "/function/whoami" },
		"http://127.0.0.1:8080",
		"eu-west-1",
		" --profile sigil-8080",
	);
	assert.match(
		iam[0] ?? "",
		/^sigil invoke whoami --auth aws_iam --profile sigil-8080 /,
	);
	assert.match(
		iam[1] ?? "",
		/^curl --aws-sigv4 "aws:amz:eu-west-1:lambda" --user .* http:\/\/127\.0\.0\.1:8080\/function\/whoami$/,
	);
	const hmac = howToCall(
		{
			name: "h",
			auth: "hmac",
			path: "/function/h",
			triggerSecrets: ["k"],
			createdSecrets: { k: "v4lue" },
		},
		"http://x",
		"us-east-1",
		"",
	);
	assert.equal(
		hmac[0],
		"sigil invoke h --sign Hmac --key 'v4lue' --data 'ping'",
	);
	const later = howToCall(
		{ name: "h", auth: "hmac", path: "/function/h", triggerSecrets: ["k"] },
		"http://x",
		"us-east-1",
		"",
	);
	// Runs as printed on a later start: the owner's `sigil secret get` reads the key back.
	assert.equal(
		later[0],
		`sigil invoke h --sign Hmac --key "$(sigil secret get k)" --data 'ping'`,
	);
});
