// `sigil deploy -f sigil.yml` of the warm runtimes (issue 9), through the real CLI against a
// real sandboxed gateway: a python3 function with contract lambda (its module named by entry,
// not handler.py) and a provided function whose bootstrap keeps its execute bit; the CLI
// refuses, before sending anything, a lambda module that is missing and a bootstrap that is
// not executable.
import assert from "node:assert/strict";
import { chmod, mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { type RealGateway, startGateway } from "./cli-real-gateway.ts";

let gw: RealGateway;
before(async () => {
	gw = await startGateway();
});
after(async () => {
	await gw?.stop();
});

const BOOTSTRAP = `#!/bin/sh
set -eu
API="http://$AWS_LAMBDA_RUNTIME_API/2018-06-01/runtime"
H="$(mktemp)"
while true; do
  EVENT="$(curl -sS -D "$H" "$API/invocation/next")"
  ID="$(grep -i '^lambda-runtime-aws-request-id:' "$H" | tr -d '\\r' | cut -d' ' -f2)"
  curl -sS -X POST "$API/invocation/$ID/response" -d '{"statusCode":200,"body":"from bootstrap"}' >/dev/null
done
`;

test("a python3 lambda-contract function and a provided bootstrap deploy from a stack file and answer", async () => {
	await mkdir(join(gw.root, "py"), { recursive: true });
	await writeFile(
		join(gw.root, "py", "app.py"),
		"def main(event, context):\n    return {'statusCode': 200, 'body': 'from ' + context.function_name}\n",
	);
	await mkdir(join(gw.root, "boot"), { recursive: true });
	await writeFile(join(gw.root, "boot", "bootstrap"), BOOTSTRAP);
	await chmod(join(gw.root, "boot", "bootstrap"), 0o755);
	await writeFile(
		join(gw.root, "sigil.yml"),
		[
			"version: 1",
			"functions:",
			"  warm-py:",
			"    runtime: python3",
			"    contract: lambda",
			"    entry: app.main",
			"    handler: ./py",
			"    trigger: { auth: none }",
			"  warm-boot:",
			"    runtime: provided",
			"    handler: ./boot",
			"    trigger: { auth: none }",
			"",
		].join("\n"),
	);
	const r = await gw.cli(["deploy", "-f", "sigil.yml"]);
	assert.equal(r.code, 0, r.stderr);
	const py = await fetch(`${gw.url}/function/warm-py`);
	assert.equal(await py.text(), "from warm-py");
	const boot = await fetch(`${gw.url}/function/warm-boot`);
	assert.equal(await boot.text(), "from bootstrap");
	const described = await gw.cli(["describe", "warm-py"]);
	assert.equal(described.code, 0, described.stderr);
	assert.match(described.stdout, /python3 \(contract lambda\)/);
});

test("the CLI refuses a lambda module the bundle lacks and a bootstrap without its execute bit", async () => {
	await mkdir(join(gw.root, "py2"), { recursive: true });
	await writeFile(join(gw.root, "py2", "handler.py"), "x = 1\n");
	const py = await gw.cli([
		"deploy",
		"--name",
		"nolambda",
		"--runtime",
		"python3",
		"--handler",
		"py2",
		"--entry",
		"lambda_function.lambda_handler",
	]);
	// --entry alone keeps the openfaas contract: the module it names must still be there.
	assert.equal(py.code, 2, py.stderr);
	assert.match(py.stderr, /the bundle has no lambda_function\.py/);
	await mkdir(join(gw.root, "boot2"), { recursive: true });
	await writeFile(join(gw.root, "boot2", "bootstrap"), BOOTSTRAP);
	await chmod(join(gw.root, "boot2", "bootstrap"), 0o644);
	const boot = await gw.cli([
		"deploy",
		"--name",
		"noexec",
		"--runtime",
		"provided",
		"--handler",
		"boot2",
	]);
	assert.equal(boot.code, 2, boot.stderr);
	assert.match(boot.stderr, /a bootstrap that is not executable/);
	// --contract lambda from flags: the Lambda handler of the bundle is called with (event, context).
	await writeFile(
		join(gw.root, "py2", "lambda_function.py"),
		"def lambda_handler(event, context):\n    return {'statusCode': 200, 'body': context.aws_request_id and 'flags ok'}\n",
	);
	const flags = await gw.cli([
		"deploy",
		"--name",
		"flagslambda",
		"--runtime",
		"python3",
		"--contract",
		"lambda",
		"--handler",
		"py2",
	]);
	assert.equal(flags.code, 0, flags.stderr);
	assert.equal(
		await (await fetch(`${gw.url}/function/flagslambda`)).text(),
		"flags ok",
	);
	for (const name of ["nolambda", "noexec"])
		assert.equal((await gw.cli(["describe", name])).code, 1, name);
});

test("code that cannot start is refused at deploy: a python import that raises, a bootstrap's init error", async () => {
	await mkdir(join(gw.root, "py-raises"), { recursive: true });
	await writeFile(
		join(gw.root, "py-raises", "handler.py"),
		"raise RuntimeError('no config at import')\ndef handle(req):\n    return req\n",
	);
	const py = await gw.cli([
		"deploy",
		"--name",
		"py-raises",
		"--runtime",
		"python3",
		"--handler",
		"py-raises",
	]);
	assert.notEqual(py.code, 0, py.stdout);
	assert.match(py.stderr, /does not load/);
	assert.match(py.stderr, /RuntimeError: no config at import/);
	await mkdir(join(gw.root, "boot-init"), { recursive: true });
	await writeFile(
		join(gw.root, "boot-init", "bootstrap"),
		`#!/bin/sh\ncurl -sS -X POST "http://$AWS_LAMBDA_RUNTIME_API/2018-06-01/runtime/init/error" -d '{"errorMessage":"no database","errorType":"Init.Failed"}' >/dev/null\nexit 1\n`,
	);
	await chmod(join(gw.root, "boot-init", "bootstrap"), 0o755);
	const boot = await gw.cli([
		"deploy",
		"--name",
		"boot-init",
		"--runtime",
		"provided",
		"--handler",
		"boot-init",
	]);
	assert.notEqual(boot.code, 0, boot.stdout);
	assert.match(boot.stderr, /Init\.Failed: no database/);
	for (const name of ["py-raises", "boot-init"])
		assert.equal((await gw.cli(["describe", name])).code, 1, name);
});
