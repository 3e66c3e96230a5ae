// Issue 11, `sigil versions|publish|alias …` in-process against a real gateway: the same
// versions and aliases the Lambda API shows, and invoking by qualifier runs what they name.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { run } from "./cli-helpers.ts";
import {
	ROOT_KEY,
	signedFetch,
	startTestGateway,
	type TestGateway,
} from "./helpers/gateway.ts";

let gw: TestGateway;
let dir: string;

const handler = (tag: string) =>
	`export const handler = async () => ({ tag: ${JSON.stringify(tag)} });`;

function sigil(argv: string[]) {
	return run([...argv, "--gateway", gw.url], {
		env: {
			SIGIL_ACCESS_KEY_ID: ROOT_KEY.accessKeyId,
			SIGIL_SECRET_ACCESS_KEY: ROOT_KEY.secretAccessKey,
			SIGIL_CONFIG_DIR: join(dir, "none"),
			SIGIL_REGION: "us-east-1",
		},
	});
}

async function ok(argv: string[]): Promise<string> {
	const r = await sigil(argv);
	assert.equal(r.code, 0, r.stderr);
	return r.stdout;
}

/** The Lambda API's answer for NAME at QUALIFIER: which code ran, and the version header. */
async function invoke(name: string, qualifier: string) {
	const res = await signedFetch(
		gw.url,
		"POST",
		`/2015-03-31/functions/${name}/invocations?Qualifier=${encodeURIComponent(qualifier)}`,
		{ service: "lambda", body: "{}" },
	);
	assert.equal(res.status, 200, await res.clone().text());
	return {
		tag: ((await res.json()) as { tag: string }).tag,
		executed: res.headers.get("x-amz-executed-version"),
	};
}

before(async () => {
	gw = await startTestGateway();
	dir = await mkdtemp(join(tmpdir(), "sigil-versions-cli-"));
});
after(async () => {
	await gw.stop();
	await rm(dir, { recursive: true, force: true });
});

test("publish, versions, alias create/update/list/delete; invoking by qualifier runs what they name", async () => {
	await gw.deploy(
		"cli-ver",
		{ runtime: "node" },
		{ "index.mjs": handler("one") },
	);
	assert.match(
		await ok(["publish", "cli-ver", "--description", "first"]),
		/^version 1 /,
	);
	// Unchanged: the same version, nothing new.
	const same = JSON.parse(await ok(["publish", "cli-ver", "--json"]));
	assert.equal(same.Version, "1");
	await gw.deploy(
		"cli-ver",
		{ runtime: "node" },
		{ "index.mjs": handler("two") },
	);
	assert.match(await ok(["publish", "cli-ver"]), /^version 2 /);
	const listed = await ok(["versions", "cli-ver"]);
	assert.match(listed, /\$LATEST/);
	assert.match(listed, /\n1 .*first/);
	const versions = JSON.parse(await ok(["versions", "cli-ver", "--json"]));
	assert.deepEqual(
		versions.Versions.map((v: { Version: string }) => v.Version),
		["$LATEST", "1", "2"],
	);

	assert.match(
		await ok(["alias", "create", "cli-ver", "prod", "--function-version", "1"]),
		/^prod → 1 /,
	);
	assert.deepEqual(await invoke("cli-ver", "prod"), {
		tag: "one",
		executed: "1",
	});
	await ok(["alias", "update", "cli-ver", "prod", "--routing", "2=1"]);
	assert.deepEqual(await invoke("cli-ver", "prod"), {
		tag: "two",
		executed: "2",
	});
	const aliases = await ok(["alias", "list", "cli-ver"]);
	assert.match(aliases, /prod\s+1\s+2=1/);
	await ok([
		"alias",
		"update",
		"cli-ver",
		"prod",
		"--function-version",
		"2",
		"--routing",
		"none",
	]);
	const back = JSON.parse(await ok(["alias", "list", "cli-ver", "--json"]));
	assert.deepEqual(
		back.Aliases.map(
			(a: {
				Name: string;
				FunctionVersion: string;
				RoutingConfig?: unknown;
			}) => [a.Name, a.FunctionVersion, a.RoutingConfig],
		),
		[["prod", "2", undefined]],
	);
	await ok(["alias", "delete", "cli-ver", "prod"]);
	assert.deepEqual(
		JSON.parse(await ok(["alias", "list", "cli-ver", "--json"])).Aliases,
		[],
	);
});

test("refusals come back as the CLI's errors: alias names that are versions, bad --routing, unknown versions", async () => {
	await gw.deploy(
		"cli-bad",
		{ runtime: "node" },
		{ "index.mjs": handler("x") },
	);
	const digits = await sigil([
		"alias",
		"create",
		"cli-bad",
		"7",
		"--function-version",
		"$LATEST",
	]);
	assert.notEqual(digits.code, 0);
	assert.match(digits.stderr, /INVALID_PARAMETER|regular expression/);
	const routing = await sigil([
		"alias",
		"create",
		"cli-bad",
		"canary",
		"--function-version",
		"1",
		"--routing",
		"2=7",
	]);
	assert.equal(routing.code, 2, routing.stderr);
	const missing = await sigil([
		"alias",
		"create",
		"cli-bad",
		"next",
		"--function-version",
		"9",
	]);
	assert.notEqual(missing.code, 0);
	assert.match(missing.stderr, /not found/i);
	const none = await sigil(["alias", "update", "cli-bad", "next"]);
	assert.equal(none.code, 2, none.stderr);
});
