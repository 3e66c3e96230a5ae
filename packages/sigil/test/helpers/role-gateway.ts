/**
 * A sandboxed test gateway (the default isolation) with what the execution-role tests need:
 * roles, role policies, deploys, Lambda invokes, and seed 003's function bundled with the SDK v3
 * signer (rolldown) as a user's bundler would ship it.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { rolldown } from "rolldown";
import { type Gateway, startGateway } from "../../src/gateway/server.ts";
import { REGION, ROOT_KEY, type SignedOpts, signedFetch } from "./gateway.ts";

const CALLER_SOURCE = fileURLToPath(
	new URL("../fixtures/role-caller/index.mjs", import.meta.url),
);
export const TARGET = `export const handler = async (e) => ({ statusCode: 200, headers: { "content-type": "application/json" }, body: JSON.stringify({ data: "secret sauce", caller: e.requestContext.authorizer?.iam?.userArn ?? null }) });`;

/** The seed function and its dependencies in one ES module (what a user's bundler makes). */
export async function bundleCaller(): Promise<string> {
	const bundle = await rolldown({
		input: CALLER_SOURCE,
		platform: "node",
		logLevel: "silent",
	});
	const { output } = await bundle.generate({
		format: "esm",
		codeSplitting: false,
	} as Parameters<typeof bundle.generate>[0]);
	await bundle.close();
	return (output[0] as { code: string }).code;
}

export const LAMBDA_TRUST = {
	Version: "2012-10-17",
	Statement: [
		{
			Effect: "Allow",
			Principal: { Service: "lambda.amazonaws.com" },
			Action: "sts:AssumeRole",
		},
	],
};

export interface RoleGateway {
	readonly gateway: Gateway;
	readonly url: string;
	readonly account: string;
	readonly logs: string[];
	signed(method: string, path: string, o?: SignedOpts): Promise<Response>;
	json(
		method: string,
		path: string,
		body: unknown,
		o?: SignedOpts,
	): Promise<Response>;
	createRole(name: string, trust?: unknown): Promise<string>;
	allow(
		role: string,
		policy: string,
		actions: string,
		resource: string,
	): Promise<void>;
	deploy(
		name: string,
		config: Record<string, unknown>,
		files: Record<string, string>,
		o?: SignedOpts,
	): Promise<Response>;
	/** Lambda Invoke of `name` with `payload`; the function's JSON answer. */
	invoke(
		name: string,
		payload: unknown,
	): Promise<{
		status: number;
		errorType: string | null;
		body: Record<string, unknown>;
	}>;
	stop(): Promise<void>;
}

/** A sandboxed gateway on port 0 (the default isolation), with helpers for roles and deploys. */
export async function startRoleGateway(
	options: { executionRoleSessionMs?: number } = {},
): Promise<RoleGateway> {
	const dataDir = await mkdtemp(join(tmpdir(), "sigil-roles-"));
	const logs: string[] = [];
	const gateway = await startGateway({
		host: "127.0.0.1",
		port: 0,
		dataDir,
		region: REGION,
		env: {
			SIGIL_ROOT_ACCESS_KEY_ID: ROOT_KEY.accessKeyId,
			SIGIL_ROOT_SECRET_ACCESS_KEY: ROOT_KEY.secretAccessKey,
		},
		log: (line) => logs.push(line),
		drainMs: 2_000,
		...options,
	});
	const url = gateway.url;
	const signed = (method: string, path: string, o: SignedOpts = {}) =>
		signedFetch(url, method, path, o);
	const json = (
		method: string,
		path: string,
		body: unknown,
		o: SignedOpts = {},
	) =>
		signed(method, path, {
			...o,
			body: JSON.stringify(body),
			headers: { "content-type": "application/json" },
		});
	const account = gateway.rootAccountId;
	return {
		gateway,
		url,
		account,
		logs,
		signed,
		json,
		async createRole(name, trust = LAMBDA_TRUST) {
			const res = await json("POST", "/sigil/v1/roles", {
				roleName: name,
				trustPolicy: trust,
			});
			assert.equal(res.status, 201, await res.text());
			return `arn:aws:iam::${account}:role/${name}`;
		},
		async allow(role, policy, actions, resource) {
			const res = await json(
				"PUT",
				`/sigil/v1/roles/${role}/policies/${policy}`,
				{
					document: {
						Version: "2012-10-17",
						Statement: [
							{
								Effect: "Allow",
								Action: actions.split(","),
								Resource: resource,
							},
						],
					},
				},
			);
			assert.equal(res.status, 200, await res.text());
		},
		deploy(name, config, files, o = {}) {
			const code = {
				files: Object.entries(files).map(([path, text]) => ({
					path,
					mode: 0o644,
					data: Buffer.from(text).toString("base64"),
				})),
			};
			return json("PUT", `/sigil/v1/functions/${name}`, { config, code }, o);
		},
		async invoke(name, payload) {
			const res = await signed(
				"POST",
				`/2015-03-31/functions/${name}/invocations`,
				{ service: "lambda", body: JSON.stringify(payload) },
			);
			const text = await res.text();
			return {
				status: res.status,
				errorType: res.headers.get("x-amzn-errortype"),
				body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
			};
		},
		async stop() {
			await gateway.close();
			await rm(dataDir, { recursive: true, force: true });
		},
	};
}
