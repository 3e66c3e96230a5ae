// Shows the caller the gateway verified: functions never re-check signatures themselves.
export const handler = async (event) => ({
	caller: event.requestContext.authorizer?.iam ?? null,
	method: event.requestContext.http.method,
	path: event.rawPath,
});
