// End to end: the real `sigil` binary against a real gateway started by `sigil up --port 0`,
// with a temporary data directory and config folder. Every step runs as a user would type it.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, readFile, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";

const BIN = join(import.meta.dirname, "..", "bin", "sigil.ts");
const EXAMPLES = join(import.meta.dirname, "..", "..", "..", "examples");
const ERROR_SHAPE = /error: .+\n {2}fix: .+\n$/s;

interface Ran {
	code: number | null;
	stdout: string;
	stderr: string;
}

let root = "";
let env: Record<string, string> = {};

function cli(
	args: string[],
	options: { input?: string; env?: Record<string, string> } = {},
): Promise<Ran> {
	return new Promise((resolve, reject) => {
		const child = spawn(process.execPath, [BIN, ...args], {
			env: { ...env, ...options.env },
			cwd: root,
			stdio: ["pipe", "pipe", "pipe"],
		});
		let stdout = "";
		let stderr = "";
		child.stdout.on("data", (d) => {
			stdout += d;
		});
		child.stderr.on("data", (d) => {
			stderr += d;
		});
		child.on("error", reject);
		child.on("close", (code) => resolve({ code, stdout, stderr }));
		child.stdin.end(options.input ?? "");
	});
}

/** Starts `sigil up --json` and resolves with its first stdout line, parsed. */
function up(
	dataDir: string,
): Promise<{ child: ChildProcess; info: Record<string, unknown> }> {
	return new Promise((resolve, reject) => {
		const child = spawn(
			process.execPath,
			[BIN, "up", "--port", "0", "--data-dir", dataDir, "--json"],
			{ env, cwd: root, stdio: ["ignore", "pipe", "pipe"] },
		);
		let out = "";
		let err = "";
		const timer = setTimeout(
			() => reject(new Error(`sigil up did not start in 20s: ${err}`)),
			20_000,
		);
		child.stderr.on("data", (d) => {
			err += d;
		});
		child.stdout.on("data", (d) => {
			out += d;
			const nl = out.indexOf("\n");
			if (nl !== -1) {
				clearTimeout(timer);
				resolve({
					child,
					info: JSON.parse(out.slice(0, nl)) as Record<string, unknown>,
				});
			}
		});
		child.on("exit", (code) =>
			reject(new Error(`sigil up exited ${code}: ${err}`)),
		);
	});
}

function stop(child: ChildProcess): Promise<number | null> {
	return new Promise((resolve) => {
		child.removeAllListeners("exit");
		child.on("exit", (code) => resolve(code));
		child.kill("SIGTERM");
	});
}

let gateway: { child: ChildProcess; info: Record<string, unknown> };

before(async () => {
	root = await mkdtemp(join(tmpdir(), "sigil-cli-e2e-"));
	env = {
		PATH: process.env.PATH ?? "",
		HOME: root,
		SIGIL_CONFIG_DIR: join(root, "cfg"),
	};
	gateway = await up(join(root, "data"));
});

after(async () => {
	if (gateway && gateway.child.exitCode === null) await stop(gateway.child);
});

test("the whole journey: up → deploy → signed invokes → keys → secrets → logs", {
	timeout: 120_000,
}, async () => {
	// up: the root key is printed once and saved as profile default, owner-only.
	const info = gateway.info;
	const url = info.url as string;
	const rootKey = info.rootKey as {
		AccessKeyId: string;
		SecretAccessKey: string;
	};
	assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
	assert.match(rootKey.AccessKeyId, /^AKIA/);
	assert.equal(info.profile, "default");
	const credFile = join(root, "cfg", "credentials");
	assert.equal((await stat(credFile)).mode & 0o777, 0o600);
	assert.equal((await stat(join(root, "cfg"))).mode & 0o777, 0o700);
	const credText = await readFile(credFile, "utf8");
	assert.ok(credText.includes(`aws_access_key_id = ${rootKey.AccessKeyId}`));
	assert.ok(credText.includes(`gateway = ${url}`));

	// deploy from the examples' stack file (one function) and from flags (a single-file handler).
	const deployed = await cli([
		"deploy",
		"-f",
		join(EXAMPLES, "sigil.yml"),
		"--filter",
		"whoami",
	]);
	assert.equal(deployed.code, 0, deployed.stderr);
	assert.match(
		deployed.stdout,
		new RegExp(`deployed whoami .*${url}/function/whoami\\s+auth aws_iam`),
	);
	await writeFile(
		join(root, "echo.mjs"),
		"export const handler = async (event) => ({ statusCode: 200, body: 'echo:' + (event.body ?? '') });\n",
	);
	const hookSecret = await cli(["secret", "create", "hook-key"], {
		input: "k3y-value\n",
	});
	assert.equal(hookSecret.code, 0, hookSecret.stderr);
	assert.match(
		hookSecret.stdout,
		/stored secret hook-key \(9 bytes\)/,
		"one trailing newline dropped from stdin",
	);
	const hook = await cli([
		"deploy",
		"--name",
		"hook",
		"--runtime",
		"node",
		"--handler",
		"echo.mjs",
		"--auth",
		"hmac",
		"--hmac-secret",
		"hook-key",
	]);
	assert.equal(hook.code, 0, hook.stderr);

	// list, describe and invoke (independent, so run side by side to keep the test quick):
	// SigV4 (service lambda) with the profile's key, unsigned, and HMAC as faas-cli sends it.
	const [list, described, signed, unsigned, hmac, wrong] = await Promise.all([
		cli(["list", "--json"]),
		cli(["describe", "hook"]),
		cli(["invoke", "whoami", "--auth", "aws_iam", "--data", '{"a":1}']),
		// --auth none: without it invoke signs as the trigger requires (issue 10).
		cli(["invoke", "whoami", "--auth", "none", "--data", "x"]),
		cli(["invoke", "hook", "--sign", "hmac", "--key", "k3y-value"], {
			input: "payload",
		}),
		cli([
			"invoke",
			"hook",
			"--sign",
			"hmac",
			"--key",
			"not-the-key",
			"--data",
			"payload",
		]),
	]);
	const names = (
		JSON.parse(list.stdout) as { functions: { name: string }[] }
	).functions.map((f) => f.name);
	assert.deepEqual(names.sort(), ["hook", "whoami"]);
	assert.match(described.stdout, new RegExp(`URL:\\s+${url}/function/hook`));
	assert.match(described.stdout, /Auth:\s+hmac/);
	assert.equal(signed.code, 0, signed.stderr);
	assert.ok(signed.stdout.includes(rootKey.AccessKeyId), signed.stdout);
	assert.equal(unsigned.code, 1);
	assert.match(unsigned.stderr, ERROR_SHAPE);
	assert.equal(hmac.code, 0, hmac.stderr);
	assert.equal(hmac.stdout, "echo:payload");
	assert.equal(wrong.code, 1);
	assert.match(wrong.stderr, /answered 401/);
	assert.ok(!wrong.stderr.includes("k3y-value"), "the real key never appears");

	// keys: create (AWS shape), list, disable → invoking with it fails.
	const created = await cli(["key", "create", "--json"]);
	assert.equal(created.code, 0, created.stderr);
	const key = (
		JSON.parse(created.stdout) as {
			AccessKey: {
				AccessKeyId: string;
				SecretAccessKey: string;
				Status: string;
				CreateDate: string;
			};
		}
	).AccessKey;
	assert.deepEqual(Object.keys(key).sort(), [
		"AccessKeyId",
		"CreateDate",
		"SecretAccessKey",
		"Status",
	]);
	assert.equal(key.Status, "Active");
	const asNewKey = {
		SIGIL_ACCESS_KEY_ID: key.AccessKeyId,
		SIGIL_SECRET_ACCESS_KEY: key.SecretAccessKey,
	};
	assert.equal(
		(await cli(["invoke", "whoami", "--auth", "aws_iam"], { env: asNewKey }))
			.code,
		0,
	);
	const keys = await cli(["key", "list"]);
	assert.ok(
		keys.stdout.includes(key.AccessKeyId) &&
			!keys.stdout.includes(key.SecretAccessKey),
	);
	assert.equal((await cli(["key", "disable", key.AccessKeyId])).code, 0);
	const refused = await cli(
		["invoke", "whoami", "--auth", "aws_iam", "--json"],
		{ env: asNewKey },
	);
	assert.equal(refused.code, 1);
	const refusedBody = JSON.parse(refused.stderr) as {
		error: { code: string; status: number };
	};
	assert.equal(refusedBody.error.status, 403);
	assert.ok(!refused.stderr.includes(key.SecretAccessKey));
	const apiRefused = await cli(["list"], { env: asNewKey });
	assert.equal(apiRefused.code, 1);
	assert.match(apiRefused.stderr, /disabled/);
	assert.equal((await cli(["key", "enable", key.AccessKeyId])).code, 0);
	assert.equal((await cli(["key", "delete", key.AccessKeyId])).code, 0);

	// secrets: create from a literal, list (names only), remove.
	assert.equal(
		(await cli(["secret", "create", "temp", "--from-literal", "v"])).code,
		0,
	);
	const secrets = await cli(["secret", "list", "--json"]);
	assert.deepEqual(
		(JSON.parse(secrets.stdout) as { secrets: { name: string }[] }).secrets
			.map((s) => s.name)
			.sort(),
		["hook-key", "temp"],
	);
	assert.ok(!secrets.stdout.includes("k3y-value"));
	assert.equal((await cli(["secret", "remove", "temp"])).code, 0);
	assert.ok(!(await cli(["secret", "list"])).stdout.includes("temp"));

	// logs: the key owner sees the decisions, with the mismatch diagnosis.
	const [hookLogs, whoamiLogs] = await Promise.all([
		cli(["logs", "hook"]),
		cli(["logs", "whoami", "--json"]),
	]);
	assert.equal(hookLogs.code, 0, hookLogs.stderr);
	assert.match(hookLogs.stdout, /SIGNATURE_MISMATCH/);
	assert.match(hookLogs.stdout, /likely cause: /);
	const outcomes = whoamiLogs.stdout
		.trim()
		.split("\n")
		.map((l) => (JSON.parse(l) as { outcome: string }).outcome);
	assert.ok(outcomes.includes("ACCESS_KEY_DISABLED"), outcomes.join(","));

	// remove, then the function is gone.
	assert.equal((await cli(["remove", "hook"])).code, 0);
	const gone = await cli(["describe", "hook"]);
	assert.equal(gone.code, 1);
	assert.match(gone.stderr, /FUNCTION_NOT_FOUND|does not exist/);
});

test("a second fresh gateway never overwrites profile default; SIGTERM stops up with exit 0", {
	timeout: 60_000,
}, async () => {
	const before = await readFile(join(root, "cfg", "credentials"), "utf8");
	const second = await up(join(root, "data2"));
	try {
		const port = new URL(second.info.url as string).port;
		assert.equal(second.info.profile, `sigil-${port}`);
		const after = await readFile(join(root, "cfg", "credentials"), "utf8");
		assert.ok(
			after.startsWith(before),
			"the existing profiles are kept byte for byte",
		);
		const whoami = await cli(["list", "--profile", `sigil-${port}`, "--json"]);
		assert.equal(whoami.code, 0, whoami.stderr);
	} finally {
		assert.equal(await stop(second.child), 0);
	}
});
