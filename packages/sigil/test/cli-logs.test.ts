// `sigil logs`: record rendering (diagnosis shown to the owner) and --follow polling with `after`.
import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { test } from "node:test";
import { formatRecord } from "../src/cli/commands/logs.ts";
import { run } from "./cli-helpers.ts";

test("a refused request renders with its likely cause and the server's canonical request", () => {
	const text = formatRecord({
		id: 7,
		requestId: "r-7",
		time: "2026-01-01T00:00:00.000Z",
		function: "hello",
		accessKeyId: "AKIAX",
		scheme: "sigv4",
		outcome: "SIGNATURE_MISMATCH",
		status: 403,
		durationMs: 2,
		detail: {
			message: "The request signature we calculated does not match",
			diagnosis: {
				likelyCause: "port missing from Host",
				canonicalRequest: "POST\n/function/hello\n",
				details: { clockOffsetSeconds: 1 },
			},
		},
		logs: "",
	});
	assert.match(
		text,
		/^2026-01-01T00:00:00\.000Z {2}#7 {2}hello {2}sigv4 {2}SIGNATURE_MISMATCH {2}403 {2}2ms {2}AKIAX {2}request r-7\n/,
	);
	assert.match(text, /likely cause: port missing from Host/);
	assert.match(
		text,
		/canonical request \(server's\):\n {6}POST\n {6}\/function\/hello/,
	);
	assert.match(text, /clockOffsetSeconds: 1/);
});

test("logs --follow polls with after=<last id> until stopped, one JSON record per line", async () => {
	const seen: string[] = [];
	let served = 0;
	const server = createServer((req, res) => {
		const url = new URL(req.url ?? "/", "http://x");
		seen.push(url.search);
		const after = Number(url.searchParams.get("after") ?? 0);
		const records =
			served < 2 ? [{ id: after + 1, outcome: "OK", function: "f" }] : [];
		served += records.length;
		res
			.writeHead(200, { "content-type": "application/json" })
			.end(
				JSON.stringify({ records, next: records.length ? after + 1 : after }),
			);
	});
	await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
	try {
		const gateway = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
		let stop: (s: string) => void = () => {};
		const stopped = new Promise<string>((r) => {
			stop = r;
		});
		const pending = run(
			[
				"logs",
				"f",
				"--follow",
				"--interval",
				"10",
				"--since",
				"40",
				"--json",
				"--gateway",
				gateway,
			],
			{
				env: {
					SIGIL_ACCESS_KEY_ID: "AKIATEST",
					SIGIL_SECRET_ACCESS_KEY: "s",
					SIGIL_CONFIG_DIR: "/nonexistent-sigil",
				},
				stop: stopped,
			},
		);
		while (seen.length < 4) await new Promise((r) => setTimeout(r, 10));
		stop("SIGINT");
		const r = await pending;
		assert.equal(r.code, 0, r.stderr);
		assert.deepEqual(
			r.stdout
				.trim()
				.split("\n")
				.map((l) => (JSON.parse(l) as { id: number }).id),
			[41, 42],
		);
		assert.match(seen[0] ?? "", /function=f&after=40/);
		assert.match(seen[1] ?? "", /after=41/);
		assert.match(seen.at(-1) ?? "", /after=42/);
	} finally {
		server.close();
	}
});
