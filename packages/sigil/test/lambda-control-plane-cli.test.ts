// Issue 11 through the AWS CLI, unmodified (`--endpoint-url` at a real gateway): the first
// things a Lambda user types — create-function from a zip, the waiters, list (paged by the
// server), get, update code and configuration, invoke, url configs, account settings, delete.
// Skipped with the reason where the CLI is not installed locally; in CI a missing CLI fails.
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
import { lambdaRole } from "./helpers/iam.ts";
import { awsCliMissing } from "./helpers/system-tools.ts";

const run = promisify(execFile);
/** An execution role Lambda may assume, made in `before`. */
let ROLE = "";

// biome-ignore lint/suspicious/noExplicitAny: the CLI's JSON output is read field by field, as a script would.
type Json = Record<string, any>;

describe("aws lambda create-function … delete-function --endpoint-url", {
	skip: awsCliMissing(),
}, () => {
	let gw: TestGateway;
	let dir: string;

	before(async () => {
		gw = await startTestGateway();
		ROLE = await lambdaRole(gw, "cli-exec");
		dir = await mkdtemp(join(tmpdir(), "sigil-lcp-cli-"));
		await writeFile(
			join(dir, "v1.zip"),
			writeZip([
				{
					path: "index.mjs",
					data: `export const handler = async (e) => ({ v: 1, who: process.env.WHO ?? null, e });`,
				},
			]),
		);
		await writeFile(
			join(dir, "v2.zip"),
			writeZip([
				{
					path: "index.mjs",
					data: `export const handler = async (e) => ({ v: 2, who: process.env.WHO ?? null, e });`,
				},
			]),
		);
	});
	after(async () => {
		await gw?.stop();
		await rm(dir, { recursive: true, force: true });
	});

	async function aws(...args: string[]): Promise<Json> {
		const { stdout } = await run(
			"aws",
			["lambda", ...args, "--endpoint-url", gw.url, "--output", "json"],
			{
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
				timeout: 60_000,
			},
		);
		return stdout.trim() ? (JSON.parse(stdout) as Json) : {};
	}

	async function awsFails(...args: string[]): Promise<string> {
		return aws(...args).then(
			() => assert.fail(`aws lambda ${args[0]} should fail`),
			(err: { stderr: string }) => err.stderr,
		);
	}

	async function invoke(name: string): Promise<Json> {
		const out = join(dir, `${name}.out`);
		const meta = await aws(
			"invoke",
			"--function-name",
			name,
			"--payload",
			'{"x":1}',
			out,
		);
		assert.equal(meta.StatusCode, 200);
		assert.equal(meta.FunctionError, undefined);
		return JSON.parse(await readFile(out, "utf8")) as Json;
	}

	test("create-function --zip-file fileb://, then wait function-active and function-active-v2", async () => {
		const c = await aws(
			"create-function",
			"--function-name",
			"cli-made",
			"--runtime",
			"nodejs24.x",
			"--handler",
			"index.handler",
			"--role",
			ROLE,
			"--zip-file",
			`fileb://${join(dir, "v1.zip")}`,
			"--environment",
			"Variables={WHO=cli}",
			"--timeout",
			"5",
			"--memory-size",
			"192",
			"--description",
			"from the CLI",
		);
		assert.equal(c.FunctionName, "cli-made");
		assert.equal(c.Role, ROLE);
		assert.equal(c.Timeout, 5);
		assert.equal(c.MemorySize, 192);
		assert.deepEqual(c.Environment, { Variables: { WHO: "cli" } });
		await aws("wait", "function-active", "--function-name", "cli-made");
		await aws("wait", "function-active-v2", "--function-name", "cli-made");
		await aws("wait", "function-exists", "--function-name", "cli-made");
		assert.deepEqual(await invoke("cli-made"), {
			v: 1,
			who: "cli",
			e: { x: 1 },
		});
	});

	test("get-function and get-function-configuration", async () => {
		const g = await aws("get-function", "--function-name", "cli-made");
		assert.equal(g.Configuration.State, "Active");
		assert.equal(g.Configuration.Description, "from the CLI");
		const c = await aws(
			"get-function-configuration",
			"--function-name",
			"cli-made",
		);
		assert.deepEqual(c, g.Configuration);
	});

	test("list-functions pages through the server with --page-size (Marker/MaxItems)", async () => {
		for (const n of ["cli-page-1", "cli-page-2"])
			await aws(
				"create-function",
				"--function-name",
				n,
				"--runtime",
				"nodejs22.x",
				"--handler",
				"index.handler",
				"--role",
				ROLE,
				"--zip-file",
				`fileb://${join(dir, "v1.zip")}`,
			);
		const all = await aws("list-functions", "--page-size", "1");
		const names = (all.Functions as Json[]).map((f) => f.FunctionName).sort();
		assert.deepEqual(names, ["cli-made", "cli-page-1", "cli-page-2"]);
		const first = await aws(
			"list-functions",
			"--max-items",
			"2",
			"--page-size",
			"1",
		);
		assert.equal(first.Functions.length, 2);
		assert.ok(first.NextToken, "the CLI got a marker back");
		const rest = await aws(
			"list-functions",
			"--starting-token",
			first.NextToken,
			"--page-size",
			"1",
		);
		assert.deepEqual(
			[...first.Functions, ...rest.Functions]
				.map((f: Json) => f.FunctionName)
				.sort(),
			names,
		);
	});

	test("update-function-code and update-function-configuration, then wait function-updated", async () => {
		const u = await aws(
			"update-function-code",
			"--function-name",
			"cli-made",
			"--zip-file",
			`fileb://${join(dir, "v2.zip")}`,
		);
		assert.equal(u.LastUpdateStatus, "Successful");
		await aws("wait", "function-updated", "--function-name", "cli-made");
		assert.equal((await invoke("cli-made")).v, 2);
		const c = await aws(
			"update-function-configuration",
			"--function-name",
			"cli-made",
			"--environment",
			"Variables={WHO=again}",
			"--timeout",
			"8",
		);
		assert.equal(c.Timeout, 8);
		await aws("wait", "function-updated-v2", "--function-name", "cli-made");
		assert.equal((await invoke("cli-made")).who, "again");
	});

	test("list-function-url-configs and get-account-settings", async () => {
		const urls = await aws(
			"list-function-url-configs",
			"--function-name",
			"cli-made",
		);
		assert.equal(urls.FunctionUrlConfigs.length, 1);
		assert.equal(urls.FunctionUrlConfigs[0].AuthType, "AWS_IAM");
		const s = await aws("get-account-settings");
		assert.equal(s.AccountUsage.FunctionCount, 3);
	});

	test("errors are named: conflicts, unsupported fields, hostile zips", async () => {
		assert.match(
			await awsFails(
				"create-function",
				"--function-name",
				"cli-made",
				"--runtime",
				"nodejs24.x",
				"--handler",
				"index.handler",
				"--role",
				ROLE,
				"--zip-file",
				`fileb://${join(dir, "v1.zip")}`,
			),
			/\(ResourceConflictException\) when calling the CreateFunction operation/,
		);
		assert.match(
			await awsFails(
				"update-function-configuration",
				"--function-name",
				"cli-made",
				"--tracing-config",
				"Mode=Active",
			),
			/\(InvalidParameterValueException\) when calling the UpdateFunctionConfiguration operation: TracingConfig is not supported/,
		);
		await writeFile(
			join(dir, "evil.zip"),
			writeZip([{ path: "../../evil.mjs", data: "x" }]),
		);
		assert.match(
			await awsFails(
				"update-function-code",
				"--function-name",
				"cli-made",
				"--zip-file",
				`fileb://${join(dir, "evil.zip")}`,
			),
			/\(InvalidParameterValueException\).*Could not unzip uploaded file/,
		);
		assert.equal((await invoke("cli-made")).v, 2);
	});

	test("put-function-concurrency, get-function-concurrency, delete-function-concurrency", async () => {
		const put = await aws(
			"put-function-concurrency",
			"--function-name",
			"cli-made",
			"--reserved-concurrent-executions",
			"2",
		);
		assert.equal(put.ReservedConcurrentExecutions, 2);
		assert.equal(
			(await aws("get-function-concurrency", "--function-name", "cli-made"))
				.ReservedConcurrentExecutions,
			2,
		);
		assert.equal(
			(await aws("get-function", "--function-name", "cli-made")).Concurrency
				.ReservedConcurrentExecutions,
			2,
		);
		await aws("delete-function-concurrency", "--function-name", "cli-made");
		assert.deepEqual(
			await aws("get-function-concurrency", "--function-name", "cli-made"),
			{},
		);
		assert.equal((await invoke("cli-made")).v, 2);
	});

	test("delete-function, then get-function is ResourceNotFoundException", async () => {
		await aws("delete-function", "--function-name", "cli-page-2");
		assert.match(
			await awsFails("get-function", "--function-name", "cli-page-2"),
			/\(ResourceNotFoundException\) when calling the GetFunction operation/,
		);
	});
});
