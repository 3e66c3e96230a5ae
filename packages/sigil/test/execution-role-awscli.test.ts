// The execution-role flow with the AWS CLI (issue 11), as a user types it: `aws iam create-role`
// with Lambda's trust, `aws lambda create-function --role`, invoke — the function runs with the
// role's session — and Lambda's own refusals, worded as botocore prints them.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
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
import { LAMBDA_TRUST_POLICY } from "./helpers/iam.ts";
import { awsCliMissing } from "./helpers/system-tools.ts";

const run = promisify(execFile);

describe("aws iam create-role → aws lambda create-function --role", {
	skip: awsCliMissing(),
}, () => {
	let gw: TestGateway;
	let dir: string;
	let account: string;

	before(async () => {
		gw = await startTestGateway();
		account = gw.gateway.rootAccountId;
		dir = await mkdtemp(join(tmpdir(), "sigil-role-awscli-"));
		await writeFile(
			join(dir, "fn.zip"),
			writeZip([
				{
					path: "index.mjs",
					data: "export const handler = async () => ({ id: process.env.AWS_ACCESS_KEY_ID ?? null, region: process.env.AWS_REGION ?? null });",
				},
			]),
		);
	});
	after(async () => {
		await gw?.stop();
		await rm(dir, { recursive: true, force: true });
	});

	/** The AWS CLI with the root key and nothing of this machine's own configuration. */
	function aws(...args: string[]) {
		return run("aws", [...args, "--endpoint-url", gw.url, "--output", "json"], {
			env: {
				PATH: process.env.PATH,
				HOME: dir,
				AWS_ACCESS_KEY_ID: ROOT_KEY.accessKeyId,
				AWS_SECRET_ACCESS_KEY: ROOT_KEY.secretAccessKey,
				AWS_DEFAULT_REGION: "us-east-1",
				AWS_CONFIG_FILE: join(dir, "none"),
				AWS_SHARED_CREDENTIALS_FILE: join(dir, "none"),
				AWS_MAX_ATTEMPTS: "1",
			},
		});
	}
	const create = (name: string, role: string) =>
		aws(
			"lambda",
			"create-function",
			"--function-name",
			name,
			"--runtime",
			"nodejs22.x",
			"--handler",
			"index.handler",
			"--role",
			role,
			"--zip-file",
			`fileb://${join(dir, "fn.zip")}`,
		);

	test("a role trusting lambda.amazonaws.com: created, and the function runs with its session", async () => {
		const role = JSON.parse(
			(
				await aws(
					"iam",
					"create-role",
					"--role-name",
					"awscli-exec",
					"--assume-role-policy-document",
					LAMBDA_TRUST_POLICY,
				)
			).stdout,
		) as { Role: { Arn: string } };
		assert.equal(role.Role.Arn, `arn:aws:iam::${account}:role/awscli-exec`);
		const fn = JSON.parse(
			(await create("awscli-role-fn", role.Role.Arn)).stdout,
		) as {
			Role: string;
		};
		assert.equal(fn.Role, role.Role.Arn);
		const out = join(dir, "out.json");
		await aws("lambda", "invoke", "--function-name", "awscli-role-fn", out);
		const body = JSON.parse(await readFile(out, "utf8")) as {
			id: string;
			region: string;
		};
		assert.match(body.id, /^ASIA/);
		assert.equal(body.region, "us-east-1");
	});

	test("a role that does not exist: botocore's InvalidParameterValueException with Lambda's words", async () => {
		await assert.rejects(
			create("awscli-no-role", `arn:aws:iam::${account}:role/awscli-missing`),
			(err: Error & { stderr?: string }) => {
				assert.match(
					err.stderr ?? "",
					/\(InvalidParameterValueException\) when calling the CreateFunction operation: The role defined for the function cannot be assumed by Lambda\./,
				);
				return true;
			},
		);
	});

	test("another account's role: AccessDeniedException, Cross-account pass role is not allowed.", async () => {
		await assert.rejects(
			create("awscli-cross", "arn:aws:iam::123456789012:role/someone-elses"),
			(err: Error & { stderr?: string }) => {
				assert.match(
					err.stderr ?? "",
					/\(AccessDeniedException\) when calling the CreateFunction operation: Cross-account pass role is not allowed\./,
				);
				return true;
			},
		);
	});
});
