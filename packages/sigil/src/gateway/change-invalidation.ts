/**
 * What a gateway drops when the change feed says something changed — on any gateway, this one's
 * own writes included (those were invalidated already; doing it twice costs a re-read). A change
 * names the object, never its content: each cache re-reads the store on its next use. A reconcile
 * (the feed reconnected and may have missed changes) drops everything.
 */
import type { FunctionRegistry } from "../functions/registry.ts";
import type { Authorizer } from "../iam/authorizer.ts";
import type { Change, ChangeFeed } from "../ports/change-feed.ts";
import type { CredentialCache } from "./credentials.ts";
import type { TriggerSecretCache } from "./trigger-secrets.ts";

export interface Invalidated {
	readonly functions: FunctionRegistry;
	readonly credentials: CredentialCache;
	readonly triggerSecrets: TriggerSecretCache;
	readonly authorizer: Authorizer;
	readonly log: (entry: Record<string, unknown>) => void;
}

/** Applies one change to the caches; resolves when a changed function's stored revision is live. */
export async function applyChange(c: Change, to: Invalidated): Promise<void> {
	switch (c.kind) {
		case "function":
			to.authorizer.invalidateFunction(c.accountId, c.name);
			await to.functions.changed(c.name);
			return;
		case "access-key":
			to.credentials.invalidate(c.name);
			return;
		case "user":
			// A deleted user's keys go with it: every cached key answer is dropped.
			to.credentials.invalidate();
			to.credentials.invalidatePrincipal(c.accountId, "user", c.name);
			to.authorizer.invalidatePrincipal(c.accountId, "user", c.name);
			return;
		case "role":
			to.credentials.invalidatePrincipal(c.accountId, "role", c.name);
			to.authorizer.invalidatePrincipal(c.accountId, "role", c.name);
			return;
		case "policy": {
			const [kind, ...rest] = c.name.split("/");
			const name = rest.join("/");
			if (kind === "user" || kind === "role")
				to.authorizer.invalidatePrincipal(c.accountId, kind, name);
			// A group's policies reach every member: drop all.
			else to.authorizer.invalidateAll();
			return;
		}
		case "group":
		case "managed-policy":
			to.authorizer.invalidateAll();
			return;
		case "secret":
			to.triggerSecrets.invalidate(c.accountId, c.name);
			await to.functions.secretChanged(c.accountId, c.name);
			return;
		case "account":
			to.credentials.invalidate();
			to.triggerSecrets.invalidate();
			to.authorizer.invalidateAll();
			return;
	}
}

/** Drops everything cached: the feed may have missed changes. */
export async function reconcileAll(to: Invalidated): Promise<void> {
	to.credentials.invalidate();
	to.triggerSecrets.invalidate();
	to.authorizer.invalidateAll();
	await to.functions.reconcile();
}

/**
 * Subscribes the caches to `feed`; returns the unsubscribe function. Changes are applied in the
 * order they arrive per object kind and name, never blocking the feed's delivery.
 */
export function subscribeCaches(feed: ChangeFeed, to: Invalidated): () => void {
	const fail = (what: string) => (err: unknown) =>
		to.log({
			at: "change-feed",
			event: what,
			error: (err as Error).message,
		});
	const offChange = feed.subscribe((change) => {
		applyChange(change, to).catch(fail("apply-failed"));
	});
	const offReconcile = feed.onReconcile((reason) => {
		to.log({ at: "change-feed", event: "reconcile", reason });
		reconcileAll(to).catch(fail("reconcile-failed"));
	});
	return () => {
		offChange();
		offReconcile();
	};
}
