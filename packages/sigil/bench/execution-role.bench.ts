/**
 * What an execution role costs per invocation: the same sandboxed Node function with and
 * without a role, invoked through the Lambda API (SigV4) by the same client in the same run,
 * rounds interleaved so machine noise hits both alike. With a role, each invocation first reads
 * the role and evaluates its trust policy (iam/execution-role.ts `verify`); the credentials are
 * issued per instance, not per invocation. Reported as the ratio of requests per second.
 *
 *   npx node packages/sigil/bench/execution-role.bench.ts [requests-per-round] [rounds]
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startGateway } from "../src/gateway/server.ts";
import { REGION, ROOT_KEY, signedFetch } from "../test/helpers/gateway.ts";

const PER_ROUND = Number(process.argv[2] ?? 2000);
const ROUNDS = Number(process.argv[3] ?? 3);
const CONCURRENCY = 8;
const HANDLER = "export const handler = async () => ({ ok: true });";

const dataDir = await mkdtemp(join(tmpdir(), "sigil-bench-roles-"));
const gateway = await startGateway({
	host: "127.0.0.1",
	port: 0,
	dataDir,
	region: REGION,
	env: {
		SIGIL_ROOT_ACCESS_KEY_ID: ROOT_KEY.accessKeyId,
		SIGIL_ROOT_SECRET_ACCESS_KEY: ROOT_KEY.secretAccessKey,
	},
	log: () => {},
});
const url = gateway.url;
const json = (method: string, path: string, body: unknown) =>
	signedFetch(url, method, path, {
		body: JSON.stringify(body),
		headers: { "content-type": "application/json" },
	});

const roleRes = await json("POST", "/sigil/v1/roles", {
	roleName: "bench-exec",
	trustPolicy: {
		Version: "2012-10-17",
		Statement: [
			{
				Effect: "Allow",
				Principal: { Service: "lambda.amazonaws.com" },
				Action: "sts:AssumeRole",
			},
		],
	},
});
if (roleRes.status !== 201) throw new Error(await roleRes.text());
const role = `arn:aws:iam::${gateway.rootAccountId}:role/bench-exec`;
for (const [name, extra] of [
	["plain", {}],
	["with-role", { role }],
] as const) {
	const res = await json("PUT", `/sigil/v1/functions/${name}`, {
		config: {
			runtime: "node",
			trigger: { auth: "aws_iam" },
			concurrency: { min: 2, max: 2, perInstance: 4 },
			...extra,
		},
		code: {
			files: [
				{
					path: "index.mjs",
					mode: 0o644,
					data: Buffer.from(HANDLER).toString("base64"),
				},
			],
		},
	});
	if (res.status !== 201) throw new Error(await res.text());
}

async function round(name: string, n: number): Promise<number> {
	let next = 0;
	const started = performance.now();
	await Promise.all(
		Array.from({ length: CONCURRENCY }, async () => {
			while (next < n) {
				next++;
				const res = await signedFetch(
					url,
					"POST",
					`/2015-03-31/functions/${name}/invocations`,
					{ service: "lambda", body: "{}" },
				);
				if (res.status !== 200) throw new Error(await res.text());
				await res.arrayBuffer();
			}
		}),
	);
	return n / ((performance.now() - started) / 1000);
}

// Warm both (instances started, caches filled), then measure interleaved rounds.
await round("plain", 200);
await round("with-role", 200);
const plain: number[] = [];
const withRole: number[] = [];
for (let r = 0; r < ROUNDS; r++) {
	plain.push(await round("plain", PER_ROUND));
	withRole.push(await round("with-role", PER_ROUND));
}
const median = (xs: number[]) =>
	[...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const p = median(plain);
const w = median(withRole);
console.log(
	JSON.stringify({
		requestsPerRound: PER_ROUND,
		rounds: ROUNDS,
		concurrency: CONCURRENCY,
		plainRps: plain.map(Math.round),
		withRoleRps: withRole.map(Math.round),
		medianRatio: Number((w / p).toFixed(3)),
	}),
);
await gateway.close();
await rm(dataDir, { recursive: true, force: true });
