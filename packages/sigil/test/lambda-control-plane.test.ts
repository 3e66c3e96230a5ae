// Issue 11, "Lambda control plane, AWS-shaped": CreateFunction from a zip, Get/GetConfiguration,
// ListFunctions with Marker/MaxItems, UpdateFunctionCode/Configuration, DeleteFunction,
// GetAccountSettings, ListFunctionUrlConfigs — through the SDK v3 (@aws-sdk/client-lambda) and
// signed requests, on the same functions `sigil deploy` manages. Hostile zips are refused.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import {
	CreateFunctionCommand,
	type CreateFunctionCommandInput,
	DeleteFunctionCommand,
	DeleteFunctionConcurrencyCommand,
	GetAccountSettingsCommand,
	GetFunctionCommand,
	GetFunctionConcurrencyCommand,
	GetFunctionConfigurationCommand,
	InvokeCommand,
	LambdaClient,
	ListFunctionsCommand,
	ListFunctionUrlConfigsCommand,
	PutFunctionConcurrencyCommand,
	UpdateFunctionCodeCommand,
	UpdateFunctionConfigurationCommand,
} from "@aws-sdk/client-lambda";
import { writeZip } from "../src/functions/zip.ts";
import {
	ROOT_KEY,
	startTestGateway,
	type TestGateway,
} from "./helpers/gateway.ts";
import { cp, createAccount, type Keys, lambdaRole } from "./helpers/iam.ts";

let gw: TestGateway;
let client: LambdaClient;
let account: string;

/** An execution role of the root account that Lambda may assume (made in `before`). */
let ROLE = "";
let OTHER_ROLE = "";

function lambda(credentials: Keys = ROOT_KEY): LambdaClient {
	return new LambdaClient({
		endpoint: gw.url,
		region: "us-east-1",
		credentials,
		maxAttempts: 1,
	});
}

function nodeZip(body: string, file = "index.mjs"): Uint8Array {
	return writeZip([{ path: file, data: body }]);
}

const ECHO_ENV = (tag: string) =>
	`export const main = async (e) => ({ tag: ${JSON.stringify(tag)}, greeting: process.env.GREETING ?? null, e });`;

function createInput(
	name: string,
	over: Partial<CreateFunctionCommandInput> = {},
): CreateFunctionCommandInput {
	return {
		FunctionName: name,
		Runtime: "nodejs22.x",
		Role: ROLE,
		Handler: "app.main",
		Code: { ZipFile: nodeZip(ECHO_ENV("v1"), "app.mjs") },
		...over,
	};
}

async function invokeJson(name: string, payload: unknown = {}) {
	const r = await client.send(
		new InvokeCommand({
			FunctionName: name,
			Payload: Buffer.from(JSON.stringify(payload)),
		}),
	);
	assert.equal(
		r.FunctionError,
		undefined,
		Buffer.from(r.Payload ?? []).toString(),
	);
	return JSON.parse(Buffer.from(r.Payload ?? []).toString());
}

/** Asserts the SDK raised `name` (Lambda's error type) with a message matching `message`. */
async function rejectsWith(
	p: Promise<unknown>,
	name: string,
	message?: RegExp,
) {
	await assert.rejects(p, (err: Error) => {
		assert.equal(err.name, name, err.message);
		if (message) assert.match(err.message, message);
		return true;
	});
}

before(async () => {
	gw = await startTestGateway();
	account = gw.gateway.rootAccountId;
	ROLE = await lambdaRole(gw, "fn-exec", { path: "/service-role/" });
	OTHER_ROLE = await lambdaRole(gw, "other");
	client = lambda();
});
after(async () => {
	client.destroy();
	await gw.stop();
});

describe("CreateFunction → Get → Invoke → Update → Delete (SDK v3)", () => {
	test("create from a zip: 201 FunctionConfiguration, Active, every field as sent", async () => {
		const c = await client.send(
			new CreateFunctionCommand(
				createInput("lcp-one", {
					Environment: { Variables: { GREETING: "hej" } },
					Timeout: 7,
					MemorySize: 256,
					Description: "made by the SDK",
				}),
			),
		);
		assert.equal(c.$metadata.httpStatusCode, 201);
		assert.equal(c.FunctionName, "lcp-one");
		assert.equal(
			c.FunctionArn,
			`arn:aws:lambda:us-east-1:${account}:function:lcp-one`,
		);
		assert.match(c.Runtime ?? "", /^nodejs\d+\.x$/);
		assert.equal(c.Handler, "app.main");
		assert.equal(c.Role, ROLE);
		assert.deepEqual(c.Environment?.Variables, { GREETING: "hej" });
		assert.equal(c.Timeout, 7);
		assert.equal(c.MemorySize, 256);
		assert.equal(c.Description, "made by the SDK");
		assert.equal(c.Version, "$LATEST");
		assert.equal(c.State, "Active");
		assert.equal(c.LastUpdateStatus, "Successful");
		assert.equal(c.PackageType, "Zip");
		assert.match(c.CodeSha256 ?? "", /^[A-Za-z0-9+/]{43}=$/);
		assert.match(
			c.RevisionId ?? "",
			/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
		);
		assert.match(
			c.LastModified ?? "",
			/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$/,
		);

		assert.deepEqual(await invokeJson("lcp-one", { a: 1 }), {
			tag: "v1",
			greeting: "hej",
			e: { a: 1 },
		});
		const g = await client.send(
			new GetFunctionCommand({ FunctionName: "lcp-one" }),
		);
		const gc = await client.send(
			new GetFunctionConfigurationCommand({ FunctionName: "lcp-one" }),
		);
		const { $metadata: _a, ...fromCreate } = c;
		const { $metadata: _b, ...fromGetConfiguration } = gc;
		assert.deepEqual(g.Configuration, fromCreate);
		assert.deepEqual(fromGetConfiguration, fromCreate);
	});

	test("defaults are Lambda's: Timeout 3, MemorySize 128, empty Description, no Environment", async () => {
		const c = await client.send(
			new CreateFunctionCommand(createInput("lcp-defaults")),
		);
		assert.equal(c.Timeout, 3);
		assert.equal(c.MemorySize, 128);
		assert.equal(c.Description, "");
		assert.equal(c.Environment, undefined);
	});

	test("the same name again is ResourceConflictException", async () => {
		await rejectsWith(
			client.send(new CreateFunctionCommand(createInput("lcp-one"))),
			"ResourceConflictException",
			/already exist/,
		);
	});

	test("two creates of one name at once: one 201, one ResourceConflictException", async () => {
		const results = await Promise.allSettled([
			client.send(new CreateFunctionCommand(createInput("lcp-race"))),
			client.send(new CreateFunctionCommand(createInput("lcp-race"))),
		]);
		const names = results
			.map((r) => (r.status === "fulfilled" ? "ok" : (r.reason as Error).name))
			.sort();
		assert.deepEqual(names, ["ResourceConflictException", "ok"]);
		await client.send(new DeleteFunctionCommand({ FunctionName: "lcp-race" }));
	});

	test("UpdateFunctionCode: the new code runs; CodeSha256 and RevisionId change; a stale RevisionId is PreconditionFailed", async () => {
		const before = await client.send(
			new GetFunctionConfigurationCommand({ FunctionName: "lcp-one" }),
		);
		const u = await client.send(
			new UpdateFunctionCodeCommand({
				FunctionName: "lcp-one",
				ZipFile: nodeZip(ECHO_ENV("v2"), "app.mjs"),
				RevisionId: before.RevisionId,
			}),
		);
		assert.equal(u.LastUpdateStatus, "Successful");
		assert.notEqual(u.CodeSha256, before.CodeSha256);
		assert.notEqual(u.RevisionId, before.RevisionId);
		assert.equal(u.Handler, "app.main");
		assert.deepEqual(u.Environment?.Variables, { GREETING: "hej" });
		assert.equal((await invokeJson("lcp-one")).tag, "v2");
		await rejectsWith(
			client.send(
				new UpdateFunctionCodeCommand({
					FunctionName: "lcp-one",
					ZipFile: nodeZip(ECHO_ENV("v3"), "app.mjs"),
					RevisionId: before.RevisionId,
				}),
			),
			"PreconditionFailedException",
		);
		assert.equal((await invokeJson("lcp-one")).tag, "v2");
	});

	test("UpdateFunctionCode DryRun checks the zip and changes nothing", async () => {
		const before = await client.send(
			new GetFunctionConfigurationCommand({ FunctionName: "lcp-one" }),
		);
		const d = await client.send(
			new UpdateFunctionCodeCommand({
				FunctionName: "lcp-one",
				ZipFile: nodeZip(ECHO_ENV("dry"), "app.mjs"),
				DryRun: true,
			}),
		);
		assert.equal(d.CodeSha256, before.CodeSha256);
		assert.equal((await invokeJson("lcp-one")).tag, "v2");
	});

	test("UpdateFunctionConfiguration: environment, timeout, memory, description, handler, role", async () => {
		const u = await client.send(
			new UpdateFunctionConfigurationCommand({
				FunctionName: "lcp-one",
				Environment: { Variables: { GREETING: "moi" } },
				Timeout: 12,
				MemorySize: 512,
				Description: "changed",
				Role: OTHER_ROLE,
			}),
		);
		assert.equal(u.Timeout, 12);
		assert.equal(u.MemorySize, 512);
		assert.equal(u.Description, "changed");
		assert.equal(u.Role, OTHER_ROLE);
		assert.equal(u.State, "Active");
		assert.equal(u.LastUpdateStatus, "Successful");
		assert.equal((await invokeJson("lcp-one")).greeting, "moi");
		// A handler the zip does not have: stored, and the invoke fails as Lambda's does.
		const h = await client.send(
			new UpdateFunctionConfigurationCommand({
				FunctionName: "lcp-one",
				Handler: "app.other",
			}),
		);
		assert.equal(h.Handler, "app.other");
		const r = await client.send(new InvokeCommand({ FunctionName: "lcp-one" }));
		assert.equal(r.FunctionError, "Unhandled");
		assert.equal(
			JSON.parse(Buffer.from(r.Payload ?? []).toString()).errorType,
			"Runtime.ImportModuleError",
		);
		await client.send(
			new UpdateFunctionConfigurationCommand({
				FunctionName: "lcp-one",
				Handler: "app.main",
			}),
		);
		assert.equal((await invokeJson("lcp-one")).greeting, "moi");
	});

	test("Environment with Lambda's reserved keys, or over 4 KB, is refused", async () => {
		await rejectsWith(
			client.send(
				new UpdateFunctionConfigurationCommand({
					FunctionName: "lcp-defaults",
					Environment: { Variables: { AWS_SECRET_ACCESS_KEY: "x" } },
				}),
			),
			"InvalidParameterValueException",
			/reserved keys.*AWS_SECRET_ACCESS_KEY/,
		);
		await rejectsWith(
			client.send(
				new UpdateFunctionConfigurationCommand({
					FunctionName: "lcp-defaults",
					Environment: { Variables: { BIG: "x".repeat(5000) } },
				}),
			),
			"InvalidParameterValueException",
			/4KB/,
		);
	});

	test("DeleteFunction: 204, then Get is ResourceNotFoundException and Invoke fails", async () => {
		await client.send(new CreateFunctionCommand(createInput("lcp-doomed")));
		const d = await client.send(
			new DeleteFunctionCommand({ FunctionName: "lcp-doomed" }),
		);
		assert.equal(d.$metadata.httpStatusCode, 204);
		await rejectsWith(
			client.send(new GetFunctionCommand({ FunctionName: "lcp-doomed" })),
			"ResourceNotFoundException",
		);
		await rejectsWith(
			client.send(new InvokeCommand({ FunctionName: "lcp-doomed" })),
			"ResourceNotFoundException",
		);
		await rejectsWith(
			client.send(new DeleteFunctionCommand({ FunctionName: "lcp-doomed" })),
			"ResourceNotFoundException",
		);
	});

	test("a function created here starts closed: its /function/NAME URL is AWS_IAM", async () => {
		const res = await fetch(`${gw.url}/function/lcp-defaults`);
		assert.equal(res.status, 403);
		const urls = await client.send(
			new ListFunctionUrlConfigsCommand({ FunctionName: "lcp-defaults" }),
		);
		assert.equal(urls.FunctionUrlConfigs?.length, 1);
		assert.equal(urls.FunctionUrlConfigs?.[0]?.AuthType, "AWS_IAM");
		assert.equal(
			urls.FunctionUrlConfigs?.[0]?.FunctionUrl,
			`${gw.url}/function/lcp-defaults/`.replace("localhost", "127.0.0.1"),
		);
	});
});

describe("python3", () => {
	test("python3.x with Handler handler.handle runs Sigil's python3 (handle(req) of handler.py)", async () => {
		const c = await client.send(
			new CreateFunctionCommand({
				FunctionName: "lcp-py",
				Runtime: "python3.12",
				Role: ROLE,
				Handler: "handler.handle",
				Code: {
					ZipFile: writeZip([
						{
							path: "handler.py",
							data: "def handle(req):\n    return 'py:' + req\n",
						},
					]),
				},
			}),
		);
		assert.match(c.Runtime ?? "", /^python3\.\d+$/);
		assert.equal(c.Handler, "handler.handle");
		const r = await client.send(
			new InvokeCommand({
				FunctionName: "lcp-py",
				Payload: Buffer.from('{"n":1}'),
			}),
		);
		assert.equal(r.FunctionError, undefined);
		assert.match(
			Buffer.from(r.Payload ?? []).toString(),
			/py:\{"n":1\}|py:{\\"n\\":1}/,
		);
		await client.send(new DeleteFunctionCommand({ FunctionName: "lcp-py" }));
	});
});

describe("ListFunctions and GetAccountSettings", () => {
	test("Marker/MaxItems pages through every function exactly once, in name order", async () => {
		for (const n of ["lcp-page-a", "lcp-page-b", "lcp-page-c"])
			await client.send(new CreateFunctionCommand(createInput(n)));
		const all = await client.send(new ListFunctionsCommand({}));
		const names = (all.Functions ?? []).map((f) => f.FunctionName as string);
		assert.deepEqual(names, [...names].sort());
		assert.equal(all.NextMarker, undefined);
		const seen: string[] = [];
		let marker: string | undefined;
		let pages = 0;
		do {
			const page = await client.send(
				new ListFunctionsCommand({
					MaxItems: 2,
					...(marker && { Marker: marker }),
				}),
			);
			assert.ok((page.Functions ?? []).length <= 2);
			seen.push(...(page.Functions ?? []).map((f) => f.FunctionName as string));
			marker = page.NextMarker;
			pages++;
		} while (marker && pages < 20);
		assert.deepEqual(seen, names);
		assert.ok(pages >= 2);
		for (const f of all.Functions ?? []) assert.equal(f.State, "Active");
	});

	test("a bad MaxItems or Marker is InvalidParameterValueException", async () => {
		const res = await gw.signed("GET", "/2015-03-31/functions/?MaxItems=0", {
			service: "lambda",
		});
		assert.equal(res.status, 400);
		assert.equal(
			res.headers.get("x-amzn-errortype"),
			"InvalidParameterValueException",
		);
		const bad = await gw.signed("GET", "/2015-03-31/functions/?Marker=%21%21", {
			service: "lambda",
		});
		assert.equal(
			bad.headers.get("x-amzn-errortype"),
			"InvalidParameterValueException",
		);
	});

	test("GetAccountSettings counts the account's functions and code", async () => {
		const s = await client.send(new GetAccountSettingsCommand({}));
		const list = await client.send(new ListFunctionsCommand({}));
		assert.equal(s.AccountUsage?.FunctionCount, list.Functions?.length);
		assert.equal(
			s.AccountUsage?.TotalCodeSize,
			(list.Functions ?? []).reduce((n, f) => n + (f.CodeSize ?? 0), 0),
		);
		assert.equal(s.AccountLimit?.CodeSizeZipped, 50 * 1024 * 1024);
	});
});

describe("one model, two front doors", () => {
	test("a function made by `sigil deploy` (control plane) is listed, read and updated through the Lambda API", async () => {
		await gw.deploy(
			"lcp-from-yml",
			{ runtime: "node", timeout: "20s", environment: { GREETING: "yml" } },
			{
				"index.mjs": ECHO_ENV("yml").replace("main", "handler"),
			},
		);
		const g = await client.send(
			new GetFunctionConfigurationCommand({ FunctionName: "lcp-from-yml" }),
		);
		assert.equal(g.Handler, "index.handler");
		assert.equal(g.Timeout, 20);
		assert.equal(g.MemorySize, 256);
		assert.equal(g.Role, undefined);
		const list = await client.send(new ListFunctionsCommand({}));
		assert.ok(list.Functions?.some((f) => f.FunctionName === "lcp-from-yml"));
		await client.send(
			new UpdateFunctionConfigurationCommand({
				FunctionName: "lcp-from-yml",
				Timeout: 9,
				Description: "via Lambda",
			}),
		);
		const back = await cp<{ function: { config: Record<string, unknown> } }>(
			gw,
			"GET",
			"/functions/lcp-from-yml",
		);
		assert.equal(back.function.config.timeout, 9);
		assert.equal(back.function.config.description, "via Lambda");
		assert.deepEqual(back.function.config.environment, { GREETING: "yml" });
		assert.equal((await invokeJson("lcp-from-yml")).greeting, "yml");
	});

	test("a function made by CreateFunction reads back through Sigil's API with its role and description", async () => {
		const back = await cp<{ function: { config: Record<string, unknown> } }>(
			gw,
			"GET",
			"/functions/lcp-defaults",
		);
		assert.equal(back.function.config.role, ROLE);
		assert.equal(back.function.config.runtime, "node");
		assert.equal(back.function.config.entry, "app.main");
		assert.deepEqual(back.function.config.trigger, {
			auth: "aws_iam",
			services: ["lambda"],
		});
	});
});

describe("what CreateFunction refuses (InvalidParameterValueException naming it; nothing is created)", () => {
	async function refused(
		input: Record<string, unknown>,
		message: RegExp,
		name = "InvalidParameterValueException",
	) {
		const res = await gw.signed("POST", "/2015-03-31/functions", {
			service: "lambda",
			body: JSON.stringify(input),
			headers: { "content-type": "application/json" },
		});
		const body = (await res.json()) as { message: string };
		assert.equal(res.headers.get("x-amzn-errortype"), name, body.message);
		assert.match(body.message, message);
		const fn = String(input.FunctionName ?? "");
		if (/^[a-z0-9-]+$/.test(fn) && fn !== "lcp-one") {
			const get = await gw.signed("GET", `/2015-03-31/functions/${fn}`, {
				service: "lambda",
			});
			assert.equal(get.status, 404, `${fn} must not exist`);
		}
	}
	const zip = Buffer.from(
		nodeZip("export const handler = async () => 1;"),
	).toString("base64");
	const base = {
		FunctionName: "lcp-refused",
		Runtime: "nodejs24.x",
		// Read when spread, after `before` made the role.
		get Role() {
			return ROLE;
		},
		Handler: "index.handler",
		Code: { ZipFile: zip },
	};

	test("fields this gateway does not act on, by name", async () => {
		await refused({ ...base, VpcConfig: { SubnetIds: [] } }, /VpcConfig/);
		await refused(
			{ ...base, Layers: ["arn:aws:lambda:us-east-1:123456789012:layer:x:1"] },
			/Layers/,
		);
		await refused(
			{ ...base, TracingConfig: { Mode: "Active" } },
			/TracingConfig/,
		);
		// Publish: true publishes a version now (lambda-versions.test.ts); a non-boolean is refused.
		await refused({ ...base, Publish: "yes" }, /Publish/);
		await refused(
			{ ...base, Code: { S3Bucket: "b", S3Key: "k" } },
			/Code\.S3Bucket/,
		);
		await refused(
			{ ...base, Environment: { Variables: {}, Extra: 1 } },
			/Environment\.Extra/,
		);
		await refused({ ...base, PackageType: "Image" }, /PackageType/);
	});

	test("runtimes: provided (AL1) refused as Lambda does, unknown ones by enum, python3 needs MODULE.FUNCTION, provided a bootstrap", async () => {
		await refused({ ...base, Runtime: "provided" }, /no longer supported/);
		await refused({ ...base, Runtime: "java21" }, /runtime/);
		await refused(
			{ ...base, Runtime: "python3.12", Handler: "no-dot" },
			/MODULE\.FUNCTION/,
		);
		// The node zip of `base` has no bootstrap: refused at create, nothing stored.
		await refused(
			{ ...base, Runtime: "provided.al2023", Handler: "bootstrap" },
			/no file named bootstrap/,
		);
	});

	test("Role must be a role ARN; Runtime, Handler, Role and Code are required", async () => {
		await refused(
			{ ...base, Role: "arn:aws:iam::123456789012:user/alice" },
			/role/,
		);
		await refused({ ...base, Role: undefined }, /role/);
		await refused(
			{ ...base, Handler: undefined },
			/Runtime and Handler are mandatory/,
		);
		await refused({ ...base, Code: undefined }, /code/);
		await refused({ ...base, Handler: "/etc/passwd.x" }, /Handler/);
	});

	test("names Sigil cannot serve, qualifiers, bad ranges", async () => {
		await refused({ ...base, FunctionName: "My_Function" }, /lower-case/);
		await refused({ ...base, FunctionName: "lcp-x:prod" }, /qualifier/);
		await refused({ ...base, Timeout: 901 }, /less than or equal to 900/);
		await refused({ ...base, MemorySize: 64 }, /greater than or equal to 128/);
		await refused({ ...base, Description: "d".repeat(257) }, /256/);
		await refused({ Runtime: "nodejs24.x" }, /functionName/);
	});

	test("hostile zips: traversal, absolute paths, links, bombs, lies, junk", async () => {
		const cases: [Buffer | Uint8Array, RegExp][] = [
			[writeZip([{ path: "../escape.mjs", data: "x" }]), /'\.\.'/],
			[writeZip([{ path: "a/../../escape.mjs", data: "x" }]), /'\.\.'/],
			[writeZip([{ path: "/etc/cron.d/x", data: "x" }]), /absolute/],
			[writeZip([{ path: "C:/x.mjs", data: "x" }]), /drive/],
			[writeZip([{ path: "a\\b.mjs", data: "x" }]), /backslash/],
			[
				writeZip([{ path: "index.mjs", data: "/etc/passwd", mode: 0o120777 }]),
				/symbolic link/,
			],
			[writeZip([{ path: "dev", mode: 0o020644 }]), /not a regular file/],
			[
				writeZip([
					{ path: "index.mjs", data: "a" },
					{ path: "index.mjs", data: "b" },
				]),
				/twice/,
			],
			// A bomb with an honest header: refused from the header, before inflating.
			[
				writeZip([{ path: "big.bin", data: Buffer.alloc(51 * 1024 * 1024) }]),
				/more than/,
			],
			// A bomb whose header lies (declares 100 bytes, inflates to 20 MB): stopped at 100.
			[
				writeZip([
					{
						path: "lie.bin",
						data: Buffer.alloc(20 * 1024 * 1024),
						declaredSize: 100,
					},
				]),
				/declared/,
			],
			[
				Buffer.from("PK but not really a zip at all, no directory"),
				/not a zip/,
			],
			[writeZip([]), /no files/],
		];
		for (const [bytes, message] of cases)
			await refused(
				{ ...base, Code: { ZipFile: Buffer.from(bytes).toString("base64") } },
				message,
			);
	});

	test("too many files is refused from the directory", async () => {
		const many = writeZip(
			Array.from({ length: 10_001 }, (_, i) => ({
				path: `f${i}`,
				data: "",
				store: true,
			})),
		);
		await refused(
			{ ...base, Code: { ZipFile: many.toString("base64") } },
			/more than 10000/,
		);
	});
});

describe("reserved concurrency", () => {
	const SLOW = `export const handler = async (e) => { await new Promise((r) => setTimeout(r, e.ms ?? 0)); return { ok: true }; };`;

	test("Put/Get/Delete; over the reservation is 429 TooManyRequestsException, at once", async () => {
		await client.send(
			new CreateFunctionCommand(
				createInput("lcp-reserved", {
					Handler: "index.handler",
					Timeout: 10,
					Code: { ZipFile: nodeZip(SLOW) },
				}),
			),
		);
		assert.deepEqual(
			(
				await client.send(
					new GetFunctionConcurrencyCommand({ FunctionName: "lcp-reserved" }),
				)
			).ReservedConcurrentExecutions,
			undefined,
		);
		const put = await client.send(
			new PutFunctionConcurrencyCommand({
				FunctionName: "lcp-reserved",
				ReservedConcurrentExecutions: 1,
			}),
		);
		assert.equal(put.ReservedConcurrentExecutions, 1);
		const got = await client.send(
			new GetFunctionConcurrencyCommand({ FunctionName: "lcp-reserved" }),
		);
		assert.equal(got.ReservedConcurrentExecutions, 1);
		const fn = await client.send(
			new GetFunctionCommand({ FunctionName: "lcp-reserved" }),
		);
		assert.equal(fn.Concurrency?.ReservedConcurrentExecutions, 1);
		const settings = await client.send(new GetAccountSettingsCommand({}));
		assert.equal(
			(settings.AccountLimit?.ConcurrentExecutions ?? 0) -
				(settings.AccountLimit?.UnreservedConcurrentExecutions ?? 0),
			1,
		);

		const slow = client.send(
			new InvokeCommand({
				FunctionName: "lcp-reserved",
				Payload: Buffer.from('{"ms":1500}'),
			}),
		);
		await new Promise((r) => setTimeout(r, 300));
		const started = Date.now();
		await rejectsWith(
			client.send(
				new InvokeCommand({
					FunctionName: "lcp-reserved",
					Payload: Buffer.from("{}"),
				}),
			),
			"TooManyRequestsException",
		);
		assert.ok(Date.now() - started < 1000, "throttled at once, not queued");
		assert.equal((await slow).FunctionError, undefined);

		await client.send(
			new DeleteFunctionConcurrencyCommand({ FunctionName: "lcp-reserved" }),
		);
		assert.equal(
			(
				await client.send(
					new GetFunctionConcurrencyCommand({ FunctionName: "lcp-reserved" }),
				)
			).ReservedConcurrentExecutions,
			undefined,
		);
		// The default concurrency is back: two at once both run.
		const both = await Promise.all([
			client.send(
				new InvokeCommand({
					FunctionName: "lcp-reserved",
					Payload: Buffer.from('{"ms":300}'),
				}),
			),
			client.send(
				new InvokeCommand({
					FunctionName: "lcp-reserved",
					Payload: Buffer.from('{"ms":300}'),
				}),
			),
		]);
		for (const r of both) assert.equal(r.FunctionError, undefined);
	});

	// 0 (throttle everything) is accepted: lambda-versions.test.ts tests it.
	test("over 256, or another account: refused", async () => {
		await rejectsWith(
			client.send(
				new PutFunctionConcurrencyCommand({
					FunctionName: "lcp-reserved",
					ReservedConcurrentExecutions: 257,
				}),
			),
			"InvalidParameterValueException",
			/less than or equal to 256/,
		);
		await rejectsWith(
			client.send(
				new PutFunctionConcurrencyCommand({
					FunctionName: "lcp-nope",
					ReservedConcurrentExecutions: 2,
				}),
			),
			"ResourceNotFoundException",
		);
		const other = await createAccount(gw, "lcp-conc-other");
		const them = lambda(other.keys);
		try {
			const arn = `arn:aws:lambda:us-east-1:${account}:function:lcp-reserved`;
			await rejectsWith(
				them.send(
					new PutFunctionConcurrencyCommand({
						FunctionName: arn,
						ReservedConcurrentExecutions: 1,
					}),
				),
				"AccessDeniedException",
			);
			await rejectsWith(
				them.send(new DeleteFunctionConcurrencyCommand({ FunctionName: arn })),
				"AccessDeniedException",
			);
		} finally {
			them.destroy();
		}
	});

	test("sigil.yml's reservedConcurrency is the same setting", async () => {
		await gw.deploy(
			"lcp-yml-reserved",
			{ runtime: "node", reservedConcurrency: 3, concurrency: { max: 8 } },
			{ "index.mjs": SLOW },
		);
		const got = await client.send(
			new GetFunctionConcurrencyCommand({ FunctionName: "lcp-yml-reserved" }),
		);
		assert.equal(got.ReservedConcurrentExecutions, 3);
		await client.send(
			new DeleteFunctionConcurrencyCommand({
				FunctionName: "lcp-yml-reserved",
			}),
		);
		const back = await cp<{ function: { config: Record<string, unknown> } }>(
			gw,
			"GET",
			"/functions/lcp-yml-reserved",
		);
		assert.equal(back.function.config.reservedConcurrency, undefined);
		assert.deepEqual(back.function.config.concurrency, { max: 8 });
	});
});

describe("across accounts", () => {
	let other: { accountId: string; keys: Keys };
	before(async () => {
		other = await createAccount(gw, "lcp-other");
	});

	test("another account cannot create in, read, update or delete this account's functions", async () => {
		const them = lambda(other.keys);
		try {
			const arn = `arn:aws:lambda:us-east-1:${account}:function:lcp-one`;
			await rejectsWith(
				them.send(new GetFunctionCommand({ FunctionName: arn })),
				"AccessDeniedException",
			);
			await rejectsWith(
				them.send(new GetFunctionConfigurationCommand({ FunctionName: arn })),
				"AccessDeniedException",
			);
			await rejectsWith(
				them.send(
					new UpdateFunctionConfigurationCommand({
						FunctionName: arn,
						Timeout: 5,
					}),
				),
				"AccessDeniedException",
			);
			await rejectsWith(
				them.send(new DeleteFunctionCommand({ FunctionName: arn })),
				"AccessDeniedException",
			);
			await rejectsWith(
				them.send(
					new CreateFunctionCommand(
						createInput(
							`arn:aws:lambda:us-east-1:${account}:function:lcp-planted`,
						),
					),
				),
				"AccessDeniedException",
			);
			// Its own list does not show them; a name held by another account is a conflict.
			const list = await them.send(new ListFunctionsCommand({}));
			assert.deepEqual(list.Functions, []);
			await rejectsWith(
				them.send(new CreateFunctionCommand(createInput("lcp-one"))),
				"ResourceConflictException",
				/taken/,
			);
		} finally {
			them.destroy();
		}
		assert.equal((await invokeJson("lcp-one")).tag, "v2");
	});
});
