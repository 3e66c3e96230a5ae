/**
 * What a qualifier costs on Invoke: the same function invoked as `$LATEST`, as version 1 and
 * through an alias, in interleaved rounds on one gateway (SQLite store, the default isolation of
 * the test gateway), reported as each one's median time per invocation and its ratio to
 * `$LATEST` in the same run. A version is one more store read per invocation (the version row);
 * an alias, two (the alias, then its version).
 *
 *   npx node packages/sigil/bench/versions.bench.ts [invocations per round, default 200] [rounds, default 5]
 */
import {
	CreateAliasCommand,
	CreateFunctionCommand,
	InvokeCommand,
	LambdaClient,
	PublishVersionCommand,
} from "@aws-sdk/client-lambda";
import { writeZip } from "../src/functions/zip.ts";
import { ROOT_KEY, startTestGateway } from "../test/helpers/gateway.ts";

const perRound = Number(process.argv[2] ?? 200);
const rounds = Number(process.argv[3] ?? 5);

const gw = await startTestGateway();
const account = gw.gateway.rootAccountId;
await gw.gateway.store.roles.create({
	accountId: account,
	roleName: "bench-exec",
	trustPolicy: JSON.stringify({
		Version: "2012-10-17",
		Statement: [
			{
				Effect: "Allow",
				Principal: { Service: "lambda.amazonaws.com" },
				Action: "sts:AssumeRole",
			},
		],
	}),
});
const client = new LambdaClient({
	endpoint: gw.url,
	region: "us-east-1",
	credentials: ROOT_KEY,
	maxAttempts: 1,
});
await client.send(
	new CreateFunctionCommand({
		FunctionName: "bench-ver",
		Runtime: "nodejs22.x",
		Role: `arn:aws:iam::${account}:role/bench-exec`,
		Handler: "index.handler",
		Code: {
			ZipFile: writeZip([
				{ path: "index.mjs", data: "export const handler = async () => 1;" },
			]),
		},
	}),
);
await client.send(new PublishVersionCommand({ FunctionName: "bench-ver" }));
await client.send(
	new CreateAliasCommand({
		FunctionName: "bench-ver",
		Name: "live",
		FunctionVersion: "1",
	}),
);

const kinds = { $LATEST: undefined, "version 1": "1", "alias live": "live" };
const times: Record<string, number[]> = {};
const once = (Qualifier: string | undefined) =>
	client.send(
		new InvokeCommand({
			FunctionName: "bench-ver",
			...(Qualifier && { Qualifier }),
			Payload: Buffer.from("{}"),
		}),
	);
for (const q of Object.values(kinds))
	for (let i = 0; i < 50; i++) await once(q); // warm
for (let r = 0; r < rounds; r++)
	for (const [label, q] of Object.entries(kinds)) {
		const started = performance.now();
		for (let i = 0; i < perRound; i++) await once(q);
		const seen = times[label] ?? [];
		seen.push((performance.now() - started) / perRound);
		times[label] = seen;
	}
const median = (xs: number[]) => {
	const s = [...xs].sort((a, b) => a - b);
	return s[Math.floor(s.length / 2)] as number;
};
const base = median(times.$LATEST as number[]);
for (const [label, xs] of Object.entries(times))
	console.log(
		`${label.padEnd(11)} ${median(xs).toFixed(3)} ms/invoke  ×${(median(xs) / base).toFixed(2)} of $LATEST`,
	);
client.destroy();
await gw.stop();
