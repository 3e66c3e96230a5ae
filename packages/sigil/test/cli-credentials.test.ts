// The credentials file (AWS INI layout, owner-only) and how settings are resolved from flags,
// environment and profile.
import assert from "node:assert/strict";
import { mkdtemp, readFile, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import {
	addProfile,
	chooseProfileName,
	formatProfile,
	parseCredentials,
	readProfiles,
} from "../src/cli/credentials-file.ts";
import { resolveSettings } from "../src/cli/settings.ts";
import { fakeIo } from "./cli-helpers.ts";

const tmp = () => mkdtemp(join(tmpdir(), "sigil-cli-cred-"));

test("INI parsing: sections, comments, spacing, aws 'profile x' sections, later keys win", () => {
	const p = parseCredentials(
		"# top\n[default]\naws_access_key_id = AKIA1\n aws_secret_access_key=abc=def \n; c\n[profile other]\nregion = eu-west-1\nregion = eu-west-2\n",
	);
	assert.deepEqual(p.get("default"), {
		aws_access_key_id: "AKIA1",
		aws_secret_access_key: "abc=def",
	});
	assert.deepEqual(p.get("other"), { region: "eu-west-2" });
	assert.equal(
		parseCredentials(formatProfile("x", { a: "1", b: "2=3" })).get("x")?.b,
		"2=3",
	);
});

test("addProfile writes the file 0600 in a 0700 folder and never replaces a profile", async () => {
	const dir = join(await tmp(), "cfg");
	const file = await addProfile(dir, "default", {
		aws_access_key_id: "AKIA1",
		aws_secret_access_key: "s1",
		region: "us-east-1",
		gateway: "http://127.0.0.1:8080",
	});
	assert.equal((await stat(file)).mode & 0o777, 0o600);
	assert.equal((await stat(dir)).mode & 0o777, 0o700);
	assert.match(
		await readFile(file, "utf8"),
		/^\[default\]\naws_access_key_id = AKIA1\naws_secret_access_key = s1\nregion = us-east-1\ngateway = http:\/\/127\.0\.0\.1:8080\n$/,
	);
	await assert.rejects(
		addProfile(dir, "default", { aws_access_key_id: "AKIA2" }),
		/already exists/,
	);
	await addProfile(dir, "sigil-9000", {
		aws_access_key_id: "AKIA2",
		aws_secret_access_key: "s2",
	});
	const profiles = await readProfiles(dir);
	assert.equal(
		profiles.get("default")?.aws_access_key_id,
		"AKIA1",
		"the first profile is intact",
	);
	assert.equal(profiles.get("sigil-9000")?.aws_access_key_id, "AKIA2");
	assert.equal((await stat(file)).mode & 0o777, 0o600);
});

test("chooseProfileName: default when free, else sigil-<port>, then numbered", () => {
	assert.equal(chooseProfileName(new Map(), 8080), "default");
	assert.equal(
		chooseProfileName(new Map([["default", {}]]), 8080),
		"sigil-8080",
	);
	assert.equal(
		chooseProfileName(
			new Map([
				["default", {}],
				["sigil-8080", {}],
				["sigil-8080-2", {}],
			]),
			8080,
		),
		"sigil-8080-3",
	);
});

test("settings: profile by flag or SIGIL_PROFILE; env credentials override the profile; defaults", async () => {
	const dir = await tmp();
	await writeFile(
		join(dir, "credentials"),
		"[default]\naws_access_key_id = AKIADEF\naws_secret_access_key = sdef\nregion = eu-west-1\ngateway = http://gw-default:1\n\n[b]\naws_access_key_id = AKIAB\naws_secret_access_key = sb\naws_session_token = tok\n",
		{ mode: 0o600 },
	);
	const io = (env: Record<string, string>) =>
		fakeIo({ env: { SIGIL_CONFIG_DIR: dir, ...env } }).io;
	const d = await resolveSettings({}, io({}));
	assert.deepEqual(
		[d.profile, d.gateway, d.region, d.credentials?.accessKeyId],
		["default", "http://gw-default:1", "eu-west-1", "AKIADEF"],
	);
	const b = await resolveSettings({ profile: "b" }, io({}));
	assert.deepEqual(
		[b.gateway, b.region, b.credentials?.sessionToken],
		["http://127.0.0.1:8080", "us-east-1", "tok"],
	);
	const viaEnv = await resolveSettings({}, io({ SIGIL_PROFILE: "b" }));
	assert.equal(viaEnv.credentials?.accessKeyId, "AKIAB");
	const envCreds = await resolveSettings(
		{ profile: "b" },
		io({
			SIGIL_ACCESS_KEY_ID: "AKIAENV",
			SIGIL_SECRET_ACCESS_KEY: "senv",
			SIGIL_URL: "http://env:2/",
			SIGIL_REGION: "ap-south-1",
		}),
	);
	assert.deepEqual(
		[
			envCreds.credentials?.accessKeyId,
			envCreds.credentials?.sessionToken,
			envCreds.credentialsSource,
		],
		["AKIAENV", undefined, "environment"],
	);
	assert.deepEqual(
		[envCreds.gateway, envCreds.region],
		["http://env:2", "ap-south-1"],
	);
	const flags = await resolveSettings(
		{ gateway: "http://flag:3", region: "us-west-2" },
		io({ SIGIL_URL: "http://env:2" }),
	);
	assert.deepEqual(
		[flags.gateway, flags.region],
		["http://flag:3", "us-west-2"],
	);
	assert.equal(
		(await resolveSettings({}, io({}), "http://stack:4")).gateway,
		"http://stack:4",
		"a stack file's gateway beats the profile",
	);
	await assert.rejects(resolveSettings({ profile: "nope" }, io({})), {
		code: "PROFILE_NOT_FOUND",
	});
	await assert.rejects(
		resolveSettings({}, io({ SIGIL_ACCESS_KEY_ID: "AKIAONLY" })),
		{ code: "CREDENTIALS_INCOMPLETE" },
	);
});

test("settings without any credentials file: defaults, and no credentials", async () => {
	const s = await resolveSettings(
		{},
		fakeIo({ env: { SIGIL_CONFIG_DIR: join(await tmp(), "absent") } }).io,
	);
	assert.deepEqual(
		[s.gateway, s.region, s.credentials],
		["http://127.0.0.1:8080", "us-east-1", undefined],
	);
});

test("a command without credentials says how to get some, exit 1", async () => {
	const { run } = await import("./cli-helpers.ts");
	const r = await run(["list"], {
		env: { SIGIL_CONFIG_DIR: join(await tmp(), "absent") },
	});
	assert.equal(r.code, 1);
	assert.match(
		r.stderr,
		/^error: no access key to sign the request with\n {2}fix: run `sigil up` once/,
	);
});
