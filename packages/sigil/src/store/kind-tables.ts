/**
 * The adapters name SQL tables by the kind of thing a call is about (a user's tags, a role's
 * boundary …), from fixed maps only, never from input. One lookup for all of them: only the
 * map's own keys count, so a kind such as `toString` or `__proto__` is refused with
 * STORE_INVALID instead of reaching the SQL as an undefined table name.
 */
import { StoreError } from "./errors.ts";
import type { PrincipalKind } from "./types.ts";

/** `tables[key]` when it is the map's own entry; STORE_INVALID with `refused` otherwise. */
export function ownEntry<M extends object, K extends keyof M & string>(
	tables: M,
	key: K,
	refused: string,
): M[K] {
	const t = Object.hasOwn(tables, key) ? tables[key] : undefined;
	if (t === undefined) throw new StoreError("STORE_INVALID", refused);
	return t;
}

/** The entry of a principal kind (`user` or `role`). */
export function principalEntry<
	M extends Readonly<Record<PrincipalKind, object>>,
>(tables: M, kind: PrincipalKind): M[PrincipalKind] {
	return ownEntry(tables, kind, `principal kind must be "user" or "role"`);
}
