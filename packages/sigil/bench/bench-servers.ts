// The servers the gateway benchmark drives, each in its own process so the load generator
// does not share their event loop: `bare` is a plain node:http hello world (the baseline),
// `relay` the least any design with the function in another process can do (below), `gateway`
// is Sigil as `sigil up` starts it (default isolation: every function sandboxed) with one
// trivial Node function per trigger type, deployed with default settings.
import { spawn } from "node:child_process";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { type BenchFunction, files, serveGateway } from "./harness.ts";

const TRIVIAL = `export const handler = async () => ({ statusCode: 200, headers: { "content-type": "text/plain" }, body: "hello" });`;
export const HMAC_SECRET_NAME = "bench-hmac";
export const HMAC_SECRET = "bench-hmac-secret-0123456789abcdef";

/** Function name → trigger; every other setting is the default. */
export const BENCH_FUNCTIONS: readonly BenchFunction[] = [
	["trivial-none", { runtime: "node", trigger: { auth: "none" } }],
	["trivial-iam", { runtime: "node", trigger: { auth: "aws_iam" } }],
	[
		"trivial-hmac",
		{ runtime: "node", trigger: { auth: "hmac", secrets: [HMAC_SECRET_NAME] } },
	],
	// Lambda-strict: one invocation at a time per instance, the setting to compare the default with.
	[
		"trivial-iam-strict",
		{
			runtime: "node",
			trigger: { auth: "aws_iam" },
			concurrency: { perInstance: 1 },
		},
	],
].map(([name, config]) => [
	name as string,
	config as Record<string, unknown>,
	files({ "index.mjs": TRIVIAL }),
]);

async function serveBare(): Promise<void> {
	const server = createServer((req, res) => {
		// Reads the body as any server must before answering (POST cases send one).
		req.resume();
		req.on("end", () => {
			res.setHeader("content-type", "text/plain");
			res.end("hello");
		});
	});
	server.keepAliveTimeout = 5_000;
	await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
	process.stdout.write(
		`${JSON.stringify({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` })}\n`,
	);
}

/**
 * The floor for an out-of-process function: node:http in front, each request handed as one
 * length-prefixed JSON frame (method, target, headers, body) over a pipe to a child Node process
 * that answers "hello" with one frame back, many in flight at once. No signature, policy,
 * sandbox, event building, audit or log — so whatever Sigil's gateway costs beyond this is its
 * own, and what this costs beyond `bare` is the hop itself.
 */
async function serveRelay(): Promise<void> {
	const child = spawn(
		process.execPath,
		[import.meta.filename, "relay-function"],
		{
			stdio: ["pipe", "pipe", "inherit"],
		},
	);
	const waiting = new Map<number, (answer: RelayAnswer) => void>();
	let next = 0;
	readFrames(child.stdout, (id, answer) => {
		waiting.get(id)?.(answer as RelayAnswer);
		waiting.delete(id);
	});
	const server = createServer((req, res) => {
		const chunks: Buffer[] = [];
		req.on("data", (c: Buffer) => chunks.push(c));
		req.on("end", () => {
			const id = next++;
			waiting.set(id, (answer) => {
				res.writeHead(answer.status, answer.headers);
				res.end(answer.body);
			});
			child.stdin.write(
				frame(id, {
					method: req.method,
					target: req.url,
					headers: req.rawHeaders,
					body: Buffer.concat(chunks).toString("utf8"),
				}),
			);
		});
	});
	server.keepAliveTimeout = 5_000;
	await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
	process.stdout.write(
		`${JSON.stringify({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` })}\n`,
	);
}

interface RelayAnswer {
	status: number;
	headers: Record<string, string>;
	body: string;
}

/** The relay's function process: every request frame answered "hello". */
function relayFunction(): void {
	readFrames(process.stdin, (id) => {
		process.stdout.write(
			frame(id, {
				status: 200,
				headers: { "content-type": "text/plain" },
				body: "hello",
			} satisfies RelayAnswer),
		);
	});
}

/** [u32 length][u32 id][JSON]. */
function frame(id: number, value: unknown): Buffer {
	const json = Buffer.from(JSON.stringify(value));
	const out = Buffer.allocUnsafe(8 + json.length);
	out.writeUInt32BE(json.length, 0);
	out.writeUInt32BE(id, 4);
	json.copy(out, 8);
	return out;
}

function readFrames(
	input: NodeJS.ReadableStream,
	onFrame: (id: number, value: unknown) => void,
): void {
	let pending: Buffer = Buffer.alloc(0);
	input.on("data", (chunk: Buffer) => {
		pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
		while (pending.length >= 8) {
			const length = pending.readUInt32BE(0);
			if (pending.length < 8 + length) break;
			onFrame(
				pending.readUInt32BE(4),
				JSON.parse(pending.toString("utf8", 8, 8 + length)),
			);
			pending = pending.subarray(8 + length);
		}
	});
}

if (process.argv[1] === import.meta.filename) {
	if (process.argv[2] === "bare") await serveBare();
	else if (process.argv[2] === "relay") await serveRelay();
	else if (process.argv[2] === "relay-function") relayFunction();
	else
		await serveGateway(BENCH_FUNCTIONS, {
			secrets: { [HMAC_SECRET_NAME]: HMAC_SECRET },
		});
}
