/**
 * Folders a gateway process makes for itself under the system's temporary directory (the
 * instances' copy of Sigil's runtime code). Each is a fresh mkdtemp folder — nobody can have
 * prepared it — removed when the process exits. A process killed with SIGKILL cannot remove
 * its own, so every new one first sweeps the folders of its prefix whose owner is gone: they are
 * ours (same uid, a real folder, not a link) and their recorded owner pid no longer runs.
 */
import {
	lstatSync,
	mkdtempSync,
	readdirSync,
	readFileSync,
	rmSync,
	writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const OWNER_FILE = ".owner-pid";

/** Whether a process with this pid exists (EPERM: it exists, run by someone else). */
export function alive(pid: number): boolean {
	try {
		process.kill(pid, 0);
		return true;
	} catch (error) {
		return (error as NodeJS.ErrnoException).code === "EPERM";
	}
}

/** Removes `prefix` folders of this uid whose owner pid is recorded and dead; returns their names. */
export function sweepOrphans(prefix: string, root = tmpdir()): string[] {
	const removed: string[] = [];
	const uid = process.getuid?.();
	let names: string[];
	try {
		names = readdirSync(root);
	} catch {
		return removed;
	}
	for (const name of names) {
		if (!name.startsWith(prefix)) continue;
		const dir = join(root, name);
		try {
			const st = lstatSync(dir);
			if (!st.isDirectory() || (uid !== undefined && st.uid !== uid)) continue;
			const pid = Number(readFileSync(join(dir, OWNER_FILE), "utf8"));
			// No owner file (being created, or not ours to judge), or the owner still runs: keep it.
			if (!Number.isSafeInteger(pid) || pid <= 0 || alive(pid)) continue;
			rmSync(dir, { recursive: true, force: true });
			removed.push(name);
		} catch {
			// Vanished meanwhile or unreadable: not ours to remove.
		}
	}
	return removed;
}

/** A new private folder `<tmp>/<prefix>XXXXXX`, removed at exit; orphans of `prefix` swept first. */
export function privateTempDir(prefix: string, root = tmpdir()): string {
	sweepOrphans(prefix, root);
	const dir = mkdtempSync(join(root, prefix));
	writeFileSync(join(dir, OWNER_FILE), String(process.pid), { mode: 0o644 });
	process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
	return dir;
}
