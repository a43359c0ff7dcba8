# Problems (RFC 9457): the title of each status, and the details every
# layer shares. The details of each area are in problems-*.ftl.

problem-title-400 = Bad Request
problem-title-401 = Unauthorized
problem-title-403 = Forbidden
problem-title-404 = Not Found
problem-title-405 = Method Not Allowed
problem-title-408 = Request Timeout
problem-title-409 = Conflict
problem-title-413 = Payload Too Large
problem-title-415 = Unsupported Media Type
problem-title-422 = Unprocessable Entity
problem-title-423 = Locked
problem-title-429 = Too Many Requests
problem-title-500 = Internal Server Error
problem-title-503 = Service Unavailable

problem-route_not_found-any = No route matches this path.
problem-method_not_allowed = This path does not accept that method.
problem-payload_too_large-any = The body is too large.
problem-unsupported_media_type-any = Unsupported content type.
problem-internal_error = An unexpected error occurred. It has been logged.
problem-bad_request-any = The request could not be processed.
