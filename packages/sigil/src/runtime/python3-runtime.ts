/**
 * The `python3` runtime: the process runtime running the shipped watchdog script
 * (`templates/python3/index.py`) in the function's code folder, so a `handler.py` with
 * `def handle(req)` works as in OpenFaaS's classic python3 template: body on stdin as a string,
 * headers as `Http_*` environment, the return value printed as the response.
 */
import { execFile } from "node:child_process";
import { readdir, readFile, realpath } from "node:fs/promises";
import { basename, dirname, join, relative } from "node:path";
import { baseEnvironment } from "./base-env.ts";
import {
	createProcessRuntime,
	type ProcessRuntimeSpec,
} from "./process-runtime.ts";
import { installPrefix } from "./sandbox.ts";
import { PYTHON3_WATCHDOG } from "./templates-dir.ts";
import type { FunctionRuntime } from "./types.ts";
import { RuntimeError } from "./types.ts";

export type Python3RuntimeSpec = Omit<ProcessRuntimeSpec, "fprocess"> & {
	/** Interpreter to run (default: `python3` on PATH, resolved once to its real executable). */
	readonly python?: string;
};

/** Quotes one word for `splitCommand` (single quotes: nothing inside is special). */
export function quoteWord(word: string): string {
	return `'${word.replaceAll("'", `'\\''`)}'`;
}

const resolved = new Map<string, Promise<string>>();

/**
 * `python3` as found on PATH, resolved to `sys.executable` once per PATH. Version managers put a
 * shell-script shim first on PATH (pyenv's costs ~100 ms per start); a fork-per-request runtime
 * should pay that once, not per request. Falls back to plain `python3` when the probe fails.
 */
export function resolvePython(
	path = baseEnvironment().PATH ?? "",
): Promise<string> {
	let found = resolved.get(path);
	if (!found) {
		found = new Promise((done) => {
			execFile(
				"python3",
				["-c", "import sys; sys.stdout.write(sys.executable)"],
				{ env: { ...baseEnvironment(), PATH: path }, timeout: 10_000 },
				(err, stdout) =>
					done(err || stdout.trim() === "" ? "python3" : stdout.trim()),
			);
		});
		resolved.set(path, found);
	}
	return found;
}

/** The distribution names a requirements file asks for (PEP 503-normalised), comments and options skipped. */
export function requirementNames(text: string): string[] {
	const names: string[] = [];
	for (const raw of text.split(/\r?\n/)) {
		const line = raw.replace(/(^|\s)#.*$/, "").trim();
		if (line === "" || line.startsWith("-")) continue;
		const m = /^([A-Za-z0-9][A-Za-z0-9._-]*)/.exec(line);
		if (m) names.push(normaliseName(m[1] as string));
	}
	return names;
}

function normaliseName(name: string): string {
	return name.toLowerCase().replace(/[-_.]+/g, "-");
}

/**
 * Sigil installs nothing (no network, no pip at deploy): a `requirements.txt` is accepted only
 * when every package it names is vendored in the folder (`pip install -r requirements.txt
 * --target .` leaves a `NAME-VERSION.dist-info` for each). Returns the missing names.
 */
export async function missingRequirements(codeDir: string): Promise<string[]> {
	let text: string;
	try {
		text = await readFile(join(codeDir, "requirements.txt"), "utf8");
	} catch {
		return [];
	}
	const wanted = requirementNames(text);
	if (wanted.length === 0) return [];
	const vendored = new Set<string>();
	for (const entry of await readdir(codeDir)) {
		const m = /^(.+?)-[^-]+\.(dist-info|egg-info)$/.exec(entry);
		if (m) vendored.add(normaliseName(m[1] as string));
	}
	return wanted.filter((n) => !vendored.has(n));
}

/** Builds a python3 function: checks the folder, then runs the watchdog per request. */
export async function createPython3Runtime(
	spec: Python3RuntimeSpec,
): Promise<FunctionRuntime> {
	const missing = await missingRequirements(spec.cwd);
	if (missing.length > 0)
		throw new RuntimeError(
			"FUNCTION_START_FAILED",
			`function ${spec.name}: requirements.txt asks for ${missing.join(", ")}, which Sigil cannot install (it installs nothing at deploy); vendor them into the handler folder with \`pip install -r requirements.txt --target <folder>\` and deploy again`,
		);
	const { python, ...rest } = spec;
	let interpreter = python ?? (await resolvePython());
	let watchdog = PYTHON3_WATCHDOG;
	let sandbox = spec.sandbox;
	if (sandbox) {
		// Inside the sandbox only /usr is there: an interpreter installed elsewhere (pyenv, a
		// venv's base) is bound read-only at a fixed place with its whole prefix (its stdlib),
		// and the watchdog script's folder beside it. Python finds its prefix from where it runs.
		const readOnly: [string, string][] = [
			[dirname(PYTHON3_WATCHDOG), "/opt/sigil/python3-watchdog"],
		];
		watchdog = `/opt/sigil/python3-watchdog/${basename(PYTHON3_WATCHDOG)}`;
		const real = await realpath(interpreter).catch(() => interpreter);
		if (real.startsWith("/")) {
			if (real.startsWith("/usr/")) interpreter = real;
			else {
				const prefix = installPrefix(real);
				readOnly.push([prefix, "/opt/sigil/python"]);
				interpreter = join("/opt/sigil/python", relative(prefix, real));
			}
		}
		sandbox = {
			...sandbox,
			policy: {
				...sandbox.policy,
				readOnly: [...(sandbox.policy.readOnly ?? []), ...readOnly],
			},
		};
	}
	return createProcessRuntime({
		...rest,
		...(sandbox && { sandbox }),
		fprocess: `${quoteWord(interpreter)} ${quoteWord(watchdog)}`,
		// The code folder is shared by every instance and stays as deployed: no __pycache__ in it.
		env: {
			PYTHONDONTWRITEBYTECODE: "1",
			PYTHONIOENCODING: "utf-8",
			...spec.env,
		},
	});
}
