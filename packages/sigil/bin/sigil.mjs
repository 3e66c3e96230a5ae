#!/usr/bin/env node
// The `sigil` command as npm links it (`npm link`, `npx sigil`, node_modules/.bin/sigil).
//
// Plain JavaScript on purpose: it must run on whatever `node` comes first on PATH. The CLI
// itself (sigil.ts) needs Node 24 — type stripping, node:sqlite — and an older Node fails on it
// with a stack trace about an unknown file extension. So on an older Node this file finds the
// repository's pinned Node 24 (the `node` devDependency) and re-runs the CLI under it; when there
// is none it says so in Sigil's error shape instead of crashing.
import { spawn } from "node:child_process";
import { existsSync, realpathSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const NEEDED_MAJOR = 24;
const here = dirname(realpathSync(fileURLToPath(import.meta.url)));
const major = Number(process.versions.node.split(".")[0]);

/** SIGIL_NODE, else the nearest node_modules/node/bin/node above this file. */
function pinnedNode() {
	if (process.env.SIGIL_NODE) return process.env.SIGIL_NODE;
	for (let dir = here; ; dir = dirname(dir)) {
		const candidate = join(dir, "node_modules", "node", "bin", "node");
		if (existsSync(candidate)) return candidate;
		if (dirname(dir) === dir) return undefined;
	}
}

if (major >= NEEDED_MAJOR) {
	await import("./sigil.ts");
} else {
	const node = pinnedNode();
	if (!node) {
		process.stderr.write(
			`error: sigil needs Node.js ${NEEDED_MAJOR} or newer; this is Node ${process.versions.node} (${process.execPath}) and no pinned Node ${NEEDED_MAJOR} was found above ${here}\n` +
				"  fix: run `npm install` in the Sigil repository (it installs the pinned Node), then `npm run install-cli`; or set SIGIL_NODE to a Node 24 binary\n",
		);
		process.exit(1);
	}
	const child = spawn(
		node,
		[join(here, "sigil.ts"), ...process.argv.slice(2)],
		{
			stdio: "inherit",
		},
	);
	// Ctrl-C reaches the whole process group, so the CLI already has it: this process only must
	// not die first (the shell would print its prompt while `sigil up` is still closing). Signals
	// sent to this pid alone (kill, a service manager) are passed on.
	process.on("SIGINT", () => {});
	for (const signal of ["SIGTERM", "SIGHUP"])
		process.on(signal, () => child.kill(signal));
	child.on("error", (error) => {
		process.stderr.write(
			`error: cannot start the pinned Node at ${node}: ${error.message}\n  fix: run \`npm install\` in the Sigil repository, or set SIGIL_NODE to a Node 24 binary\n`,
		);
		process.exit(1);
	});
	child.on("exit", (code, signal) => {
		if (signal) {
			process.removeAllListeners(signal);
			process.kill(process.pid, signal);
		} else process.exit(code ?? 1);
	});
}
