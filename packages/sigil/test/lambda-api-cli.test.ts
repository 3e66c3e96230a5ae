// The AWS CLI, unmodified, against Sigil's Lambda API: `aws lambda invoke` (RequestResponse with
// a log tail, a function error, Event) and the old `aws lambda invoke-async`. Skipped, with the
// reason, where the CLI is not installed locally; in CI a missing CLI fails the run.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { promisify } from "node:util";
import { type AsyncTestGateway, startAsyncGateway } from "./async-helpers.ts";
import { ROOT_KEY } from "./helpers/gateway.ts";
import { awsCliMissing } from "./helpers/system-tools.ts";

const run = promisify(execFile);

const skip = awsCliMissing();

describe("aws lambda … --endpoint-url", { skip }, () => {
	let gw: AsyncTestGateway;
	let dir: string;
	before(async () => {
		gw = await startAsyncGateway();
		await gw.deploy(
			"cli-echo",
			{ runtime: "node" },
			{
				"index.mjs": `export const handler = async (e) => { console.log("cli was here"); if (e.fail) throw new RangeError("no"); return { echo: e }; };`,
			},
		);
		dir = await mkdtemp(join(tmpdir(), "sigil-cli-"));
	});
	after(async () => {
		await gw?.stop();
		await rm(dir, { recursive: true, force: true });
	});

	async function aws(...args: string[]): Promise<Record<string, unknown>> {
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
				},
				timeout: 30_000,
			},
		);
		return JSON.parse(stdout) as Record<string, unknown>;
	}

	test("invoke with --log-type Tail: 200, payload in the outfile, the tail decodes to the log", async () => {
		const out = join(dir, "out.json");
		const meta = await aws(
			"invoke",
			"--function-name",
			"cli-echo",
			"--payload",
			'{"a":1}',
			"--log-type",
			"Tail",
			out,
		);
		assert.equal(meta.StatusCode, 200);
		assert.equal(meta.ExecutedVersion, "$LATEST");
		assert.match(
			Buffer.from(String(meta.LogResult), "base64").toString(),
			/cli was here/,
		);
		assert.deepEqual(JSON.parse(await readFile(out, "utf8")), {
			echo: { a: 1 },
		});
	});

	test("invoke of a throwing function: FunctionError Unhandled", async () => {
		const out = join(dir, "err.json");
		const meta = await aws(
			"invoke",
			"--function-name",
			"cli-echo",
			"--payload",
			'{"fail":true}',
			out,
		);
		assert.equal(meta.FunctionError, "Unhandled");
		assert.equal(
			JSON.parse(await readFile(out, "utf8")).errorType,
			"RangeError",
		);
	});

	test("invoke --invocation-type Event: 202 and the job runs", async () => {
		const meta = await aws(
			"invoke",
			"--function-name",
			`arn:aws:lambda:us-east-1:${gw.gateway.rootAccountId}:function:cli-echo`,
			"--invocation-type",
			"Event",
			"--payload",
			'{"b":2}',
			join(dir, "event.json"),
		);
		assert.equal(meta.StatusCode, 202);
		const list = await gw.signed("GET", "/sigil/v1/jobs?function=cli-echo");
		const { jobs } = (await list.json()) as { jobs: { id: string }[] };
		const done = await Promise.all(
			jobs.map((j) => gw.waitForJob(j.id, ["succeeded"])),
		);
		assert.ok(
			done.some(
				(j) => Buffer.from(j.payload ?? "", "base64").toString() === '{"b":2}',
			),
		);
	});

	test("invoke-async (2014-11-13 API): Status 202", async () => {
		const args = join(dir, "args.json");
		await writeFile(args, '{"c":3}');
		const meta = await aws(
			"invoke-async",
			"--function-name",
			"cli-echo",
			"--invoke-args",
			args,
		);
		assert.equal(meta.Status, 202);
	});
});
