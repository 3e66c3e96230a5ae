/**
 * Helpers shared by the async, Lambda API and seed tests: a real gateway on port 0 whose async
 * worker is tuned for tests (fast retries, small bounds, or paused), a second account with its
 * own key, a callback receiver, and polling for a job's final state.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { createInterface } from "node:readline";
import type { AsyncOptions } from "../src/async/index.ts";
import type { Gateway } from "../src/gateway/server.ts";
import { startTestGateway, type TestGateway } from "./helpers/gateway.ts";

export interface AsyncTestGateway extends TestGateway {
	/** Polls `GET /sigil/v1/jobs/{id}` until the job is in one of `states`. */
	waitForJob(
		id: string,
		states: readonly string[],
		timeoutMs?: number,
	): Promise<JobJson>;
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

/** A test gateway (fast async retries) that can also wait for a job's state. */
export async function startAsyncGateway(
	opts: { dataDir?: string; async?: AsyncOptions } = {},
): Promise<AsyncTestGateway> {
	const gw = await startTestGateway({ ...opts, drainMs: 2_000 });
	return {
		...gw,
		async waitForJob(id, states, timeoutMs = 10_000) {
			const deadline = Date.now() + timeoutMs;
			let last: JobJson | undefined;
			while (Date.now() < deadline) {
				const res = await gw.signed("GET", `/sigil/v1/jobs/${id}`);
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
	};
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
