/**
 * Date formats the signing schemes share. Request dates: `X-Amz-Date` in ISO 8601 basic format (`20150830T123600Z`), or an HTTP `Date`
 * header in RFC 1123 form (`Sun, 30 Aug 2015 12:36:00 GMT`), which SigV4 converts to the basic
 * format for the string to sign. Parsed by hand: `Date.parse` accepts far more than either.
 */

function digits(s: string, from: number, count: number): number {
	let n = 0;
	for (let i = from; i < from + count; i++) {
		const c = s.charCodeAt(i) - 0x30;
		if (c < 0 || c > 9) return -1;
		n = n * 10 + c;
	}
	return n;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysInMonth(year: number, month: number): number {
	const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
	return month === 2 && leap ? 29 : (DAYS_IN_MONTH[month - 1] as number);
}

function utc(
	year: number,
	month: number,
	day: number,
	hour: number,
	minute: number,
	second: number,
): number | undefined {
	if (
		year < 0 ||
		month < 1 ||
		month > 12 ||
		day < 1 ||
		hour < 0 ||
		hour > 23 ||
		minute < 0 ||
		minute > 59
	)
		return undefined;
	if (second < 0 || second > 59) return undefined;
	// Rejects 31 April and 29 February of common years: Date.UTC would roll them over.
	if (day > daysInMonth(year, month)) return undefined;
	const ms = Date.UTC(year, month - 1, day, hour, minute, second);
	return ms;
}

/** Milliseconds since the epoch of an ISO 8601 basic timestamp, `undefined` if malformed. */
export function parseAmzDate(value: string): number | undefined {
	if (value.length !== 16 || value[8] !== "T" || value[15] !== "Z")
		return undefined;
	return utc(
		digits(value, 0, 4),
		digits(value, 4, 2),
		digits(value, 6, 2),
		digits(value, 9, 2),
		digits(value, 11, 2),
		digits(value, 13, 2),
	);
}

const MONTHS = [
	"Jan",
	"Feb",
	"Mar",
	"Apr",
	"May",
	"Jun",
	"Jul",
	"Aug",
	"Sep",
	"Oct",
	"Nov",
	"Dec",
];
const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

/** Milliseconds since the epoch of an RFC 1123 date (`Sun, 30 Aug 2015 12:36:00 GMT`), `undefined` if malformed. */
export function parseHttpDate(value: string): number | undefined {
	// "Www, DD Mmm YYYY HH:MM:SS GMT" is exactly 29 characters.
	if (
		value.length !== 29 ||
		value.slice(3, 5) !== ", " ||
		!value.endsWith(" GMT")
	)
		return undefined;
	if (
		value[7] !== " " ||
		value[11] !== " " ||
		value[16] !== " " ||
		value[19] !== ":" ||
		value[22] !== ":"
	)
		return undefined;
	const month = MONTHS.indexOf(value.slice(8, 11)) + 1;
	const ms = utc(
		digits(value, 12, 4),
		month,
		digits(value, 5, 2),
		digits(value, 17, 2),
		digits(value, 20, 2),
		digits(value, 23, 2),
	);
	if (ms === undefined || DAYS[new Date(ms).getUTCDay()] !== value.slice(0, 3))
		return undefined;
	return ms;
}

function pad(n: number, width: number): string {
	return String(n).padStart(width, "0");
}

/** ISO 8601 basic format (`20150830T123600Z`) of an epoch time in milliseconds (seconds truncated). */
export function formatAmzDate(ms: number): string {
	const d = new Date(ms);
	return `${pad(d.getUTCFullYear(), 4)}${pad(d.getUTCMonth() + 1, 2)}${pad(d.getUTCDate(), 2)}T${pad(
		d.getUTCHours(),
		2,
	)}${pad(d.getUTCMinutes(), 2)}${pad(d.getUTCSeconds(), 2)}Z`;
}
