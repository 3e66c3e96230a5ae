// `sigil env` makes the start-up output's lines run as printed: after `eval "$(sigil env)"` the
// printed `curl --aws-sigv4 … "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY"` line and the AWS CLI
// (through AWS_ENDPOINT_URL) reach the gateway with the profile's key. Run in a real bash, with
// `sigil` on PATH through `npm run install-cli`'s launcher.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Readable } from "node:stream";
import { after, before, test } from "node:test";
import { howToCall } from "../src/cli/commands/up.ts";
import type { CliIo } from "../src/cli/io.ts";
import { main } from "../src/cli/main.ts";
import { type RealGateway, startGateway } from "./cli-real-gateway.ts";

let gw: RealGateway;
let path = "";

before(async () => {
	gw = await startGateway();
	const bin = join(gw.root, "bin");
	const installed = spawnSync(
		process.execPath,
		[join(import.meta.dirname, "..", "bin", "install-cli.ts"), "--dir", bin],
		{ encoding: "utf8", env: { HOME: gw.root, PATH: process.env.PATH ?? "" } },
	);
	assert.equal(installed.status, 0, installed.stderr);
	path = `${bin}:/usr/bin:/bin`;
	await writeFile(
		join(gw.root, "who.mjs"),
		"export const handler = async (event) => ({ statusCode: 200, body: 'caller ' + (event.requestContext?.authorizer?.iam?.accessKey ?? '?') });\n",
	);
	const d = await gw.cli([
		"deploy",
		"--name",
		"who",
		"--runtime",
		"node",
		"--handler",
		"who.mjs",
		"--auth",
		"aws_iam",
	]);
	assert.equal(d.code, 0, d.stderr);
});
after(async () => {
	await gw?.stop();
});

function bash(script: string) {
	return spawnSync("bash", ["-c", script], {
		encoding: "utf8",
		cwd: gw.root,
		env: { HOME: gw.root, PATH: path, SIGIL_CONFIG_DIR: join(gw.root, "cfg") },
	});
}

test("sigil env prints export lines for the profile's key, region and endpoint", async () => {
	const r = await gw.cli(["env"]);
	assert.equal(r.code, 0, r.stderr);
	const lines = r.stdout.trim().split("\n");
	assert.match(
		lines[0] ?? "",
		/^# profile default \(.*credentials\), gateway http:/,
	);
	assert.deepEqual(lines.slice(1), [
		`export AWS_ACCESS_KEY_ID='${gw.rootKey.AccessKeyId}'`,
		`export AWS_SECRET_ACCESS_KEY='${gw.rootKey.SecretAccessKey}'`,
		"unset AWS_SESSION_TOKEN",
		"export AWS_REGION='us-east-1'",
		"export AWS_DEFAULT_REGION='us-east-1'",
		`export AWS_ENDPOINT_URL='${gw.url}'`,
	]);
	const fish = await gw.cli(["env", "--shell", "fish"]);
	assert.match(
		fish.stdout,
		new RegExp(`\\nset -gx AWS_ACCESS_KEY_ID '${gw.rootKey.AccessKeyId}'\\n`),
	);
	const unset = await gw.cli(["env", "--unset"]);
	assert.equal(
		unset.stdout,
		"unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_REGION AWS_DEFAULT_REGION AWS_ENDPOINT_URL\n",
	);
});

test('the start-up curl line runs as printed after eval "$(sigil env)"', () => {
	const [, curl] = howToCall(
		{ name: "who", auth: "aws_iam", path: "/function/who" },
		gw.url,
		"us-east-1",
		"",
	);
	assert.ok(curl?.startsWith("curl --aws-sigv4"), curl);
	const before = bash(`${curl} -s -o /dev/null -w '%{http_code}'`);
	assert.notEqual(before.stdout, "200", "without the variables it cannot work");
	const r = bash(`eval "$(sigil env)" && ${curl} -s`);
	assert.equal(r.status, 0, r.stderr);
	assert.equal(r.stdout, `caller ${gw.rootKey.AccessKeyId}`);
	const undone = bash(
		`eval "$(sigil env)"; eval "$(sigil env --unset)"; echo "[$AWS_ACCESS_KEY_ID]"`,
	);
	assert.equal(undone.stdout, "[]\n");
});

test("the AWS CLI reaches the gateway through AWS_ENDPOINT_URL, no --endpoint-url", {
	skip: spawnSync("aws", ["--version"]).status === 0 ? false : "no AWS CLI",
}, () => {
	const r = bash(
		`export PATH="$PATH:${(process.env.PATH ?? "").replaceAll('"', "")}"; eval "$(sigil env)" && AWS_MAX_ATTEMPTS=1 aws lambda invoke --function-name who --cli-connect-timeout 5 out.json >/dev/null && cat out.json`,
	);
	assert.equal(r.status, 0, r.stderr);
	assert.match(r.stdout, /caller|statusCode/);
});

test("sigil env does not print the secret to a terminal unless --show", async () => {
	let out = "";
	let err = "";
	const io: CliIo = {
		stdout: { write: (c) => (out += String(c)), isTTY: true },
		stderr: { write: (c) => (err += String(c)) },
		stdin: Readable.from([]) as CliIo["stdin"],
		env: { SIGIL_CONFIG_DIR: join(gw.root, "cfg") },
		cwd: gw.root,
		stopSignal: () => new Promise(() => {}),
	};
	assert.equal(await main(["env"], io), 1);
	assert.equal(out, "");
	assert.match(
		err,
		/^error: sigil env prints the secret access key, and stdout is a terminal\n {2}fix: run it as eval "\$\(sigil env\)"/,
	);
	assert.equal(await main(["env", "--show"], io), 0);
	assert.ok(out.includes(gw.rootKey.SecretAccessKey));
});
