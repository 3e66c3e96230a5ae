/**
 * Starts a real gateway on port 0 with a fresh data directory, and signs requests to it with a
 * real peer signer (@smithy/signature-v4, what the AWS SDK v3 uses), so the tests exercise the
 * gateway as outside clients would.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Sha256 } from "@aws-crypto/sha256-js";
import { HttpRequest } from "@smithy/protocol-http";
import { SignatureV4 } from "@smithy/signature-v4";
import type { AsyncOptions } from "../../src/async/index.ts";
import { type Gateway, startGateway } from "../../src/gateway/server.ts";

export const ROOT_KEY = {
	accessKeyId: "AKIAIOSFODNN7EXAMPLE",
	secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
};
export const REGION = "us-east-1";

export interface TestGateway {
	readonly gateway: Gateway;
	readonly url: string;
	readonly dataDir: string;
	readonly logs: string[];
	/** A SigV4-signed request (service `sigil` unless told otherwise). */
	signed(method: string, path: string, opts?: SignedOpts): Promise<Response>;
	/** Deploys a function through the control-plane API; throws with the answer on failure. */
	deploy(
		name: string,
		config: Record<string, unknown>,
		files?: Record<string, string>,
	): Promise<void>;
	putSecret(name: string, value: string | Buffer): Promise<void>;
	stop(): Promise<void>;
}

export interface SignedOpts {
	readonly body?: string | Buffer;
	readonly headers?: Record<string, string>;
	readonly service?: string;
	readonly credentials?: {
		accessKeyId: string;
		secretAccessKey: string;
		sessionToken?: string;
	};
	readonly region?: string;
	readonly signingDate?: Date;
}

export async function startTestGateway(
	opts: {
		dataDir?: string;
		env?: Record<string, string>;
		examplesDir?: string;
		/** Async worker settings; tests default to fast retries. */
		async?: AsyncOptions;
		drainMs?: number;
		/** The web console's dist folder (default: packages/console/dist). */
		consoleDir?: string;
	} = {},
): Promise<TestGateway> {
	const dataDir =
		opts.dataDir ?? (await mkdtemp(join(tmpdir(), "sigil-test-")));
	const logs: string[] = [];
	const gateway = await startGateway({
		host: "127.0.0.1",
		port: 0,
		dataDir,
		region: REGION,
		env: {
			SIGIL_ROOT_ACCESS_KEY_ID: ROOT_KEY.accessKeyId,
			SIGIL_ROOT_SECRET_ACCESS_KEY: ROOT_KEY.secretAccessKey,
			...opts.env,
		},
		...(opts.examplesDir && { examplesDir: opts.examplesDir }),
		...(opts.consoleDir && { consoleDir: opts.consoleDir }),
		log: (line) => logs.push(line),
		drainMs: opts.drainMs ?? 5_000,
		async: {
			pollMs: 50,
			retryBaseMs: 50,
			retryMaxMs: 200,
			callbackRetryMs: 50,
			// Callback receivers in tests listen on 127.0.0.1, which a gateway refuses by default.
			allowPrivateCallbacks: true,
			...opts.async,
		},
	});
	const url = gateway.url;
	const signed = (method: string, path: string, o: SignedOpts = {}) =>
		signedFetch(url, method, path, o);
	return {
		gateway,
		url,
		dataDir,
		logs,
		signed,
		async deploy(name, config, files = {}) {
			await deployAt(url, name, config, files);
		},
		async putSecret(name, value) {
			const res = await signed("PUT", `/sigil/v1/secrets/${name}`, {
				body: JSON.stringify({ value: Buffer.from(value).toString("base64") }),
				headers: { "content-type": "application/json" },
			});
			if (res.status !== 200)
				throw new Error(`secret ${name} → ${res.status} ${await res.text()}`);
		},
		async stop() {
			await gateway.close();
			if (!opts.dataDir) await rm(dataDir, { recursive: true, force: true });
		},
	};
}

/**
 * Deploys a function with files (mode 0644) through the control-plane API of the gateway at
 * `base`, signed as `o` says (the root key by default); throws with the answer unless 200/201.
 */
export async function deployAt(
	base: string,
	name: string,
	config: Record<string, unknown>,
	files: Record<string, string> = {},
	o: Omit<SignedOpts, "body" | "headers"> = {},
): Promise<Response> {
	const code = {
		files: Object.entries(files).map(([path, text]) => ({
			path,
			mode: 0o644,
			data: Buffer.from(text).toString("base64"),
		})),
	};
	const res = await signedFetch(base, "PUT", `/sigil/v1/functions/${name}`, {
		...o,
		body: JSON.stringify({ config, code }),
		headers: { "content-type": "application/json" },
	});
	if (res.status !== 200 && res.status !== 201)
		throw new Error(`deploy ${name} → ${res.status} ${await res.text()}`);
	return res;
}

/** Signs with @smithy/signature-v4 exactly as the AWS SDK for JavaScript v3 would, then sends. */
export async function signedFetch(
	base: string,
	method: string,
	path: string,
	o: SignedOpts = {},
): Promise<Response> {
	const u = new URL(path, base);
	const query: Record<string, string | string[]> = {};
	for (const [k, v] of u.searchParams) {
		const prior = query[k];
		query[k] =
			prior === undefined
				? v
				: Array.isArray(prior)
					? [...prior, v]
					: [prior, v];
	}
	const body = o.body === undefined ? undefined : Buffer.from(o.body);
	const request = new HttpRequest({
		method,
		protocol: "http:",
		hostname: u.hostname,
		port: Number(u.port),
		path: u.pathname,
		query,
		headers: { host: u.host, ...o.headers },
		...(body && { body }),
	});
	const signer = new SignatureV4({
		credentials: o.credentials ?? ROOT_KEY,
		region: o.region ?? REGION,
		service: o.service ?? "sigil",
		sha256: Sha256,
	});
	const s = await signer.sign(
		request,
		o.signingDate ? { signingDate: o.signingDate } : {},
	);
	const headers = new Headers();
	for (const [k, v] of Object.entries(s.headers))
		if (k !== "host") headers.set(k, v);
	return fetch(u, { method, headers, ...(body && { body }) });
}
