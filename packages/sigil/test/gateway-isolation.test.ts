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
