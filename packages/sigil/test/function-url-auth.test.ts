// The function URL authorization model, a gateway setting (issue 11): `url-only` (default, the
// seeds' model: lambda:InvokeFunctionUrl alone) and `url-and-invoke` (AWS's model for URLs made
// since October 2025: lambda:InvokeFunctionUrl and lambda:InvokeFunction). The same scenarios
// run against a gateway in each model; a bad setting stops the start.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { AddPermissionCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { startGateway } from "../src/gateway/server.ts";
import {
	REGION,
	ROOT_KEY,
	startTestGateway,
	type TestGateway,
} from "./helpers/gateway.ts";
import {
	callUrl,
	createAccount,
	createUser,
	deployWithPolicy,
	fnArn,
	invokeApi,
	type Keys,
	putUserPolicy,
} from "./helpers/iam.ts";

const URL_ONLY = [
	{ Effect: "Allow", Action: "lambda:InvokeFunctionUrl", Resource: "*" },
];
const INVOKE_ONLY = [
	{ Effect: "Allow", Action: "lambda:InvokeFunction", Resource: "*" },
];
const BOTH = [...URL_ONLY, ...INVOKE_ONLY];
/** AWS's recommended grant for the new model: InvokeFunction only through the URL. */
const URL_AND_INVOKE_VIA_URL = [
	...URL_ONLY,
	{
		Effect: "Allow",
		Action: "lambda:InvokeFunction",
		Resource: "*",
		Condition: { Bool: { "lambda:InvokedViaFunctionUrl": "true" } },
	},
];

/** One gateway in `model` (through SIGIL_FUNCTION_URL_AUTH; unset = the default). */
async function gatewayIn(model: string | undefined) {
	const gw = await startTestGateway(
		model === undefined ? {} : { env: { SIGIL_FUNCTION_URL_AUTH: model } },
	);
	await deployWithPolicy(gw, "private", { auth: "aws_iam" }, null);
	await deployWithPolicy(gw, "public", { auth: "none" }, null);
	const users: Record<string, Keys> = {};
	for (const [name, statements] of [
		["url-only", URL_ONLY],
		["invoke-only", INVOKE_ONLY],
		["both", BOTH],
		["via-url", URL_AND_INVOKE_VIA_URL],
	] as const) {
		users[name] = (await createUser(gw, name)).keys;
		await putUserPolicy(gw, name, "p", [...statements]);
	}
	return { gw, users };
}

const status = async (p: Promise<Response>) => {
	const res = await p;
	await res.arrayBuffer();
	return res.status;
};

describe("url-only (the default)", () => {
	let gw: TestGateway;
	let users: Record<string, Keys>;
	before(async () => {
		({ gw, users } = await gatewayIn(undefined));
	});
	after(() => gw.stop());

	test("the gateway says which model it runs", () => {
		assert.equal(gw.gateway.functionUrlAuth, "url-only");
	});

	test("lambda:InvokeFunctionUrl alone calls the URL", async () => {
		assert.equal(
			await status(callUrl(gw, "private", users["url-only"] as Keys)),
			200,
		);
	});

	test("lambda:InvokeFunction alone does not (it is the Invoke API's action)", async () => {
		assert.equal(
			await status(callUrl(gw, "private", users["invoke-only"] as Keys)),
			403,
		);
		assert.equal(
			await status(invokeApi(gw, "private", users["invoke-only"] as Keys)),
			200,
		);
	});

	test("a NONE-auth URL is public, and its policy grants InvokeFunctionUrl only", async () => {
		assert.equal(await status(callUrl(gw, "public", null)), 200);
		const policy = await gw.gateway.store.functions.getPolicy(
			gw.gateway.rootAccountId,
			"public",
		);
		const actions = (
			JSON.parse(policy?.document ?? "{}").Statement as { Action: string }[]
		).map((s) => s.Action);
		assert.deepEqual(actions, ["lambda:InvokeFunctionUrl"]);
	});
});

describe("url-and-invoke (AWS since October 2025)", () => {
	let gw: TestGateway;
	let users: Record<string, Keys>;
	before(async () => {
		({ gw, users } = await gatewayIn("url-and-invoke"));
	});
	after(() => gw.stop());

	test("the gateway says which model it runs", () => {
		assert.equal(gw.gateway.functionUrlAuth, "url-and-invoke");
	});

	test("lambda:InvokeFunctionUrl alone is no longer enough: 403, and the audit names InvokeFunction", async () => {
		assert.equal(
			await status(callUrl(gw, "private", users["url-only"] as Keys)),
			403,
		);
		await gw.gateway.store.audit.flush();
		const logs = await gw.signed("GET", "/sigil/v1/logs?function=private");
		const text = await logs.text();
		assert.equal(logs.status, 200, text);
		assert.match(text, /lambda:InvokeFunction(?!Url)/);
	});

	test("lambda:InvokeFunction alone is not enough either", async () => {
		assert.equal(
			await status(callUrl(gw, "private", users["invoke-only"] as Keys)),
			403,
		);
	});

	test("both actions: 200", async () => {
		assert.equal(await status(callUrl(gw, "private", users.both as Keys)), 200);
	});

	test("InvokeFunction granted only via the URL (lambda:InvokedViaFunctionUrl): the URL works, the Invoke API does not", async () => {
		assert.equal(
			await status(callUrl(gw, "private", users["via-url"] as Keys)),
			200,
		);
		assert.equal(
			await status(invokeApi(gw, "private", users["via-url"] as Keys)),
			403,
		);
	});

	test("a NONE-auth URL stays public: its policy grants both, InvokeFunction only through the URL", async () => {
		assert.equal(await status(callUrl(gw, "public", null)), 200);
		const policy = await gw.gateway.store.functions.getPolicy(
			gw.gateway.rootAccountId,
			"public",
		);
		const statements = JSON.parse(policy?.document ?? "{}").Statement as {
			Sid: string;
			Action: string;
			Condition: unknown;
		}[];
		assert.deepEqual(
			statements.map((s) => [s.Sid, s.Action]),
			[
				["FunctionURLAllowPublicAccess", "lambda:InvokeFunctionUrl"],
				["FunctionURLAllowInvokeAction", "lambda:InvokeFunction"],
			],
		);
		assert.deepEqual(statements[1]?.Condition, {
			Bool: { "lambda:InvokedViaFunctionUrl": "true" },
		});
		// The public statement opens the URL, never the Invoke API.
		const anonymousInvoke = await fetch(
			`${gw.url}/2015-03-31/functions/public/invocations`,
			{ method: "POST", body: "{}" },
		);
		assert.equal(anonymousInvoke.status, 403);
		await anonymousInvoke.arrayBuffer();
	});

	test("a NONE-auth URL whose policy holds only the old statement: 403 until InvokeFunction is granted (AWS's migration)", async () => {
		await deployWithPolicy(gw, "legacy", { auth: "none" }, [
			{
				Sid: "FunctionURLAllowPublicAccess",
				Effect: "Allow",
				Principal: "*",
				Action: "lambda:InvokeFunctionUrl",
				Resource: fnArn(gw.gateway.rootAccountId, "legacy"),
				Condition: { StringEquals: { "lambda:FunctionUrlAuthType": "NONE" } },
			},
		]);
		assert.equal(await status(callUrl(gw, "legacy", null)), 403);
	});
});

describe("url-and-invoke across accounts: AddPermission's InvokedViaFunctionUrl (SDK v3)", () => {
	let gw: TestGateway;
	let lambda: LambdaClient;
	before(async () => {
		gw = await startTestGateway({
			env: { SIGIL_FUNCTION_URL_AUTH: "url-and-invoke" },
		});
		await deployWithPolicy(gw, "shared", { auth: "aws_iam" }, null);
		lambda = new LambdaClient({
			endpoint: gw.url,
			region: REGION,
			credentials: ROOT_KEY,
			maxAttempts: 1,
		});
	});
	after(async () => {
		lambda.destroy();
		await gw.stop();
	});

	test("the other account gets the URL (both actions granted, InvokeFunction via the URL only) but not the Invoke API", async () => {
		const partner = await createAccount(gw, "partner");
		const base = { FunctionName: "shared", Principal: partner.accountId };
		await lambda.send(
			new AddPermissionCommand({
				...base,
				StatementId: "url",
				Action: "lambda:InvokeFunctionUrl",
				FunctionUrlAuthType: "AWS_IAM",
			}),
		);
		assert.equal(
			await status(callUrl(gw, "shared", partner.keys)),
			403,
			"InvokeFunctionUrl alone is not enough in this model",
		);
		const added = await lambda.send(
			new AddPermissionCommand({
				...base,
				StatementId: "invoke-via-url",
				Action: "lambda:InvokeFunction",
				InvokedViaFunctionUrl: true,
			}),
		);
		assert.deepEqual(JSON.parse(added.Statement ?? "{}").Condition, {
			Bool: { "lambda:InvokedViaFunctionUrl": "true" },
		});
		assert.equal(await status(callUrl(gw, "shared", partner.keys)), 200);
		assert.equal(
			await status(
				invokeApi(gw, fnArn(gw.gateway.rootAccountId, "shared"), partner.keys),
			),
			403,
		);
	});

	test("InvokedViaFunctionUrl with another action is refused by name, nothing stored", async () => {
		await assert.rejects(
			lambda.send(
				new AddPermissionCommand({
					FunctionName: "shared",
					StatementId: "bad",
					Principal: "*",
					Action: "lambda:GetFunction",
					InvokedViaFunctionUrl: true,
				}),
			),
			(err: Error) => {
				assert.equal(err.name, "InvalidParameterValueException");
				assert.match(
					err.message,
					/InvokedViaFunctionUrl is only valid with the action lambda:InvokeFunction/,
				);
				return true;
			},
		);
		const policy = await gw.gateway.store.functions.getPolicy(
			gw.gateway.rootAccountId,
			"shared",
		);
		assert.doesNotMatch(policy?.document ?? "", /"bad"/);
	});
});

describe("the setting itself", () => {
	test("an unknown model stops the start, naming where it came from", async () => {
		const dataDir = await mkdtemp(join(tmpdir(), "sigil-urlauth-"));
		try {
			const start = (o: {
				functionUrlAuth?: string;
				env?: Record<string, string>;
			}) =>
				startGateway({
					host: "127.0.0.1",
					port: 0,
					dataDir,
					region: REGION,
					isolation: "none",
					env: {
						SIGIL_ROOT_ACCESS_KEY_ID: ROOT_KEY.accessKeyId,
						SIGIL_ROOT_SECRET_ACCESS_KEY: ROOT_KEY.secretAccessKey,
						...o.env,
					},
					log: () => {},
					...(o.functionUrlAuth !== undefined && {
						functionUrlAuth: o.functionUrlAuth,
					}),
				});
			await assert.rejects(
				start({ functionUrlAuth: "both" }),
				(err: Error & { code?: string }) => {
					assert.equal(err.code, "GATEWAY_CONFIG_INVALID");
					assert.match(
						err.message,
						/^functionUrlAuth: must be url-only or url-and-invoke/,
					);
					return true;
				},
			);
			await assert.rejects(
				start({ env: { SIGIL_FUNCTION_URL_AUTH: "invoke" } }),
				/SIGIL_FUNCTION_URL_AUTH: must be url-only or url-and-invoke/,
			);
		} finally {
			await rm(dataDir, { recursive: true, force: true });
		}
	});
});
