/**
 * Helpers shared by the async, Lambda API and seed tests: a real gateway on port 0 whose async
 * worker is tuned for tests (fast retries, small bounds, or paused), a second account with its
 * own key, a callback receiver, and polling for a job's final state.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import type { AsyncOptions } from "../src/async/index.ts";
import { type Gateway, startGateway } from "../src/gateway/server.ts";
import {
	REGION,
	ROOT_KEY,
	type SignedOpts,
	signedFetch,
} from "./helpers/gateway.ts";

export interface AsyncTestGateway {
	readonly gateway: Gateway;
	readonly url: string;
	readonly dataDir: string;
	readonly logs: string[];
	signed(method: string, path: string, opts?: SignedOpts): Promise<Response>;
	deploy(
		name: string,
		config: Record<string, unknown>,
		files: Record<string, string>,
	): Promise<void>;
	putSecret(name: string, value: string): Promise<void>;
	/** Polls `GET /sigil/v1/jobs/{id}` until the job is in one of `states`. */
	waitForJob(
		id: string,
		states: readonly string[],
		timeoutMs?: number,
	): Promise<JobJson>;
	stop(): Promise<void>;
}

export interface JobJson {
	id: string;
	function: string;
	kind: string;
	status: string;
	attempts: number;
	maxAttempts: number;
	lastError: string | null;
	callbackUrl: string | null;
	payload?: string;
	result?: string | null;
}

export async function startAsyncGateway(
	opts: { dataDir?: string; async?: AsyncOptions } = {},
): Promise<AsyncTestGateway> {
	const dataDir =
		opts.dataDir ?? (await mkdtemp(join(tmpdir(), "sigil-async-")));
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
		async: {
			pollMs: 50,
			retryBaseMs: 50,
			retryMaxMs: 200,
			callbackRetryMs: 50,
			...opts.async,
		},
	});
	const url = gateway.url;
	const signed = (method: string, path: string, o: SignedOpts = {}) =>
		signedFetch(url, method, path, o);
	const self: AsyncTestGateway = {
		gateway,
		url,
		dataDir,
		logs,
		signed,
		async deploy(name, config, files) {
			const code = {
				files: Object.entries(files).map(([path, text]) => ({
					path,
					mode: 0o644,
					data: Buffer.from(text).toString("base64"),
				})),
			};
			const res = await signed("PUT", `/sigil/v1/functions/${name}`, {
				body: JSON.stringify({ config, code }),
				headers: { "content-type": "application/json" },
			});
			if (res.status !== 200 && res.status !== 201)
				throw new Error(`deploy ${name} → ${res.status} ${await res.text()}`);
		},
		async putSecret(name, value) {
			const res = await signed("PUT", `/sigil/v1/secrets/${name}`, {
				body: JSON.stringify({ value: Buffer.from(value).toString("base64") }),
				headers: { "content-type": "application/json" },
			});
			if (res.status !== 200)
				throw new Error(`secret ${name} → ${res.status} ${await res.text()}`);
		},
		async waitForJob(id, states, timeoutMs = 10_000) {
			const deadline = Date.now() + timeoutMs;
			let last: JobJson | undefined;
			while (Date.now() < deadline) {
				const res = await signed("GET", `/sigil/v1/jobs/${id}`);
				if (res.status === 200) {
					last = ((await res.json()) as { job: JobJson }).job;
					if (states.includes(last.status)) return last;
				} else await res.arrayBuffer();
				await new Promise((r) => setTimeout(r, 50));
			}
			throw new Error(
				`job ${id} did not reach ${states.join("/")}: last ${JSON.stringify(last)}`,
			);
		},
		async stop() {
			await gateway.close();
			if (!opts.dataDir) await rm(dataDir, { recursive: true, force: true });
		},
	};
	return self;
}

/** A second account with its own active key, made directly in the store. */
export async function otherAccount(gateway: Gateway): Promise<{
	accountId: string;
	credentials: { accessKeyId: string; secretAccessKey: string };
}> {
	const account = await gateway.store.accounts.create({
		name: `other-${Date.now()}`,
	});
	const key = await gateway.store.accessKeys.create({
		accountId: account.accountId,
	});
	return {
		accountId: account.accountId,
		credentials: {
			accessKeyId: key.accessKeyId,
			secretAccessKey: key.secretAccessKey,
		},
	};
}

export interface ReceivedCallback {
	readonly headers: IncomingMessage["headers"];
	readonly body: Buffer;
}

/** A local HTTP server on port 0 that records every POST it receives and answers `status`. */
export async function startReceiver(status = 200): Promise<{
	url: string;
	received: ReceivedCallback[];
	next(): Promise<ReceivedCallback>;
	close(): Promise<void>;
}> {
	const received: ReceivedCallback[] = [];
	const waiters: ((cb: ReceivedCallback) => void)[] = [];
	const server = createServer(async (req, res) => {
		const chunks: Buffer[] = [];
		for await (const c of req) chunks.push(c as Buffer);
		const cb = { headers: req.headers, body: Buffer.concat(chunks) };
		received.push(cb);
		waiters.shift()?.(cb);
		res.statusCode = status;
		res.end();
	});
	await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
	const { port } = server.address() as AddressInfo;
	return {
		url: `http://127.0.0.1:${port}/hook`,
		received,
		next: () =>
			received.length > waiters.length
				? Promise.resolve(received[waiters.length] as ReceivedCallback)
				: new Promise((r) => waiters.push(r)),
		close: () =>
			new Promise((r) => {
				server.closeAllConnections();
				server.close(() => r());
			}),
	};
}

/** A gateway in its own process (test/async-gateway-process.ts), for kill -9. */
export async function spawnAsyncGateway(
	dataDir: string,
	asyncOptions: AsyncOptions,
): Promise<{ child: ChildProcess; url: string }> {
	const child = spawn(
		process.execPath,
		[
			join(import.meta.dirname, "async-gateway-process.ts"),
			dataDir,
			JSON.stringify(asyncOptions),
		],
		{ stdio: ["ignore", "pipe", "inherit"] },
	);
	const lines = createInterface({
		input: child.stdout as NodeJS.ReadableStream,
	});
	const [line] = (await once(lines, "line")) as [string];
	return { child, url: (JSON.parse(line) as { url: string }).url };
}
