// A gateway in its own process with the async worker tuned by argv[3] (JSON AsyncOptions), for
// tests that kill it mid-job. Prints one JSON line with its URL once listening.
import type { AsyncOptions } from "../src/async/index.ts";
import { startGateway } from "../src/gateway/server.ts";
import { REGION, ROOT_KEY } from "./helpers/gateway.ts";

const dataDir = process.argv[2];
if (!dataDir)
	throw new Error(
		"usage: async-gateway-process.ts DATA_DIR [ASYNC_OPTIONS_JSON]",
	);
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
	drainMs: 2_000,
	async: JSON.parse(process.argv[3] ?? "{}") as AsyncOptions,
});
process.stdout.write(`${JSON.stringify({ url: gateway.url })}\n`);
process.once("SIGTERM", () => {
	void gateway.close().then(() => process.exit(0));
});
