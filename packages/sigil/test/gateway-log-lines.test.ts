// The gateway's log lines are written once per event-loop turn (gateway/log-lines.ts): the same
// bytes in the same order as a write per line, nothing lost at flush, close or exit, bounded.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, it } from "node:test";
import { setImmediate as turn } from "node:timers/promises";
import fc from "fast-check";
import { BatchedLines } from "../src/gateway/log-lines.ts";

function sink() {
	const writes: string[] = [];
	return { writes, write: (chunk: string) => writes.push(chunk) };
}

describe("batched log lines", () => {
	it("write the same bytes, in order, as one write per line, over any turns", async () => {
		await fc.assert(
			fc.asyncProperty(
				fc.array(fc.array(fc.string({ maxLength: 30 }), { maxLength: 8 }), {
					maxLength: 6,
				}),
				fc.integer({ min: 1, max: 200 }),
				async (turns, maxQueuedBytes) => {
					const s = sink();
					const lines = new BatchedLines(s, maxQueuedBytes);
					let expected = "";
					for (const batch of turns) {
						for (const text of batch) {
							lines.line(text);
							expected += `${text}\n`;
						}
						await turn();
					}
					lines.close();
					assert.equal(s.writes.join(""), expected);
				},
			),
		);
	});

	it("write one turn's lines in one write", async () => {
		const s = sink();
		const lines = new BatchedLines(s);
		lines.line("a");
		lines.line("b");
		assert.deepEqual(s.writes, [], "nothing before the turn ends");
		await turn();
		assert.deepEqual(s.writes, ["a\nb\n"]);
		lines.close();
	});

	it("write at once past the bound", () => {
		const s = sink();
		const lines = new BatchedLines(s, 10);
		lines.line("12345");
		lines.line("67890");
		assert.deepEqual(s.writes, ["12345\n67890\n"]);
		lines.close();
	});

	it("are written before the process exits, even on process.exit in the same turn", () => {
		const script = `import { BatchedLines } from ${JSON.stringify(join(import.meta.dirname, "../src/gateway/log-lines.ts"))};
const lines = new BatchedLines(process.stdout);
lines.line("first"); lines.line("last"); process.exit(3);`;
		const r = spawnSync(
			process.execPath,
			["--input-type=module", "-e", script],
			{
				encoding: "utf8",
			},
		);
		assert.equal(r.status, 3);
		assert.equal(r.stdout, "first\nlast\n");
	});
});
