/**
 * Tools some tests need from the machine (the AWS CLI, python3 with `requests`). `scripts/setup.sh`
 * installs them. Locally a missing tool skips its tests with the reason; in CI (`CI` set) a
 * missing tool is an error, so a green run can never hide tests that did not run.
 */
import { execFileSync } from "node:child_process";

function works(cmd: string, args: string[]): boolean {
	try {
		execFileSync(cmd, args, { stdio: "ignore", timeout: 30_000 });
		return true;
	} catch {
		return false;
	}
}

/** `false` when the tool is there; the skip reason otherwise (throws in CI). */
export function missingTool(
	what: string,
	cmd: string,
	args: string[],
): string | false {
	if (works(cmd, args)) return false;
	const reason = `${what} is not installed on this machine (run scripts/setup.sh)`;
	if (process.env.CI) throw new Error(`CI must run every test: ${reason}`);
	return reason;
}

export function awsCliMissing(): string | false {
	return missingTool("the AWS CLI (`aws`)", "aws", ["--version"]);
}

/** A python3 that can `import requests` (pyenv's or Debian's), for the seeds' own scripts. */
export function pythonWithRequests(): string {
	for (const candidate of ["python3", "/usr/bin/python3"])
		if (works(candidate, ["-c", "import requests"])) return candidate;
	if (process.env.CI)
		throw new Error(
			"CI must run every test: no python3 with `requests` (run scripts/setup.sh)",
		);
	return "python3";
}
