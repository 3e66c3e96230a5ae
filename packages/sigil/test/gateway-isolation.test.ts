// The isolation a gateway runs functions with: `sandbox` by default, refused (never silently
// weakened) when the sandbox cannot start, a weaker one only when chosen, and said by the
// start-up log and GET /sigil/v1/info. The gateway's own secrets leave its environment at start.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { SigilError } from "../src/errors.ts";
import {
	resolveIsolation,
	scrubOwnSecrets,
	startGateway,
} from "../src/gateway/server.ts";
import { detectSandbox } from "../src/runtime/sandbox.ts";
import { REGION, ROOT_KEY } from "./helpers/gateway.ts";

const unavailable = async () =>
	({ ok: false, reason: "bubblewrap is not installed" }) as const;

describe("isolation", () => {
	it("sandbox that cannot start: refused with SANDBOX_UNAVAILABLE, naming the way out", async () => {
		await assert.rejects(
			resolveIsolation("sandbox", undefined, unavailable),
			(err: unknown) =>
				err instanceof SigilError &&
				err.code === "SANDBOX_UNAVAILABLE" &&
				/bubblewrap is not installed/.test(err.message) &&
				/--isolation process/.test(err.message),
		);
	});

	it("process and none are taken only as chosen, and never probe", async () => {
		for (const kind of ["process", "none"] as const) {
			const r = await resolveIsolation(kind, undefined, () => {
				throw new Error("probed");
			});
			assert.equal(r.isolation.kind, kind);
			assert.match(r.summary, /chosen explicitly/);
		}
	});

	it("SIGIL_CGROUP naming a folder under process or none is refused (no sandbox, no cgroups), off is taken", async () => {
		for (const kind of ["process", "none"] as const) {
			await assert.rejects(
				resolveIsolation(kind, undefined, unavailable, {
					setting: "/sys/fs/cgroup/pids/x",
				}),
				(err: unknown) =>
					err instanceof SigilError &&
					err.code === "GATEWAY_CONFIG_INVALID" &&
					/SIGIL_CGROUP/.test(err.message) &&
					err.message.includes(kind),
			);
			const off = await resolveIsolation(kind, undefined, unavailable, {
				setting: "off",
			});
			assert.equal(off.isolation.kind, kind);
		}
	});

	it("a SIGIL_CGROUP the probe cannot use stops the start; a found one is in the summary", async () => {
		const probeFails = async () =>
			({ ok: false, reason: "EACCES here" }) as const;
		// A host as the sandbox probe would describe it: no bubblewrap runs in this test.
		const sandboxOk = async () =>
			({
				ok: true,
				host: {
					bwrap: "/usr/bin/bwrap",
					prlimit: "/usr/bin/prlimit",
					version: "0.8.0",
					privileged: false,
					tmpfsSize: true,
					rootEntries: [],
				},
			}) as const;
		await assert.rejects(
			resolveIsolation("sandbox", undefined, sandboxOk, {
				setting: "/sys/fs/cgroup/pids/x",
				probe: probeFails,
			}),
			(err: unknown) =>
				err instanceof SigilError &&
				err.code === "SANDBOX_UNAVAILABLE" &&
				/SIGIL_CGROUP=\/sys\/fs\/cgroup\/pids\/x cannot hold .*EACCES here/.test(
					err.message,
				),
		);
		const found = await resolveIsolation("sandbox", undefined, sandboxOk, {
			probe: async () => ({
				ok: true,
				cgroup: { root: "/sys/fs/cgroup/pids/sigil-1", version: 1 },
			}),
		});
		assert.equal(
			found.isolation.kind === "sandbox" &&
				found.isolation.host.pidsCgroup?.root,
			"/sys/fs/cgroup/pids/sigil-1",
		);
		assert.match(
			found.summary,
			/processes counted per instance in \/sys\/fs\/cgroup\/pids\/sigil-1/,
		);
	});

	it("the gateway logs its isolation and GET /sigil/v1/info shows it", async () => {
		const dataDir = await mkdtemp(join(tmpdir(), "sigil-iso-"));
		const logs: string[] = [];
		const expected = (await detectSandbox()).ok ? "sandbox" : "process";
		const gw = await startGateway({
			host: "127.0.0.1",
			port: 0,
			dataDir,
			region: REGION,
			env: {},
			isolation: expected,
			log: (l) => logs.push(l),
		});
		try {
			const info = (await (await fetch(`${gw.url}/sigil/v1/info`)).json()) as {
				isolation: string;
			};
			assert.equal(info.isolation, expected);
			assert.equal(gw.isolation, expected);
			assert.ok(
				logs.some(
					(l) => l.includes('"at":"isolation"') && l.includes(expected),
				),
				logs.join("\n"),
			);
		} finally {
			await gw.close();
			await rm(dataDir, { recursive: true, force: true });
		}
	});

	it("SIGIL_ROOT_* and SIGIL_MASTER_KEY leave process.env once read; the gateway still uses them", async () => {
		const dataDir = await mkdtemp(join(tmpdir(), "sigil-iso-"));
		process.env.SIGIL_ROOT_ACCESS_KEY_ID = ROOT_KEY.accessKeyId;
		process.env.SIGIL_ROOT_SECRET_ACCESS_KEY = ROOT_KEY.secretAccessKey;
		process.env.SIGIL_MASTER_KEY = Buffer.alloc(32, 7).toString("base64");
		const gw = await startGateway({
			host: "127.0.0.1",
			port: 0,
			dataDir,
			region: REGION,
			isolation: "none",
			log: () => {},
		});
		try {
			assert.equal(process.env.SIGIL_ROOT_ACCESS_KEY_ID, undefined);
			assert.equal(process.env.SIGIL_ROOT_SECRET_ACCESS_KEY, undefined);
			assert.equal(process.env.SIGIL_MASTER_KEY, undefined);
			const keys = await gw.store.accessKeys.get(ROOT_KEY.accessKeyId);
			assert.ok(keys, "the root key from the environment was stored");
		} finally {
			scrubOwnSecrets();
			await gw.close();
			await rm(dataDir, { recursive: true, force: true });
		}
	});
});
