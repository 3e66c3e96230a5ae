// `npm run install-cli [-- --dir DIR] [--force]`: puts `sigil` on PATH.
//
// It writes a small shell launcher that execs this repository's pinned Node 24 on bin/sigil.ts,
// so `sigil` works from any folder and never depends on which `node` comes first on PATH (these
// machines ship Node 20, which cannot run the CLI). A launcher rather than a symlink: a symlink
// to sigil.ts would run under `#!/usr/bin/env node`, i.e. the system's Node.
import { spawnSync } from "node:child_process";
import {
	accessSync,
	chmodSync,
	constants,
	existsSync,
	mkdirSync,
	readFileSync,
	renameSync,
	writeFileSync,
} from "node:fs";
import { homedir } from "node:os";
import { delimiter, dirname, join, resolve } from "node:path";
import { parseArgs } from "node:util";

const NEEDED_MAJOR = 24;
/** Marks a launcher as ours, so a reinstall may replace it and nothing else is overwritten. */
export const LAUNCHER_MARK =
	"# sigil launcher, written by `npm run install-cli`";

const here = import.meta.dirname;
const repo = resolve(here, "..", "..", "..");
const cli = join(here, "sigil.ts");

function fail(message: string, fix: string): never {
	process.stderr.write(`error: ${message}\n  fix: ${fix}\n`);
	process.exit(1);
}

/** Single-quotes a path for sh (a quote inside becomes '\''). */
function shQuote(text: string): string {
	return `'${text.replaceAll("'", "'\\''")}'`;
}

/**
 * The real path of the pinned Node binary. node_modules/node/bin/node may be a symlink or, in
 * some versions of the `node` package, a wrapper script; asking the binary for its own
 * process.execPath gives the executable that actually runs, whatever the layout.
 */
function pinnedNode(): { path: string; version: string } {
	const entry = join(repo, "node_modules", "node", "bin", "node");
	if (!existsSync(entry))
		fail(
			`the pinned Node is not installed (${entry} is missing)`,
			"run `npm install` in the repository first",
		);
	const asked = spawnSync(
		entry,
		["-p", "process.execPath + '\\n' + process.versions.node"],
		{ encoding: "utf8" },
	);
	const [path, version] = (asked.stdout ?? "").trim().split("\n");
	if (asked.status !== 0 || !path || !version)
		fail(
			`the pinned Node at ${entry} does not run: ${(asked.stderr || asked.error?.message || "").trim()}`,
			"run `npm install` in the repository again",
		);
	if (Number(version.split(".")[0]) < NEEDED_MAJOR)
		fail(
			`the pinned Node at ${path} is ${version}, not ${NEEDED_MAJOR}+`,
			"run `npm install` in the repository (package.json pins node ^24)",
		);
	return { path, version };
}

/** PATH as the user has it: npm run prepends node_modules/.bin folders, which are not theirs. */
function userPath(env: NodeJS.ProcessEnv): string[] {
	return (env.PATH ?? "")
		.split(delimiter)
		.filter(
			(p) => p !== "" && !/node_modules[\\/]\.bin$|node-gyp-bin$/.test(p),
		);
}

function writable(dir: string): boolean {
	try {
		accessSync(dir, constants.W_OK);
		return true;
	} catch {
		return false;
	}
}

/** The first of ~/.local/bin, ~/bin, /usr/local/bin that is on PATH and writable. */
function chooseDir(env: NodeJS.ProcessEnv): { dir: string; onPath: boolean } {
	const home = env.HOME || homedir();
	const path = userPath(env).map((p) => resolve(p));
	for (const dir of [
		join(home, ".local", "bin"),
		join(home, "bin"),
		"/usr/local/bin",
	])
		if (
			path.includes(dir) &&
			(writable(dir) || (!existsSync(dir) && dir.startsWith(home)))
		)
			return { dir, onPath: true };
	return { dir: join(home, ".local", "bin"), onPath: false };
}

export function launcherText(
	node: string,
	script: string,
	repoDir: string,
): string {
	return [
		"#!/bin/sh",
		LAUNCHER_MARK,
		"# It runs Sigil's CLI with the repository's pinned Node 24, whatever `node` is on PATH.",
		`node=${shQuote(node)}`,
		`cli=${shQuote(script)}`,
		'if [ ! -x "$node" ] || [ ! -f "$cli" ]; then',
		`  echo "error: sigil's pinned Node ($node) or CLI ($cli) is missing" >&2`,
		`  echo ${shQuote(`  fix: run \`npm install && npm run install-cli\` in ${repoDir}`)} >&2`,
		"  exit 127",
		"fi",
		'exec "$node" "$cli" "$@"',
		"",
	].join("\n");
}

const { values } = parseArgs({
	options: {
		dir: { type: "string" },
		force: { type: "boolean" },
		help: { type: "boolean", short: "h" },
	},
});
if (values.help) {
	process.stdout.write(
		"usage: npm run install-cli [-- --dir DIR] [--force]\n\nWrites a `sigil` launcher into DIR (default: the first of ~/.local/bin, ~/bin, /usr/local/bin on PATH)\nthat runs the CLI with this repository's pinned Node 24. --force replaces a `sigil` that is not ours.\n",
	);
	process.exit(0);
}
const node = pinnedNode();
const chosen = values.dir
	? {
			dir: resolve(values.dir),
			onPath: userPath(process.env)
				.map((p) => resolve(p))
				.includes(resolve(values.dir)),
		}
	: chooseDir(process.env);
const target = join(chosen.dir, "sigil");
try {
	mkdirSync(chosen.dir, { recursive: true });
} catch (error) {
	fail(
		`cannot create ${chosen.dir}: ${(error as Error).message}`,
		"pick a folder you can write with `npm run install-cli -- --dir DIR`",
	);
}
if (existsSync(target) && !values.force) {
	let text = "";
	try {
		text = readFileSync(target, "utf8");
	} catch {}
	if (!text.includes(LAUNCHER_MARK))
		fail(
			`${target} exists and is not a sigil launcher written by install-cli`,
			"remove it, pick another folder with `npm run install-cli -- --dir DIR`, or pass `-- --force`",
		);
}
// Written beside the target and renamed, so a `sigil` running meanwhile never reads half a file.
const temp = join(dirname(target), `.sigil.${process.pid}.tmp`);
try {
	writeFileSync(temp, launcherText(node.path, cli, repo), { mode: 0o755 });
	chmodSync(temp, 0o755);
	renameSync(temp, target);
} catch (error) {
	fail(
		`cannot write ${target}: ${(error as Error).message}`,
		"pick a folder you can write with `npm run install-cli -- --dir DIR` (and put it on PATH)",
	);
}

const check = spawnSync(target, ["--version"], {
	encoding: "utf8",
	cwd: homedir(),
	env: { ...process.env, PATH: userPath(process.env).join(delimiter) },
});
if (check.status !== 0)
	fail(
		`${target} was written but \`sigil --version\` failed: ${(check.stderr || check.error?.message || "").trim()}`,
		"this is a bug in install-cli; please report it with the output above",
	);
process.stdout.write(
	`installed ${target} → Node ${node.version} (${node.path}) running ${cli}\n${check.stdout}`,
);
if (!chosen.onPath)
	process.stdout.write(
		`${chosen.dir} is not on your PATH yet; add it (e.g. in ~/.bashrc or ~/.zshrc):\n  export PATH="${chosen.dir}:$PATH"\n`,
	);
else {
	const first = userPath(process.env)
		.map((p) => join(p, "sigil"))
		.find((p) => existsSync(p));
	if (first && resolve(first) !== target)
		process.stdout.write(
			`note: ${first} comes earlier on PATH and shadows this one; remove it or reorder PATH\n`,
		);
}
