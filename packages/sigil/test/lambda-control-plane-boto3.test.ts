// Issue 11 through boto3, unmodified: create a function from a zip, wait for it, page through
// list_functions with boto3's own paginator, get, update code and configuration, invoke,
// delete — and an operation Sigil does not implement raises ClientError with the named code.
// Skipped with the reason where no python3 with boto3 is installed (it comes with the AWS CLI
// v1 or Debian's python3-boto3).
import assert from "node:assert/strict";
import { execFile, execFileSync } from "node:child_process";
import { after, before, describe, test } from "node:test";
import { promisify } from "node:util";
import {
	ROOT_KEY,
	startTestGateway,
	type TestGateway,
} from "./helpers/gateway.ts";
import { lambdaRole } from "./helpers/iam.ts";

const run = promisify(execFile);

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
import io, json, os, sys, zipfile
import boto3
from botocore.exceptions import ClientError

def package(version):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("index.mjs", "export const handler = async (e) => ({ v: %d, who: process.env.WHO ?? null });" % version)
    return buf.getvalue()

lam = boto3.client("lambda", endpoint_url=os.environ["ENDPOINT"], region_name="us-east-1")
out = {}
role = os.environ["ROLE"]
for name in ["boto-a", "boto-b", "boto-c"]:
    lam.create_function(FunctionName=name, Runtime="nodejs24.x", Role=role, Handler="index.handler",
                        Code={"ZipFile": package(1)}, Environment={"Variables": {"WHO": "boto"}})
lam.get_waiter("function_active_v2").wait(FunctionName="boto-a")
names = []
for page in lam.get_paginator("list_functions").paginate(PaginationConfig={"PageSize": 1}):
    names += [f["FunctionName"] for f in page["Functions"]]
out["listed"] = names
out["state"] = lam.get_function(FunctionName="boto-a")["Configuration"]["State"]
lam.update_function_code(FunctionName="boto-a", ZipFile=package(2))
lam.update_function_configuration(FunctionName="boto-a", Environment={"Variables": {"WHO": "again"}}, Timeout=9)
lam.get_waiter("function_updated_v2").wait(FunctionName="boto-a")
out["timeout"] = lam.get_function_configuration(FunctionName="boto-a")["Timeout"]
r = lam.invoke(FunctionName="boto-a", Payload=b"{}")
out["invoke"] = json.loads(r["Payload"].read())
lam.delete_function(FunctionName="boto-c")
try:
    lam.get_function(FunctionName="boto-c")
except ClientError as e:
    out["deleted"] = e.response["Error"]["Code"]
try:
    lam.create_function(FunctionName="boto-bad", Runtime="nodejs24.x", Role=role, Handler="index.handler",
                        Code={"ZipFile": package(1)}, Layers=["arn:aws:lambda:us-east-1:123456789012:layer:x:1"])
except ClientError as e:
    out["layers"] = [e.response["Error"]["Code"], e.response["Error"]["Message"]]
try:
    lam.list_layers()
except ClientError as e:
    out["unknown"] = [e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"], bool(e.response["ResponseMetadata"].get("RequestId"))]
print(json.dumps(out))
`;

describe("boto3 against Sigil's Lambda API", {
	// In CI a missing peer client is a broken install step (setup installs python3-boto3), never a skip.
	skip: python || process.env.CI ? false : "no python3 with boto3 here",
}, () => {
	let gw: TestGateway;
	let role = "";
	before(async () => {
		if (!python)
			throw new Error(
				"no python3 with boto3: `npm run setup` installs Debian's python3-boto3",
			);
		gw = await startTestGateway();
		role = await lambdaRole(gw, "boto-exec");
	});
	after(async () => {
		await gw?.stop();
	});

	test("create, wait, paginate, get, update, invoke, delete; named errors", async () => {
		const { stdout } = await run(python as string, ["-c", SCRIPT], {
			env: {
				PATH: process.env.PATH,
				HOME: gw.dataDir,
				ENDPOINT: gw.url,
				ROLE: role,
				AWS_ACCESS_KEY_ID: ROOT_KEY.accessKeyId,
				AWS_SECRET_ACCESS_KEY: ROOT_KEY.secretAccessKey,
				AWS_CONFIG_FILE: "/nonexistent",
				AWS_SHARED_CREDENTIALS_FILE: "/nonexistent",
				AWS_MAX_ATTEMPTS: "1",
			},
			timeout: 120_000,
		});
		const out = JSON.parse(stdout);
		assert.deepEqual(out.listed, ["boto-a", "boto-b", "boto-c"]);
		assert.equal(out.state, "Active");
		assert.equal(out.timeout, 9);
		assert.deepEqual(out.invoke, { v: 2, who: "again" });
		assert.equal(out.deleted, "ResourceNotFoundException");
		assert.equal(out.layers[0], "InvalidParameterValueException");
		assert.match(out.layers[1], /Layers/);
		assert.deepEqual(out.unknown, ["UnknownOperationException", 404, true]);
	});
});
