// The servers the gateway benchmark drives, each in its own process so the load generator
// does not share their event loop: `bare` is a plain node:http hello world (the baseline),
// `gateway` is Sigil with a trivial function behind `none` and behind `aws_iam`.
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startGateway } from "../src/gateway/server.ts";

export const BENCH_KEY = {
	accessKeyId: "AKIABENCHBENCHBENCH0",
	secretAccessKey: "benchsecretbenchsecretbenchsecretbench00",
};
const TRIVIAL = `export const handler = async () => ({ statusCode: 200, headers: { "content-type": "text/plain" }, body: "hello" });`;

async function main(kind: string): Promise<void> {
	if (kind === "bare") {
		const server = createServer((_req, res) => {
			res.setHeader("content-type", "text/plain");
			res.end("hello");
		});
		server.keepAliveTimeout = 5_000;
		await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
		process.stdout.write(
			`${JSON.stringify({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` })}\n`,
		);
		return;
	}
	const dataDir = await mkdtemp(join(tmpdir(), "sigil-bench-"));
	const gateway = await startGateway({
		host: "127.0.0.1",
		port: 0,
		dataDir,
		region: "us-east-1",
		env: {
			SIGIL_ROOT_ACCESS_KEY_ID: BENCH_KEY.accessKeyId,
			SIGIL_ROOT_SECRET_ACCESS_KEY: BENCH_KEY.secretAccessKey,
		},
		log: () => {},
	});
	const { signSigV4 } = await import("@sigil/signature");
	for (const [name, auth] of [
		["trivial", "none"],
		["trivial-iam", "aws_iam"],
	] as const) {
		const body = JSON.stringify({
			config: {
				runtime: "node",
				concurrency: { min: 1, max: 2, perInstance: 64, queue: 10_000 },
				trigger: { auth },
			},
			code: {
				files: [
					{
						path: "index.mjs",
						mode: 0o644,
						data: Buffer.from(TRIVIAL).toString("base64"),
					},
				],
			},
		});
		const u = new URL(`/sigil/v1/functions/${name}`, gateway.url);
		const s = signSigV4(
			{
				method: "PUT",
				url: u,
				headers: { "content-type": "application/json" },
				body,
			},
			BENCH_KEY,
			{ region: "us-east-1", service: "sigil", now: Date.now() },
		);
		const res = await fetch(u, {
			method: "PUT",
			headers: { "content-type": "application/json", ...s.headers },
			body,
		});
		if (res.status >= 300)
			throw new Error(`deploy ${name}: ${res.status} ${await res.text()}`);
	}
	process.stdout.write(`${JSON.stringify({ url: gateway.url })}\n`);
	const stop = () =>
		void gateway
			.close()
			.then(() => rm(dataDir, { recursive: true, force: true }))
			.then(() => process.exit(0));
	process.once("SIGTERM", stop);
	process.once("SIGINT", stop);
}

if (import.meta.main) await main(process.argv[2] ?? "gateway");
