// A hostile function author, through a real gateway with an `auth: none` trigger: each escape
// that worked when `process`/`python3` functions ran with the gateway's uid and file system —
// the master key, another function's secret, the gateway's environment, the data directory,
// root, the gateway's pid, a fork bomb, a full /tmp, a process that outlives its request — is
// refused or contained by the sandbox, and the gateway keeps answering meanwhile.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { startTestGateway, type TestGateway } from "../helpers/gateway.ts";

/** Something only the gateway's own environment holds (as SIGIL_ROOT_SECRET_ACCESS_KEY would). */
const CANARY = `gateway-env-canary-${process.pid}-${Date.now()}`;
process.env.SIGIL_TEST_GATEWAY_CANARY = CANARY;

/** Variables a function's environment may hold with the same value as the gateway's. */
const COMMON = new Set([
	"PATH",
	"HOME",
	"LANG",
	"LC_ALL",
	"TZ",
	"PWD",
	"SHLVL",
	"_",
	"OLDPWD",
]);

let gw: TestGateway;
let masterKey: string;

/** Deploys a `process` function running `script` in sh, with the facts an attacker would guess. */
async function fn(
	name: string,
	script: string,
	extra: Record<string, unknown> = {},
): Promise<void> {
	await gw.deploy(name, {
		runtime: "process",
		fprocess: `sh -c '${script.replaceAll("'", `'\\''`)}'`,
		environment: { DATA_DIR: gw.dataDir, GATEWAY_PID: String(process.pid) },
		...extra,
	});
}

async function call(
	name: string,
): Promise<{ status: number; text: string; ms: number }> {
	const t = performance.now();
	const res = await fetch(`${gw.url}/function/${name}`, {
		method: "POST",
		body: "x",
	});
	return {
		status: res.status,
		text: await res.text(),
		ms: performance.now() - t,
	};
}

/** The gateway answers a cheap request quickly (its event loop is not held by any function). */
/** Deploys `name` with its code given as files (path, mode, text), as the control plane takes it. */
function deployFiles(
	name: string,
	config: Record<string, unknown>,
	files: { path: string; mode: number; text: string }[],
): Promise<Response> {
	return gw.signed("PUT", `/sigil/v1/functions/${name}`, {
		body: JSON.stringify({
			config,
			code: {
				files: files.map((f) => ({
					path: f.path,
					mode: f.mode,
					data: Buffer.from(f.text).toString("base64"),
				})),
			},
		}),
		headers: { "content-type": "application/json" },
	});
}

/** What every contained escape answers: a numeric uid that is not root, nothing of the gateway's. */
function assertContained(r: { status: number; text: string }): void {
	assert.equal(r.status, 200, r.text);
	const [uid] = r.text.split("\n");
	assert.match(uid ?? "", /^\d+$/, r.text);
	assert.notEqual(uid, "0");
	assert.ok(!r.text.includes(masterKey), "the master key was read");
	assert.ok(!r.text.includes(CANARY), "the gateway's environment was read");
	assert.ok(!r.text.includes("the-victims-secret-value"));
	assert.doesNotMatch(r.text, /signalled the gateway|reached the gateway/);
}

async function gatewayAnswers(): Promise<number> {
	const t = performance.now();
	const res = await fetch(`${gw.url}/sigil/v1/info`);
	assert.equal(res.status, 200);
	await res.text();
	return performance.now() - t;
}

/** Host pids whose command line contains `marker`. */
async function hostProcesses(marker: string): Promise<number[]> {
	const found: number[] = [];
	for (const entry of await readdir("/proc")) {
		if (!/^\d+$/.test(entry)) continue;
		try {
			const cmd = await readFile(`/proc/${entry}/cmdline`, "utf8");
			if (cmd.includes(marker)) found.push(Number(entry));
		} catch {
			// gone meanwhile
		}
	}
	return found;
}

before(async () => {
	gw = await startTestGateway();
	masterKey = (await readFile(join(gw.dataDir, "master.key"), "utf8")).trim();
	await gw.putSecret("victim-secret", "the-victims-secret-value");
	await gw.deploy("victim", {
		runtime: "process",
		fprocess: "cat",
		secrets: ["victim-secret"],
	});
	// The victim must have run once so its secrets folder exists on disk.
	await call("victim");
});
after(async () => {
	delete process.env.SIGIL_TEST_GATEWAY_CANARY;
	await gw.stop();
});

describe("sandbox escapes (process runtime)", () => {
	it("cannot read <data-dir>/master.key", async () => {
		await fn("esc-master", 'cat "$DATA_DIR/master.key"');
		const r = await call("esc-master");
		assert.ok(!r.text.includes(masterKey), "the master key was read");
	});

	it("cannot read another function's secret", async () => {
		await fn(
			"esc-secret",
			'cat "$DATA_DIR"/run/secrets/*/victim/*/victim-secret; ls -R "$DATA_DIR/run" 2>&1; ls /run/sigil/secrets 2>&1',
		);
		const r = await call("esc-secret");
		assert.ok(
			!r.text.includes("the-victims-secret-value"),
			`another function's secret was read: ${r.text}`,
		);
		assert.ok(!r.text.includes("victim-secret"), r.text);
	});

	it("cannot read the gateway's environment (/proc/<gateway>/environ, /proc/1/environ, its own)", async () => {
		await fn(
			"esc-environ",
			'for f in /proc/$GATEWAY_PID/environ /proc/1/environ /proc/self/environ /proc/$PPID/environ; do tr "\\0" "\\n" < $f 2>/dev/null; done',
		);
		const r = await call("esc-environ");
		// /proc/PID/environ is the environment a process started with (process.env edits do not
		// show there): this test process, the gateway's, started with the test runner's.
		const initial = (await readFile("/proc/self/environ", "utf8"))
			.split("\0")
			.filter((e) => e !== "" && !COMMON.has(e.slice(0, e.indexOf("="))));
		assert.ok(initial.length > 0, "the gateway has an environment of its own");
		const leaked = initial.filter((e) => r.text.includes(e));
		assert.deepEqual(leaked, [], "the gateway's environment leaked");
		assert.ok(!r.text.includes(CANARY), "the gateway's environment leaked");
		assert.ok(!r.text.includes("SIGIL_ROOT"), r.text);
	});

	it("cannot write into the data directory", async () => {
		await fn(
			"esc-write",
			'echo pwned > "$DATA_DIR/pwned"; echo pwned > "$DATA_DIR/code/pwned"; ls "$DATA_DIR" >/dev/null 2>&1 && echo listed',
		);
		await call("esc-write");
		assert.ok(
			!existsSync(join(gw.dataDir, "pwned")),
			"wrote into the data dir",
		);
		assert.ok(!existsSync(join(gw.dataDir, "code", "pwned")));
	});

	it("is not root: id -u is not 0, and no capability is left", async () => {
		await fn("esc-id", "id -u; grep CapEff /proc/self/status");
		const r = await call("esc-id");
		const [uid, caps] = r.text.trim().split("\n");
		assert.notEqual(uid, "0", "the function runs as root");
		assert.match(caps ?? "", /CapEff:\s+0+$/);
	});

	it("cannot see or signal the gateway's pid", async () => {
		await fn(
			"esc-signal",
			'if kill -0 "$GATEWAY_PID" 2>/dev/null; then echo visible; else echo invisible; fi; ls /proc | grep -c "^[0-9]"',
		);
		const r = await call("esc-signal");
		const [seen, pids] = r.text.trim().split("\n");
		assert.equal(seen, "invisible", "the gateway's pid can be signalled");
		assert.ok(Number(pids) < 10, `the function sees ${pids} pids`);
	});

	it("kill -9 of the gateway's pid and of -1 costs only the request", async (t) => {
		// Run only where the sandbox is on: without it, `kill -9 -1` from root ends every
		// process of the machine, the test runner with it.
		if (gw.gateway.isolation !== "sandbox") return t.skip("no sandbox");
		await fn("esc-kill", 'kill -9 "$GATEWAY_PID"; kill -9 -1; echo survived');
		await call("esc-kill");
		assert.ok((await gatewayAnswers()) < 1000);
		assert.equal((await call("victim")).status, 200);
	});

	it("a fork bomb stays inside its NPROC limit and the gateway keeps answering", async () => {
		await fn(
			"esc-fork",
			"i=0; while [ $i -lt 600 ]; do sleep 31.4159 & i=$((i+1)); done; echo started $i",
			{ timeout: "5s" },
		);
		const bomb = call("esc-fork");
		await new Promise((r) => setTimeout(r, 200));
		const latency = await gatewayAnswers();
		const r = await bomb;
		assert.ok(
			!r.text.includes("started 600"),
			`600 processes started: ${r.text}`,
		);
		assert.ok(latency < 1000, `the gateway took ${latency} ms meanwhile`);
		await new Promise((res) => setTimeout(res, 300));
		assert.deepEqual(
			await hostProcesses("31.4159"),
			[],
			"the bomb's processes outlived it",
		);
	});

	it("a full /tmp is the function's own, bounded, and gone after the request", async () => {
		await fn(
			"esc-tmp",
			"dd if=/dev/zero of=/tmp/sigil-esc-fill bs=1M count=200 2>/dev/null; echo rc=$?; rm -f /tmp/sigil-esc-fill",
		);
		const r = await call("esc-tmp");
		assert.doesNotMatch(r.text, /rc=0/, "200 MB were written to /tmp");
		assert.ok(!existsSync("/tmp/sigil-esc-fill"));
		assert.equal((await call("victim")).status, 200);
	});

	it("a process started with setsid does not outlive its request", async () => {
		await fn(
			"esc-setsid",
			// The pause lets setsid() run before the request ends (else the group kill may win the race).
			"setsid sleep 27.1828 </dev/null >/dev/null 2>&1 & sleep 0.3; echo started",
		);
		const r = await call("esc-setsid");
		assert.equal(r.status, 200);
		await new Promise((res) => setTimeout(res, 500));
		const left = await hostProcesses("27.1828");
		for (const pid of left) process.kill(pid, "SIGKILL");
		assert.deepEqual(left, [], "a setsid process escaped its request");
	});

	it("unbounded stdout is cut at the output limit (502) and the gateway keeps answering", async () => {
		await fn("esc-yes", "yes");
		const r = await call("esc-yes");
		assert.equal(r.status, 502);
		assert.ok((await gatewayAnswers()) < 1000);
	});

	it("a hang times out (504) and the gateway keeps answering", async () => {
		await fn("esc-hang", "sleep 1000", { timeout: "1s" });
		const r = await call("esc-hang");
		assert.equal(r.status, 504);
		assert.ok(r.ms < 5000);
		assert.ok((await gatewayAnswers()) < 1000);
	});
});

describe("sandbox escapes (python3 runtime)", () => {
	it("cannot read the master key, other secrets or the gateway's environment; not root", async () => {
		await gw.deploy(
			"esc-python",
			{
				runtime: "python3",
				environment: { DATA_DIR: gw.dataDir, GATEWAY_PID: String(process.pid) },
			},
			{
				"handler.py": `import glob, os
def handle(req):
    out = [str(os.getuid())]
    for p in [os.environ["DATA_DIR"] + "/master.key", "/proc/%s/environ" % os.environ["GATEWAY_PID"], "/proc/1/environ"] + glob.glob(os.environ["DATA_DIR"] + "/run/secrets/*/*/*/*"):
        try:
            out.append(open(p, "rb").read().decode("utf-8", "replace"))
        except OSError as e:
            out.append(type(e).__name__)
    return "\\n".join(out)
`,
			},
		);
		const r = await call("esc-python");
		assert.equal(r.status, 200, r.text);
		const [uid] = r.text.split("\n");
		assert.notEqual(uid, "0");
		assert.ok(!r.text.includes(masterKey));
		assert.ok(!r.text.includes(CANARY));
		assert.ok(!r.text.includes("the-victims-secret-value"));
	});
});

describe("sandbox escapes (provided runtime)", () => {
	it("a bootstrap cannot read the master key, other secrets or the gateway's environment, signal the gateway or reach its port; not root", async () => {
		const port = new URL(gw.url).port;
		const bootstrap = `#!/bin/sh
API="http://$AWS_LAMBDA_RUNTIME_API/2018-06-01/runtime"
H="$(mktemp)"
while true; do
  curl -sS -D "$H" "$API/invocation/next" >/dev/null
  ID="$(grep -i '^lambda-runtime-aws-request-id:' "$H" | tr -d '\\r' | cut -d' ' -f2)"
  {
    id -u
    cat "$DATA_DIR/master.key" 2>&1
    cat "/proc/$GATEWAY_PID/environ" 2>&1
    cat "$DATA_DIR"/run/secrets/*/*/*/* 2>&1
    kill -0 "$GATEWAY_PID" 2>&1 && echo "signalled the gateway"
    curl -sS --max-time 2 "http://127.0.0.1:${port}/sigil/v1/info" 2>&1 && echo "reached the gateway"
  } > /tmp/out 2>&1
  curl -sS -X POST "$API/invocation/$ID/response" --data-binary "{\\"statusCode\\":200,\\"isBase64Encoded\\":true,\\"body\\":\\"$(base64 -w0 < /tmp/out)\\"}" >/dev/null
done
`;
		const res = await deployFiles(
			"esc-provided",
			{
				runtime: "provided",
				environment: { DATA_DIR: gw.dataDir, GATEWAY_PID: String(process.pid) },
			},
			[{ path: "bootstrap", mode: 0o755, text: bootstrap }],
		);
		assert.ok(res.status < 300, await res.text());
		const r = await call("esc-provided");
		assertContained(r);
		// It tried: the data directory is not there at all inside the sandbox.
		assert.match(r.text, /master\.key: No such file or directory/);
		assert.ok((await gatewayAnswers()) >= 0);
	});
});

describe("sandbox escapes (http runtime: a server Sigil starts)", () => {
	// A server that answers every request with what it could reach. Before it was sandboxed it ran
	// with the gateway's uid, file system and network: it read the master key, and its port on the
	// host's loopback let any local process call it past the trigger's authentication.
	const SERVER = `
import { createServer, request } from "node:http";
import { readFileSync } from "node:fs";
import { execSync } from "node:child_process";
const tryRead = (p) => { try { return readFileSync(p, "utf8"); } catch (e) { return p + ": " + e.code; } };
const reach = (port) => new Promise((resolve) => {
	const req = request({ host: "127.0.0.1", port, path: "/sigil/v1/info", timeout: 1000 }, (res) => { res.resume(); resolve("reached the gateway"); });
	req.on("error", (e) => resolve("gateway: " + e.code));
	req.on("timeout", () => { req.destroy(); resolve("gateway: timeout"); });
	req.end();
});
createServer(async (req, res) => {
	const lines = [
		String(process.getuid()),
		tryRead(process.env.DATA_DIR + "/master.key"),
		tryRead("/proc/" + process.env.GATEWAY_PID + "/environ"),
		execSync("cat " + process.env.DATA_DIR + "/run/secrets/*/*/*/* 2>&1 || true").toString(),
		await reach(Number(process.env.GATEWAY_PORT)),
		"port " + process.env.PORT,
	];
	res.end(lines.join("\\n"));
}).listen(Number(process.env.PORT), "127.0.0.1");
`;

	it("cannot read the master key, other secrets or the gateway's environment, reach the gateway; not root; its port is on no host address", async () => {
		const res = await deployFiles(
			"esc-http",
			{
				runtime: "http",
				fprocess: "node server.mjs",
				environment: {
					DATA_DIR: gw.dataDir,
					GATEWAY_PID: String(process.pid),
					GATEWAY_PORT: new URL(gw.url).port,
				},
			},
			[{ path: "server.mjs", mode: 0o644, text: SERVER }],
		);
		assert.ok(res.status < 300, await res.text());
		const r = await call("esc-http");
		assertContained(r);
		assert.match(r.text, /master\.key: ENOENT/);
		// The server was told port 8080 in its own network namespace: on the host, that port is
		// not this server (nothing listens there, or something else does).
		assert.match(r.text, /port 8080$/);
		const direct = await fetch("http://127.0.0.1:8080/", {
			signal: AbortSignal.timeout(1000),
		}).then(
			(x) => x.text(),
			() => "",
		);
		assert.ok(
			!direct.includes("master.key"),
			"the server answered on the host's loopback",
		);
		assert.ok((await gatewayAnswers()) >= 0);
	});

	it("network: full is refused for a server Sigil starts, saying why", async () => {
		const res = await deployFiles(
			"esc-http-full",
			{ runtime: "http", fprocess: "node server.mjs", network: "full" },
			[{ path: "server.mjs", mode: 0o644, text: SERVER }],
		);
		assert.equal(res.status, 400);
		assert.match(await res.text(), /own network namespace/);
	});
});

describe("sandbox escapes (node runtime)", () => {
	const NODE = `import { readFileSync, readdirSync, writeFileSync } from "node:fs";
const tryRead = (p) => { try { return readFileSync(p, "utf8"); } catch (e) { return e.code; } };
export const handler = async () => {
	const data = process.env.DATA_DIR;
	const gw = Number(process.env.GATEWAY_PID);
	let visible;
	try { process.kill(gw, 0); visible = "visible"; } catch { visible = "invisible"; }
	let wrote;
	try { writeFileSync(data + "/pwned-node", "x"); wrote = "wrote"; } catch (e) { wrote = e.code; }
	let secrets = [];
	try { secrets = readdirSync(data + "/run/secrets", { recursive: true }).map((f) => tryRead(data + "/run/secrets/" + f)); } catch {}
	return {
		uid: process.getuid(),
		visible,
		wrote,
		master: tryRead(data + "/master.key"),
		environ: [tryRead("/proc/self/environ"), tryRead("/proc/1/environ"), tryRead("/proc/" + gw + "/environ")].join("\\n"),
		secrets: secrets.join("\\n"),
	};
};
export const selfKill = () => { process.kill(process.pid, "SIGKILL"); return new Promise(() => {}); };
`;
	before(async () => {
		await gw.deploy(
			"esc-node",
			{
				runtime: "node",
				environment: {
					DATA_DIR: gw.dataDir,
					GATEWAY_PID: String(process.pid),
				},
			},
			{ "index.mjs": NODE },
		);
	});

	it("cannot read the master key, another function's secret or the gateway's environment, write the data dir, see the gateway's pid; not root", async () => {
		const res = await gw.signed(
			"POST",
			"/2015-03-31/functions/esc-node/invocations",
			{ body: "{}", service: "lambda" },
		);
		const text = await res.text();
		assert.equal(res.status, 200, text);
		const r = JSON.parse(text);
		assert.notEqual(r.uid, 0, "the node function runs as root");
		assert.equal(r.visible, "invisible", "the gateway's pid can be signalled");
		assert.notEqual(r.wrote, "wrote");
		assert.ok(!existsSync(join(gw.dataDir, "pwned-node")));
		assert.ok(!String(r.master).includes(masterKey), "the master key was read");
		assert.ok(!r.secrets.includes("the-victims-secret-value"));
		const initial = (await readFile("/proc/self/environ", "utf8"))
			.split("\0")
			.filter((e) => e !== "" && !COMMON.has(e.slice(0, e.indexOf("="))));
		assert.deepEqual(
			initial.filter((e) => r.environ.includes(e)),
			[],
			"the gateway's environment leaked",
		);
	});

	it("process.kill(process.pid, 'SIGKILL') in a handler costs only its request", async (t) => {
		// Without the sandbox this kills the gateway, which is this test process.
		if (gw.gateway.isolation !== "sandbox") return t.skip("no sandbox");
		await gw.deploy(
			"esc-node-kill",
			{ runtime: "node", entry: "index.selfKill" },
			{ "index.mjs": NODE },
		);
		const res = await fetch(`${gw.url}/function/esc-node-kill`, {
			method: "POST",
		});
		assert.equal(res.status, 502);
		await res.text();
		assert.ok((await gatewayAnswers()) < 1000);
		const again = await fetch(`${gw.url}/function/esc-node-kill`, {
			method: "POST",
		});
		assert.equal(again.status, 502, "a fresh instance served (and died) again");
		await again.text();
	});
});
