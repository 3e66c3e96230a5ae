// Execution roles (issue 11) through a real, sandboxed gateway: seed 003's flow inside Sigil — a
// Node function signs, with its role's temporary credentials and the SDK v3 signer, a call to
// another function's aws_iam URL (service `lambda` and `execute-api`) and to STS, and gets the
// answer; without the role's policy it gets 403. Deploy-time rules as Lambda's (own account,
// iam:PassRole, a trust policy that lets lambda.amazonaws.com in), the end of a deleted or
// no-longer-trusting role, and no credential in any log.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { otherAccount } from "./async-helpers.ts";
import { REGION } from "./helpers/gateway.ts";
import {
	bundleCaller,
	LAMBDA_TRUST,
	type RoleGateway,
	startRoleGateway,
	TARGET,
} from "./helpers/role-gateway.ts";

let gw: RoleGateway;
let caller: string;
before(async () => {
	gw = await startRoleGateway();
	caller = await bundleCaller();
	const target = await gw.deploy(
		"target",
		{
			runtime: "node",
			trigger: { auth: "aws_iam", services: ["lambda", "execute-api"] },
		},
		{ "index.mjs": TARGET },
	);
	assert.equal(target.status, 201, await target.text());
	await gw.createRole("runner");
	await gw.allow(
		"runner",
		"invoke-target",
		"lambda:InvokeFunctionUrl",
		`arn:aws:lambda:${REGION}:${gw.account}:function:target`,
	);
	await gw.createRole("bare");
	for (const [name, role] of [
		["caller", "runner"],
		["caller-bare", "bare"],
	] as const) {
		const res = await gw.deploy(
			name,
			{
				runtime: "node",
				role: `arn:aws:iam::${gw.account}:role/${role}`,
				timeout: 10,
			},
			{ "index.mjs": caller },
		);
		assert.equal(res.status, 201, await res.text());
	}
});
after(() => gw?.stop());

describe("seed 003 inside Sigil: a function calls another function's aws_iam URL as its role", () => {
	for (const service of ["lambda", "execute-api"] as const) {
		test(`signed for ${service} with the role's session: 200, seen as assumed-role/runner/caller`, async () => {
			const out = await gw.invoke("caller", {
				url: `${gw.url}/function/target/items`,
				service,
			});
			assert.equal(out.status, 200, JSON.stringify(out.body));
			assert.equal(out.body.status, 200, String(out.body.body));
			const answer = JSON.parse(out.body.body as string) as {
				data: string;
				caller: string;
			};
			assert.equal(answer.data, "secret sauce");
			assert.equal(
				answer.caller,
				`arn:aws:sts::${gw.account}:assumed-role/runner/caller`,
			);
		});
	}

	test("the environment holds a session (ASIA…, secret, token) and the region, as Lambda sets them", async () => {
		const out = await gw.invoke("caller", {
			url: `${gw.url}/function/target/`,
			service: "lambda",
		});
		assert.match(String(out.body.accessKeyId), /^ASIA[A-Z2-7]{16}$/);
		assert.equal(out.body.hasSecret, true);
		assert.equal(out.body.hasToken, true);
		assert.equal(out.body.region, REGION);
		assert.equal(out.body.defaultRegion, REGION);
	});

	test("STS GetCallerIdentity signed from inside names the role session", async () => {
		const out = await gw.invoke("caller", {
			url: `${gw.url}/`,
			service: "sts",
			method: "POST",
			contentType: "application/x-www-form-urlencoded",
			body: "Action=GetCallerIdentity&Version=2011-06-15",
		});
		assert.equal(out.body.status, 200, String(out.body.body));
		assert.match(
			String(out.body.body),
			new RegExp(
				`<Arn>arn:aws:sts::${gw.account}:assumed-role/runner/caller</Arn>`,
			),
		);
	});

	test("a role without the policy: the same call is 403 (the function URL's Forbidden)", async () => {
		const out = await gw.invoke("caller-bare", {
			url: `${gw.url}/function/target/items`,
			service: "lambda",
		});
		assert.equal(out.status, 200);
		assert.equal(out.body.status, 403, String(out.body.body));
		assert.deepEqual(JSON.parse(String(out.body.body)), {
			Message: "Forbidden",
		});
	});

	test("the role's policy decides: allowing the function URL then denying it explicitly", async () => {
		await gw.createRole("switch");
		const deployed = await gw.deploy(
			"caller-switch",
			{
				runtime: "node",
				role: `arn:aws:iam::${gw.account}:role/switch`,
				timeout: 10,
			},
			{ "index.mjs": caller },
		);
		assert.equal(deployed.status, 201, await deployed.text());
		const call = { url: `${gw.url}/function/target/`, service: "lambda" };
		assert.equal((await gw.invoke("caller-switch", call)).body.status, 403);
		await gw.allow("switch", "toggle", "lambda:InvokeFunctionUrl", "*");
		const allowed = await gw.invoke("caller-switch", call);
		assert.equal(allowed.body.status, 200, String(allowed.body.body));
		const res = await gw.json("PUT", "/sigil/v1/roles/switch/policies/toggle", {
			document: {
				Version: "2012-10-17",
				Statement: [
					{ Effect: "Deny", Action: "lambda:InvokeFunctionUrl", Resource: "*" },
				],
			},
		});
		assert.equal(res.status, 200, await res.text());
		const denied = await gw.invoke("caller-switch", call);
		assert.equal(denied.body.status, 403, String(denied.body.body));
	});
});

describe("deploy-time rules (Lambda's)", () => {
	test("a role that does not exist: 400 EXECUTION_ROLE_INVALID, AWS's words", async () => {
		const res = await gw.deploy(
			"no-role",
			{ runtime: "node", role: `arn:aws:iam::${gw.account}:role/missing` },
			{ "index.mjs": TARGET },
		);
		assert.equal(res.status, 400);
		const body = (await res.json()) as {
			error: { code: string; message: string };
		};
		assert.equal(body.error.code, "EXECUTION_ROLE_INVALID");
		assert.equal(
			body.error.message,
			"The role defined for the function cannot be assumed by Lambda.",
		);
	});

	test("a role whose trust policy names only the account (not lambda.amazonaws.com): refused alike", async () => {
		await gw.createRole("humans-only", {
			Version: "2012-10-17",
			Statement: [
				{
					Effect: "Allow",
					Principal: { AWS: `arn:aws:iam::${gw.account}:root` },
					Action: "sts:AssumeRole",
				},
			],
		});
		const res = await gw.deploy(
			"humans",
			{ runtime: "node", role: `arn:aws:iam::${gw.account}:role/humans-only` },
			{ "index.mjs": TARGET },
		);
		assert.equal(res.status, 400);
		assert.match(
			await res.text(),
			/EXECUTION_ROLE_INVALID.*cannot be assumed by Lambda/,
		);
	});

	test("a trust policy allowing lambda.amazonaws.com another action only (sts:TagSession): refused", async () => {
		await gw.createRole("tag-only", {
			Version: "2012-10-17",
			Statement: [
				{
					Effect: "Allow",
					Principal: { Service: "lambda.amazonaws.com" },
					Action: "sts:TagSession",
				},
			],
		});
		const res = await gw.deploy(
			"tagger",
			{ runtime: "node", role: `arn:aws:iam::${gw.account}:role/tag-only` },
			{ "index.mjs": TARGET },
		);
		assert.equal(res.status, 400);
		await res.arrayBuffer();
	});

	test("another account's role, even one trusting Lambda: 403 Cross-account pass role is not allowed.", async () => {
		const other = await otherAccount(gw.gateway);
		await gw.gateway.store.roles.create({
			accountId: other.accountId,
			roleName: "theirs",
			trustPolicy: JSON.stringify(LAMBDA_TRUST),
		});
		const res = await gw.deploy(
			"borrow",
			{ runtime: "node", role: `arn:aws:iam::${other.accountId}:role/theirs` },
			{ "index.mjs": TARGET },
		);
		assert.equal(res.status, 403);
		const body = (await res.json()) as {
			error: { code: string; message: string };
		};
		assert.equal(body.error.code, "ACCESS_DENIED");
		assert.equal(body.error.message, "Cross-account pass role is not allowed.");
		assert.equal(
			(await gw.signed("GET", "/sigil/v1/functions/borrow")).status,
			404,
		);
	});

	test("iam:PassRole: a user who may deploy but not pass the role is refused; with PassRole it deploys", async () => {
		const user = await gw.json("POST", "/sigil/v1/users", {
			userName: "deployer",
		});
		assert.equal(user.status, 201, await user.text());
		const key = await gw.json("POST", "/sigil/v1/users/deployer/keys", {});
		const keyText = await key.text();
		assert.equal(key.status, 201, keyText);
		const k = (
			JSON.parse(keyText) as {
				AccessKey: { AccessKeyId: string; SecretAccessKey: string };
			}
		).AccessKey;
		const credentials = {
			accessKeyId: k.AccessKeyId,
			secretAccessKey: k.SecretAccessKey,
		};
		const put = (document: unknown) =>
			gw.json("PUT", "/sigil/v1/users/deployer/policies/deploy", { document });
		const deployOnly = {
			Version: "2012-10-17",
			Statement: [{ Effect: "Allow", Action: "lambda:*", Resource: "*" }],
		};
		assert.equal((await put(deployOnly)).status, 200);
		const denied = await gw.deploy(
			"escalate",
			{ runtime: "node", role: `arn:aws:iam::${gw.account}:role/runner` },
			{ "index.mjs": TARGET },
			{ credentials },
		);
		assert.equal(denied.status, 403);
		assert.match(
			await denied.text(),
			new RegExp(
				`not authorized to perform: iam:PassRole on resource: arn:aws:iam::${gw.account}:role/runner`,
			),
		);
		assert.equal(
			(await gw.signed("GET", "/sigil/v1/functions/escalate")).status,
			404,
		);
		// PassRole only towards Lambda (iam:PassedToService), on that one role.
		const withPass = {
			Version: "2012-10-17",
			Statement: [
				...deployOnly.Statement,
				{
					Effect: "Allow",
					Action: "iam:PassRole",
					Resource: `arn:aws:iam::${gw.account}:role/runner`,
					Condition: {
						StringEquals: { "iam:PassedToService": "lambda.amazonaws.com" },
					},
				},
			],
		};
		assert.equal((await put(withPass)).status, 200);
		const ok = await gw.deploy(
			"escalate",
			{ runtime: "node", role: `arn:aws:iam::${gw.account}:role/runner` },
			{ "index.mjs": TARGET },
			{ credentials },
		);
		assert.equal(ok.status, 201, await ok.text());
		// The role is not new any more: a code update needs no PassRole.
		assert.equal((await put(deployOnly)).status, 200);
		const update = await gw.deploy(
			"escalate",
			{ runtime: "node", role: `arn:aws:iam::${gw.account}:role/runner` },
			{ "index.mjs": `${TARGET}\n// v2` },
			{ credentials },
		);
		assert.equal(update.status, 200, await update.text());
		// Naming another role is passing it again.
		const other = await gw.deploy(
			"escalate",
			{ runtime: "node", role: `arn:aws:iam::${gw.account}:role/bare` },
			{ "index.mjs": TARGET },
			{ credentials },
		);
		assert.equal(other.status, 403);
		await other.arrayBuffer();
	});

	test("runtime http cannot hand credentials to its server: a role there is refused, not ignored", async () => {
		const res = await gw.deploy(
			"upstream",
			{
				runtime: "http",
				upstream: "http://127.0.0.1:9",
				role: `arn:aws:iam::${gw.account}:role/runner`,
			},
			{},
		);
		assert.equal(res.status, 400);
		assert.match(
			await res.text(),
			/runtime http does not hand execution-role credentials/,
		);
	});
});

describe("the role's end ends the function's sessions", () => {
	test("trust no longer allowing Lambda: invocations refused (502 EXECUTION_ROLE_UNUSABLE) until it is restored", async () => {
		await gw.createRole("flaky");
		const deployed = await gw.deploy(
			"flaky-fn",
			{
				runtime: "node",
				role: `arn:aws:iam::${gw.account}:role/flaky`,
				timeout: 10,
			},
			{ "index.mjs": caller },
		);
		assert.equal(deployed.status, 201, await deployed.text());
		const call = {
			url: `${gw.url}/`,
			service: "sts",
			method: "POST",
			contentType: "application/x-www-form-urlencoded",
			body: "Action=GetCallerIdentity&Version=2011-06-15",
		};
		assert.equal((await gw.invoke("flaky-fn", call)).body.status, 200);
		const setTrust = (doc: unknown) =>
			gw.signed("POST", "/", {
				service: "iam",
				body: new URLSearchParams({
					Action: "UpdateAssumeRolePolicy",
					Version: "2010-05-08",
					RoleName: "flaky",
					PolicyDocument: JSON.stringify(doc),
				}).toString(),
				headers: { "content-type": "application/x-www-form-urlencoded" },
			});
		const humans = {
			Version: "2012-10-17",
			Statement: [
				{
					Effect: "Allow",
					Principal: { AWS: `arn:aws:iam::${gw.account}:root` },
					Action: "sts:AssumeRole",
				},
			],
		};
		const changed = await setTrust(humans);
		assert.equal(changed.status, 200, await changed.text());
		const refused = await gw.invoke("flaky-fn", call);
		assert.equal(refused.status, 502);
		assert.equal(refused.errorType, "ServiceException");
		assert.match(
			String(refused.body.message ?? refused.body.Message),
			/execution role .*flaky no longer exists or its trust policy no longer lets lambda.amazonaws.com/,
		);
		const restored = await setTrust(LAMBDA_TRUST);
		assert.equal(restored.status, 200, await restored.text());
		assert.equal((await gw.invoke("flaky-fn", call)).body.status, 200);
	});

	test("deleting the role: sessions a function already holds stop working, and no invocation runs", async () => {
		await gw.createRole("doomed");
		const deployed = await gw.deploy(
			"doomed-fn",
			{
				runtime: "node",
				role: `arn:aws:iam::${gw.account}:role/doomed`,
				timeout: 10,
			},
			{
				"index.mjs": `export const handler = async () => ({ id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY, token: process.env.AWS_SESSION_TOKEN });`,
			},
		);
		assert.equal(deployed.status, 201, await deployed.text());
		// What a function could have copied out of its environment (a leak, a long-lived cache).
		const held = (await gw.invoke("doomed-fn", {})).body as {
			id: string;
			secret: string;
			token: string;
		};
		const credentials = {
			accessKeyId: held.id,
			secretAccessKey: held.secret,
			sessionToken: held.token,
		};
		const sts = () =>
			gw.signed("POST", "/", {
				service: "sts",
				credentials,
				body: "Action=GetCallerIdentity&Version=2011-06-15",
				headers: { "content-type": "application/x-www-form-urlencoded" },
			});
		const before = await sts();
		assert.equal(before.status, 200, await before.text());
		const del = await gw.signed("POST", "/", {
			service: "iam",
			body: "Action=DeleteRole&Version=2010-05-08&RoleName=doomed",
			headers: { "content-type": "application/x-www-form-urlencoded" },
		});
		assert.equal(del.status, 200, await del.text());
		const afterDelete = await sts();
		assert.equal(afterDelete.status, 403);
		await afterDelete.arrayBuffer();
		const refused = await gw.invoke("doomed-fn", {});
		assert.equal(refused.status, 502);
	});
});

describe("every runtime that runs code hands the role's session to it", () => {
	test("process (fork per request): the environment holds the session, and it signs", async () => {
		const role = await gw.createRole("proc-runner");
		const res = await gw.deploy(
			"proc-env",
			{ runtime: "process", fprocess: "env", role },
			{},
		);
		assert.equal(res.status, 201, await res.text());
		const out = await gw.signed(
			"POST",
			"/2015-03-31/functions/proc-env/invocations",
			{
				service: "lambda",
				body: "{}",
			},
		);
		const env = Object.fromEntries(
			(await out.text())
				.split("\n")
				.filter((l) => l.includes("="))
				.map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
		) as Record<string, string>;
		assert.match(env.AWS_ACCESS_KEY_ID ?? "", /^ASIA/);
		assert.equal(env.AWS_REGION, REGION);
		const who = await gw.signed("POST", "/", {
			service: "sts",
			credentials: {
				accessKeyId: env.AWS_ACCESS_KEY_ID as string,
				secretAccessKey: env.AWS_SECRET_ACCESS_KEY as string,
				sessionToken: env.AWS_SESSION_TOKEN as string,
			},
			body: "Action=GetCallerIdentity&Version=2011-06-15",
			headers: { "content-type": "application/x-www-form-urlencoded" },
		});
		const xml = await who.text();
		assert.equal(who.status, 200, xml);
		assert.match(xml, /assumed-role\/proc-runner\/proc-env/);
	});

	for (const contract of ["openfaas", "lambda"] as const) {
		test(`python3 (${contract} contract, warm): the environment holds the session`, async () => {
			const role = await gw.createRole(`py-${contract}`);
			const files: Record<string, string> =
				contract === "openfaas"
					? {
							"handler.py":
								"import os\ndef handle(req):\n    return os.environ.get('AWS_ACCESS_KEY_ID', '') + ' ' + os.environ.get('AWS_DEFAULT_REGION', '') + ' ' + str(bool(os.environ.get('AWS_SESSION_TOKEN')))\n",
						}
					: {
							"lambda_function.py":
								"import os\ndef lambda_handler(event, context):\n    return os.environ.get('AWS_ACCESS_KEY_ID', '') + ' ' + os.environ.get('AWS_DEFAULT_REGION', '') + ' ' + str(bool(os.environ.get('AWS_SESSION_TOKEN')))\n",
						};
			const res = await gw.deploy(
				`py-${contract}`,
				{ runtime: "python3", contract, role },
				files,
			);
			assert.equal(res.status, 201, await res.text());
			const out = await gw.signed(
				"POST",
				`/2015-03-31/functions/py-${contract}/invocations`,
				{
					service: "lambda",
					body: "{}",
				},
			);
			const text = await out.text();
			assert.equal(out.status, 200, text);
			assert.match(text, new RegExp(`ASIA[A-Z2-7]{16} ${REGION} True`));
		});
	}
});

describe("credentials never in logs", () => {
	test("printed by the function: [redacted] in its invocation log; never in the gateway's own lines", async () => {
		const res = await gw.signed(
			"POST",
			"/2015-03-31/functions/caller/invocations",
			{
				service: "lambda",
				body: JSON.stringify({
					url: `${gw.url}/function/target/`,
					service: "lambda",
					print: true,
				}),
				headers: { "x-amz-log-type": "Tail" },
			},
		);
		assert.equal(res.status, 200);
		const out = (await res.json()) as { accessKeyId: string };
		const tail = Buffer.from(
			res.headers.get("x-amz-log-result") ?? "",
			"base64",
		).toString("utf8");
		assert.match(tail, /key \[redacted\] token \[redacted\]/);
		const logs = await gw.signed("GET", "/sigil/v1/logs?function=caller");
		const text = await logs.text();
		assert.equal(logs.status, 200, text);
		assert.match(text, /key \[redacted\] token \[redacted\]/);
		// The token is sealed for this gateway: find the one issued to the instance by its key id
		// in nothing the gateway wrote, and no session token at all in its own log lines.
		const own = gw.logs.join("\n");
		assert.doesNotMatch(own, /SGL2[A-Za-z0-9_-]{40,}/);
		assert.ok(out.accessKeyId.startsWith("ASIA"));
	});
});
