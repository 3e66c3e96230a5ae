// One gateway of the multi-gateway suites, in a process of its own (so a test can SIGKILL it):
// argv[2] the data directory, argv[3] JSON { engines, async }. The engines and the shared
// SIGIL_MASTER_KEY come in like an operator's; prints one JSON line with its URL once listening.
import type { AsyncOptions } from "../src/async/index.ts";
import type { EngineFlags } from "../src/config/gateway-config.ts";
import { startGateway } from "../src/gateway/server.ts";
import { REGION, ROOT_KEY } from "./helpers/gateway.ts";

const dataDir = process.argv[2];
if (!dataDir)
	throw new Error("usage: multi-gateway-process.ts DATA_DIR [OPTIONS_JSON]");
const o = JSON.parse(process.argv[3] ?? "{}") as {
	engines?: EngineFlags;
	async?: AsyncOptions;
};
const gateway = await startGateway({
	host: "127.0.0.1",
	port: 0,
	dataDir,
	region: REGION,
	env: {
		...process.env,
		SIGIL_ROOT_ACCESS_KEY_ID: ROOT_KEY.accessKeyId,
		SIGIL_ROOT_SECRET_ACCESS_KEY: ROOT_KEY.secretAccessKey,
	},
	isolation: "none",
	// Lines to stderr only when asked (a failing run's evidence); quiet otherwise.
	log: process.env.SIGIL_TEST_GATEWAY_LOG
		? (line) => process.stderr.write(`${line}\n`)
		: () => {},
	drainMs: 2_000,
	...(o.engines && { engines: o.engines }),
	async: {
		pollMs: 50,
		retryBaseMs: 50,
		retryMaxMs: 200,
		callbackRetryMs: 50,
		allowPrivateCallbacks: true,
		...o.async,
	},
});
process.stdout.write(`${JSON.stringify({ url: gateway.url })}\n`);
process.once("SIGTERM", () => {
	void gateway.close().then(() => process.exit(0));
});
