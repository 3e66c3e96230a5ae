// The instances' runtime folder in /tmp: a gateway killed with SIGKILL cannot remove its own, so
// the next one sweeps it — and only folders that are provably orphans of this uid (issue 9).
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { privateTempDir, sweepOrphans } from "../src/runtime/private-dir.ts";

const MODULE = join(
	import.meta.dirname,
	"..",
	"src",
	"runtime",
	"private-dir.ts",
);

/** A pid that ran and has exited. */
function deadPid(): number {
	const ran = spawnSync(
		process.execPath,
		["-e", "process.stdout.write(String(process.pid))"],
		{
			encoding: "utf8",
		},
	);
	return Number(ran.stdout);
}

test("a SIGKILLed owner's folder is swept by the next one; live, foreign and unmarked folders stay", async () => {
	const root = await mkdtemp(join(tmpdir(), "sigil-private-dir-test-"));
	try {
		// A real process makes its folder, then dies by SIGKILL (no exit handler runs).
		const child = spawn(
			process.execPath,
			[
				"--input-type=module",
				"-e",
				`import { privateTempDir } from ${JSON.stringify(MODULE)}; process.stdout.write(privateTempDir("p-", ${JSON.stringify(root)})); setInterval(() => {}, 1000);`,
			],
			{ stdio: ["ignore", "pipe", "inherit"] },
		);
		const killedDir = await new Promise<string>((resolve) =>
			child.stdout.once("data", (d) => resolve(String(d))),
		);
		const exited = new Promise((r) => child.once("exit", r));
		child.kill("SIGKILL");
		await exited;
		assert.ok(existsSync(killedDir), "SIGKILL left the folder behind");

		const live = join(root, "p-live");
		await mkdir(live);
		await writeFile(join(live, ".owner-pid"), String(process.pid));
		const unmarked = join(root, "p-unmarked");
		await mkdir(unmarked);
		const dead = join(root, "p-dead");
		await mkdir(dead);
		await writeFile(join(dead, ".owner-pid"), String(deadPid()));
		const garbage = join(root, "p-garbage");
		await mkdir(garbage);
		await writeFile(join(garbage, ".owner-pid"), "../../etc");
		const other = join(root, "other-dead");
		await mkdir(other);
		await writeFile(join(other, ".owner-pid"), String(deadPid()));
		// A link named like ours, pointing at a dead owner's folder elsewhere: never followed.
		const elsewhere = await mkdtemp(
			join(tmpdir(), "sigil-private-dir-target-"),
		);
		await writeFile(join(elsewhere, ".owner-pid"), String(deadPid()));
		await symlink(elsewhere, join(root, "p-link"));

		const mine = privateTempDir("p-", root);
		assert.ok(!existsSync(killedDir), "the killed owner's folder was swept");
		assert.ok(!existsSync(dead));
		for (const kept of [live, unmarked, garbage, other, elsewhere, mine])
			assert.ok(existsSync(kept), kept);
		assert.deepEqual(sweepOrphans("p-", root), [], "nothing else is an orphan");
		await rm(elsewhere, { recursive: true, force: true });
	} finally {
		await rm(root, { recursive: true, force: true });
	}
});
