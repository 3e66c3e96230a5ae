// Secrets as files, end to end through a real gateway: a node, a process and a python3 function
// read $SIGIL_SECRETS_DIR/NAME with the exact bytes stored (no newline added or removed), find
// no secret in their environment, the folder is 0700 and its files 0600, and removing the
// function removes the folder.
import assert from "node:assert/strict";
import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { startTestGateway, type TestGateway } from "./helpers/gateway.ts";

/** Bytes a careless implementation would mangle: a trailing newline, NUL, non-UTF-8. */
const SECRET = Buffer.from([
	...Buffer.from("s3cr3t-value\n"),
	0x00,
	0xff,
	0x0a,
]);
const OTHER = Buffer.from("second-secret-no-newline");
/** Each function answers: the secret's bytes (hex) | the other's (hex) | whether env holds either. */
const NODE = `import { readFile } from "node:fs/promises";
export const handler = async () => {
	const dir = process.env.SIGIL_SECRETS_DIR;
	const a = await readFile(dir + "/api-key");
	const b = await readFile(dir + "/other");
	const env = Object.values(process.env).join("\\n");
	const leaked = env.includes("s3cr3t-value") || env.includes("second-secret");
	return { statusCode: 200, headers: { "content-type": "text/plain" }, body: a.toString("hex") + "|" + b.toString("hex") + "|" + leaked };
};
`;
const PYTHON = `import os
def handle(req):
    d = os.environ["SIGIL_SECRETS_DIR"]
    a = open(os.path.join(d, "api-key"), "rb").read()
    b = open(os.path.join(d, "other"), "rb").read()
    env = "\\n".join(os.environ.values())
    leaked = "s3cr3t-value" in env or "second-secret" in env
    return a.hex() + "|" + b.hex() + "|" + ("true" if leaked else "false")
`;
// The process runtime's function: a shell reading the files (od for exact bytes) and env.
const PROCESS = `sh -c 'od -An -v -tx1 "$SIGIL_SECRETS_DIR/api-key" | tr -d " \\n"; printf "|"; od -An -v -tx1 "$SIGIL_SECRETS_DIR/other" | tr -d " \\n"; printf "|"; if env | grep -q -e s3cr3t-value -e second-secret; then printf true; else printf false; fi'`;

const EXPECTED = `${SECRET.toString("hex")}|${OTHER.toString("hex")}|false`;

let gw: TestGateway;
before(async () => {
	gw = await startTestGateway();
	await gw.putSecret("api-key", SECRET);
	await gw.putSecret("other", OTHER);
	const secrets = ["api-key", "other"];
	await gw.deploy(
		"sec-node",
		{ runtime: "node", secrets },
		{ "index.mjs": NODE },
	);
	await gw.deploy(
		"sec-python",
		{ runtime: "python3", secrets },
		{ "handler.py": PYTHON },
	);
	await gw.deploy("sec-process", {
		runtime: "process",
		fprocess: PROCESS,
		secrets,
	});
});
after(() => gw.stop());

async function accountDir(): Promise<string> {
	const base = join(gw.dataDir, "run", "secrets");
	const [account] = await readdir(base);
	assert.ok(account, "a per-account secrets folder exists");
	return join(base, account);
}

describe("secrets as files", () => {
	for (const name of ["sec-node", "sec-python", "sec-process"]) {
		it(`${name} reads the exact bytes from $SIGIL_SECRETS_DIR, none in its environment`, async () => {
			const res = await fetch(`${gw.url}/function/${name}`, {
				method: "POST",
				body: "x",
			});
			const text = await res.text();
			assert.equal(res.status, 200, text);
			assert.equal(text.trimEnd(), EXPECTED);
		});
	}

	it("the folder is 0700 and each file 0600, one per secret", async () => {
		// The node function has run, so its folder exists; every function has its own, holding
		// one folder per live version (a redeploy never rewrites files a running version reads).
		const fnDir = join(await accountDir(), "sec-node");
		const versions = await readdir(fnDir);
		assert.equal(
			versions.length,
			1,
			`one live version: ${versions.join(", ")}`,
		);
		const dir = join(fnDir, versions[0] as string);
		assert.equal((await stat(fnDir)).mode & 0o777, 0o700);
		assert.equal((await stat(dir)).mode & 0o777, 0o700);
		assert.deepEqual((await readdir(dir)).sort(), ["api-key", "other"]);
		for (const file of ["api-key", "other"])
			assert.equal((await stat(join(dir, file))).mode & 0o777, 0o600);
		assert.deepEqual((await readdir(await accountDir())).sort(), [
			"sec-node",
			"sec-process",
			"sec-python",
		]);
	});

	it("removing the function removes its secrets folder and nobody else's", async () => {
		const res = await gw.signed("DELETE", "/sigil/v1/functions/sec-process");
		assert.ok(
			res.status === 200 || res.status === 204,
			`${res.status} ${await res.text()}`,
		);
		const left = await readdir(await accountDir());
		assert.deepEqual(left.sort(), ["sec-node", "sec-python"]);
		const again = await fetch(`${gw.url}/function/sec-process`, {
			method: "POST",
		});
		// Gone: answered as any function the caller may not invoke (names do not leak).
		assert.equal(again.status, 403);
	});
});
