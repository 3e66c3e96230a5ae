// What a deployed function's first request would wait for is prepared while the gateway starts:
// with a python3 function in the store, the interpreter behind PATH's python3 (a version
// manager's shim costs ~130 ms here) is resolved in the background and said in the log; with
// none, nothing is run for it.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { isAbsolute, join } from "node:path";
import { describe, it } from "node:test";
import { startTestGateway } from "./helpers/gateway.ts";

const runtimesLine = (logs: readonly string[]) =>
	logs
		.map((l) => JSON.parse(l) as { at?: string; python3?: string })
		.find((l) => l.at === "runtimes");

describe("runtimes prepared at start", () => {
	it("a python3 function in the store: its interpreter is resolved in the background of the start", async () => {
		const dataDir = await mkdtemp(join(tmpdir(), "sigil-prepare-"));
		try {
			const first = await startTestGateway({ dataDir });
			await first.deploy(
				"echo",
				{ runtime: "node", trigger: { auth: "none" } },
				{ "index.mjs": "export const handler = async () => 'ok';" },
			);
			await first.stop();
			// Only a node function at this start: nothing resolved, nothing said.
			assert.equal(runtimesLine(first.logs), undefined);

			const second = await startTestGateway({ dataDir });
			await second.deploy(
				"py",
				{ runtime: "python3", trigger: { auth: "none" } },
				{ "handler.py": "def handle(req):\n    return req\n" },
			);
			await second.stop();

			const third = await startTestGateway({ dataDir });
			try {
				let line = runtimesLine(third.logs);
				for (let i = 0; i < 100 && line === undefined; i++) {
					await new Promise((r) => setTimeout(r, 50));
					line = runtimesLine(third.logs);
				}
				assert.ok(line?.python3, `no runtimes line: ${third.logs.join("\n")}`);
				assert.ok(isAbsolute(line.python3), line.python3);
				assert.ok(existsSync(line.python3), `${line.python3} does not exist`);
				const res = await fetch(`${third.url}/function/py`, {
					method: "POST",
					body: "hi",
				});
				assert.equal((await res.text()).trimEnd(), "hi");
			} finally {
				await third.stop();
			}
		} finally {
			await rm(dataDir, { recursive: true, force: true });
		}
	});
});
