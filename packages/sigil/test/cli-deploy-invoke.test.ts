// Deploys and invokes that cannot be silent mistakes, through the real CLI against a real
// gateway: refused deploys keep the live revision, unchanged code is reported as unchanged,
// `invoke` signs as the trigger requires (webhooks too), an empty key is refused, and the
// hints point at the real problem (a permission, a secret in use).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { type RealGateway, startGateway } from "./cli-real-gateway.ts";

let gw: RealGateway;
const ERROR_SHAPE = /^error: .+\n {2}fix: .+\n$/s;

const ECHO =
	"export const handler = async (event) => ({ statusCode: 200, body: 'echo:' + (event.body ?? '') });\n";

interface Fn {
	revision: number;
	codeSha256: string;
}

async function describe(name: string): Promise<Fn> {
	const r = await gw.cli(["describe", name, "--json"]);
	assert.equal(r.code, 0, r.stderr);
	const parsed = JSON.parse(r.stdout) as { function?: Fn } & Fn;
	return parsed.function ?? parsed;
}

async function deploy(args: string[]) {
	return gw.cli(["deploy", ...args]);
}

before(async () => {
	gw = await startGateway();
	await writeFile(join(gw.root, "echo.mjs"), ECHO);
});
after(async () => {
	await gw?.stop();
});

test("unchanged code is reported as unchanged; a config change alone keeps the code", async () => {
	const first = await deploy([
		"--name",
		"echo",
		"--runtime",
		"node",
		"--handler",
		"echo.mjs",
	]);
	assert.equal(first.code, 0, first.stderr);
	assert.match(first.stdout, /^deployed echo \(revision 1\): http/);
	const live = await describe("echo");

	const again = await deploy([
		"--name",
		"echo",
		"--runtime",
		"node",
		"--handler",
		"echo.mjs",
	]);
	assert.equal(again.code, 0, again.stderr);
	assert.match(
		again.stdout,
		/^unchanged echo \(revision 1, same code and config as live\): http/,
	);
	assert.equal((await describe("echo")).revision, 1, "no new revision");
	const json = await gw.cli([
		"deploy",
		"--name",
		"echo",
		"--runtime",
		"node",
		"--handler",
		"echo.mjs",
		"--json",
	]);
	assert.equal(
		(JSON.parse(json.stdout) as { functions: { unchanged?: boolean }[] })
			.functions[0]?.unchanged,
		true,
	);

	const config = await deploy([
		"--name",
		"echo",
		"--runtime",
		"node",
		"--handler",
		"echo.mjs",
		"--env",
		"MODE=x",
	]);
	assert.equal(config.code, 0, config.stderr);
	assert.match(
		config.stdout,
		/^deployed echo \(revision 2, config only: code unchanged\)/,
	);
	const after = await describe("echo");
	assert.equal(after.revision, 2);
	assert.equal(after.codeSha256, live.codeSha256);

	await writeFile(join(gw.root, "echo2.mjs"), ECHO.replace("echo:", "echo2:"));
	const changed = await deploy([
		"--name",
		"echo",
		"--runtime",
		"node",
		"--handler",
		"echo2.mjs",
		"--entry",
		"echo2.handler",
		"--env",
		"MODE=x",
	]);
	assert.equal(changed.code, 0, changed.stderr);
	assert.match(changed.stdout, /^deployed echo \(revision 3\)/);
	assert.notEqual((await describe("echo")).codeSha256, live.codeSha256);
	// Back to the first code for the refusals below.
	assert.equal(
		(
			await deploy([
				"--name",
				"echo",
				"--runtime",
				"node",
				"--handler",
				"echo.mjs",
			])
		).code,
		0,
	);
});

test("refused deploys: no handler, empty bundle, missing entry, syntax error — the live revision keeps answering", async () => {
	const live = await describe("echo");
	const dir = gw.root;
	await mkdir(join(dir, "empty"), { recursive: true });
	await writeFile(join(dir, "zero.mjs"), "");
	await mkdir(join(dir, "noindex"), { recursive: true });
	await writeFile(join(dir, "noindex", "main.mjs"), ECHO);
	await writeFile(
		join(dir, "broken.mjs"),
		"export const handler = async () => { return 1 +; };\n",
	);
	const refusals: [string[], number, RegExp][] = [
		[
			["--runtime", "node"],
			2,
			/^error: function echo has runtime node but no handler: deploying it would replace its code with nothing\n {2}fix: pass --handler/,
		],
		[
			["--runtime", "node", "--handler", "empty"],
			1,
			/^error: handler .*empty of function echo is empty \(no files\)/,
		],
		[
			["--runtime", "node", "--handler", "zero.mjs"],
			1,
			/is empty \(only empty files\)/,
		],
		[
			["--runtime", "node", "--handler", "noindex"],
			2,
			/^error: entry index\.handler of function echo: the bundle holds none of index\.mjs, index\.js/,
		],
		[
			["--runtime", "node", "--handler", "broken.mjs"],
			1,
			/^error: broken\.mjs of function echo does not parse:\n.*broken\.mjs:1\n.*return 1 \+;.*\n.*\^\n.*SyntaxError: Unexpected token ';'\n {2}fix: fix the syntax error; nothing was deployed, the live revision keeps running\n$/s,
		],
	];
	for (const [args, code, expected] of refusals) {
		const r = await deploy(["--name", "echo", ...args]);
		assert.equal(r.code, code, `${args.join(" ")}: ${r.stderr}`);
		assert.match(r.stderr, ERROR_SHAPE);
		assert.match(r.stderr, expected, args.join(" "));
		assert.equal(r.stdout, "");
	}
	const still = await describe("echo");
	assert.deepEqual(
		[still.revision, still.codeSha256],
		[live.revision, live.codeSha256],
	);
	const answer = await gw.cli(["invoke", "echo", "--data", "ok"]);
	assert.equal(answer.code, 0, answer.stderr);
	assert.equal(answer.stdout, "echo:ok");

	// The same refusal from a stack file, not only from flags.
	await writeFile(
		join(dir, "sigil.yml"),
		"version: 1\nfunctions:\n  echo:\n    runtime: node\n",
	);
	const stack = await gw.cli(["deploy", "-f", "sigil.yml"]);
	assert.equal(stack.code, 2, stack.stderr);
	assert.match(stack.stderr, /runtime node but no handler/);
	assert.equal((await describe("echo")).revision, live.revision);
});

test("python3: a handler that does not compile, or no handler.py, is refused", {
	skip: spawnSync("python3", ["--version"]).status === 0 ? false : "no python3",
}, async () => {
	await mkdir(join(gw.root, "py-bad"), { recursive: true });
	await writeFile(
		join(gw.root, "py-bad", "handler.py"),
		"def handle(req:\n    return req\n",
	);
	const bad = await deploy([
		"--name",
		"py",
		"--runtime",
		"python3",
		"--handler",
		"py-bad",
	]);
	assert.equal(bad.code, 1, bad.stderr);
	assert.match(
		bad.stderr,
		/^error: handler\.py of function py does not parse:\n.*SyntaxError/s,
	);
	await mkdir(join(gw.root, "py-none"), { recursive: true });
	await writeFile(join(gw.root, "py-none", "main.py"), "x = 1\n");
	const none = await deploy([
		"--name",
		"py",
		"--runtime",
		"python3",
		"--handler",
		"py-none",
	]);
	assert.equal(none.code, 2);
	assert.match(none.stderr, /the bundle has no handler\.py/);
	assert.equal(
		(await gw.cli(["describe", "py"])).code,
		1,
		"nothing was deployed",
	);
});

test("a process function without a handler keeps its live code; unchanged when redeployed", async () => {
	const first = await deploy([
		"--name",
		"cat",
		"--runtime",
		"process",
		"--fprocess",
		"cat",
	]);
	assert.equal(first.code, 0, first.stderr);
	const again = await deploy([
		"--name",
		"cat",
		"--runtime",
		"process",
		"--fprocess",
		"cat",
	]);
	assert.match(again.stdout, /^unchanged cat \(revision 1/);
	const answer = await gw.cli(["invoke", "cat", "--data", "meow"]);
	assert.equal(answer.stdout, "meow");
});

test("invoke signs as the trigger requires: aws_iam, acs3, hmac (its own header), webhook — asked from the gateway", async () => {
	await gw.cli(["secret", "create", "hook-key", "--from-literal", "k3y"]);
	await gw.cli([
		"secret",
		"create",
		"wh-key",
		"--from-literal",
		"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
	]);
	for (const args of [
		["--name", "iam", "--auth", "aws_iam"],
		["--name", "fc", "--auth", "acs3"],
		[
			"--name",
			"hook",
			"--auth",
			"hmac",
			"--hmac-secret",
			"hook-key",
			"--hmac-header",
			"X-Sig",
			"--algorithm",
			"sha512",
		],
		["--name", "wh", "--auth", "webhook", "--hmac-secret", "wh-key"],
	]) {
		const r = await deploy([
			...args,
			"--runtime",
			"node",
			"--handler",
			"echo.mjs",
		]);
		assert.equal(r.code, 0, r.stderr);
	}
	const [iam, fc, hook, wh, whExplicit] = await Promise.all([
		gw.cli(["invoke", "iam", "--data", "a", "-v"]),
		gw.cli(["invoke", "fc", "--data", "b", "-v"]),
		gw.cli(["invoke", "hook", "--key", "k3y", "--data", "c", "-v"]),
		gw.cli([
			"invoke",
			"wh",
			"--key",
			"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
			"--data",
			"d",
			"-v",
		]),
		gw.cli([
			"invoke",
			"wh",
			"--sign",
			"webhook",
			"--key",
			"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
			"--data",
			"e",
		]),
	]);
	assert.equal(iam.code, 0, iam.stderr);
	assert.equal(iam.stdout, "echo:a");
	assert.match(
		iam.stderr,
		/^signing: aws_iam \(SigV4, service lambda\) \(chosen by the trigger\)\n/,
	);
	assert.equal(fc.code, 0, fc.stderr);
	assert.match(fc.stderr, /^signing: acs3 \(chosen by the trigger\)\n/);
	assert.equal(hook.code, 0, hook.stderr);
	assert.equal(hook.stdout, "echo:c");
	assert.match(
		hook.stderr,
		/^signing: hmac \(X-Sig: sha512=…\) \(chosen by the trigger\)\n/,
	);
	assert.equal(wh.code, 0, wh.stderr);
	assert.equal(wh.stdout, "echo:d");
	assert.match(wh.stderr, /^signing: webhook \(Standard Webhooks\)/);
	assert.equal(whExplicit.code, 0, whExplicit.stderr);
	assert.equal(whExplicit.stdout, "echo:e");

	const wrong = await gw.cli([
		"invoke",
		"wh",
		"--key",
		"whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		"--data",
		"x",
	]);
	assert.equal(wrong.code, 1);
	assert.match(wrong.stderr, /answered 401/);
	const noKey = await gw.cli(["invoke", "hook", "--data", "x", "-v"]);
	assert.equal(noKey.code, 1);
	assert.match(
		noKey.stderr,
		/^signing: none \(chosen by the trigger, unsigned: no --key given\)\n/,
	);
	assert.match(
		noKey.stderr,
		/error: hook answered 401 Unauthorized \(MISSING_SIGNATURE\)\n {2}fix: the trigger of hook checks an HMAC of the body in header X-Sig: pass --key SECRET, the value of its secret \(`sigil describe hook` shows the secret's name\)\n$/,
	);
	for (const args of [
		["--key", ""],
		["--sign", "hmac", "--key", ""],
		["--sign", "", "--key", "x"],
	]) {
		const empty = await gw.cli(["invoke", "hook", ...args, "--data", "x"]);
		assert.equal(empty.code, 2, args.join(" "));
		assert.match(empty.stderr, /^error: --(key|sign) is empty/);
	}
	// The look-up goes through the list route: `sigil logs iam` gains one record per invoke.
	const count = async () =>
		(await gw.cli(["logs", "iam", "--json", "--limit", "1000"])).stdout
			.trim()
			.split("\n")
			.filter(Boolean).length;
	const before = await count();
	assert.equal((await gw.cli(["invoke", "iam", "--data", "once"])).code, 0);
	assert.equal(await count(), before + 1);
	const unused = await gw.cli(["invoke", "iam", "--key", "k3y", "--data", "x"]);
	assert.equal(unused.code, 2);
	assert.match(
		unused.stderr,
		/^error: --key was given, but the trigger of iam is aws_iam \(signed with your access key\): no shared key is used\n/,
	);
	const none = await gw.cli(["invoke", "nope"]);
	assert.equal(none.code, 1);
	assert.match(
		none.stderr,
		/^error: function 'nope' does not exist on http:\/\/127\.0\.0\.1:\d+\n {2}fix: No function of that name/,
	);
});

test("without an access key: --sign still works (no lookup), a public trigger is called unsigned, --key alone asks for --sign", async () => {
	const anonymous = {
		SIGIL_CONFIG_DIR: join(gw.root, "nobody"),
		SIGIL_URL: gw.url,
	};
	const signed = await gw.cli(
		[
			"invoke",
			"hook",
			"--sign",
			"X-Sig",
			"--algorithm",
			"sha512",
			"--key",
			"k3y",
			"--data",
			"z",
		],
		{ env: anonymous },
	);
	assert.equal(signed.code, 0, signed.stderr);
	assert.equal(signed.stdout, "echo:z");
	const publicFn = await gw.cli(["invoke", "echo", "--data", "p", "-v"], {
		env: anonymous,
	});
	assert.equal(publicFn.code, 0, publicFn.stderr);
	assert.match(
		publicFn.stderr,
		/^signing: none \(chosen by default, since the trigger could not be read \(CREDENTIALS_MISSING\)\)\n/,
	);
	const keyOnly = await gw.cli(["invoke", "hook", "--key", "k3y"], {
		env: anonymous,
	});
	assert.equal(keyOnly.code, 2);
	assert.match(
		keyOnly.stderr,
		/--key alone does not say which scheme\n {2}fix: pass --sign HEADER/,
	);
});

test("a denial by policy is hinted as a permission problem, not a signature problem", async () => {
	const made = await gw.cli(["user", "create", "nopriv", "--key", "--json"]);
	assert.equal(made.code, 0, made.stderr);
	const key = (
		JSON.parse(made.stdout) as {
			AccessKey: { AccessKeyId: string; SecretAccessKey: string };
		}
	).AccessKey;
	const asUser = {
		SIGIL_ACCESS_KEY_ID: key.AccessKeyId,
		SIGIL_SECRET_ACCESS_KEY: key.SecretAccessKey,
	};
	const invoked = await gw.cli(["invoke", "iam", "--data", "x"], {
		env: asUser,
	});
	assert.equal(invoked.code, 1);
	assert.match(
		invoked.stderr,
		/answered 403 Forbidden \(AccessDeniedException\)\n {2}fix: the signature is valid, but no policy lets this identity invoke iam: `sigil whoami`/,
	);
	assert.ok(!/refused the signature/.test(invoked.stderr));
	const listed = await gw.cli(["list"], { env: asUser });
	assert.equal(listed.code, 1);
	assert.match(
		listed.stderr,
		/fix: The caller is authenticated but not allowed .*`sigil whoami` shows who you are/,
	);
	assert.ok(!/secret key does not match/.test(listed.stderr));
});

test("removing a secret that is in use says so and how to free it", async () => {
	const r = await gw.cli(["secret", "remove", "hook-key"]);
	assert.equal(r.code, 1);
	assert.match(
		r.stderr,
		/^error: secret 'hook-key' is used by hook; remove it from them first \(request id [^)]+\)\n {2}fix: deploy those functions without hook-key/,
	);
	assert.ok(!/already exists/.test(r.stderr));
	const json = await gw.cli(["secret", "remove", "hook-key", "--json"]);
	assert.equal(
		(JSON.parse(json.stderr) as { error: { code: string } }).error.code,
		"SECRET_IN_USE",
	);
	assert.ok(
		(await gw.cli(["secret", "list"])).stdout.includes("hook-key"),
		"still there",
	);
});
