"""Define every error the HTTP API can answer with: one root, stable codes, one catalog."""


class ApiError(Exception):
    """Root of every HTTP API error: an HTTP status, a stable snake_case code and a message."""

    status: int = 500
    code: str = "internal_error"
    default_message: str = "The gateway failed unexpectedly."
    retry_after_s: int | None = None

    def __init__(self, message: str | None = None) -> None:
        self.message = message or self.default_message
        super().__init__(self.message)

    def headers(self) -> dict[str, str]:
        """Return the extra response headers this error carries."""
        if self.retry_after_s is None:
            return {}
        return {"Retry-After": str(self.retry_after_s)}

    def details(self) -> dict[str, object]:
        """Return the fields this error adds to its envelope beside code and message (most add none)."""
        return {}

    def described(self) -> dict[str, object]:
        """Return what goes under "error" in the envelope: code, message and the details."""
        return {"code": self.code, "message": self.message, **self.details()}


class MissingToken(ApiError):
    """The request names no token."""

    status, code = 400, "missing_token"
    default_message = "Send the device token as ?token=... or as 'Authorization: Bearer <token>'."


class InvalidToken(ApiError):
    """The token is not well-formed."""

    status, code = 400, "invalid_token"
    default_message = "A token is 12 to 64 characters from A-Z, a-z, 0-9, '_' and '-'."


class ConflictingTokens(ApiError):
    """The query string and the Authorization header name different tokens."""

    status, code = 400, "conflicting_tokens"
    default_message = "The token in the query string and the one in the Authorization header differ."


class TooManyTokens(ApiError):
    """The request names more tokens than the gateway sends one webhook to."""

    status, code = 400, "too_many_tokens"
    default_message = "The webhook names more tokens than this gateway allows in one request."


class MissingMode(ApiError):
    """The request names no mode."""

    status, code = 400, "missing_mode"
    default_message = "Send the mode as ?mode=..., for example ?mode=notify."


class UnknownMode(ApiError):
    """The mode is not one the gateway forwards."""

    status, code = 400, "unknown_mode"
    default_message = "The gateway does not forward this mode."


class ModeNotEnabled(ApiError):
    """The mode is dangerous and the operator has not enabled it."""

    status, code = 403, "mode_not_enabled"
    default_message = "This mode is disabled on this gateway; the operator can enable it with EXTRA_MODES."


class InvalidAppName(ApiError):
    """A custom/<app> mode carries no or a malformed app name."""

    status, code = 400, "invalid_app_name"
    default_message = "Use mode=custom/<app> where <app> is 1 to 32 characters from A-Z, a-z, 0-9, '_' and '-'."


class InvalidEncoding(ApiError):
    """The body is not UTF-8."""

    status, code = 400, "invalid_encoding"
    default_message = "The body must be UTF-8."


class InvalidJson(ApiError):
    """The body is not valid JSON."""

    status, code = 400, "invalid_json"
    default_message = "The body is not valid JSON."


class BodyNotObject(ApiError):
    """The mode needs a JSON object (or an array of them) and got something else."""

    status, code = 400, "body_not_object"
    default_message = "This mode needs a JSON object."


class BodyNotString(ApiError):
    """The mode needs a JSON string and got something else."""

    status, code = 400, "body_not_string"
    default_message = "This mode needs a JSON string."


class BodyRequired(ApiError):
    """The mode needs a body and the request has none."""

    status, code = 400, "body_required"
    default_message = "This mode needs a JSON body."


class BodyTooLarge(ApiError):
    """The body, or the MQTT message made from it, is too large."""

    status, code = 413, "body_too_large"
    default_message = "The body is larger than this gateway accepts."


class ExceedsFirmwareLimit(ApiError):
    """The clock the mode addresses cannot hold the body: its JSON document, nesting or text limit."""

    status, code = 413, "exceeds_firmware_limit"
    default_message = "The clock's firmware cannot hold this body."


class DeviceRejected(ApiError):
    """The clock refused the command (its own answer), or would by its firmware's published rules."""

    status, code = 422, "device_rejected"
    default_message = "The clock refused the command."

    def __init__(self, device: dict[str, object], message: str | None = None) -> None:
        super().__init__(message)
        self.device = device

    def details(self) -> dict[str, object]:
        """Return the clock's own error object: its code, message and field."""
        return {"device": self.device}


class Untranslatable(ApiError):
    """The clock listens in another firmware's dialect, and this body or mode has no faithful translation into it."""

    status, code = 422, "untranslatable"
    default_message = "This body cannot be translated for the clock's firmware."

    def __init__(self, message: str, firmware: str, key: str) -> None:
        super().__init__(message)
        self.firmware, self.key = firmware, key

    def details(self) -> dict[str, object]:
        """Return the firmware translated for and the key (or mode) without an equivalent there."""
        return {"firmware": self.firmware, "key": self.key}


class UnsupportedMediaType(ApiError):
    """The body is not declared as JSON."""

    status, code = 415, "unsupported_media_type"
    default_message = "Send the body with 'Content-Type: application/json'."


class InvalidField(ApiError):
    """A query or form field (text, color, duration, ...) has a value its key cannot take."""

    status, code = 400, "invalid_field"
    default_message = "A field has a value this mode cannot take."


class FieldsNotSupported(ApiError):
    """Fields, plain text or a template were sent to a mode whose body is not a notification."""

    status, code = 400, "fields_not_supported"
    default_message = "Fields and templates work with notification modes (notify, custom/<app>); send this mode its JSON."


class UnknownTemplate(ApiError):
    """The template parameter names no preset."""

    status, code = 400, "unknown_template"
    default_message = "No such template."


class TemplateError(ApiError):
    """A template does not compile, fails while rendering, or reaches for something the sandbox forbids."""

    status, code = 400, "template_error"
    default_message = "The template failed."


class TemplateTooExpensive(ApiError):
    """A template needed more steps, time, nesting or memory than a template may use."""

    status, code = 400, "template_too_expensive"
    default_message = "The template needs more work than this gateway allows a template."


class BadRequest(ApiError):
    """The HTTP request itself is malformed."""

    status, code = 400, "bad_request"
    default_message = "The HTTP request is malformed."


class NotFound(ApiError):
    """No endpoint has this path."""

    status, code = 404, "not_found"
    default_message = "No endpoint here; webhooks go to POST /cloud."


class MethodNotAllowed(ApiError):
    """The endpoint exists but not for this HTTP method."""

    status, code = 405, "method_not_allowed"
    default_message = "This endpoint does not accept this HTTP method."


class RateLimited(ApiError):
    """The token or the client address has sent more webhooks than this gateway allows."""

    status, code, retry_after_s = 429, "rate_limited", 1
    default_message = "Too many requests; retry after the number of seconds in the Retry-After header."

    def __init__(self, message: str | None = None, retry_after_s: int = 1, kind: str | None = None) -> None:
        super().__init__(message)
        self.retry_after_s = max(1, retry_after_s)
        self.kind = kind  # which limit: "token" or "address" (gateway/ratelimit/limiter.py), for the metrics


class TooManyConnections(ApiError):
    """The client's address holds as many connections to this worker as it may (MAX_CONNECTIONS_PER_ADDRESS)."""

    status, code, retry_after_s = 429, "too_many_connections", 1
    default_message = "Too many open connections from this address; close some or retry after Retry-After seconds."


class HttpError(ApiError):
    """Any other HTTP-level error, with the status the HTTP layer chose."""

    code = "http_error"
    default_message = "The HTTP request could not be handled."

    def __init__(self, status: int, message: str | None = None) -> None:
        super().__init__(message)
        self.status = status


class BrokerUnavailable(ApiError):
    """The gateway is not connected to the MQTT broker right now."""

    status, code, retry_after_s = 503, "broker_unavailable", 1
    default_message = "The gateway is not connected to its MQTT broker; retry shortly."


class BrokerTimeout(ApiError):
    """The broker did not acknowledge the message in time."""

    status, code, retry_after_s = 503, "broker_timeout", 1
    default_message = "The MQTT broker did not confirm the message in time; it may still be delivered."


class BrokerRejected(ApiError):
    """The broker refused the message (an MQTT 5 PUBACK failure other than 'no subscribers')."""

    status, code = 502, "broker_rejected"
    default_message = "The MQTT broker refused the message."


class InternalError(ApiError):
    """Something failed inside the gateway; the details stay in the log."""

    status, code = 500, "internal_error"


ERRORS: tuple[type[ApiError], ...] = (
    MissingToken,
    InvalidToken,
    ConflictingTokens,
    TooManyTokens,
    MissingMode,
    UnknownMode,
    ModeNotEnabled,
    InvalidAppName,
    InvalidEncoding,
    InvalidJson,
    BodyNotObject,
    BodyNotString,
    BodyRequired,
    BodyTooLarge,
    ExceedsFirmwareLimit,
    DeviceRejected,
    Untranslatable,
    UnsupportedMediaType,
    InvalidField,
    FieldsNotSupported,
    UnknownTemplate,
    TemplateError,
    TemplateTooExpensive,
    BadRequest,
    NotFound,
    MethodNotAllowed,
    RateLimited,
    TooManyConnections,
    HttpError,
    BrokerUnavailable,
    BrokerTimeout,
    BrokerRejected,
    InternalError,
)

ERROR_CODES: tuple[str, ...] = tuple(error.code for error in ERRORS)
