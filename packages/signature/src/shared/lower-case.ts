/**
 * `name.toLowerCase()`, without the call when there is nothing to change. Header names on the
 * wire are nearly always lower-case already (HTTP/2 requires it; Node's clients and the AWS
 * SDKs send them so), and `toLowerCase` is a runtime call per name on a path that lowers every
 * raw header; a short scan is cheaper. Any A–Z or non-ASCII character takes the real
 * `toLowerCase`, so the result is always identical.
 */
export function lowerCase(name: string): string {
	for (let i = 0; i < name.length; i++) {
		const c = name.charCodeAt(i);
		if (c >= 0x80 || (c >= 0x41 && c <= 0x5a)) return name.toLowerCase();
	}
	return name;
}
