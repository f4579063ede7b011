//! 429 Too Many Requests, handled the way Entra is reported to handle it: wait what `Retry-After`
//! asks (seconds or an HTTP-date) and send again. The waits are bounded so a run never stalls, and
//! every retry is kept as a note for the report, and every answer that was retried is kept for
//! the trace. Nothing else is retried: a 5xx is judged as it came.

use std::time::Duration;

use time::OffsetDateTime;
use time::macros::format_description;

use super::http::{HttpClient, TransportError, WireRequest, WireResponse};
use super::result::{Attempt, ResponseRecord};
use super::scrub;
use crate::secret::SecretString;

/// At most this many retries of one request.
pub const MAX_RETRIES: usize = 3;
/// A longer `Retry-After` is reported, not waited for.
pub const MAX_WAIT: Duration = Duration::from_secs(30);
/// The wait when a 429 carries no `Retry-After`.
const DEFAULT_WAIT: Duration = Duration::from_secs(1);

/// The final response and one note per 429 that came before it (empty when there was none).
pub struct Sent {
    pub response: WireResponse,
    pub rate_limited: Vec<String>,
}

/// An answer the request was sent again after.
pub struct Retried {
    pub response: WireResponse,
    /// How long the harness waited before sending again.
    pub waited: Duration,
}

impl Retried {
    /// The report's record of it, the token scrubbed like any answer's.
    pub fn into_attempt(self, token: Option<&SecretString>) -> Attempt {
        let response = scrub::response(self.response, token);
        Attempt {
            response: ResponseRecord {
                status: response.status,
                body: String::from_utf8_lossy(&response.body).into_owned(),
                headers: response.headers,
                elapsed: response.elapsed,
            },
            waited: self.waited,
        }
    }
}

pub async fn send(client: &HttpClient, request: &WireRequest) -> Result<Sent, TransportError> {
    send_recording(client, request, &mut Vec::new()).await
}

/// [`send`], keeping each answer that was retried in `retried`: they were sent, so a trace shows
/// them, also when a later try gets no answer at all.
pub async fn send_recording(
    client: &HttpClient,
    request: &WireRequest,
    retried: &mut Vec<Retried>,
) -> Result<Sent, TransportError> {
    let mut notes = Vec::new();
    loop {
        let response = client.send(request).await?;
        if response.status != 429 {
            return Ok(Sent {
                response,
                rate_limited: notes,
            });
        }
        let header = response.header("retry-after").map(str::to_string);
        let asked = match &header {
            Some(value) => format!("Retry-After: {value}"),
            None => "no Retry-After".to_string(),
        };
        let wait = match &header {
            Some(value) => retry_after(value, OffsetDateTime::now_utc()),
            None => Some(DEFAULT_WAIT),
        };
        let give_up = match wait {
            _ if notes.len() == MAX_RETRIES => Some(format!("gave up after {MAX_RETRIES} retries")),
            None => Some("the Retry-After value is unreadable, so not retried".to_string()),
            Some(wait) if wait > MAX_WAIT => Some(format!(
                "{} s is beyond the {} s the harness waits, so not retried",
                wait.as_secs(),
                MAX_WAIT.as_secs()
            )),
            Some(_) => None,
        };
        if let Some(reason) = give_up {
            notes.push(format!("429 Too Many Requests ({asked}): {reason}"));
            return Ok(Sent {
                response,
                rate_limited: notes,
            });
        }
        let wait = wait.unwrap_or(DEFAULT_WAIT);
        notes.push(format!(
            "429 Too Many Requests ({asked}): retried after {} s (retry {} of at most {MAX_RETRIES})",
            wait.as_secs_f64(),
            notes.len() + 1
        ));
        retried.push(Retried {
            response,
            waited: wait,
        });
        tokio::time::sleep(wait).await;
    }
}

/// `Retry-After` as delay-seconds or an HTTP-date (RFC 9110 §10.2.3); a date in the past is no
/// wait at all. `None`: neither form.
pub fn retry_after(value: &str, now: OffsetDateTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let format = format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    let date = time::PrimitiveDateTime::parse(value, &format)
        .ok()?
        .assume_utc();
    let ahead = date - now;
    Some(Duration::try_from(ahead).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn retry_after_reads_seconds_and_http_dates() {
        let now = datetime!(2024-06-01 12:00:00 UTC);
        assert_eq!(retry_after("2", now), Some(Duration::from_secs(2)));
        assert_eq!(retry_after(" 120 ", now), Some(Duration::from_secs(120)));
        assert_eq!(
            retry_after("Sat, 01 Jun 2024 12:00:05 GMT", now),
            Some(Duration::from_secs(5))
        );
        assert_eq!(
            retry_after("Sat, 01 Jun 2024 11:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(retry_after("soon", now), None);
        assert_eq!(retry_after("-1", now), None);
    }
}
