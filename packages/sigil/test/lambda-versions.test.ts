// Issue 11, versions and aliases: PublishVersion, ListVersionsByFunction, qualified
// GetFunction/GetFunctionConfiguration/DeleteFunction, CreateAlias/GetAlias/UpdateAlias/
// DeleteAlias/ListAliases and Invoke by qualifier, through the SDK v3 (@aws-sdk/client-lambda)
// against a real gateway — and what a hostile caller would try: another function's version,
// encoded colons, version numbers that overflow, alias names that are versions.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import {
	AddPermissionCommand,
	CreateAliasCommand,
	CreateFunctionCommand,
	CreateFunctionUrlConfigCommand,
	DeleteAliasCommand,
	DeleteFunctionCommand,
	DeleteFunctionConcurrencyCommand,
	DeleteFunctionUrlConfigCommand,
	GetAliasCommand,
	GetFunctionCommand,
	GetFunctionConcurrencyCommand,
	GetFunctionConfigurationCommand,
	GetFunctionUrlConfigCommand,
	GetPolicyCommand,
	InvokeCommand,
	LambdaClient,
	ListAliasesCommand,
	ListFunctionsCommand,
	ListFunctionUrlConfigsCommand,
	ListVersionsByFunctionCommand,
	PublishVersionCommand,
	PutFunctionConcurrencyCommand,
	RemovePermissionCommand,
	UpdateAliasCommand,
	UpdateFunctionCodeCommand,
	UpdateFunctionConfigurationCommand,
	UpdateFunctionUrlConfigCommand,
} from "@aws-sdk/client-lambda";
import { writeZip } from "../src/functions/zip.ts";
import {
	ROOT_KEY,
	signedFetch,
	startTestGateway,
	type TestGateway,
} from "./helpers/gateway.ts";
import {
	createAccount,
	createUser,
	type Keys,
	putUserPolicy,
} from "./helpers/iam.ts";

let gw: TestGateway;
let client: LambdaClient;
let account: string;

/** The execution role every function here names, created in each account that deploys. */
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
const roleOf = (accountId: string) => `arn:aws:iam::${accountId}:role/fn-exec`;
const roles = new Map<LambdaClient, string>();

async function withRole(accountId: string): Promise<void> {
	await gw.gateway.store.roles.create({
		accountId,
		roleName: "fn-exec",
		trustPolicy: LAMBDA_TRUST,
	});
}

function lambda(credentials: Keys = ROOT_KEY): LambdaClient {
	return new LambdaClient({
		endpoint: gw.url,
		region: "us-east-1",
		credentials,
		maxAttempts: 1,
	});
}

/** A handler answering which code it is: the test's proof of which version ran. */
function codeZip(tag: string): Uint8Array {
	return writeZip([
		{
			path: "app.mjs",
			data: `export const main = async () => ({ tag: ${JSON.stringify(tag)}, env: process.env.STAGE ?? null });`,
		},
	]);
}

async function create(name: string, tag = "v1", c = client) {
	return c.send(
		new CreateFunctionCommand({
			FunctionName: name,
			Runtime: "nodejs22.x",
			Role: roles.get(c) ?? roleOf(account),
			Handler: "app.main",
			Code: { ZipFile: codeZip(tag) },
		}),
	);
}

async function updateCode(name: string, tag: string) {
	return client.send(
		new UpdateFunctionCodeCommand({
			FunctionName: name,
			ZipFile: codeZip(tag),
		}),
	);
}

async function invoke(FunctionName: string, Qualifier?: string, c = client) {
	const r = await c.send(
		new InvokeCommand({
			FunctionName,
			...(Qualifier !== undefined && { Qualifier }),
			Payload: Buffer.from("{}"),
		}),
	);
	assert.equal(
		r.FunctionError,
		undefined,
		Buffer.from(r.Payload ?? []).toString(),
	);
	return {
		body: JSON.parse(Buffer.from(r.Payload ?? []).toString()) as {
			tag: string;
			env: string | null;
		},
		executed: r.ExecutedVersion,
	};
}

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
	await withRole(account);
	client = lambda();
});
after(async () => {
	client.destroy();
	await gw.stop();
});

describe("PublishVersion and invoking versions (SDK v3)", () => {
	test("a version's code sees its own number: AWS_LAMBDA_FUNCTION_VERSION and context.functionVersion", async () => {
		await client.send(
			new CreateFunctionCommand({
				FunctionName: "ver-says",
				Runtime: "nodejs22.x",
				Role: roleOf(account),
				Handler: "app.main",
				Code: {
					ZipFile: writeZip([
						{
							path: "app.mjs",
							data: "export const main = async (_e, ctx) => ({ env: process.env.AWS_LAMBDA_FUNCTION_VERSION, ctx: ctx.functionVersion });",
						},
					]),
				},
			}),
		);
		await client.send(new PublishVersionCommand({ FunctionName: "ver-says" }));
		const said = async (Qualifier?: string) => {
			const r = await client.send(
				new InvokeCommand({
					FunctionName: "ver-says",
					...(Qualifier !== undefined && { Qualifier }),
				}),
			);
			return JSON.parse(Buffer.from(r.Payload ?? []).toString());
		};
		assert.deepEqual(await said("1"), { env: "1", ctx: "1" });
		assert.deepEqual(await said(), { env: "$LATEST", ctx: "$LATEST" });
	});

	test("a version keeps running its own code and config after $LATEST changes", async () => {
		await create("ver-code", "one");
		const v1 = await client.send(
			new PublishVersionCommand({
				FunctionName: "ver-code",
				Description: "first cut",
			}),
		);
		assert.equal(v1.$metadata.httpStatusCode, 201);
		assert.equal(v1.Version, "1");
		assert.equal(
			v1.FunctionArn,
			`arn:aws:lambda:us-east-1:${account}:function:ver-code:1`,
		);
		assert.equal(v1.Description, "first cut");
		await updateCode("ver-code", "two");
		await client.send(
			new UpdateFunctionConfigurationCommand({
				FunctionName: "ver-code",
				Environment: { Variables: { STAGE: "later" } },
			}),
		);
		assert.deepEqual(await invoke("ver-code"), {
			body: { tag: "two", env: "later" },
			executed: "$LATEST",
		});
		// Version 1 runs version 1's code and environment, not $LATEST's.
		assert.deepEqual(await invoke("ver-code", "1"), {
			body: { tag: "one", env: null },
			executed: "1",
		});
		// The same through the qualified ARN and the partial ARN forms.
		assert.equal(
			(await invoke(`arn:aws:lambda:us-east-1:${account}:function:ver-code:1`))
				.body.tag,
			"one",
		);
		assert.equal(
			(await invoke(`${account}:function:ver-code:1`)).body.tag,
			"one",
		);
		assert.equal((await invoke("ver-code:$LATEST")).body.tag, "two");
		const v2 = await client.send(
			new PublishVersionCommand({ FunctionName: "ver-code" }),
		);
		assert.equal(v2.Version, "2");
		assert.deepEqual(await invoke("ver-code", "2"), {
			body: { tag: "two", env: "later" },
			executed: "2",
		});
	});

	test("publishing unchanged code and config twice returns the existing version", async () => {
		await create("ver-same");
		const a = await client.send(
			new PublishVersionCommand({ FunctionName: "ver-same" }),
		);
		const b = await client.send(
			new PublishVersionCommand({
				FunctionName: "ver-same",
				Description: "again",
			}),
		);
		assert.equal(a.Version, "1");
		assert.equal(b.Version, "1");
		assert.equal(b.RevisionId, a.RevisionId);
		const list = await client.send(
			new ListVersionsByFunctionCommand({ FunctionName: "ver-same" }),
		);
		assert.deepEqual(
			list.Versions?.map((v) => v.Version),
			["$LATEST", "1"],
		);
	});

	test("CodeSha256 and RevisionId preconditions refuse a publish of what the caller did not see", async () => {
		const c = await create("ver-pre", "one");
		await updateCode("ver-pre", "two");
		await rejectsWith(
			client.send(
				new PublishVersionCommand({
					FunctionName: "ver-pre",
					CodeSha256: c.CodeSha256,
				}),
			),
			"InvalidParameterValueException",
			/CodeSHA256 .* is different from current CodeSHA256 in \$LATEST/,
		);
		await rejectsWith(
			client.send(
				new PublishVersionCommand({
					FunctionName: "ver-pre",
					RevisionId: c.RevisionId,
				}),
			),
			"PreconditionFailedException",
		);
		const now = await client.send(
			new GetFunctionConfigurationCommand({ FunctionName: "ver-pre" }),
		);
		const v = await client.send(
			new PublishVersionCommand({
				FunctionName: "ver-pre",
				CodeSha256: now.CodeSha256,
				RevisionId: now.RevisionId,
			}),
		);
		assert.equal(v.Version, "1");
		assert.equal(v.CodeSha256, now.CodeSha256);
	});

	test("Publish: true on CreateFunction and UpdateFunctionCode answers the new version", async () => {
		const c = await client.send(
			new CreateFunctionCommand({
				FunctionName: "ver-pub",
				Runtime: "nodejs22.x",
				Role: roleOf(account),
				Handler: "app.main",
				Code: { ZipFile: codeZip("one") },
				Publish: true,
			}),
		);
		assert.equal(c.Version, "1");
		const u = await client.send(
			new UpdateFunctionCodeCommand({
				FunctionName: "ver-pub",
				ZipFile: codeZip("two"),
				Publish: true,
			}),
		);
		assert.equal(u.Version, "2");
		assert.equal((await invoke("ver-pub", "1")).body.tag, "one");
		assert.equal((await invoke("ver-pub", "2")).body.tag, "two");
	});

	test("GetFunction / GetFunctionConfiguration with Qualifier show that version", async () => {
		await create("ver-get", "one");
		await client.send(
			new PublishVersionCommand({ FunctionName: "ver-get", Description: "d1" }),
		);
		await client.send(
			new UpdateFunctionConfigurationCommand({
				FunctionName: "ver-get",
				Timeout: 9,
			}),
		);
		const g = await client.send(
			new GetFunctionCommand({ FunctionName: "ver-get", Qualifier: "1" }),
		);
		assert.equal(g.Configuration?.Version, "1");
		assert.equal(g.Configuration?.Timeout, 3);
		assert.equal(g.Configuration?.Description, "d1");
		const latest = await client.send(
			new GetFunctionConfigurationCommand({
				FunctionName: "ver-get",
				Qualifier: "$LATEST",
			}),
		);
		assert.equal(latest.Version, "$LATEST");
		assert.equal(latest.Timeout, 9);
		await rejectsWith(
			client.send(
				new GetFunctionCommand({ FunctionName: "ver-get", Qualifier: "99" }),
			),
			"ResourceNotFoundException",
			new RegExp(
				`Function not found: arn:aws:lambda:us-east-1:${account}:function:ver-get:99`,
			),
		);
	});

	test("ListVersionsByFunction pages with Marker/MaxItems, $LATEST first", async () => {
		await create("ver-list", "t0");
		for (let i = 1; i <= 4; i++) {
			await updateCode("ver-list", `t${i}`);
			await client.send(
				new PublishVersionCommand({ FunctionName: "ver-list" }),
			);
		}
		const seen: string[] = [];
		let Marker: string | undefined;
		let pages = 0;
		do {
			const page = await client.send(
				new ListVersionsByFunctionCommand({
					FunctionName: "ver-list",
					MaxItems: 2,
					...(Marker && { Marker }),
				}),
			);
			pages++;
			assert.ok((page.Versions?.length ?? 0) <= 2);
			seen.push(...(page.Versions ?? []).map((v) => v.Version ?? ""));
			Marker = page.NextMarker;
		} while (Marker);
		assert.deepEqual(seen, ["$LATEST", "1", "2", "3", "4"]);
		assert.equal(pages, 3);
	});

	test("ListFunctions FunctionVersion=ALL lists each $LATEST then its versions, paged without gaps or repeats", async () => {
		await create("zz-all-a", "a0");
		await client.send(new PublishVersionCommand({ FunctionName: "zz-all-a" }));
		await updateCode("zz-all-a", "a1");
		await client.send(new PublishVersionCommand({ FunctionName: "zz-all-a" }));
		await create("zz-all-b", "b0");
		const seen: string[] = [];
		let Marker: string | undefined;
		do {
			const page = await client.send(
				new ListFunctionsCommand({
					FunctionVersion: "ALL",
					MaxItems: 2,
					...(Marker && { Marker }),
				}),
			);
			assert.ok((page.Functions?.length ?? 0) <= 2);
			seen.push(
				...(page.Functions ?? []).map((f) => `${f.FunctionName}@${f.Version}`),
			);
			Marker = page.NextMarker;
		} while (Marker);
		assert.equal(new Set(seen).size, seen.length, "no item twice");
		assert.deepEqual(
			seen.filter((x) => x.startsWith("zz-all-")),
			["zz-all-a@$LATEST", "zz-all-a@1", "zz-all-a@2", "zz-all-b@$LATEST"],
		);
		// Without ALL: $LATEST only.
		const plain = await client.send(new ListFunctionsCommand({}));
		assert.ok(plain.Functions?.every((f) => f.Version === "$LATEST"));
	});

	test("DeleteFunction with a version deletes that version only; $LATEST and aliased versions stay", async () => {
		await create("ver-del", "one");
		await client.send(new PublishVersionCommand({ FunctionName: "ver-del" }));
		await updateCode("ver-del", "two");
		await client.send(new PublishVersionCommand({ FunctionName: "ver-del" }));
		await client.send(
			new CreateAliasCommand({
				FunctionName: "ver-del",
				Name: "live",
				FunctionVersion: "1",
			}),
		);
		await rejectsWith(
			client.send(
				new DeleteFunctionCommand({ FunctionName: "ver-del", Qualifier: "1" }),
			),
			"ResourceConflictException",
			/Unable to delete version because the following aliases reference it: \[live\]/,
		);
		await rejectsWith(
			client.send(
				new DeleteFunctionCommand({
					FunctionName: "ver-del",
					Qualifier: "$LATEST",
				}),
			),
			"InvalidParameterValueException",
			/\$LATEST version cannot be deleted without deleting the function/,
		);
		await client.send(
			new DeleteFunctionCommand({ FunctionName: "ver-del", Qualifier: "2" }),
		);
		// Lambda answers 204 for a version that is not there.
		await client.send(
			new DeleteFunctionCommand({ FunctionName: "ver-del", Qualifier: "2" }),
		);
		const list = await client.send(
			new ListVersionsByFunctionCommand({ FunctionName: "ver-del" }),
		);
		assert.deepEqual(
			list.Versions?.map((v) => v.Version),
			["$LATEST", "1"],
		);
		await rejectsWith(
			client.send(
				new InvokeCommand({ FunctionName: "ver-del", Qualifier: "2" }),
			),
			"ResourceNotFoundException",
		);
		assert.equal((await invoke("ver-del", "live")).body.tag, "one");
		// The whole function goes with its versions and aliases; a new one starts at 1 again.
		await client.send(new DeleteFunctionCommand({ FunctionName: "ver-del" }));
		await create("ver-del", "three");
		await rejectsWith(
			client.send(
				new GetAliasCommand({ FunctionName: "ver-del", Name: "live" }),
			),
			"ResourceNotFoundException",
		);
		const again = await client.send(
			new PublishVersionCommand({ FunctionName: "ver-del" }),
		);
		assert.equal(again.Version, "1");
		assert.equal((await invoke("ver-del", "1")).body.tag, "three");
	});
});

describe("asynchronous invocations of a version", () => {
	test("InvocationType Event with a version or alias queues that version, and the job runs its own code", async () => {
		await create("ver-event", "one");
		await client.send(new PublishVersionCommand({ FunctionName: "ver-event" }));
		await updateCode("ver-event", "two");
		await client.send(
			new CreateAliasCommand({
				FunctionName: "ver-event",
				Name: "live",
				FunctionVersion: "1",
			}),
		);
		for (const qualifier of ["1", "live", "$LATEST"]) {
			const res = await signedFetch(
				gw.url,
				"POST",
				`/2015-03-31/functions/ver-event/invocations?Qualifier=${encodeURIComponent(qualifier)}`,
				{
					service: "lambda",
					body: "{}",
					headers: { "x-amz-invocation-type": "Event" },
				},
			);
			assert.equal(res.status, 202, await res.text());
			const id = res.headers.get("x-amzn-requestid") as string;
			let job: { status: string; result: string | null } | undefined;
			for (let i = 0; i < 400; i++) {
				const j = await signedFetch(gw.url, "GET", `/sigil/v1/jobs/${id}`);
				({ job } = (await j.json()) as { job: typeof job });
				if (job?.status === "succeeded" || job?.status === "failed") break;
				await new Promise((r) => setTimeout(r, 25));
			}
			assert.equal(job?.status, "succeeded", JSON.stringify(job));
			const ran = JSON.parse(
				Buffer.from(job?.result ?? "", "base64").toString(),
			) as { tag: string };
			assert.equal(ran.tag, qualifier === "$LATEST" ? "two" : "one", qualifier);
		}
	});
});

describe("a version and its secrets", () => {
	test("a secret changed after publish reaches the running version on its next invocation", async () => {
		await gw.putSecret("ver-token", "old-value");
		await gw.deploy(
			"ver-secret",
			{ runtime: "node", secrets: ["ver-token"] },
			{
				"index.mjs": `import { readFileSync } from "node:fs";
export const handler = async () => ({ tag: readFileSync(process.env.SIGIL_SECRETS_DIR + "/ver-token", "utf8") });`,
			},
		);
		await client.send(
			new PublishVersionCommand({ FunctionName: "ver-secret" }),
		);
		assert.equal((await invoke("ver-secret", "1")).body.tag, "old-value");
		await gw.putSecret("ver-token", "new-value");
		assert.equal((await invoke("ver-secret", "1")).body.tag, "new-value");
	});
});

describe("Aliases (SDK v3)", () => {
	test("create, get, update, list, delete; invoking the alias runs the version it points at", async () => {
		await create("al-one", "one");
		await client.send(new PublishVersionCommand({ FunctionName: "al-one" }));
		await updateCode("al-one", "two");
		await client.send(new PublishVersionCommand({ FunctionName: "al-one" }));
		const a = await client.send(
			new CreateAliasCommand({
				FunctionName: "al-one",
				Name: "prod",
				FunctionVersion: "1",
				Description: "what customers get",
			}),
		);
		assert.equal(a.$metadata.httpStatusCode, 201);
		assert.equal(
			a.AliasArn,
			`arn:aws:lambda:us-east-1:${account}:function:al-one:prod`,
		);
		assert.equal(a.FunctionVersion, "1");
		assert.deepEqual(await invoke("al-one", "prod"), {
			body: { tag: "one", env: null },
			executed: "1",
		});
		assert.equal((await invoke("al-one:prod")).executed, "1");
		await rejectsWith(
			client.send(
				new CreateAliasCommand({
					FunctionName: "al-one",
					Name: "prod",
					FunctionVersion: "2",
				}),
			),
			"ResourceConflictException",
			/Alias already exists/,
		);
		const g = await client.send(
			new GetAliasCommand({ FunctionName: "al-one", Name: "prod" }),
		);
		assert.equal(g.RevisionId, a.RevisionId);
		// A stale RevisionId changes nothing.
		const u = await client.send(
			new UpdateAliasCommand({
				FunctionName: "al-one",
				Name: "prod",
				FunctionVersion: "2",
				RevisionId: g.RevisionId,
			}),
		);
		assert.equal(u.FunctionVersion, "2");
		assert.notEqual(u.RevisionId, g.RevisionId);
		await rejectsWith(
			client.send(
				new UpdateAliasCommand({
					FunctionName: "al-one",
					Name: "prod",
					FunctionVersion: "1",
					RevisionId: g.RevisionId,
				}),
			),
			"PreconditionFailedException",
		);
		assert.deepEqual(await invoke("al-one", "prod"), {
			body: { tag: "two", env: null },
			executed: "2",
		});
		// GetFunction of the alias shows the version it points at.
		const gf = await client.send(
			new GetFunctionConfigurationCommand({
				FunctionName: "al-one",
				Qualifier: "prod",
			}),
		);
		assert.equal(gf.Version, "2");
		await client.send(
			new CreateAliasCommand({
				FunctionName: "al-one",
				Name: "dev",
				FunctionVersion: "$LATEST",
			}),
		);
		const all = await client.send(
			new ListAliasesCommand({ FunctionName: "al-one" }),
		);
		assert.deepEqual(
			all.Aliases?.map((x) => x.Name),
			["dev", "prod"],
		);
		const onTwo = await client.send(
			new ListAliasesCommand({ FunctionName: "al-one", FunctionVersion: "2" }),
		);
		assert.deepEqual(
			onTwo.Aliases?.map((x) => x.Name),
			["prod"],
		);
		const paged = await client.send(
			new ListAliasesCommand({ FunctionName: "al-one", MaxItems: 1 }),
		);
		assert.equal(paged.Aliases?.length, 1);
		const rest = await client.send(
			new ListAliasesCommand({
				FunctionName: "al-one",
				MaxItems: 1,
				Marker: paged.NextMarker,
			}),
		);
		assert.deepEqual(
			rest.Aliases?.map((x) => x.Name),
			["prod"],
		);
		assert.equal(rest.NextMarker, undefined);
		await client.send(
			new DeleteAliasCommand({ FunctionName: "al-one", Name: "prod" }),
		);
		await rejectsWith(
			client.send(
				new GetAliasCommand({ FunctionName: "al-one", Name: "prod" }),
			),
			"ResourceNotFoundException",
			/Alias not found/,
		);
		await rejectsWith(
			client.send(
				new InvokeCommand({ FunctionName: "al-one", Qualifier: "prod" }),
			),
			"ResourceNotFoundException",
		);
	});

	test("a weighted routing config sends its share of invocations to the second version", async () => {
		await create("al-weight", "one");
		await client.send(new PublishVersionCommand({ FunctionName: "al-weight" }));
		await updateCode("al-weight", "two");
		await client.send(new PublishVersionCommand({ FunctionName: "al-weight" }));
		const a = await client.send(
			new CreateAliasCommand({
				FunctionName: "al-weight",
				Name: "canary",
				FunctionVersion: "1",
				RoutingConfig: { AdditionalVersionWeights: { "2": 0.5 } },
			}),
		);
		assert.deepEqual(a.RoutingConfig?.AdditionalVersionWeights, { "2": 0.5 });
		const counts: Record<string, number> = {};
		for (let i = 0; i < 60; i++) {
			const r = await invoke("al-weight", "canary");
			// The executed version and the code that answered agree on every call.
			assert.equal(r.body.tag, r.executed === "1" ? "one" : "two");
			counts[r.executed ?? ""] = (counts[r.executed ?? ""] ?? 0) + 1;
		}
		// 60 fair coin flips all landing on one side has probability 2^-59.
		assert.ok(
			(counts["1"] ?? 0) > 0 && (counts["2"] ?? 0) > 0,
			JSON.stringify(counts),
		);
		// Weight 0 and 1 are exact.
		await client.send(
			new UpdateAliasCommand({
				FunctionName: "al-weight",
				Name: "canary",
				RoutingConfig: { AdditionalVersionWeights: { "2": 1 } },
			}),
		);
		for (let i = 0; i < 5; i++)
			assert.equal((await invoke("al-weight", "canary")).executed, "2");
		// An empty map removes the routing.
		const off = await client.send(
			new UpdateAliasCommand({
				FunctionName: "al-weight",
				Name: "canary",
				RoutingConfig: { AdditionalVersionWeights: {} },
			}),
		);
		assert.equal(off.RoutingConfig, undefined);
		for (let i = 0; i < 5; i++)
			assert.equal((await invoke("al-weight", "canary")).executed, "1");
	});

	test("routing configs AWS refuses are refused, never stored", async () => {
		await create("al-bad-route", "one");
		await client.send(
			new PublishVersionCommand({ FunctionName: "al-bad-route" }),
		);
		for (const [FunctionVersion, weights, message] of [
			["1", { "2": 0.5 }, /not found/i],
			["1", { "1": 0.5 }, /own FunctionVersion/],
			["$LATEST", { "1": 0.5 }, /\$LATEST is not supported for routing/],
			["1", { "2": 1.5 }, /less than or equal to 1\.0/],
			["1", { "2": 0.1, "3": 0.1 }, /cannot be greater than 1/],
			["1", { abc: 0.1 }, /regular expression/],
		] as const)
			await assert.rejects(
				client.send(
					new CreateAliasCommand({
						FunctionName: "al-bad-route",
						Name: "r",
						FunctionVersion,
						RoutingConfig: { AdditionalVersionWeights: weights },
					}),
				),
				(err: Error) => {
					assert.match(
						err.name,
						/InvalidParameterValueException|ResourceNotFoundException/,
					);
					assert.match(err.message, message);
					return true;
				},
			);
		const list = await client.send(
			new ListAliasesCommand({ FunctionName: "al-bad-route" }),
		);
		assert.deepEqual(list.Aliases, []);
	});
});

describe("hostile qualifiers", () => {
	test("alias names that look like versions are refused by AWS's rule", async () => {
		await create("hq-names");
		for (const Name of [
			"1",
			"007",
			"12345678901234567890",
			"a:b",
			"..",
			"$LATEST",
		])
			await rejectsWith(
				client.send(
					new CreateAliasCommand({
						FunctionName: "hq-names",
						Name,
						FunctionVersion: "$LATEST",
					}),
				),
				"InvalidParameterValueException",
			);
		await rejectsWith(
			client.send(
				new CreateAliasCommand({
					FunctionName: "hq-names",
					Name: "ok",
					FunctionVersion: "v1",
				}),
			),
			"InvalidParameterValueException",
		);
	});

	test("a qualifier never reaches another function's version", async () => {
		await create("hq-a", "a-one");
		await client.send(new PublishVersionCommand({ FunctionName: "hq-a" }));
		await create("hq-b", "b-zero");
		// hq-b has no version 1: hq-a's is not found through hq-b's name.
		await rejectsWith(
			client.send(new InvokeCommand({ FunctionName: "hq-b", Qualifier: "1" })),
			"ResourceNotFoundException",
		);
		// Two qualifiers that disagree are refused, not resolved either way.
		await rejectsWith(
			client.send(
				new InvokeCommand({ FunctionName: "hq-a:1", Qualifier: "2" }),
			),
			"InvalidParameterValueException",
		);
	});

	test("encoded colons, dot segments and overflowing version numbers", async () => {
		await create("hq-enc", "one");
		await client.send(new PublishVersionCommand({ FunctionName: "hq-enc" }));
		const call = (path: string) =>
			signedFetch(gw.url, "POST", path, {
				service: "lambda",
				body: "{}",
			});
		// An encoded colon is a colon: the qualified name, decoded once.
		const ok = await call("/2015-03-31/functions/hq-enc%3A1/invocations");
		assert.equal(ok.status, 200, await ok.clone().text());
		assert.equal(ok.headers.get("x-amz-executed-version"), "1");
		assert.equal(JSON.parse(await ok.text()).tag, "one");
		// Double-encoded: %253A decodes once to "%3A", which no name contains.
		const twice = await call("/2015-03-31/functions/hq-enc%253A1/invocations");
		assert.equal(twice.status, 400, await twice.text());
		for (const q of ["..", "1%2F..", "..%3A1", "1.0", "%00"]) {
			const r = await call(
				`/2015-03-31/functions/hq-enc/invocations?Qualifier=${q}`,
			);
			assert.equal(r.status, 400, `${q}: ${await r.text()}`);
			assert.equal(
				r.headers.get("x-amzn-errortype"),
				"InvalidParameterValueException",
			);
		}
		for (const q of [
			"99999999999999999999999",
			"9007199254740993",
			"0",
			"01",
		]) {
			const r = await call(
				`/2015-03-31/functions/hq-enc/invocations?Qualifier=${q}`,
			);
			assert.equal(r.status, 404, `${q}: ${await r.text()}`);
			assert.equal(
				r.headers.get("x-amzn-errortype"),
				"ResourceNotFoundException",
			);
		}
	});

	test("another account's version is that account's, and not granted by its existence", async () => {
		const other = await createAccount(gw, "ver-other");
		const theirs = lambda(other.keys);
		await withRole(other.accountId);
		roles.set(theirs, roleOf(other.accountId));
		try {
			await create("hq-theirs", "theirs", theirs);
			await theirs.send(
				new PublishVersionCommand({ FunctionName: "hq-theirs" }),
			);
			// Named through an ARN of their account: refused without a grant in their policy.
			await rejectsWith(
				client.send(
					new InvokeCommand({
						FunctionName: `arn:aws:lambda:us-east-1:${other.accountId}:function:hq-theirs:1`,
					}),
				),
				"AccessDeniedException",
			);
			// Named as our own: not found (names are one namespace, but it is not ours).
			await rejectsWith(
				client.send(
					new InvokeCommand({ FunctionName: "hq-theirs", Qualifier: "1" }),
				),
				"ResourceNotFoundException",
			);
			await rejectsWith(
				client.send(
					new PublishVersionCommand({
						FunctionName: `arn:aws:lambda:us-east-1:${other.accountId}:function:hq-theirs`,
					}),
				),
				"AccessDeniedException",
			);
		} finally {
			theirs.destroy();
		}
	});
});

describe("permissions per qualifier (AddPermission/GetPolicy/RemovePermission with Qualifier)", () => {
	test("a grant on fn:prod lets another account invoke fn:prod — not fn, not fn:1, not fn:2", async () => {
		const other = await createAccount(gw, "ver-grantee");
		const theirs = lambda(other.keys);
		try {
			await create("perm-q", "one");
			await client.send(new PublishVersionCommand({ FunctionName: "perm-q" }));
			await updateCode("perm-q", "two");
			await client.send(new PublishVersionCommand({ FunctionName: "perm-q" }));
			await client.send(
				new CreateAliasCommand({
					FunctionName: "perm-q",
					Name: "prod",
					FunctionVersion: "1",
				}),
			);
			const added = await client.send(
				new AddPermissionCommand({
					FunctionName: "perm-q",
					Qualifier: "prod",
					StatementId: "partner",
					Action: "lambda:InvokeFunction",
					Principal: other.accountId,
				}),
			);
			const statement = JSON.parse(added.Statement ?? "{}");
			assert.equal(
				statement.Resource,
				`arn:aws:lambda:us-east-1:${account}:function:perm-q:prod`,
			);
			const arn = `arn:aws:lambda:us-east-1:${account}:function:perm-q`;
			assert.deepEqual(await invoke(`${arn}:prod`, undefined, theirs), {
				body: { tag: "one", env: null },
				executed: "1",
			});
			// The same grant does not reach the function, its versions, or another alias.
			for (const name of [arn, `${arn}:1`, `${arn}:2`, `${arn}:$LATEST`])
				await rejectsWith(
					theirs.send(new InvokeCommand({ FunctionName: name })),
					"AccessDeniedException",
				);
			// Each qualifier has its own policy: the function's is still empty.
			await rejectsWith(
				client.send(new GetPolicyCommand({ FunctionName: "perm-q" })),
				"ResourceNotFoundException",
			);
			const policy = await client.send(
				new GetPolicyCommand({ FunctionName: "perm-q", Qualifier: "prod" }),
			);
			assert.deepEqual(
				JSON.parse(policy.Policy ?? "{}").Statement.map(
					(x: { Sid: string }) => x.Sid,
				),
				["partner"],
			);
			// A grant on version 2 opens version 2 only.
			await client.send(
				new AddPermissionCommand({
					FunctionName: `${arn}:2`,
					StatementId: "v2",
					Action: "lambda:InvokeFunction",
					Principal: other.accountId,
				}),
			);
			assert.equal(
				(await invoke(`${arn}:2`, undefined, theirs)).body.tag,
				"two",
			);
			await rejectsWith(
				theirs.send(new InvokeCommand({ FunctionName: `${arn}:1` })),
				"AccessDeniedException",
			);
			// Removed from the alias: refused again at once (the cached policy is dropped).
			await client.send(
				new RemovePermissionCommand({
					FunctionName: "perm-q",
					Qualifier: "prod",
					StatementId: "partner",
				}),
			);
			await rejectsWith(
				theirs.send(new InvokeCommand({ FunctionName: `${arn}:prod` })),
				"AccessDeniedException",
			);
			// A grant on an alias does not survive the alias: deleted and made again, it starts empty.
			await client.send(
				new AddPermissionCommand({
					FunctionName: "perm-q",
					Qualifier: "prod",
					StatementId: "again",
					Action: "lambda:InvokeFunction",
					Principal: other.accountId,
				}),
			);
			await client.send(
				new DeleteAliasCommand({ FunctionName: "perm-q", Name: "prod" }),
			);
			await client.send(
				new CreateAliasCommand({
					FunctionName: "perm-q",
					Name: "prod",
					FunctionVersion: "2",
				}),
			);
			await rejectsWith(
				theirs.send(new InvokeCommand({ FunctionName: `${arn}:prod` })),
				"AccessDeniedException",
			);
			await rejectsWith(
				client.send(
					new AddPermissionCommand({
						FunctionName: "perm-q",
						Qualifier: "nope",
						StatementId: "x",
						Action: "lambda:InvokeFunction",
						Principal: other.accountId,
					}),
				),
				"ResourceNotFoundException",
			);
		} finally {
			theirs.destroy();
		}
	});

	test("an identity policy on fn:prod allows fn:prod only, as IAM matches qualified ARNs", async () => {
		await create("perm-id", "one");
		await client.send(new PublishVersionCommand({ FunctionName: "perm-id" }));
		await client.send(
			new CreateAliasCommand({
				FunctionName: "perm-id",
				Name: "prod",
				FunctionVersion: "1",
			}),
		);
		const arn = `arn:aws:lambda:us-east-1:${account}:function:perm-id`;
		const user = await createUser(gw, "ver-caller");
		await putUserPolicy(gw, "ver-caller", "prod-only", [
			{
				Effect: "Allow",
				Action: "lambda:InvokeFunction",
				Resource: `${arn}:prod`,
			},
		]);
		const them = lambda(user.keys);
		try {
			assert.equal((await invoke("perm-id", "prod", them)).executed, "1");
			for (const q of [undefined, "1", "$LATEST"])
				await rejectsWith(
					them.send(
						new InvokeCommand({
							FunctionName: "perm-id",
							...(q !== undefined && { Qualifier: q }),
						}),
					),
					"AccessDeniedException",
				);
		} finally {
			them.destroy();
		}
	});
});

describe("PutFunctionConcurrency 0 (throttle)", () => {
	test("every invocation — Invoke, a version, an alias, the function URL — is 429 Rate Exceeded until it is deleted", async () => {
		await create("throttle-me", "one");
		await client.send(
			new PublishVersionCommand({ FunctionName: "throttle-me" }),
		);
		await client.send(
			new CreateAliasCommand({
				FunctionName: "throttle-me",
				Name: "live",
				FunctionVersion: "1",
			}),
		);
		await client.send(
			new CreateFunctionUrlConfigCommand({
				FunctionName: "throttle-me",
				AuthType: "NONE",
			}),
		);
		const put = await client.send(
			new PutFunctionConcurrencyCommand({
				FunctionName: "throttle-me",
				ReservedConcurrentExecutions: 0,
			}),
		);
		assert.equal(put.ReservedConcurrentExecutions, 0);
		assert.equal(
			(
				await client.send(
					new GetFunctionConcurrencyCommand({ FunctionName: "throttle-me" }),
				)
			).ReservedConcurrentExecutions,
			0,
		);
		for (const Qualifier of [undefined, "live"])
			await rejectsWith(
				client.send(
					new InvokeCommand({
						FunctionName: "throttle-me",
						...(Qualifier && { Qualifier }),
						Payload: Buffer.from("{}"),
					}),
				),
				"TooManyRequestsException",
				/^Rate Exceeded\.$/,
			);
		const url = await fetch(`${gw.url}/function/throttle-me/`);
		assert.equal(url.status, 429, await url.text());
		// Still manageable: read, and the throttle lifted.
		await client.send(new GetFunctionCommand({ FunctionName: "throttle-me" }));
		await client.send(
			new DeleteFunctionConcurrencyCommand({ FunctionName: "throttle-me" }),
		);
		assert.equal((await invoke("throttle-me")).body.tag, "one");
		const open = await fetch(`${gw.url}/function/throttle-me/`);
		assert.equal(open.status, 200, await open.text());
	});
});

describe("function URLs and qualifiers", () => {
	test("an alias has its own URL (/function/NAME:ALIAS/): its auth type, the alias's version, the alias's policy; the function's URL is untouched", async () => {
		await create("url-q", "one");
		await client.send(new PublishVersionCommand({ FunctionName: "url-q" }));
		await updateCode("url-q", "two");
		await client.send(
			new CreateAliasCommand({
				FunctionName: "url-q",
				Name: "prod",
				FunctionVersion: "1",
			}),
		);
		// No URL yet: answered as any unknown URL.
		assert.equal((await fetch(`${gw.url}/function/url-q:prod/`)).status, 403);
		await rejectsWith(
			client.send(
				new GetFunctionUrlConfigCommand({
					FunctionName: "url-q",
					Qualifier: "prod",
				}),
			),
			"ResourceNotFoundException",
		);
		const made = await client.send(
			new CreateFunctionUrlConfigCommand({
				FunctionName: "url-q",
				Qualifier: "prod",
				AuthType: "NONE",
			}),
		);
		assert.match(made.FunctionUrl ?? "", /\/function\/url-q:prod\/$/);
		assert.equal(
			made.FunctionArn,
			`arn:aws:lambda:us-east-1:${account}:function:url-q:prod`,
		);
		const urls = await client.send(
			new ListFunctionUrlConfigsCommand({ FunctionName: "url-q" }),
		);
		assert.deepEqual(
			urls.FunctionUrlConfigs?.map((u) => [
				u.FunctionArn?.split(":").slice(6).join(":"),
				u.AuthType,
			]),
			[
				["url-q", "AWS_IAM"],
				["url-q:prod", "NONE"],
			],
		);
		const open = await fetch(`${gw.url}/function/url-q:prod/`);
		assert.equal(open.status, 200, await open.clone().text());
		assert.equal(((await open.json()) as { tag: string }).tag, "one");
		// A version has no URL; other spellings name nothing; an encoded colon is a colon.
		for (const path of [
			"url-q:1",
			"url-q:prod:x",
			"url-q:..%2F",
			"url-q:",
			"url-q:PROD",
		])
			assert.equal(
				(await fetch(`${gw.url}/function/${path}/`)).status,
				403,
				path,
			);
		assert.equal((await fetch(`${gw.url}/function/url-q%3Aprod/`)).status, 200);
		// The function's own URL stays closed, and the public statement went to the alias's policy.
		assert.equal((await fetch(`${gw.url}/function/url-q/`)).status, 403);
		const aliasPolicy = await client.send(
			new GetPolicyCommand({ FunctionName: "url-q", Qualifier: "prod" }),
		);
		assert.match(aliasPolicy.Policy ?? "", /function:url-q:prod/);
		await rejectsWith(
			client.send(new GetPolicyCommand({ FunctionName: "url-q" })),
			"ResourceNotFoundException",
		);
		await rejectsWith(
			client.send(
				new CreateFunctionUrlConfigCommand({
					FunctionName: "url-q",
					Qualifier: "prod",
					AuthType: "NONE",
				}),
			),
			"ResourceConflictException",
		);
		// Moving the alias moves its URL.
		await client.send(
			new UpdateAliasCommand({
				FunctionName: "url-q",
				Name: "prod",
				FunctionVersion: "$LATEST",
			}),
		);
		const moved = await fetch(`${gw.url}/function/url-q:prod/`);
		assert.equal(((await moved.json()) as { tag: string }).tag, "two");
		// AWS_IAM: anonymous refused, a signed caller allowed by identity policy.
		await client.send(
			new UpdateFunctionUrlConfigCommand({
				FunctionName: "url-q",
				Qualifier: "prod",
				AuthType: "AWS_IAM",
			}),
		);
		assert.equal((await fetch(`${gw.url}/function/url-q:prod/`)).status, 403);
		const signed = await signedFetch(gw.url, "GET", "/function/url-q:prod/", {
			service: "lambda",
		});
		assert.equal(signed.status, 200, await signed.text());
		// Not through the OpenFaaS async path, which would queue $LATEST.
		const async = await fetch(`${gw.url}/async-function/url-q:prod/`, {
			method: "POST",
			body: "{}",
		});
		assert.equal(async.status, 403, await async.text());
		await client.send(
			new DeleteFunctionUrlConfigCommand({
				FunctionName: "url-q",
				Qualifier: "prod",
			}),
		);
		assert.equal(
			(
				await signedFetch(gw.url, "GET", "/function/url-q:prod/", {
					service: "lambda",
				})
			).status,
			403,
		);
		// Versions have no URL of their own; unknown aliases are not found.
		await rejectsWith(
			client.send(
				new CreateFunctionUrlConfigCommand({
					FunctionName: "url-q",
					Qualifier: "1",
					AuthType: "NONE",
				}),
			),
			"InvalidParameterValueException",
			/qualifier/,
		);
		await rejectsWith(
			client.send(
				new GetFunctionUrlConfigCommand({
					FunctionName: "url-q",
					Qualifier: "nope",
				}),
			),
			"ResourceNotFoundException",
		);
		const latest = await client.send(
			new GetFunctionUrlConfigCommand({
				FunctionName: "url-q",
				Qualifier: "$LATEST",
			}),
		);
		assert.equal(latest.AuthType, "AWS_IAM");
	});

	test("an alias URL is decided by the alias's policy: another account granted on fn:prod reaches the URL, not the function's", async () => {
		const other = await createAccount(gw, "url-grantee");
		await create("url-x", "one");
		await client.send(new PublishVersionCommand({ FunctionName: "url-x" }));
		await client.send(
			new CreateAliasCommand({
				FunctionName: "url-x",
				Name: "live",
				FunctionVersion: "1",
			}),
		);
		await client.send(
			new CreateFunctionUrlConfigCommand({
				FunctionName: "url-x",
				Qualifier: "live",
				AuthType: "AWS_IAM",
			}),
		);
		const call = (path: string) =>
			signedFetch(gw.url, "GET", path, {
				service: "lambda",
				credentials: other.keys,
			});
		assert.equal((await call("/function/url-x:live/")).status, 403);
		for (const Action of ["lambda:InvokeFunctionUrl", "lambda:InvokeFunction"])
			await client.send(
				new AddPermissionCommand({
					FunctionName: "url-x",
					Qualifier: "live",
					StatementId: Action.replace(":", "-"),
					Action,
					Principal: other.accountId,
				}),
			);
		const allowed = await call("/function/url-x:live/");
		assert.equal(allowed.status, 200, await allowed.text());
		assert.equal((await call("/function/url-x/")).status, 403);
	});
});
