// Signature benchmark: ops/s of our verifiers against baselines measured in the same run
// (these machines are noisy, so only ratios travel). Not a test: `npm run bench [-- --json]`.
//
// Baselines: "bare crypto" is the work no SigV4 verify can avoid — SHA-256 of the body,
// SHA-256 of the canonical request, one HMAC of the string to sign with a cached key — and the
// signing of the same request by @smithy/signature-v4 (the AWS SDK v3) and by aws4.
import { createHmac, createSecretKey, hash } from "node:crypto";
import { Sha256 } from "@aws-crypto/sha256-js";
import { HttpRequest } from "@smithy/protocol-http";
import { SignatureV4 } from "@smithy/signature-v4";
import aws4 from "aws4";
import {
	parseAcs3,
	parseSigV4,
	SigningKeyCache,
	signAcs3,
	signPayloadHmac,
	signSigV4,
	verifyAcs3,
	verifyPayloadHmac,
	verifySigV4,
	type WireRequest,
} from "../src/index.ts";

const json = process.argv.includes("--json");
const budgetMs = Number(process.env.BENCH_MS ?? 1000);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);

const creds = {
	accessKeyId: "AKIDEXAMPLE",
	secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
};
const now = Date.UTC(2026, 10, 23, 12, 0, 0);
const body = Buffer.alloc(1024, "a");
const host = "gateway.example:8080";
const path = "/function/hello/items";
const query = "limit=10&page=2";
const headers = { "content-type": "application/json", "x-trace": "abc" };

// One request, signed by our SDK, as the gateway would receive it.
const signed = signSigV4(
	{ method: "POST", host, path, query, headers, body },
	creds,
	{ region: "us-east-1", service: "lambda", now },
);
const rawHeaders = [
	...Object.entries({ host, ...headers, ...signed.headers }).flat(),
	"content-length",
	String(body.length),
];
const wire: WireRequest = {
	method: "POST",
	target: `${path}?${query}`,
	rawHeaders,
	body,
};
const verifyOpts = { region: "us-east-1", services: ["lambda"], now };

const warmCache = new SigningKeyCache();
function sigv4Verify(cache: SigningKeyCache): void {
	const parsed = parseSigV4(wire, verifyOpts);
	if (!parsed.ok) throw new Error(parsed.message);
	const r = verifySigV4(parsed.request, creds, { keyCache: cache });
	if (!r.ok) throw new Error(r.message);
}

const acs = signAcs3({
	method: "POST",
	target: `${path}?${query}`,
	headers: { host, ...headers },
	body,
	accessKeyId: creds.accessKeyId,
	accessKeySecret: creds.secretAccessKey,
	now,
});
const acsWire: WireRequest = {
	method: "POST",
	target: `${path}?${query}`,
	rawHeaders: [
		...Object.entries({
			host,
			...acs.headers,
			authorization: acs.authorization,
		}).flat(),
	],
	body,
};
function acs3Verify(): void {
	const parsed = parseAcs3(acsWire, { now });
	if (!parsed.ok) throw new Error(parsed.message);
	const r = verifyAcs3(parsed.request, {
		accessKeySecret: creds.secretAccessKey,
	});
	if (!r.ok) throw new Error(r.message);
}

const hmacWire: WireRequest = {
	method: "POST",
	target: "/function/hook",
	rawHeaders: ["Hmac", signPayloadHmac(body, "SECRET", "sha256")],
	body,
};
function hmacVerify(): void {
	const r = verifyPayloadHmac(hmacWire, {
		header: "Hmac",
		secrets: ["SECRET"],
		algorithms: ["sha256"],
	});
	if (!r.ok) throw new Error(r.message);
}

// Two floors for the crypto a verify cannot avoid (SHA-256 of the body, SHA-256 of the canonical
// request, HMAC-SHA256 of the string to sign under a cached key): with Node's HMAC on a cached
// KeyObject, and the cheapest form known — the HMAC as two one-shot SHA-256 over precomputed
// RFC 2104 key blocks, which is what the verifier itself now does.
const rawKey = createHmac("sha256", "k").update("date").digest();
const signingKey = createSecretKey(rawKey);
const block = Buffer.alloc(64);
rawKey.copy(block);
const ipad = Buffer.from(block.map((b) => b ^ 0x36)).toString("latin1");
const opad = Buffer.from(block.map((b) => b ^ 0x5c)).toString("latin1");
const stringToSignTail =
	"AWS4-HMAC-SHA256\n20261123T120000Z\n20261123/us-east-1/lambda/aws4_request\n";
function bareCrypto(): void {
	hash("sha256", body, "hex");
	const digest = hash("sha256", signed.canonicalRequest, "hex");
	createHmac("sha256", signingKey)
		.update(`${stringToSignTail}${digest}`)
		.digest();
}
function bareCryptoFastest(): void {
	hash("sha256", body, "hex");
	const digest = hash("sha256", signed.canonicalRequest, "hex");
	const inner = hash("sha256", `${ipad}${stringToSignTail}${digest}`, "binary");
	hash("sha256", Buffer.from(`${opad}${inner}`, "latin1"), "buffer");
}

const smithy = new SignatureV4({
	credentials: creds,
	region: "us-east-1",
	service: "lambda",
	sha256: Sha256,
});
const smithyDate = new Date(now);
async function smithySign(): Promise<void> {
	await smithy.sign(
		new HttpRequest({
			method: "POST",
			hostname: "gateway.example",
			port: 8080,
			path,
			query: { limit: "10", page: "2" },
			headers: { host, ...headers },
			body,
		}),
		{ signingDate: smithyDate },
	);
}
function aws4Sign(): void {
	aws4.sign(
		{
			host,
			path: `${path}?${query}`,
			method: "POST",
			body,
			service: "lambda",
			region: "us-east-1",
			headers: { ...headers },
		},
		creds,
	);
}

type Case = {
	name: string;
	run: () => void | Promise<void>;
	baseline?: boolean;
};
const cases: Case[] = [
	{ name: "sigv4.verify.warm", run: () => sigv4Verify(warmCache) },
	{
		name: "sigv4.verify.cold-key",
		run: () => sigv4Verify(new SigningKeyCache()),
	},
	{ name: "acs3.verify", run: acs3Verify },
	{ name: "hmac-sha256.verify", run: hmacVerify },
	{ name: "baseline.bare-crypto", run: bareCrypto, baseline: true },
	{
		name: "baseline.bare-crypto.fastest",
		run: bareCryptoFastest,
		baseline: true,
	},
	{
		name: "baseline.smithy-signature-v4.sign",
		run: smithySign,
		baseline: true,
	},
	{ name: "baseline.aws4.sign", run: aws4Sign, baseline: true },
];

async function measure(run: Case["run"]): Promise<number> {
	let n = 0;
	const start = performance.now();
	let elapsed = 0;
	while (elapsed < budgetMs) {
		for (let i = 0; i < 64; i++) {
			const r = run();
			if (r) await r;
		}
		n += 64;
		elapsed = performance.now() - start;
	}
	return (n / elapsed) * 1000;
}

// Warm up every case once, then interleave rounds so drift hits all cases alike; keep the best.
for (const c of cases) for (let i = 0; i < 2000; i++) await c.run();
const best = new Map<string, number>();
for (let r = 0; r < rounds; r++) {
	for (const c of cases)
		best.set(c.name, Math.max(best.get(c.name) ?? 0, await measure(c.run)));
}
const ops = (name: string) => best.get(name) ?? Number.NaN;
const ratios = {
	"sigv4.verify.warm / baseline.bare-crypto":
		ops("sigv4.verify.warm") / ops("baseline.bare-crypto"),
	"sigv4.verify.warm / baseline.bare-crypto.fastest":
		ops("sigv4.verify.warm") / ops("baseline.bare-crypto.fastest"),
	"sigv4.verify.warm / baseline.smithy-signature-v4.sign":
		ops("sigv4.verify.warm") / ops("baseline.smithy-signature-v4.sign"),
	"sigv4.verify.warm / baseline.aws4.sign":
		ops("sigv4.verify.warm") / ops("baseline.aws4.sign"),
};
if (json) {
	for (const c of cases)
		console.log(
			JSON.stringify({
				name: c.name,
				opsPerSec: Math.round(ops(c.name)),
				baseline: !!c.baseline,
			}),
		);
	for (const [name, ratio] of Object.entries(ratios))
		console.log(JSON.stringify({ name, ratio: Math.round(ratio * 100) / 100 }));
} else {
	console.log(
		`signature benchmark (1 KB body, best of ${rounds} × ${budgetMs} ms, node ${process.version})`,
	);
	for (const c of cases)
		console.log(
			`  ${c.name.padEnd(40)} ${Math.round(ops(c.name)).toLocaleString("en").padStart(10)} ops/s`,
		);
	console.log("ratios (targets: ≥ 0.7 vs bare crypto, ≥ 5 vs smithy sign)");
	for (const [name, ratio] of Object.entries(ratios))
		console.log(`  ${name.padEnd(58)} ${ratio.toFixed(2)}×`);
}
