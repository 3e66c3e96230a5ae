// Seed 003 (shared/seeds/003_*.txt): signing from code with the AWS SDK v3 signer
// (`SignatureV4` + `Sha256` from @aws-crypto/sha256-js, `host` header set by hand as the seed
// insists), calling an IAM-protected endpoint scoped to `execute-api` and one scoped to `lambda`.
// The seed signs with an execution role's temporary credentials (session token): here they come
// from Sigil's STS (AssumeRole of an `invoker` role, issue 5), and the seed's exact flow succeeds
// against both scopes as the role session; a made-up token is still refused with AWS's
// UnrecognizedClientException. The same flow with long-term credentials works too.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Sha256 } from "@aws-crypto/sha256-js";
import { SignatureV4 } from "@smithy/signature-v4";
import { type AsyncTestGateway, startAsyncGateway } from "./async-helpers.ts";
import { ROOT_KEY } from "./helpers/gateway.ts";

const DATA = `export const handler = async (e) => ({ statusCode: 200, headers: { "content-type": "application/json" }, body: JSON.stringify({ data: "secret sauce", caller: e.requestContext.authorizer?.iam?.userArn ?? null }) });`;

let gw: AsyncTestGateway;
before(async () => {
	gw = await startAsyncGateway();
	await gw.deploy(
		"api",
		{
			runtime: "node",
			trigger: { auth: "aws_iam", services: ["execute-api"] },
		},
		{ "index.mjs": DATA },
	);
	await gw.deploy(
		"url",
		{ runtime: "node", trigger: { auth: "aws_iam", services: ["lambda"] } },
		{ "index.mjs": DATA },
	);
});
after(() => gw.stop());

/**
 * The seed's handler body: sign `{method, hostname, path, protocol, headers}` and send the signed
 * headers with the URL. Changed: `host` carries the port (the gateway listens on port 0; the
 * seed's endpoint had none) and fetch stands in for axios.
 */
async function seedCall(
	apiUrlText: string,
	service: string,
	credentials: {
		accessKeyId: string;
		secretAccessKey: string;
		sessionToken?: string;
	},
): Promise<Response> {
	const apiUrl = new URL(apiUrlText);
	const sigv4 = new SignatureV4({
		service,
		region: "us-east-1",
		credentials,
		sha256: Sha256,
	});
	const signed = await sigv4.sign({
		method: "GET",
		hostname: apiUrl.host,
		path: apiUrl.pathname,
		protocol: apiUrl.protocol,
		headers: { "Content-Type": "application/json", host: apiUrl.host },
	});
	const headers = new Headers();
	for (const [k, v] of Object.entries(signed.headers))
		if (k.toLowerCase() !== "host") headers.set(k, v);
	return fetch(apiUrlText, { method: signed.method, headers });
}

describe("long-term credentials (works today)", () => {
	test("execute-api-scoped trigger: 200 with the function's data and the verified caller", async () => {
		const res = await seedCall(
			`${gw.url}/function/api/items`,
			"execute-api",
			ROOT_KEY,
		);
		assert.equal(res.status, 200);
		const body = (await res.json()) as { data: string; caller: string };
		assert.equal(body.data, "secret sauce");
		assert.match(body.caller, /^arn:aws:iam::\d{12}:root$/);
	});

	test("lambda-scoped trigger (the seed's function-URL case): 200", async () => {
		const res = await seedCall(`${gw.url}/function/url/`, "lambda", ROOT_KEY);
		assert.equal(res.status, 200);
		assert.equal(((await res.json()) as { data: string }).data, "secret sauce");
	});

	test("the service in the scope must be the trigger's: lambda-signed call to an execute-api trigger is 403", async () => {
		const res = await seedCall(
			`${gw.url}/function/api/items`,
			"lambda",
			ROOT_KEY,
		);
		assert.equal(res.status, 403);
		await res.arrayBuffer();
	});
});

describe("session credentials (the seed's exact flow)", () => {
	let session: {
		accessKeyId: string;
		secretAccessKey: string;
		sessionToken: string;
	};
	before(async () => {
		// The execution role: trusted by its own account, allowed to call the function URLs.
		const account = gw.gateway.rootAccountId;
		const json = (body: unknown) => ({
			body: JSON.stringify(body),
			headers: { "content-type": "application/json" },
		});
		const role = await gw.signed(
			"POST",
			"/sigil/v1/roles",
			json({
				roleName: "invoker",
				trustPolicy: {
					Version: "2012-10-17",
					Statement: [
						{
							Effect: "Allow",
							Principal: { AWS: `arn:aws:iam::${account}:root` },
							Action: "sts:AssumeRole",
						},
					],
				},
			}),
		);
		assert.equal(role.status, 201, await role.text());
		const policy = await gw.signed(
			"PUT",
			"/sigil/v1/roles/invoker/policies/invoke",
			json({
				document: {
					Version: "2012-10-17",
					Statement: [
						{
							Effect: "Allow",
							Action: "lambda:InvokeFunctionUrl",
							Resource: `arn:aws:lambda:us-east-1:${account}:function:*`,
						},
					],
				},
			}),
		);
		assert.equal(policy.status, 200, await policy.text());
		const sts = await gw.signed("POST", "/", {
			service: "sts",
			body: new URLSearchParams({
				Action: "AssumeRole",
				Version: "2011-06-15",
				RoleArn: `arn:aws:iam::${account}:role/invoker`,
				RoleSessionName: "seed-003",
			}).toString(),
			headers: { "content-type": "application/x-www-form-urlencoded" },
		});
		const xml = await sts.text();
		assert.equal(sts.status, 200, xml);
		const tag = (name: string) =>
			new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml)?.[1] ?? "";
		session = {
			accessKeyId: tag("AccessKeyId"),
			secretAccessKey: tag("SecretAccessKey"),
			sessionToken: tag("SessionToken"),
		};
	});

	for (const [name, path, service] of [
		["execute-api", "/function/api/items", "execute-api"],
		["lambda", "/function/url/", "lambda"],
	] as const) {
		test(`STS session credentials on the ${name}-scoped trigger: 200 as the assumed-role session`, async () => {
			const res = await seedCall(`${gw.url}${path}`, service, session);
			assert.equal(res.status, 200);
			const body = (await res.json()) as { data: string; caller: string };
			assert.equal(body.data, "secret sauce");
			assert.equal(
				body.caller,
				`arn:aws:sts::${gw.gateway.rootAccountId}:assumed-role/invoker/seed-003`,
			);
		});
	}

	test("a session token Sigil did not issue is refused with UnrecognizedClientException", async () => {
		const res = await seedCall(`${gw.url}/function/url/`, "lambda", {
			...ROOT_KEY,
			sessionToken: "IQoJb3JpZ2luX2VjEXAMPLEsessiontoken",
		});
		assert.equal(res.status, 403);
		assert.equal(
			res.headers.get("x-amzn-errortype"),
			"UnrecognizedClientException",
		);
		assert.deepEqual(await res.json(), {
			message: "The security token included in the request is invalid.",
		});
	});
});
