// Credentials the AWS way, through the real CLI against a real gateway: AWS_ACCESS_KEY_ID /
// AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN, AWS_PROFILE, AWS_SHARED_CREDENTIALS_FILE, after
// Sigil's own SIGIL_* and --profile; `sigil configure` writes a profile, `sigil whoami` shows
// who the gateway takes the caller for and where the key came from.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { type RealGateway, startGateway } from "./cli-real-gateway.ts";

let gw: RealGateway;
let ci: { AccessKeyId: string; SecretAccessKey: string };
let ops: { AccessKeyId: string; SecretAccessKey: string };

interface Who {
	Arn: string;
	AccessKeyId: string;
	credentials: string;
}

async function whoami(
	env: Record<string, string | undefined>,
	args: string[] = [],
): Promise<Who> {
	const r = await gw.cli(["whoami", "--json", ...args], { env });
	assert.equal(r.code, 0, r.stderr);
	return JSON.parse(r.stdout) as Who;
}

before(async () => {
	gw = await startGateway();
	for (const name of ["ci", "ops"]) {
		const made = await gw.cli(["user", "create", name, "--key", "--json"]);
		assert.equal(made.code, 0, made.stderr);
		const key = (JSON.parse(made.stdout) as { AccessKey: typeof ci }).AccessKey;
		if (name === "ci") ci = key;
		else ops = key;
	}
});

after(async () => {
	await gw?.stop();
});

test("whoami: the profile written by `up`, shown with its source", async () => {
	const r = await gw.cli(["whoami"]);
	assert.equal(r.code, 0, r.stderr);
	assert.match(r.stdout, /^Account: +\d{12}\nArn: +arn:aws:iam::\d{12}:root\n/);
	assert.match(
		r.stdout,
		new RegExp(`AccessKeyId: +${gw.rootKey.AccessKeyId}\\n`),
	);
	assert.match(
		r.stdout,
		/Credentials: +profile default \(.*\/cfg\/credentials\)\n/,
	);
	assert.match(
		r.stdout,
		new RegExp(`Gateway: +${gw.url} \\(region us-east-1\\)\\n$`),
	);
	assert.ok(!r.stdout.includes(gw.rootKey.SecretAccessKey));
});

test("precedence: SIGIL_* keys > --profile/SIGIL_PROFILE > AWS_* keys > AWS_PROFILE > default", async () => {
	const awsFile = join(gw.root, "aws-credentials");
	await writeFile(
		awsFile,
		`[ops]\naws_access_key_id = ${ops.AccessKeyId}\naws_secret_access_key = ${ops.SecretAccessKey}\ngateway = ${gw.url}\n`,
	);
	const awsKeys = {
		AWS_ACCESS_KEY_ID: ci.AccessKeyId,
		AWS_SECRET_ACCESS_KEY: ci.SecretAccessKey,
	};
	const sigilKeys = {
		SIGIL_ACCESS_KEY_ID: ops.AccessKeyId,
		SIGIL_SECRET_ACCESS_KEY: ops.SecretAccessKey,
	};
	// AWS_* keys beat the implicit default profile.
	const viaAws = await whoami(awsKeys);
	assert.match(viaAws.Arn, /:user\/ci$/);
	assert.equal(viaAws.credentials, "environment (AWS_ACCESS_KEY_ID)");
	// SIGIL_* keys beat AWS_* keys.
	const both = await whoami({ ...awsKeys, ...sigilKeys });
	assert.match(both.Arn, /:user\/ops$/);
	assert.equal(both.credentials, "environment");
	// --profile (and SIGIL_PROFILE) beat AWS_* keys, as `aws --profile` does.
	assert.match((await whoami(awsKeys, ["--profile", "default"])).Arn, /:root$/);
	assert.match(
		(await whoami({ ...awsKeys, SIGIL_PROFILE: "default" })).Arn,
		/:root$/,
	);
	// AWS_PROFILE names a profile of AWS_SHARED_CREDENTIALS_FILE; it beats default.
	const viaProfile = await whoami({
		AWS_PROFILE: "ops",
		AWS_SHARED_CREDENTIALS_FILE: awsFile,
	});
	assert.match(viaProfile.Arn, /:user\/ops$/);
	assert.equal(viaProfile.credentials, `profile ops (${awsFile})`);
	// …and AWS_* keys beat AWS_PROFILE, as in the AWS CLI.
	assert.match(
		(
			await whoami({
				...awsKeys,
				AWS_PROFILE: "ops",
				AWS_SHARED_CREDENTIALS_FILE: awsFile,
			})
		).Arn,
		/:user\/ci$/,
	);
	// ~/.aws/credentials is the default AWS file.
	await mkdir(join(gw.root, ".aws"), { recursive: true });
	await writeFile(
		join(gw.root, ".aws", "credentials"),
		`[ci-home]\naws_access_key_id = ${ci.AccessKeyId}\naws_secret_access_key = ${ci.SecretAccessKey}\n`,
	);
	assert.match(
		(await whoami({ AWS_PROFILE: "ci-home" }, ["--gateway", gw.url])).Arn,
		/:user\/ci$/,
	);
	// A named profile that exists nowhere is an error, never a fallback to default.
	const missing = await gw.cli(["whoami"], { env: { AWS_PROFILE: "nope" } });
	assert.equal(missing.code, 1);
	assert.match(
		missing.stderr,
		/^error: profile nope \(from AWS_PROFILE\) is in neither .* nor .*\n {2}fix: use one of: default, ci-home\n$/,
	);
	const half = await gw.cli(["whoami"], {
		env: { AWS_ACCESS_KEY_ID: ci.AccessKeyId },
	});
	assert.equal(half.code, 1);
	assert.match(
		half.stderr,
		/only one of AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY is set/,
	);
});

test("AWS_SESSION_TOKEN is sent: a session key from STS works only with its token", {
	skip: spawnSync("aws", ["--version"]).status === 0 ? false : "no AWS CLI",
}, async () => {
	const sts = spawnSync(
		"aws",
		[
			"sts",
			"get-session-token",
			"--endpoint-url",
			gw.url,
			"--region",
			"us-east-1",
			"--output",
			"json",
		],
		{
			encoding: "utf8",
			env: {
				PATH: process.env.PATH ?? "",
				HOME: gw.root,
				AWS_ACCESS_KEY_ID: ci.AccessKeyId,
				AWS_SECRET_ACCESS_KEY: ci.SecretAccessKey,
			},
		},
	);
	assert.equal(sts.status, 0, sts.stderr);
	const c = (
		JSON.parse(sts.stdout) as {
			Credentials: {
				AccessKeyId: string;
				SecretAccessKey: string;
				SessionToken: string;
			};
		}
	).Credentials;
	const session = {
		AWS_ACCESS_KEY_ID: c.AccessKeyId,
		AWS_SECRET_ACCESS_KEY: c.SecretAccessKey,
	};
	const withToken = await whoami({
		...session,
		AWS_SESSION_TOKEN: c.SessionToken,
	});
	assert.equal(withToken.AccessKeyId, c.AccessKeyId);
	const without = await gw.cli(["whoami"], { env: session });
	assert.equal(without.code, 1, "the session key alone is refused");
});

test("configure writes a profile (0600) from standard input, replaces it in place, and checks it", async () => {
	const file = join(gw.root, "cfg", "credentials");
	const before = await readFile(file, "utf8");
	const made = await gw.cli(["configure", "--profile", "ci"], {
		input: `${ci.AccessKeyId}\n${ci.SecretAccessKey}\n\n${gw.url}\n`,
	});
	assert.equal(made.code, 0, made.stderr);
	assert.match(
		made.stdout,
		/^saved profile ci in .*credentials \(key AKIA\w+, region us-east-1, gateway http:.*\)\nthe gateway knows this key: arn:aws:iam::\d+:user\/ci\n$/,
	);
	assert.ok(
		!made.stdout.includes(ci.SecretAccessKey) &&
			!made.stderr.includes(ci.SecretAccessKey),
	);
	assert.equal((await stat(file)).mode & 0o777, 0o600);
	const text = await readFile(file, "utf8");
	assert.ok(text.startsWith(before), "profile default is kept byte for byte");
	assert.match((await whoami({}, ["--profile", "ci"])).Arn, /:user\/ci$/);

	// Again with another key, flags for the rest: the section is replaced, nothing else moves.
	const again = await gw.cli(
		[
			"configure",
			"--profile",
			"ci",
			"--access-key-id",
			ops.AccessKeyId,
			"--region",
			"us-east-1",
		],
		{ input: `${ops.SecretAccessKey}\n\n` },
	);
	assert.equal(again.code, 0, again.stderr);
	assert.match(again.stdout, /^updated profile ci/);
	const replaced = await readFile(file, "utf8");
	assert.ok(replaced.startsWith(before));
	assert.equal(replaced.match(/\[ci\]/g)?.length, 1);
	assert.match((await whoami({}, ["--profile", "ci"])).Arn, /:user\/ops$/);

	// A key the gateway does not know: saved (as asked) but reported, exit 1.
	const bad = await gw.cli(
		["configure", "--profile", "bad", "--gateway", gw.url],
		{
			input: "AKIAUNKNOWN000000000\nnot-a-secret\n\n",
		},
	);
	assert.equal(bad.code, 1);
	assert.match(
		bad.stderr,
		/^error: profile bad was saved, but the gateway did not accept it: /,
	);
	// No secret given: nothing written.
	const none = await gw.cli(["configure", "--profile", "empty"], {
		input: "AKIAX\n",
	});
	assert.equal(none.code, 1);
	assert.match(none.stderr, /no secret access key given/);
	assert.ok(!(await readFile(file, "utf8")).includes("[empty]"));
});

test("putProfile replaces one section in the middle and keeps every other line", async () => {
	const { mkdtemp } = await import("node:fs/promises");
	const { tmpdir } = await import("node:os");
	const { putProfile } = await import("../src/cli/credentials-file.ts");
	const dir = await mkdtemp(join(tmpdir(), "sigil-put-profile-"));
	const file = join(dir, "credentials");
	await writeFile(
		file,
		"# mine\n[a]\nx = 1\n\n[profile b]\nx = 2\ny = 3\n\n[c]\nx = 4\n",
	);
	const r = await putProfile(dir, "b", { x: "9" });
	assert.deepEqual(r, { file, replaced: true });
	assert.equal(
		await readFile(file, "utf8"),
		"# mine\n[a]\nx = 1\n\n[b]\nx = 9\n\n[c]\nx = 4\n",
	);
	assert.deepEqual(await putProfile(dir, "d", { x: "5" }), {
		file,
		replaced: false,
	});
	assert.equal(
		await readFile(file, "utf8"),
		"# mine\n[a]\nx = 1\n\n[b]\nx = 9\n\n[c]\nx = 4\n\n[d]\nx = 5\n",
	);
	assert.equal((await stat(file)).mode & 0o777, 0o600);
});

test("configure on a real terminal (script(1) pty): prompts, the secret typed without echo, Backspace applied", {
	skip:
		spawnSync("script", ["--version"]).status === 0 ? false : "no script(1)",
}, async () => {
	const { mkdtemp } = await import("node:fs/promises");
	const { tmpdir } = await import("node:os");
	const cfg = await mkdtemp(join(tmpdir(), "sigil-configure-tty-"));
	const bin = join(import.meta.dirname, "..", "bin", "sigil.ts");
	// Each answer is typed once its prompt is on the screen (so the secret goes to the raw-mode
	// read, not to the terminal's cooked echo); \x7f is what Backspace sends, \r what Enter does.
	const { spawn } = await import("node:child_process");
	const child = spawn(
		"script",
		["-qec", `${process.execPath} ${bin} configure --profile tty`, "/dev/null"],
		{
			env: {
				PATH: process.env.PATH ?? "",
				SIGIL_CONFIG_DIR: cfg,
				TERM: "dumb",
			},
		},
	);
	const answers: [string, string][] = [
		["Access key ID [none]: ", "AKIATTY\n"],
		["Secret access key [none]: ", "sec\u007fcr3t\r"],
		["Region [us-east-1]: ", "\n"],
		["Gateway URL [http://127.0.0.1:8080]: ", `${gw.url}\n`],
	];
	let stdout = "";
	const r = await new Promise<{ stdout: string }>((resolve) => {
		const timer = setTimeout(() => child.kill(), 30_000);
		child.stdout.on("data", (d) => {
			stdout += d;
			const next = answers[0];
			if (next && stdout.includes(next[0])) {
				answers.shift();
				child.stdin.write(next[1]);
			}
		});
		child.on("close", () => {
			clearTimeout(timer);
			resolve({ stdout });
		});
	});
	assert.match(r.stdout, /Access key ID \[none\]: /);
	assert.match(r.stdout, /Secret access key \[none\]: /);
	assert.ok(
		!r.stdout.includes("cr3t"),
		`the secret is not echoed: ${JSON.stringify(r.stdout)}`,
	);
	const text = await readFile(join(cfg, "credentials"), "utf8");
	assert.match(
		text,
		/^\[tty\]\naws_access_key_id = AKIATTY\naws_secret_access_key = secr3t\nregion = us-east-1\n/,
	);
});

test("an unreadable ~/.aws/credentials is ignored; an unreadable AWS_SHARED_CREDENTIALS_FILE is an error", async () => {
	const { mkdtemp } = await import("node:fs/promises");
	const { tmpdir } = await import("node:os");
	const home = await mkdtemp(join(tmpdir(), "sigil-aws-unreadable-"));
	// A folder where the file should be: unreadable as a file, whoever runs the test.
	await mkdir(join(home, ".aws", "credentials"), { recursive: true });
	const ok = await gw.cli(["whoami"], { env: { HOME: home } });
	assert.equal(ok.code, 0, ok.stderr);
	const bad = await gw.cli(["whoami"], {
		env: { AWS_SHARED_CREDENTIALS_FILE: join(home, ".aws", "credentials") },
	});
	assert.equal(bad.code, 1);
	assert.match(
		bad.stderr,
		/^error: cannot read AWS_SHARED_CREDENTIALS_FILE .*\n {2}fix: fix the path or its permissions/,
	);
});
