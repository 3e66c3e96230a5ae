// The servers the gateway benchmark drives, each in its own process so the load generator
// does not share their event loop: `bare` is a plain node:http hello world (the baseline),
// `gateway` is Sigil as `sigil up` starts it (default isolation: every function sandboxed) with
// one trivial Node function per trigger type, deployed with default settings.
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

if (process.argv[1] === import.meta.filename) {
	if (process.argv[2] === "bare") await serveBare();
	else
		await serveGateway(BENCH_FUNCTIONS, {
			secrets: { [HMAC_SECRET_NAME]: HMAC_SECRET },
		});
}
