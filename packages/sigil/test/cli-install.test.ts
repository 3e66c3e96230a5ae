// `npm run install-cli`: the launcher it writes runs `sigil` from any folder with the pinned
// Node 24, even when the `node` first on PATH is an old one; bin/sigil.mjs (what npm links)
// re-runs itself under the pinned Node, or says clearly that there is none.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { test } from "node:test";

const BIN = join(import.meta.dirname, "..", "bin");
const INSTALL = join(BIN, "install-cli.ts");

/** A `node` that is "the system's old one": it reports v20 and refuses to run anything. */
async function oldNodeDir(root: string): Promise<string> {
	const dir = join(root, "old-node");
	await mkdir(dir);
	await writeFile(
		join(dir, "node"),
		'#!/bin/sh\nif [ "$1" = "--version" ]; then echo v20.0.0; exit 0; fi\necho "old system node was used" >&2\nexit 99\n',
		{ mode: 0o755 },
	);
	return dir;
}

function install(root: string, args: string[]) {
	return spawnSync(process.execPath, [INSTALL, ...args], {
		encoding: "utf8",
		cwd: root,
		env: { HOME: root, PATH: process.env.PATH ?? "" },
	});
}

test("install-cli writes a launcher; `sigil --version` then works from a folder outside the repo with an old node first on PATH", async () => {
	const root = await mkdtemp(join(tmpdir(), "sigil-install-"));
	const bin = join(root, "bin");
	const done = install(root, ["--dir", bin]);
	assert.equal(done.status, 0, done.stderr);
	assert.match(done.stdout, /installed .*\/bin\/sigil → Node 24\./);
	assert.match(done.stdout, /not on your PATH yet/, "it says how to add it");
	const launcher = join(bin, "sigil");
	assert.equal((await stat(launcher)).mode & 0o777, 0o755);
	const text = await readFile(launcher, "utf8");
	assert.match(text, /^#!\/bin\/sh\n/);
	assert.ok(
		!text.includes("node_modules/.bin"),
		"the real binary, not npm's shim",
	);

	const old = await oldNodeDir(root);
	const elsewhere = join(root, "somewhere", "else");
	await mkdir(elsewhere, { recursive: true });
	const path = [bin, old, "/usr/bin", "/bin"].join(":");
	const premise = spawnSync("node", ["--version"], {
		encoding: "utf8",
		env: { PATH: path },
	});
	assert.equal(
		premise.stdout.trim(),
		"v20.0.0",
		"the node on PATH is the old one",
	);
	const ran = spawnSync("sigil", ["--version"], {
		encoding: "utf8",
		cwd: elsewhere,
		env: { HOME: root, PATH: path },
	});
	assert.equal(ran.status, 0, ran.stderr);
	assert.equal(ran.stdout, "sigil 0.1.0\n");
	const help = spawnSync("sigil", ["--help"], {
		encoding: "utf8",
		cwd: elsewhere,
		env: { HOME: root, PATH: path },
	});
	assert.equal(help.status, 0, help.stderr);
	assert.match(help.stdout, /usage: sigil <command>/);
});

test("install-cli replaces its own launcher but never someone else's `sigil` without --force", async () => {
	const root = await mkdtemp(join(tmpdir(), "sigil-install-"));
	const bin = join(root, "bin");
	assert.equal(install(root, ["--dir", bin]).status, 0);
	assert.equal(install(root, ["--dir", bin]).status, 0, "a reinstall is fine");
	await writeFile(join(bin, "sigil"), "#!/bin/sh\necho mine\n", {
		mode: 0o755,
	});
	const refused = install(root, ["--dir", bin]);
	assert.equal(refused.status, 1);
	assert.match(
		refused.stderr,
		/^error: .*is not a sigil launcher.*\n {2}fix: .*--force/s,
	);
	assert.equal(
		await readFile(join(bin, "sigil"), "utf8"),
		"#!/bin/sh\necho mine\n",
	);
	assert.equal(install(root, ["--dir", bin, "--force"]).status, 0);
});

test("install-cli picks a writable folder that is on PATH by itself", async () => {
	const root = await mkdtemp(join(tmpdir(), "sigil-install-"));
	const local = join(root, ".local", "bin");
	const done = spawnSync(process.execPath, [INSTALL], {
		encoding: "utf8",
		cwd: root,
		env: { HOME: root, PATH: `${local}:/usr/bin:/bin` },
	});
	assert.equal(done.status, 0, done.stderr);
	assert.ok(existsSync(join(local, "sigil")));
	assert.ok(!done.stdout.includes("not on your PATH"), done.stdout);
});

test("the launcher explains a missing pinned Node instead of failing obscurely", async () => {
	const root = await mkdtemp(join(tmpdir(), "sigil-install-"));
	const launcher = join(root, "sigil");
	// A real launcher whose pinned Node has gone (node_modules removed, say).
	const real = install(root, ["--dir", join(root, "b")]);
	assert.equal(real.status, 0, real.stderr);
	const text = (await readFile(join(root, "b", "sigil"), "utf8")).replace(
		/^node=.*$/m,
		`node='${join(root, "no-such-node")}'`,
	);
	await writeFile(launcher, text, { mode: 0o755 });
	const ran = spawnSync(launcher, ["--version"], { encoding: "utf8" });
	assert.equal(ran.status, 127);
	assert.match(
		ran.stderr,
		/^error: sigil's pinned Node .* is missing\n {2}fix: run `npm install && npm run install-cli` in /,
	);
});

test("bin/sigil.mjs under an old Node re-runs the CLI with the pinned Node, or says there is none", {
	skip:
		!existsSync("/usr/bin/node") ||
		Number(
			spawnSync("/usr/bin/node", ["-p", "process.versions.node"], {
				encoding: "utf8",
			}).stdout.split(".")[0],
		) >= 24
			? "no Node older than 24 at /usr/bin/node"
			: false,
}, async () => {
	const ran = spawnSync(
		"/usr/bin/node",
		[join(BIN, "sigil.mjs"), "--version"],
		{
			encoding: "utf8",
			env: { PATH: "/usr/bin:/bin" },
		},
	);
	assert.equal(ran.status, 0, ran.stderr);
	assert.equal(ran.stdout, "sigil 0.1.0\n");
	const failing = spawnSync("/usr/bin/node", [join(BIN, "sigil.mjs"), "nope"], {
		encoding: "utf8",
		env: { PATH: "/usr/bin:/bin" },
	});
	assert.equal(failing.status, 2, "the CLI's own exit code comes through");
	// A copy far from any node_modules: no pinned Node to find.
	const root = await mkdtemp(join(tmpdir(), "sigil-install-"));
	copyFileSync(join(BIN, "sigil.mjs"), join(root, "sigil.mjs"));
	const lost = spawnSync(
		"/usr/bin/node",
		[join(root, "sigil.mjs"), "--version"],
		{
			encoding: "utf8",
			env: { PATH: "/usr/bin:/bin" },
		},
	);
	assert.equal(lost.status, 1);
	assert.match(
		lost.stderr,
		/^error: sigil needs Node\.js 24 or newer; this is Node 20\.[^\n]*\n {2}fix: run `npm install`[^\n]*\n$/,
	);
	assert.ok(!lost.stderr.includes("    at "), "no stack trace");
});

test("a fresh clone: the README's install command puts a working `sigil` on PATH", {
	skip:
		spawnSync("git", ["--version"]).status === 0 &&
		spawnSync("npm", ["--version"]).status === 0
			? false
			: "needs git and npm",
}, async () => {
	const repo = join(import.meta.dirname, "..", "..", "..");
	const root = await mkdtemp(join(tmpdir(), "sigil-fresh-"));
	const clone = join(root, "clone");
	const cloned = spawnSync(
		"git",
		["clone", "--quiet", "--local", "--no-hardlinks", repo, clone],
		{ encoding: "utf8" },
	);
	assert.equal(cloned.status, 0, cloned.stderr);
	// The README's install-cli line, as printed (after `npm install`, its first line).
	const readme = await readFile(join(clone, "README.md"), "utf8");
	const line = readme
		.split("\n")
		.slice(0, 8)
		.find((l) => l.startsWith("npm run install-cli"));
	assert.ok(line, "README's opening lines give the install-cli command");
	const command = (line.split("#")[0] as string).trim();
	assert.equal(command, "npm run install-cli");
	// `npm install` is the registry's part; this checkout borrows the repository's installed
	// packages instead, and runs the rest of the line exactly as printed.
	const { symlink } = await import("node:fs/promises");
	await symlink(join(repo, "node_modules"), join(clone, "node_modules"));
	const bin = join(root, "home", ".local", "bin");
	await mkdir(bin, { recursive: true });
	const old = await oldNodeDir(root);
	const userPath = [bin, old, "/usr/bin", "/bin"].join(":");
	const npmDir = dirname(
		spawnSync("bash", ["-c", "command -v npm"], {
			encoding: "utf8",
		}).stdout.trim(),
	);
	const ran = spawnSync("bash", ["-c", command], {
		encoding: "utf8",
		cwd: clone,
		// npm itself runs on the pinned Node it finds in the clone's node_modules/.bin.
		env: {
			HOME: join(root, "home"),
			PATH: `${join(clone, "node_modules", ".bin")}:${userPath}:${npmDir}`,
		},
	});
	assert.equal(ran.status, 0, ran.stderr);
	assert.match(ran.stdout, /installed .*\.local\/bin\/sigil/);
	const launcher = await readFile(join(bin, "sigil"), "utf8");
	assert.ok(
		launcher.includes(join(clone, "packages", "sigil", "bin", "sigil.ts")),
		"the clone's CLI",
	);
	const version = spawnSync("sigil", ["--version"], {
		encoding: "utf8",
		cwd: root,
		env: { HOME: join(root, "home"), PATH: userPath },
	});
	assert.equal(version.status, 0, version.stderr);
	assert.equal(version.stdout, "sigil 0.1.0\n");
});
