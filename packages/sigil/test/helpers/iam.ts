/**
 * IAM fixtures for the gateway tests: accounts, users with keys and inline policies made
 * through Sigil's control plane (so every write takes this gateway's cache-invalidation path),
 * and signed calls to function URLs and the Lambda API as a given principal.
 */
import {
	deployAt,
	ROOT_KEY,
	signedFetch,
	type TestGateway,
} from "./gateway.ts";

export interface Keys {
	readonly accessKeyId: string;
	readonly secretAccessKey: string;
	readonly sessionToken?: string;
}

export const OK_HANDLER = `export const handler = async () => ({ statusCode: 200, headers: { "content-type": "text/plain" }, body: "ok" });`;

/** A signed control-plane call; throws with the answer unless the status is 2xx. */
export async function cp<T = Record<string, unknown>>(
	gw: TestGateway,
	method: string,
	path: string,
	body?: unknown,
	credentials: Keys = ROOT_KEY,
): Promise<T> {
	const res = await signedFetch(gw.url, method, `/sigil/v1${path}`, {
		credentials,
		...(body !== undefined && {
			body: JSON.stringify(body),
			headers: { "content-type": "application/json" },
		}),
	});
	const text = await res.text();
	if (res.status >= 300)
		throw new Error(`${method} ${path} → ${res.status} ${text}`);
	return (text ? JSON.parse(text) : {}) as T;
}

/** A new account and its admin (root identity) key. */
export async function createAccount(
	gw: TestGateway,
	name: string,
): Promise<{ accountId: string; keys: Keys }> {
	const r = await cp<{
		accountId: string;
		accessKey: { AccessKeyId: string; SecretAccessKey: string };
	}>(gw, "POST", "/accounts", { name });
	return {
		accountId: r.accountId,
		keys: {
			accessKeyId: r.accessKey.AccessKeyId,
			secretAccessKey: r.accessKey.SecretAccessKey,
		},
	};
}

/** A user with one access key (in the account whose admin key is `admin`). */
export async function createUser(
	gw: TestGateway,
	userName: string,
	admin: Keys = ROOT_KEY,
): Promise<{ arn: string; keys: Keys }> {
	const { user } = await cp<{ user: { arn: string } }>(
		gw,
		"POST",
		"/users",
		{ userName },
		admin,
	);
	const { AccessKey } = await cp<{
		AccessKey: { AccessKeyId: string; SecretAccessKey: string };
	}>(gw, "POST", `/users/${userName}/keys`, undefined, admin);
	return {
		arn: user.arn,
		keys: {
			accessKeyId: AccessKey.AccessKeyId,
			secretAccessKey: AccessKey.SecretAccessKey,
		},
	};
}

/** Puts an inline identity policy made of `statements` on a user. */
export async function putUserPolicy(
	gw: TestGateway,
	userName: string,
	policyName: string,
	statements: unknown[],
	admin: Keys = ROOT_KEY,
): Promise<void> {
	await cp(
		gw,
		"PUT",
		`/users/${userName}/policies/${policyName}`,
		{ document: { Version: "2012-10-17", Statement: statements } },
		admin,
	);
}

/** Deploys `name` (owner: `admin`'s account) and writes its resource policy before any request. */
export async function deployWithPolicy(
	gw: TestGateway,
	name: string,
	trigger: Record<string, unknown>,
	statements: unknown[] | null,
	admin: Keys = ROOT_KEY,
): Promise<void> {
	const res = await deployAt(
		gw.url,
		name,
		{ runtime: "node", trigger },
		{ "index.mjs": OK_HANDLER },
		{ credentials: admin },
	);
	const { function: fn } = (await res.json()) as { function: { arn: string } };
	if (statements === null) return;
	await gw.gateway.store.functions.putPolicy(
		fn.arn.split(":")[4] as string,
		name,
		JSON.stringify({ Version: "2012-10-17", Statement: statements }),
	);
}

/** GET the function's URL signed (service `lambda`) with `keys`; anonymous when `keys` is null. */
export function callUrl(
	gw: TestGateway,
	name: string,
	keys: Keys | null,
): Promise<Response> {
	if (keys === null) return fetch(`${gw.url}/function/${name}/`);
	return signedFetch(gw.url, "GET", `/function/${name}/`, {
		service: "lambda",
		credentials: keys,
	});
}

/** The Lambda Invoke API, signed with `keys`; `fn` may be a name or an ARN. */
export function invokeApi(
	gw: TestGateway,
	fn: string,
	keys: Keys,
): Promise<Response> {
	return signedFetch(
		gw.url,
		"POST",
		`/2015-03-31/functions/${encodeURIComponent(fn)}/invocations`,
		{ service: "lambda", credentials: keys, body: "{}" },
	);
}

export function fnArn(accountId: string, name: string): string {
	return `arn:aws:lambda:us-east-1:${accountId}:function:${name}`;
}

/** The trust policy of an execution role: the Lambda service may assume it. */
export const LAMBDA_TRUST_POLICY = JSON.stringify({
	Version: "2012-10-17",
	Statement: [
		{
			Effect: "Allow",
			Principal: { Service: "lambda.amazonaws.com" },
			Action: "sts:AssumeRole",
		},
	],
});

/**
 * An execution role in `accountId` (default the root account) that Lambda may assume — what
 * CreateFunction's `Role` must name (issue 11) — made in the store; returns its ARN.
 */
export async function lambdaRole(
	gw: Pick<TestGateway, "gateway">,
	roleName: string,
	options: { path?: string; accountId?: string } = {},
): Promise<string> {
	const role = await gw.gateway.store.roles.create({
		accountId: options.accountId ?? gw.gateway.rootAccountId,
		roleName,
		trustPolicy: LAMBDA_TRUST_POLICY,
		...(options.path !== undefined && { path: options.path }),
	});
	return role.arn;
}
