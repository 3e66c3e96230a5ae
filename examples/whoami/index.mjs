// Shows the caller the gateway verified: functions never re-check signatures themselves.
// Called through its URL (a function-URL event) it answers with the verified caller; called
// through the Lambda Invoke API (`aws lambda invoke`), the event is the caller's own payload, so
// it answers with that and the invocation's facts.
export const handler = async (event, context) => {
	const http = event?.requestContext?.http;
	if (!http)
		return {
			invokedAs: context.invokedFunctionArn,
			requestId: context.awsRequestId,
			payload: event ?? null,
		};
	return {
		caller: event.requestContext.authorizer?.iam ?? null,
		method: http.method,
		path: event.rawPath,
	};
};
