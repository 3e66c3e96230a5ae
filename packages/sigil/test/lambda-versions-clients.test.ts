// Issue 11, versions and aliases through the peer clients people already have, unmodified:
// the AWS CLI (`aws lambda publish-version`, `create-alias`, `invoke --qualifier`,
// `add-permission --qualifier`, `delete-function --qualifier`) and boto3 (publish_version,
// the list_versions_by_function paginator, create_alias with a routing config, invoke with
// Qualifier, named errors). A missing client skips locally with the reason and fails in CI.
import assert from "node:assert/strict";
import { execFile, execFileSync } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { promisify } from "node:util";
import { writeZip } from "../src/functions/zip.ts";
import {
	ROOT_KEY,
	startTestGateway,
	type TestGateway,
} from "./helpers/gateway.ts";
import { awsCliMissing } from "./helpers/system-tools.ts";

const run = promisify(execFile);

// biome-ignore lint/suspicious/noExplicitAny: the clients' JSON output is read field by field, as a script would.
type Json = Record<string, any>;

const LAMBDA_TRUST = JSON.stringify({
	Version: "2012-10-17",
	Statement: [
		{
			Effect: "Allow",
			Principal: { Service: "lambda.amazonaws.com" },
			Action: "sts:AssumeRole",
		},
	],
});

function zipOf(tag: string): Uint8Array {
	return writeZip([
		{
			path: "index.mjs",
			data: `export const handler = async () => ({ tag: ${JSON.stringify(tag)} });`,
		},
	]);
}

let gw: TestGateway;
let dir: string;
let role: string;

before(async () => {
	gw = await startTestGateway();
	dir = await mkdtemp(join(tmpdir(), "sigil-versions-clients-"));
	await gw.gateway.store.roles.create({
		accountId: gw.gateway.rootAccountId,
		roleName: "versions-exec",
		trustPolicy: LAMBDA_TRUST,
	});
	role = `arn:aws:iam::${gw.gateway.rootAccountId}:role/versions-exec`;
	await writeFile(join(dir, "one.zip"), zipOf("one"));
	await writeFile(join(dir, "two.zip"), zipOf("two"));
});
after(async () => {
	await gw?.stop();
	await rm(dir, { recursive: true, force: true });
});

const clientEnv = () => ({
	PATH: process.env.PATH,
	HOME: dir,
	ENDPOINT: gw.url,
	AWS_ACCESS_KEY_ID: ROOT_KEY.accessKeyId,
	AWS_SECRET_ACCESS_KEY: ROOT_KEY.secretAccessKey,
	AWS_DEFAULT_REGION: "us-east-1",
	AWS_CONFIG_FILE: join(dir, "none"),
	AWS_SHARED_CREDENTIALS_FILE: join(dir, "none"),
	AWS_MAX_ATTEMPTS: "1",
});

describe("aws lambda publish-version / create-alias / invoke --qualifier", {
	skip: awsCliMissing(),
}, () => {
	async function aws(...args: string[]): Promise<Json> {
		const { stdout } = await run(
			"aws",
			["lambda", ...args, "--endpoint-url", gw.url, "--output", "json"],
			{ env: clientEnv(), timeout: 60_000 },
		);
		return stdout.trim() ? (JSON.parse(stdout) as Json) : {};
	}

	async function awsFails(...args: string[]): Promise<string> {
		return aws(...args).then(
			() => assert.fail(`aws lambda ${args[0]} should fail`),
			(err: { stderr: string }) => err.stderr,
		);
	}

	async function invoke(name: string, qualifier?: string) {
		const out = join(dir, `${name}-${qualifier ?? "latest"}.out`);
		const meta = await aws(
			"invoke",
			"--function-name",
			name,
			...(qualifier !== undefined ? ["--qualifier", qualifier] : []),
			out,
		);
		assert.equal(meta.StatusCode, 200);
		assert.equal(meta.FunctionError, undefined);
		return {
			tag: (JSON.parse(await readFile(out, "utf8")) as Json).tag as string,
			executed: meta.ExecutedVersion as string,
		};
	}

	test("publish, alias, invoke by qualifier, update the alias, list, delete a version", async () => {
		await aws(
			"create-function",
			"--function-name",
			"cli-ver",
			"--runtime",
			"nodejs24.x",
			"--handler",
			"index.handler",
			"--role",
			role,
			"--zip-file",
			`fileb://${join(dir, "one.zip")}`,
		);
		const v1 = await aws(
			"publish-version",
			"--function-name",
			"cli-ver",
			"--description",
			"first",
		);
		assert.equal(v1.Version, "1");
		assert.equal(v1.Description, "first");
		await aws(
			"update-function-code",
			"--function-name",
			"cli-ver",
			"--zip-file",
			`fileb://${join(dir, "two.zip")}`,
		);
		await aws("wait", "function-updated", "--function-name", "cli-ver");
		const v2 = await aws("publish-version", "--function-name", "cli-ver");
		assert.equal(v2.Version, "2");
		const alias = await aws(
			"create-alias",
			"--function-name",
			"cli-ver",
			"--name",
			"prod",
			"--function-version",
			"1",
		);
		assert.match(alias.AliasArn, /:function:cli-ver:prod$/);
		assert.deepEqual(await invoke("cli-ver", "prod"), {
			tag: "one",
			executed: "1",
		});
		assert.deepEqual(await invoke("cli-ver", "2"), {
			tag: "two",
			executed: "2",
		});
		assert.deepEqual(await invoke("cli-ver:1"), { tag: "one", executed: "1" });
		assert.deepEqual(await invoke("cli-ver"), {
			tag: "two",
			executed: "$LATEST",
		});
		await aws(
			"update-alias",
			"--function-name",
			"cli-ver",
			"--name",
			"prod",
			"--function-version",
			"2",
		);
		assert.equal((await invoke("cli-ver", "prod")).tag, "two");
		const versions = await aws(
			"list-versions-by-function",
			"--function-name",
			"cli-ver",
		);
		assert.deepEqual(
			versions.Versions.map((v: Json) => v.Version),
			["$LATEST", "1", "2"],
		);
		const aliases = await aws("list-aliases", "--function-name", "cli-ver");
		assert.deepEqual(
			aliases.Aliases.map((a: Json) => [a.Name, a.FunctionVersion]),
			[["prod", "2"]],
		);
		assert.match(
			await awsFails(
				"delete-function",
				"--function-name",
				"cli-ver",
				"--qualifier",
				"2",
			),
			/ResourceConflictException.*aliases reference it: \[prod\]/,
		);
		await aws(
			"delete-function",
			"--function-name",
			"cli-ver",
			"--qualifier",
			"1",
		);
		assert.match(
			await awsFails(
				"invoke",
				"--function-name",
				"cli-ver",
				"--qualifier",
				"1",
				join(dir, "gone.out"),
			),
			/ResourceNotFoundException/,
		);
		assert.match(
			await awsFails(
				"create-alias",
				"--function-name",
				"cli-ver",
				"--name",
				"2",
				"--function-version",
				"2",
			),
			/InvalidParameterValueException/,
		);
	});

	test("add-permission / get-policy / remove-permission --qualifier edit the alias's own policy", async () => {
		await aws(
			"create-function",
			"--function-name",
			"cli-perm",
			"--runtime",
			"nodejs24.x",
			"--handler",
			"index.handler",
			"--role",
			role,
			"--zip-file",
			`fileb://${join(dir, "one.zip")}`,
			"--publish",
		);
		await aws(
			"create-alias",
			"--function-name",
			"cli-perm",
			"--name",
			"live",
			"--function-version",
			"1",
		);
		const added = await aws(
			"add-permission",
			"--function-name",
			"cli-perm",
			"--qualifier",
			"live",
			"--statement-id",
			"partner",
			"--action",
			"lambda:InvokeFunction",
			"--principal",
			"210987654321",
		);
		assert.match(JSON.parse(added.Statement).Resource, /:cli-perm:live$/);
		const policy = await aws(
			"get-policy",
			"--function-name",
			"cli-perm",
			"--qualifier",
			"live",
		);
		assert.equal(JSON.parse(policy.Policy).Statement[0].Sid, "partner");
		assert.match(
			await awsFails("get-policy", "--function-name", "cli-perm"),
			/ResourceNotFoundException/,
		);
		await aws(
			"remove-permission",
			"--function-name",
			"cli-perm",
			"--qualifier",
			"live",
			"--statement-id",
			"partner",
		);
		assert.match(
			await awsFails(
				"get-policy",
				"--function-name",
				"cli-perm",
				"--qualifier",
				"live",
			),
			/ResourceNotFoundException/,
		);
	});
});

function boto3Python(): string | undefined {
	for (const candidate of ["python3", "/usr/bin/python3"]) {
		try {
			execFileSync(candidate, ["-c", "import boto3"], {
				stdio: "ignore",
				timeout: 30_000,
			});
			return candidate;
		} catch {}
	}
	return undefined;
}
const python = boto3Python();

const SCRIPT = `
import io, json, os, zipfile
import boto3
from botocore.exceptions import ClientError

def package(tag):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("index.mjs", "export const handler = async () => ({ tag: %s });" % json.dumps(tag))
    return buf.getvalue()

def run(name, **kw):
    r = lam.invoke(FunctionName=name, Payload=b"{}", **kw)
    return [json.loads(r["Payload"].read())["tag"], r["ExecutedVersion"]]

def code(f):
    try:
        f()
    except ClientError as e:
        return e.response["Error"]["Code"]
    return None

lam = boto3.client("lambda", endpoint_url=os.environ["ENDPOINT"], region_name="us-east-1")
out = {}
lam.create_function(FunctionName="boto-ver", Runtime="nodejs24.x", Role=os.environ["ROLE"],
                    Handler="index.handler", Code={"ZipFile": package("t0")})
for i in range(1, 4):
    lam.update_function_code(FunctionName="boto-ver", ZipFile=package("t%d" % i))
    lam.get_waiter("function_updated_v2").wait(FunctionName="boto-ver")
    out.setdefault("published", []).append(lam.publish_version(FunctionName="boto-ver")["Version"])
out["again"] = lam.publish_version(FunctionName="boto-ver")["Version"]
versions = []
for page in lam.get_paginator("list_versions_by_function").paginate(FunctionName="boto-ver", PaginationConfig={"PageSize": 2}):
    versions += [v["Version"] for v in page["Versions"]]
out["versions"] = versions
lam.create_alias(FunctionName="boto-ver", Name="blue", FunctionVersion="1",
                 RoutingConfig={"AdditionalVersionWeights": {"2": 1.0}})
out["routed"] = run("boto-ver", Qualifier="blue")
lam.update_alias(FunctionName="boto-ver", Name="blue", RoutingConfig={"AdditionalVersionWeights": {}})
out["unrouted"] = run("boto-ver", Qualifier="blue")
out["v3"] = run("boto-ver", Qualifier="3")
out["alias"] = lam.get_alias(FunctionName="boto-ver", Name="blue")["FunctionVersion"]
out["qualified_get"] = lam.get_function(FunctionName="boto-ver", Qualifier="2")["Configuration"]["Version"]
out["missing"] = code(lambda: lam.invoke(FunctionName="boto-ver", Qualifier="42", Payload=b"{}"))
out["in_use"] = code(lambda: lam.delete_function(FunctionName="boto-ver", Qualifier="1"))
out["latest"] = code(lambda: lam.delete_function(FunctionName="boto-ver", Qualifier="$LATEST"))
out["digits_alias"] = code(lambda: lam.create_alias(FunctionName="boto-ver", Name="7", FunctionVersion="1"))
out["stale"] = code(lambda: lam.publish_version(FunctionName="boto-ver", RevisionId="00000000-0000-0000-0000-000000000000"))
print(json.dumps(out))
`;

describe("boto3: versions and aliases", {
	// In CI a missing peer client is a broken install step (setup installs python3-boto3), never a skip.
	skip: python || process.env.CI ? false : "no python3 with boto3 here",
}, () => {
	test("publish, paginate versions, alias with routing, invoke by qualifier, named errors", async () => {
		if (!python)
			throw new Error(
				"no python3 with boto3: `npm run setup` installs Debian's python3-boto3",
			);
		const { stdout } = await run(python, ["-c", SCRIPT], {
			env: { ...clientEnv(), ROLE: role },
			timeout: 120_000,
		});
		const out = JSON.parse(stdout);
		assert.deepEqual(out.published, ["1", "2", "3"]);
		assert.equal(out.again, "3");
		assert.deepEqual(out.versions, ["$LATEST", "1", "2", "3"]);
		assert.deepEqual(out.routed, ["t2", "2"]);
		assert.deepEqual(out.unrouted, ["t1", "1"]);
		assert.deepEqual(out.v3, ["t3", "3"]);
		assert.equal(out.alias, "1");
		assert.equal(out.qualified_get, "2");
		assert.equal(out.missing, "ResourceNotFoundException");
		assert.equal(out.in_use, "ResourceConflictException");
		assert.equal(out.latest, "InvalidParameterValueException");
		assert.equal(out.digits_alias, "InvalidParameterValueException");
		assert.equal(out.stale, "PreconditionFailedException");
	});
});
