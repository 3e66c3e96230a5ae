// A gateway in its own process, for tests that signal or kill it. Prints one JSON line with
// its URL once listening; SIGTERM/SIGINT close it cleanly (stop accepting, drain, close store).
import { startGateway } from "../../src/gateway/server.ts";
import { REGION, ROOT_KEY } from "./gateway.ts";

const dataDir = process.argv[2];
if (!dataDir) throw new Error("usage: gateway-process.ts DATA_DIR [PORT]");
const gateway = await startGateway({
	host: "127.0.0.1",
	port: Number(process.argv[3] ?? 0),
	dataDir,
	region: REGION,
	env: {
		SIGIL_ROOT_ACCESS_KEY_ID: ROOT_KEY.accessKeyId,
		SIGIL_ROOT_SECRET_ACCESS_KEY: ROOT_KEY.secretAccessKey,
		// Where functions' pids cgroups go (the unprivileged-gateway test names a delegated one).
		...(process.env.SIGIL_CGROUP !== undefined && {
			SIGIL_CGROUP: process.env.SIGIL_CGROUP,
		}),
	},
	// SIGIL_TEST_LOG=1: the gateway's log lines on stderr (the start-up line says its isolation).
	log:
		process.env.SIGIL_TEST_LOG === "1"
			? (l) => process.stderr.write(`${l}\n`)
			: () => {},
	drainMs: 10_000,
});
process.stdout.write(`${JSON.stringify({ url: gateway.url })}\n`);
for (const signal of ["SIGTERM", "SIGINT"] as const) {
	process.once(signal, () => {
		void gateway.close().then(() => process.exit(0));
	});
}
