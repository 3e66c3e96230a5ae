// Progress on long work, on a terminal only: deploying a large bundle shows packing, the upload
// in bytes and the gateway starting it, on one self-erasing stderr line; piped or --json, none.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Readable } from "node:stream";
import { after, before, test } from "node:test";
import type { CliIo } from "../src/cli/io.ts";
import { main } from "../src/cli/main.ts";
import { size } from "../src/cli/progress.ts";
import { type RealGateway, startGateway } from "./cli-real-gateway.ts";

let gw: RealGateway;

before(async () => {
	gw = await startGateway();
	const dir = join(gw.root, "big");
	await mkdir(dir, { recursive: true });
	await writeFile(
		join(dir, "index.mjs"),
		"export const handler = async () => ({ statusCode: 200, body: 'big' });\n",
	);
	await writeFile(join(dir, "blob.bin"), randomBytes(3 * 1024 * 1024));
});
after(async () => {
	await gw?.stop();
});

async function deployIn(
	tty: boolean,
	extra: string[] = [],
	env: Record<string, string> = {},
) {
	let out = "";
	let err = "";
	const io: CliIo = {
		stdout: { write: (c) => (out += String(c)), isTTY: tty },
		stderr: { write: (c) => (err += String(c)), isTTY: tty },
		stdin: Readable.from([]) as CliIo["stdin"],
		// NO_COLOR: plain text to match; progress is not colour and stays on.
		env: { SIGIL_CONFIG_DIR: join(gw.root, "cfg"), NO_COLOR: "1", ...env },
		cwd: gw.root,
		stopSignal: () => new Promise(() => {}),
	};
	const code = await main(
		[
			"deploy",
			"--name",
			"big",
			"--runtime",
			"node",
			"--handler",
			"big",
			...extra,
		],
		io,
	);
	return { code, out, err };
}

test("on a terminal: packing, upload bytes, starting — then the line is erased before the result", async () => {
	const r = await deployIn(true, ["--env", "RUN=1"]);
	assert.equal(r.code, 0, r.err);
	assert.match(r.out, /deployed big \(revision 1\)/);
	assert.ok(r.err.includes("packing big"), r.err);
	assert.ok(r.err.includes("uploading big"));
	// The bytes sent so far are shown; whether a frame lands before the last byte depends on
	// how fast the loopback socket drains (under load it may take all 4 MB at once).
	assert.match(
		r.err,
		/uploading big [\d.]+ [KM]B \/ 4\.\d MB \(\d{1,3}%\)/,
		"bytes as they go",
	);
	assert.match(r.err, /4\.\d MB \/ 4\.\d MB \(100%\)/);
	assert.ok(r.err.includes("starting big on the gateway"));
	assert.ok(r.err.endsWith("\r\u001b[K"), "erased at the end");
	assert.ok(!r.out.includes("\r"), "stdout holds only the result");
});

test("piped, TERM=dumb or --json: no progress at all", async () => {
	const piped = await deployIn(false, ["--env", "RUN=2"]);
	assert.equal(piped.code, 0, piped.err);
	assert.equal(piped.err, "");
	const dumb = await deployIn(true, ["--env", "RUN=3"], { TERM: "dumb" });
	assert.equal(dumb.err, "");
	const json = await deployIn(true, ["--env", "RUN=4", "--json"]);
	assert.equal(json.err, "");
	assert.ok(JSON.parse(json.out));
	// The real binary with pipes: stderr stays empty too.
	const real = await gw.cli([
		"deploy",
		"--name",
		"big",
		"--runtime",
		"node",
		"--handler",
		"big",
		"--env",
		"RUN=5",
	]);
	assert.equal(real.code, 0, real.stderr);
	assert.equal(real.stderr, "");
});

test("a refused deploy on a terminal erases the progress line before the error", async () => {
	const r = await deployIn(true, ["--entry", "nope.handler"]);
	assert.equal(r.code, 2);
	const lastErase = r.err.lastIndexOf("\r\u001b[K");
	assert.ok(
		lastErase !== -1 &&
			r.err.slice(lastErase + 4).startsWith("error: entry nope.handler"),
		JSON.stringify(r.err.slice(-200)),
	);
});

test("sizes read as people read them", () => {
	assert.equal(size(512), "512 B");
	assert.equal(size(300 * 1024), "300 KB");
	assert.equal(size(3.5 * 1024 * 1024), "3.5 MB");
});
