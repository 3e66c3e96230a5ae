/**
 * What the console's gateway side costs, against /healthz (the cheapest answer the gateway
 * gives) in the same run: the console's index.html, its largest hashed asset, a 304, and a
 * signature-debug call (a SigV4-signed POST whose pasted request is a Host-without-port
 * mismatch, the diagnosis re-signing ~10 candidates). Driven by wrk (bench/wrk.ts); the
 * figures that compare are the ratios, since the machine is shared.
 *
 *   node packages/sigil/bench/console.bench.ts [seconds=8]
 */
import { mkdtemp, readdir, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { signSigV4 } from "@sigil/signature";
import { DEFAULT_CONSOLE_DIR } from "../src/console/static-assets.ts";
import { startGateway } from "../src/gateway/server.ts";
import { prepare, runWrk, type WrkFigures, type WrkRequest } from "./wrk.ts";

const KEY = {
	accessKeyId: "AKIAIOSFODNN7EXAMPLE",
	secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
};
const seconds = Number(process.argv[2] ?? 8);

const dir = await mkdtemp(join(tmpdir(), "sigil-console-bench-"));
const gw = await startGateway({
	host: "127.0.0.1",
	port: 0,
	dataDir: join(dir, "data"),
	region: "us-east-1",
	env: {
		SIGIL_ROOT_ACCESS_KEY_ID: KEY.accessKeyId,
		SIGIL_ROOT_SECRET_ACCESS_KEY: KEY.secretAccessKey,
	},
	log: () => {},
});
try {
	const host = new URL(gw.url).host;
	const assets = join(DEFAULT_CONSOLE_DIR, "assets");
	const files = await readdir(assets);
	const sizes = await Promise.all(
		files.map(async (f) => [(await stat(join(assets, f))).size, f] as const),
	);
	const [size, largest] = sizes.sort((a, b) => b[0] - a[0])[0] ?? [0, ""];
	const index = await fetch(`${gw.url}/console/`);
	const etag = index.headers.get("etag") ?? "";
	if (index.status !== 200)
		throw new Error(`GET /console/ → ${index.status}: build the console first`);

	// Distinct debug calls (each pastes a request signed without the port), signed now.
	const now = Date.now();
	const debugCalls: WrkRequest[] = Array.from({ length: 64 }, (_, i) => {
		const pasted = signSigV4(
			{ method: "GET", host: "127.0.0.1", path: `/sigil/v1/functions/f${i}` },
			KEY,
			{ region: "us-east-1", service: "sigil", now },
		);
		const raw = `GET /sigil/v1/functions/f${i} HTTP/1.1\r\nHost: ${host}\r\n${Object.entries(
			pasted.headers,
		)
			.filter(([k]) => k !== "host")
			.map(([k, v]) => `${k}: ${v}\r\n`)
			.join("")}\r\n`;
		const body = JSON.stringify({ raw });
		const signed = signSigV4(
			{
				method: "POST",
				host,
				path: "/sigil/v1/signature-debug",
				headers: { "content-type": "application/json" },
				body,
			},
			KEY,
			{ region: "us-east-1", service: "sigil", now },
		);
		return {
			method: "POST",
			path: "/sigil/v1/signature-debug",
			// signSigV4 answers the headers it adds; the ones it was given travel too.
			headers: {
				"content-type": "application/json",
				...Object.fromEntries(
					Object.entries(signed.headers).filter(([k]) => k !== "host"),
				),
			},
			body,
		};
	});
	const cases: [string, WrkRequest[]][] = [
		["healthz (baseline)", [{ method: "GET", path: "/healthz" }]],
		["console index.html", [{ method: "GET", path: "/console/" }]],
		[
			`console ${largest} (${Math.round(size / 1024)} KiB)`,
			[{ method: "GET", path: `/console/assets/${largest}` }],
		],
		[
			"console index.html, 304",
			[
				{
					method: "GET",
					path: "/console/",
					headers: { "if-none-match": etag },
				},
			],
		],
		["signature-debug (mismatch)", debugCalls],
	];
	const results: [string, WrkFigures][] = [];
	for (const [name, requests] of cases) {
		const { script, requestsFile } = await prepare(
			dir,
			name.replace(/\W+/g, "-"),
			host,
			requests,
		);
		results.push([
			name,
			await runWrk({
				url: gw.url,
				script,
				requestsFile,
				seconds,
				connections: 16,
				threads: 2,
			}),
		]);
	}
	const base = results[0]?.[1].rps ?? 1;
	for (const [name, f] of results)
		console.log(
			`${name.padEnd(44)} ${f.rps.toFixed(0).padStart(7)} req/s  ${(f.rps / base).toFixed(2)}× baseline  p50 ${f.p50Ms.toFixed(2)} ms  p99 ${f.p99Ms.toFixed(2)} ms  errors ${f.errors}`,
		);
} finally {
	await gw.close();
	await rm(dir, { recursive: true, force: true });
}
