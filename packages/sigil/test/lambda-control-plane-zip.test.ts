// functions/zip.ts on its own: archives real tools make (Info-ZIP's zip, Python's zipfile, with
// data descriptors and directories) read back byte for byte; any mutation of an archive either
// reads as checked files or is a BundleError — never another exception, never a bad path.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import fc from "fast-check";
import { BundleError } from "../src/functions/bundle.ts";
import { readZip, writeZip } from "../src/functions/zip.ts";

let dir: string;
before(async () => {
	dir = await mkdtemp(join(tmpdir(), "sigil-zip-"));
	await mkdir(join(dir, "src", "lib"), { recursive: true });
	await writeFile(
		join(dir, "src", "index.mjs"),
		"export const handler = async () => 1;\n",
	);
	await writeFile(
		join(dir, "src", "lib", "data.json"),
		JSON.stringify({ big: "x".repeat(10_000) }),
	);
	await writeFile(join(dir, "src", "run.sh"), "#!/bin/sh\necho hi\n", {
		mode: 0o755,
	});
});
after(async () => {
	await rm(dir, { recursive: true, force: true });
});

/** True when the tool runs; in CI a missing tool is a broken install step, never a skip. */
function has(cmd: string, args: string[]): boolean {
	try {
		execFileSync(cmd, args, { stdio: "ignore" });
		return true;
	} catch {
		return Boolean(process.env.CI);
	}
}

async function expectSource(files: ReturnType<typeof readZip>) {
	const byPath = new Map(files.map((f) => [f.path, f]));
	assert.deepEqual([...byPath.keys()].sort(), [
		"index.mjs",
		"lib/data.json",
		"run.sh",
	]);
	for (const p of byPath.keys())
		assert.deepEqual(
			byPath.get(p)?.data,
			await readFile(join(dir, "src", ...p.split("/"))),
		);
	return byPath;
}

describe("archives real tools make", () => {
	test("Info-ZIP zip -r (directories, execute bits)", {
		skip: has("zip", ["-v"]) ? false : "no zip here",
	}, async () => {
		execFileSync("zip", ["-qr", join(dir, "info.zip"), "."], {
			cwd: join(dir, "src"),
		});
		const byPath = await expectSource(
			readZip(await readFile(join(dir, "info.zip"))),
		);
		assert.equal(byPath.get("run.sh")?.mode, 0o755);
		assert.equal(byPath.get("index.mjs")?.mode, 0o644);
	});

	test("Python's zipfile into a pipe (data descriptors: sizes only in the central directory)", {
		skip: has("python3", ["-V"]) ? false : "no python3 here",
	}, async () => {
		const out = execFileSync(
			"sh",
			[
				"-c",
				`python3 -c 'import sys, zipfile\nz = zipfile.ZipFile(sys.stdout.buffer, "w", zipfile.ZIP_DEFLATED)\nz.writestr("index.mjs", open("index.mjs", "rb").read())\nz.close()' | cat`,
			],
			{ cwd: join(dir, "src") },
		);
		assert.equal(
			out.readUInt16LE(6) & 0x8,
			0x8,
			"the archive uses a data descriptor",
		);
		const files = readZip(out);
		assert.equal(files.length, 1);
		assert.deepEqual(
			files[0]?.data,
			await readFile(join(dir, "src", "index.mjs")),
		);
	});

	test("zip reading stdin records a FIFO: refused as not a regular file", {
		skip: has("zip", ["-v"]) ? false : "no zip here",
	}, () => {
		const out = execFileSync("sh", ["-c", "cat index.mjs | zip -q - -"], {
			cwd: join(dir, "src"),
		});
		assert.throws(() => readZip(out), /not a regular file/);
	});

	test("Python's zipfile (deflated and stored)", {
		skip: has("python3", ["-V"]) ? false : "no python3 here",
	}, async () => {
		for (const method of ["ZIP_DEFLATED", "ZIP_STORED"]) {
			const target = join(dir, `py-${method}.zip`);
			execFileSync(
				"python3",
				[
					"-c",
					`import zipfile, os\nz = zipfile.ZipFile(${JSON.stringify(target)}, "w", zipfile.${method})\nfor root, _, files in os.walk("."):\n    for f in files:\n        p = os.path.join(root, f)\n        z.write(p, os.path.relpath(p, "."))\nz.close()`,
				],
				{ cwd: join(dir, "src") },
			);
			await expectSource(readZip(await readFile(target)));
		}
	});
});

describe("property: any archive, mutated anywhere, reads as checked files or a BundleError", () => {
	const sample = writeZip([
		{ path: "index.mjs", data: "export const handler = async () => 1;" },
		{ path: "lib/a.txt", data: "a".repeat(300) },
		{ path: "bin/tool", data: "#!/bin/sh\n", mode: 0o100755, store: true },
	]);

	test("single-byte and multi-byte mutations", () => {
		fc.assert(
			fc.property(
				fc.array(
					fc.tuple(
						fc.nat({ max: sample.length - 1 }),
						fc.integer({ min: 0, max: 255 }),
					),
					{ minLength: 1, maxLength: 6 },
				),
				(edits) => {
					const buf = Buffer.from(sample);
					for (const [i, b] of edits) buf[i] = b;
					let files: ReturnType<typeof readZip>;
					try {
						files = readZip(buf, { maxBytes: 1024 * 1024, maxFiles: 100 });
					} catch (err) {
						assert.ok(err instanceof BundleError, String(err));
						return;
					}
					let total = 0;
					for (const f of files) {
						assert.ok(
							!f.path.startsWith("/") &&
								!f.path.includes("\\") &&
								!f.path.includes("\0"),
							f.path,
						);
						assert.ok(
							f.path
								.split("/")
								.every((s) => s !== "" && s !== "." && s !== ".."),
							f.path,
						);
						assert.ok(f.mode === 0o644 || f.mode === 0o755);
						total += f.data.length;
					}
					assert.ok(total <= 1024 * 1024);
				},
			),
			{ numRuns: 3000 },
		);
	});

	test("truncations and random bytes", () => {
		fc.assert(
			fc.property(
				fc.oneof(
					fc.nat({ max: sample.length }).map((n) => sample.subarray(0, n)),
					fc.uint8Array({ maxLength: 400 }).map((a) => Buffer.from(a)),
				),
				(buf) => {
					try {
						readZip(Buffer.from(buf));
					} catch (err) {
						assert.ok(err instanceof BundleError, String(err));
					}
				},
			),
			{ numRuns: 1000 },
		);
	});

	test("the inflated budget holds against headers that lie, across many entries", () => {
		// 40 entries each declaring 1 KB but deflating from 1 MB: each stops at its declared size.
		const lies = writeZip(
			Array.from({ length: 40 }, (_, i) => ({
				path: `f${i}`,
				data: Buffer.alloc(1024 * 1024),
				declaredSize: 1024,
			})),
		);
		assert.throws(
			() => readZip(lies),
			(err: Error) =>
				err instanceof BundleError && /declared 1024/.test(err.message),
		);
		// Honest entries whose sum passes the budget are refused before the one that crosses it is inflated.
		const honest = writeZip(
			Array.from({ length: 5 }, (_, i) => ({
				path: `h${i}`,
				data: Buffer.alloc(300 * 1024),
			})),
		);
		assert.throws(
			() => readZip(honest, { maxBytes: 1024 * 1024 }),
			/inflates to more than 1048576 bytes \(at entry "h3"\)/,
		);
	});
});
