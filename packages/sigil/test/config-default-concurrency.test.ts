// Default concurrency per instance, per runtime (docs/runtimes.md "Concurrency per instance"):
// node serves 8 invocations at once per instance, the others one, and an explicit value wins.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseFunctionConfig } from "../src/config/function-config.ts";

function concurrencyOf(input: Record<string, unknown>) {
	const parsed = parseFunctionConfig(input);
	assert.ok(parsed.ok, JSON.stringify(parsed));
	return parsed.config.concurrency;
}

describe("default concurrency per instance", () => {
	it("is 8 for node, with the other defaults unchanged", () => {
		assert.deepEqual(concurrencyOf({ runtime: "node" }), {
			min: 0,
			max: 4,
			perInstance: 8,
			queue: 100,
		});
	});
	it("is 1 for the runtimes that serve one invocation at a time", () => {
		assert.equal(
			concurrencyOf({ runtime: "process", fprocess: "cat" }).perInstance,
			1,
		);
		assert.equal(concurrencyOf({ runtime: "python3" }).perInstance, 1);
	});
	it("keeps Lambda-strict perInstance 1 for node when asked", () => {
		assert.equal(
			concurrencyOf({ runtime: "node", concurrency: { perInstance: 1 } })
				.perInstance,
			1,
		);
	});
	it("gives reserved concurrency one invocation per instance", () => {
		assert.equal(
			concurrencyOf({ runtime: "node", reservedConcurrency: 3 }).perInstance,
			1,
		);
	});
});
