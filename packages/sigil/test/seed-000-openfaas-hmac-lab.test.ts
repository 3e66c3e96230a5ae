// Seed 000: OpenFaaS workshop lab 11 "Trust with HMAC", replayed with the real `sigil` binary
// against a real gateway (`sigil up --port 0`), step by step as the lab types them:
//   faas-cli deploy --name env --fprocess="env"      → sigil deploy --name env --runtime process --fprocess env
//   echo -n "The message" | faas-cli invoke env --sign=HMAC --key=cookie → the Http_Hmac line
//   faas-cli new --lang python3 hmac-protected + handler edits + faas-cli up → sigil new + edits + sigil deploy
// faas-cli itself (a Go binary) cannot be installed here; what matters is the header it sends,
// `Hmac: sha1=<hex>` (0.7.x, the lab's generation) or `Hmac: sha256=<hex>` (today's), which the
// test also sends raw with fetch.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { createHmac } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";

const BIN = join(import.meta.dirname, "..", "bin", "sigil.ts");
const ERROR_SHAPE = /error: .+\n {2}fix: .+\n$/s;

interface Ran {
	code: number | null;
	stdout: string;
	stderr: string;
}

let root = "";
let env: Record<string, string> = {};
let gateway: ChildProcess | undefined;
let url = "";

function sigil(args: string[], input = ""): Promise<Ran> {
	return new Promise((resolve, reject) => {
		const child = spawn(process.execPath, [BIN, ...args], {
			env,
			cwd: root,
			stdio: ["pipe", "pipe", "pipe"],
		});
		let stdout = "";
		let stderr = "";
		child.stdout.on("data", (d) => {
			stdout += d;
		});
		child.stderr.on("data", (d) => {
			stderr += d;
		});
		child.on("error", reject);
		child.on("close", (code) => resolve({ code, stdout, stderr }));
		child.stdin.end(input);
	});
}

/** `echo -n MESSAGE | …`: the value faas-cli puts after `sha1=` / `sha256=`. */
function hmacHex(alg: "sha1" | "sha256", key: string, message: string): string {
	return createHmac(alg, key).update(message).digest("hex");
}

/** The lines of `env` output that start with `Http_`. */
function httpLines(out: string): string[] {
	return out.split("\n").filter((l) => l.startsWith("Http_"));
}

before(async () => {
	root = await mkdtemp(join(tmpdir(), "sigil-seed-000-"));
	env = {
		PATH: process.env.PATH ?? "",
		HOME: root,
		SIGIL_CONFIG_DIR: join(root, "cfg"),
	};
	// `sigil up --json` prints one line with the URL and saves the root key as profile default.
	const child = spawn(
		process.execPath,
		[BIN, "up", "--port", "0", "--data-dir", join(root, "data"), "--json"],
		{ env, cwd: root, stdio: ["ignore", "pipe", "pipe"] },
	);
	gateway = child;
	url = await new Promise<string>((resolve, reject) => {
		let out = "";
		let err = "";
		const timer = setTimeout(
			() => reject(new Error(`sigil up did not start: ${err}`)),
			20_000,
		);
		child.stderr?.on("data", (d) => {
			err += d;
		});
		child.stdout?.on("data", (d) => {
			out += d;
			const nl = out.indexOf("\n");
			if (nl === -1) return;
			clearTimeout(timer);
			resolve((JSON.parse(out.slice(0, nl)) as { url: string }).url);
		});
		child.once("exit", (code) =>
			reject(new Error(`sigil up exited ${code}: ${err}`)),
		);
	});
	const deployed = await sigil([
		"deploy",
		"--name",
		"env",
		"--runtime",
		"process",
		"--fprocess",
		"env",
	]);
	assert.equal(deployed.code, 0, deployed.stderr);
});

after(async () => {
	if (gateway && gateway.exitCode === null) {
		const gone = new Promise((r) => gateway?.once("exit", r));
		gateway.kill("SIGTERM");
		await gone;
	}
	await rm(root, { recursive: true, force: true });
});

describe("seed 000: the env function shows Http_Hmac (trigger auth none, as in the lab)", () => {
	it("without --sign there is no Http_Hmac; the request line is there", async () => {
		const r = await sigil(["invoke", "env"], "The message\n");
		assert.equal(r.code, 0, r.stderr);
		const lines = httpLines(r.stdout);
		assert.ok(lines.includes("Http_Method=POST"), r.stdout);
		assert.ok(!lines.some((l) => l.startsWith("Http_Hmac=")), r.stdout);
	});

	it("--sign hmac --key cookie: today's faas-cli (sha256=) and the lab's (sha1=, --algorithm sha1)", async () => {
		const [sha256, sha1] = await Promise.all([
			sigil(
				["invoke", "env", "--sign", "hmac", "--key", "cookie"],
				"The message",
			),
			sigil(
				["invoke", "env", "--sign=hmac", "--key=cookie", "--algorithm", "sha1"],
				"The message",
			),
		]);
		assert.equal(sha256.code, 0, sha256.stderr);
		assert.equal(sha1.code, 0, sha1.stderr);
		assert.ok(
			httpLines(sha256.stdout).includes(
				`Http_Hmac=sha256=${hmacHex("sha256", "cookie", "The message")}`,
			),
			sha256.stdout,
		);
		// The lab's text: "the hash of The message … signed with the key cookie, … prepended with sha1".
		assert.ok(
			httpLines(sha1.stdout).includes(
				`Http_Hmac=sha1=${hmacHex("sha1", "cookie", "The message")}`,
			),
			sha1.stdout,
		);
	});

	it("the raw header faas-cli sends reaches the function as Http_Hmac", async () => {
		const value = `sha1=${hmacHex("sha1", "cookie", "The message")}`;
		const res = await fetch(`${url}/function/env`, {
			method: "POST",
			headers: { Hmac: value, "Content-Type": "text/plain" },
			body: "The message",
		});
		assert.equal(res.status, 200);
		assert.ok(httpLines(await res.text()).includes(`Http_Hmac=${value}`));
	});
});

describe("seed 000, better: the gateway checks the HMAC (trigger auth hmac) and still passes Http_Hmac", () => {
	before(async () => {
		const secret = await sigil(["secret", "create", "cookie-key"], "cookie\n");
		assert.equal(secret.code, 0, secret.stderr);
		const d = await sigil([
			"deploy",
			"--name",
			"env-checked",
			"--runtime",
			"process",
			"--fprocess",
			"env",
			"--auth",
			"hmac",
			"--hmac-secret",
			"cookie-key",
			"--algorithm",
			"sha256",
			"--algorithm",
			"sha1",
		]);
		assert.equal(d.code, 0, d.stderr);
	});

	it("both generations pass with the right key; a wrong key or none is refused before the function runs", async () => {
		const [sha256, sha1, wrong, unsigned] = await Promise.all([
			sigil(
				["invoke", "env-checked", "--sign", "hmac", "--key", "cookie"],
				"The message",
			),
			sigil(
				[
					"invoke",
					"env-checked",
					"--sign",
					"hmac",
					"--key",
					"cookie",
					"--algorithm",
					"sha1",
				],
				"The message",
			),
			sigil(
				["invoke", "env-checked", "--sign", "hmac", "--key", "wrongkey"],
				"The message",
			),
			sigil(["invoke", "env-checked"], "The message"),
		]);
		assert.equal(sha256.code, 0, sha256.stderr);
		assert.ok(
			httpLines(sha256.stdout).includes(
				`Http_Hmac=sha256=${hmacHex("sha256", "cookie", "The message")}`,
			),
		);
		assert.equal(sha1.code, 0, sha1.stderr);
		assert.ok(
			httpLines(sha1.stdout).includes(
				`Http_Hmac=sha1=${hmacHex("sha1", "cookie", "The message")}`,
			),
		);
		for (const refused of [wrong, unsigned]) {
			assert.equal(refused.code, 1);
			assert.match(refused.stderr, ERROR_SHAPE);
			assert.match(refused.stderr, /401/);
			assert.equal(refused.stdout, "");
			assert.ok(!refused.stderr.includes("cookie"), "the key never appears");
		}
	});
});

describe("seed 000 out of the box: a default hmac trigger accepts the lab's sha1= as well as sha256=", () => {
	before(async () => {
		const d = await sigil([
			"deploy",
			"--name",
			"env-default",
			"--runtime",
			"process",
			"--fprocess",
			"env",
			"--auth",
			"hmac",
			"--hmac-secret",
			"cookie-key",
		]);
		assert.equal(d.code, 0, d.stderr);
		const pinned = await sigil([
			"deploy",
			"--name",
			"env-sha256-only",
			"--runtime",
			"process",
			"--fprocess",
			"env",
			"--auth",
			"hmac",
			"--hmac-secret",
			"cookie-key",
			"--algorithm",
			"sha256",
		]);
		assert.equal(pinned.code, 0, pinned.stderr);
	});

	/** The request faas-cli 0.17.0 (`sha1`) or 0.17.1+ (`sha256`) sends for `--sign=HMAC --key=cookie`. */
	function faasCliInvoke(name: string, alg: "sha1" | "sha256", key = "cookie") {
		return fetch(`${url}/function/${name}`, {
			method: "POST",
			headers: {
				Hmac: `${alg}=${hmacHex(alg, key, "The message")}`,
				"Content-Type": "text/plain",
			},
			body: "The message",
		});
	}

	it("no algorithms: in the config, sha1= and sha256= both pass and reach the function as Http_Hmac", async () => {
		for (const alg of ["sha1", "sha256"] as const) {
			const res = await faasCliInvoke("env-default", alg);
			const text = await res.text();
			assert.equal(res.status, 200, text);
			assert.ok(
				httpLines(text).includes(
					`Http_Hmac=${alg}=${hmacHex(alg, "cookie", "The message")}`,
				),
				text,
			);
		}
		const wrong = await faasCliInvoke("env-default", "sha1", "wrongkey");
		assert.equal(wrong.status, 401);
		const body = (await wrong.json()) as { error: { code: string } };
		assert.equal(body.error.code, "SIGNATURE_MISMATCH");
	});

	it("algorithms: [sha256] pins it down: sha1= is refused with ALGORITHM_NOT_ALLOWED before the function runs", async () => {
		const ok = await faasCliInvoke("env-sha256-only", "sha256");
		assert.equal(ok.status, 200, await ok.text());
		const res = await faasCliInvoke("env-sha256-only", "sha1");
		assert.equal(res.status, 401);
		const body = (await res.json()) as {
			error: { code: string; message: string };
		};
		assert.equal(body.error.code, "ALGORITHM_NOT_ALLOWED");
		assert.match(body.error.message, /sha1/);
	});
});

/** The lab's handler, with one edit: the secret's path (OpenFaaS: /var/openfaas/secrets/…). */
const LAB_HANDLER = `import os, hmac, hashlib

def validateHMAC(message, secret, hash):

    # GitHub and the sign flag prefix the hash with "sha1="
    receivedHash = getHash(hash)

    # Hash message with secret
    expectedMAC = hmac.new(secret.encode(), message.encode(), hashlib.sha1)
    createdHash = expectedMAC.hexdigest()

    return receivedHash == createdHash

def getHash(hash):
    if "sha1=" in hash:
        hash=hash[5:]
    return hash

def handle(req):
    # We receive the hashed message in form of a header
    messageMAC = os.getenv("Http_Hmac")

    # Read secret from inside the container
    with open(os.path.join(os.environ["SIGIL_SECRETS_DIR"], "payload-secret"),"r") as secretContent:
        payloadSecret = secretContent.read()

    # Function to validate the HMAC
    if validateHMAC(req, payloadSecret, messageMAC):
        return "Successfully validated: " + req
    return "HMAC validation failed."
`;

/** The same function made to accept both faas-cli generations, compared in constant time. */
const BOTH_GENERATIONS = LAB_HANDLER.replace(
	/def validateHMAC[\s\S]*?return hash\n/,
	`def validateHMAC(message, secret, hash):
    algorithm, receivedHash = getHash(hash or "")
    createdHash = hmac.new(secret.encode(), message.encode(), algorithm).hexdigest()
    return hmac.compare_digest(receivedHash, createdHash)

def getHash(hash):
    if hash.startswith("sha256="):
        return hashlib.sha256, hash[7:]
    if hash.startswith("sha1="):
        return hashlib.sha1, hash[5:]
    return hashlib.sha1, hash
`,
);

describe("seed 000: the python3 hmac-protected function (sigil new + edits + sigil deploy)", () => {
	const SECRET = "my-payload-secret";
	const MESSAGE = "This is a message";

	before(async () => {
		// `echo -n "<your-secret>" | docker secret create payload-secret -`
		const s = await sigil(["secret", "create", "payload-secret"], SECRET);
		assert.equal(s.code, 0, s.stderr);
		const made = await sigil([
			"new",
			"--lang",
			"python3",
			"hmac-protected",
			"--secret",
			"payload-secret",
		]);
		assert.equal(made.code, 0, made.stderr);
		assert.match(
			await readFile(join(root, "sigil.yml"), "utf8"),
			/payload-secret/,
		);
		await writeFile(join(root, "hmac-protected", "handler.py"), LAB_HANDLER);
		const up = await sigil(["deploy", "--filter", "hmac-protected"]);
		assert.equal(up.code, 0, up.stderr);
		assert.match(up.stdout, /deployed hmac-protected/);
	});

	it("the lab's messages: validated with the right key (sha1, the lab's faas-cli), failed with a wrong one", async () => {
		const [ok, wrong] = await Promise.all([
			sigil(
				[
					"invoke",
					"hmac-protected",
					"--sign",
					"hmac",
					`--key=${SECRET}`,
					"--algorithm",
					"sha1",
				],
				MESSAGE,
			),
			sigil(
				[
					"invoke",
					"hmac-protected",
					"--sign",
					"hmac",
					"--key=wrongkey",
					"--algorithm",
					"sha1",
				],
				MESSAGE,
			),
		]);
		assert.equal(ok.code, 0, ok.stderr);
		assert.equal(ok.stdout, "Successfully validated: This is a message\n");
		assert.equal(wrong.code, 0, wrong.stderr);
		assert.equal(wrong.stdout, "HMAC validation failed.\n");
	});

	it("edited for both faas-cli generations and redeployed: sha256 and sha1 validate, a wrong key fails", async () => {
		await writeFile(
			join(root, "hmac-protected", "handler.py"),
			BOTH_GENERATIONS,
		);
		const again = await sigil(["deploy", "--filter", "hmac-protected"]);
		assert.equal(again.code, 0, again.stderr);
		const [sha256, sha1, wrong] = await Promise.all([
			sigil(
				["invoke", "hmac-protected", "--sign", "hmac", `--key=${SECRET}`],
				MESSAGE,
			),
			sigil(
				[
					"invoke",
					"hmac-protected",
					"--sign",
					"hmac",
					`--key=${SECRET}`,
					"--algorithm",
					"sha1",
				],
				MESSAGE,
			),
			sigil(
				["invoke", "hmac-protected", "--sign", "hmac", "--key=wrongkey"],
				MESSAGE,
			),
		]);
		assert.equal(
			sha256.stdout,
			"Successfully validated: This is a message\n",
			sha256.stderr,
		);
		assert.equal(
			sha1.stdout,
			"Successfully validated: This is a message\n",
			sha1.stderr,
		);
		assert.equal(wrong.stdout, "HMAC validation failed.\n", wrong.stderr);
	});
});
