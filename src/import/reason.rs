//! Entra's failure reason for SCIM errors: `StatusCode: <Name> Message: Processing of the HTTP
//! request resulted in an exception… Web Response: <the server's body>. This operation was retried
//! N times. It will be retried again after this date: <date> UTC`.

/// What a reason string tells about the server's answer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reason {
    /// `BadRequest`, `Conflict`, … (or the number when Entra wrote one).
    pub status_name: Option<String>,
    pub status_code: Option<u16>,
    /// The response body as Entra quoted it.
    pub web_response: Option<String>,
    pub retries: Option<u32>,
    pub next_retry: Option<String>,
}

const STATUS_MARK: &str = "StatusCode:";
const RESPONSE_MARK: &str = "Web Response:";
const RETRY_MARK: &str = "This operation was retried";
const NEXT_MARK: &str = "retried again after this date:";

pub fn parse(text: &str) -> Reason {
    let status_name = text.find(STATUS_MARK).and_then(|at| {
        let name: String = text[at + STATUS_MARK.len()..]
            .trim_start()
            .chars()
            .take_while(char::is_ascii_alphanumeric)
            .collect();
        (!name.is_empty()).then_some(name)
    });
    let status_code = status_name.as_deref().and_then(code_of);
    let retry_at = text.rfind(RETRY_MARK);
    let web_response = text.find(RESPONSE_MARK).and_then(|at| {
        let start = at + RESPONSE_MARK.len();
        let end = retry_at.filter(|&r| r >= start).unwrap_or(text.len());
        let body = text[start..end].trim();
        // The sentence after the body starts with ". This operation…"; the full stop is Entra's.
        let body = if retry_at.is_some() {
            body.strip_suffix('.').unwrap_or(body).trim_end()
        } else {
            body
        };
        (!body.is_empty()).then(|| body.to_string())
    });
    let retries = retry_at.and_then(|at| {
        text[at + RETRY_MARK.len()..]
            .split_whitespace()
            .next()
            .and_then(|n| n.parse().ok())
    });
    let next_retry = text.find(NEXT_MARK).map(|at| {
        text[at + NEXT_MARK.len()..]
            .trim()
            .trim_end_matches('.')
            .to_string()
    });
    Reason {
        status_name,
        status_code,
        web_response,
        retries,
        next_retry,
    }
}

/// The HTTP status for the .NET `HttpStatusCode` names Entra writes.
fn code_of(name: &str) -> Option<u16> {
    if let Ok(code) = name.parse::<u16>() {
        return Some(code);
    }
    let code = match name.to_ascii_lowercase().as_str() {
        "badrequest" => 400,
        "unauthorized" => 401,
        "forbidden" => 403,
        "notfound" => 404,
        "methodnotallowed" => 405,
        "notacceptable" => 406,
        "requesttimeout" => 408,
        "conflict" => 409,
        "preconditionfailed" => 412,
        "requestentitytoolarge" => 413,
        "unsupportedmediatype" => 415,
        "unprocessableentity" => 422,
        "toomanyrequests" => 429,
        "internalservererror" => 500,
        "notimplemented" => 501,
        "badgateway" => 502,
        "serviceunavailable" => 503,
        "gatewaytimeout" => 504,
        _ => return None,
    };
    Some(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_shape() {
        let reason = parse(
            "StatusCode: BadRequest Message: Processing of the HTTP request resulted in an exception. \
             Please see the HTTP response returned by the 'Response' property of this exception for details. \
             Web Response: {\"schemas\":[\"urn:ietf:params:scim:api:messages:2.0:Error\"],\"detail\":\"active must be a boolean.\",\"status\":\"400\"}. \
             This operation was retried 3 times. It will be retried again after this date: 2024-05-02T04:12:09.1234567Z UTC",
        );
        assert_eq!(reason.status_name.as_deref(), Some("BadRequest"));
        assert_eq!(reason.status_code, Some(400));
        assert_eq!(
            reason.web_response.as_deref(),
            Some(
                "{\"schemas\":[\"urn:ietf:params:scim:api:messages:2.0:Error\"],\"detail\":\"active must be a boolean.\",\"status\":\"400\"}"
            )
        );
        assert_eq!(reason.retries, Some(3));
        assert_eq!(
            reason.next_retry.as_deref(),
            Some("2024-05-02T04:12:09.1234567Z UTC")
        );
    }

    #[test]
    fn partial_and_foreign_reasons() {
        let conflict = parse("StatusCode: Conflict Web Response: User already exists");
        assert_eq!(conflict.status_code, Some(409));
        assert_eq!(
            conflict.web_response.as_deref(),
            Some("User already exists")
        );
        assert_eq!(conflict.retries, None);
        assert_eq!(parse("The user is not assigned."), Reason::default());
        assert_eq!(parse("StatusCode: 418").status_code, Some(418));
    }
}
