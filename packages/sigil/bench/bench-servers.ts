// The servers the gateway benchmark drives, each in its own process so the load generator
// does not share their event loop: `bare` is a plain node:http hello world (the baseline),
// `gateway` is Sigil with a trivial function behind `none` and behind `aws_iam`.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { files, serveGateway } from "./harness.ts";

const TRIVIAL = `export const handler = async () => ({ statusCode: 200, headers: { "content-type": "text/plain" }, body: "hello" });`;
const POOL = { min: 1, max: 2, perInstance: 64, queue: 10_000 };

async function serveBare(): Promise<void> {
	const server = createServer((_req, res) => {
		res.setHeader("content-type", "text/plain");
		res.end("hello");
	});
	server.keepAliveTimeout = 5_000;
	await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
	process.stdout.write(
		`${JSON.stringify({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` })}\n`,
	);
}

if (process.argv[2] === "bare") await serveBare();
else
	await serveGateway([
		[
			"trivial",
			{ runtime: "node", concurrency: POOL, trigger: { auth: "none" } },
			files({ "index.mjs": TRIVIAL }),
		],
		[
			"trivial-iam",
			{ runtime: "node", concurrency: POOL, trigger: { auth: "aws_iam" } },
			files({ "index.mjs": TRIVIAL }),
		],
	]);
