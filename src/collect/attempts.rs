//! What the SDK does not check or keep about each attempt of a call.
//!
//! - [`CompleteXml`]: the SDK's XML decoder takes a body that ends early as a complete
//!   document, so an EC2 list cut after two items reads as a list of two. This interceptor
//!   rejects, after deserialization, any XML answer whose document is not complete, and
//!   [`IncompleteIsTransient`] has the SDK retry it like any other garbled response.
//! - [`AttemptLog`]: when the operation timeout ends a call in the middle of its retries,
//!   the SDK reports only the timeout. The log keeps, per call, how many attempts were made
//!   and why the last one failed, so that the recorded error names the real cause
//!   (throttling, say) and not just the clock.

use std::cell::RefCell;
use std::future::Future;

use aws_sdk_ec2::config::interceptors::{
    AfterDeserializationInterceptorContextRef, FinalizerInterceptorContextRef, InterceptorContext,
};
use aws_sdk_ec2::config::retry::{ClassifyRetry, RetryAction};
use aws_sdk_ec2::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_ec2::error::{BoxError, DisplayErrorContext};
use quick_xml::events::Event;

/// Why an answer was refused although HTTP delivered it whole.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BadAnswer {
    /// The XML document ends before its root element is closed.
    #[error("the answer ends before its XML document does ({0})")]
    Truncated(String),
    /// The body is not an XML document at all.
    #[error("the answer is not an XML document ({0})")]
    NotXml(String),
}

impl BadAnswer {
    /// The code recorded for a call that ended with this answer.
    pub fn code(&self) -> &'static str {
        match self {
            BadAnswer::Truncated(_) => "TruncatedResponse",
            BadAnswer::NotXml(_) => "UnparseableResponse",
        }
    }
}

/// Checks that `body` is one complete XML document.
pub fn check_xml(body: &[u8]) -> Result<(), BadAnswer> {
    if closes_root_at_end(body) {
        return Ok(());
    }
    check_xml_events(body)
}

/// The quick proof of completeness that nearly every answer gives: the root element's end
/// tag occurs once, at the very end (trailing whitespace aside). A document cut anywhere
/// lacks it there. Reading every event of every answer again, as the full check does, cost
/// about 7% of a run's CPU; anything this cannot prove goes through the full check.
fn closes_root_at_end(body: &[u8]) -> bool {
    // Skip the declaration and comments before the root: `<?...?>` and `<!...>`.
    let mut rest = body;
    loop {
        let start = rest.iter().position(|b| !b.is_ascii_whitespace());
        let Some(start) = start else { return false };
        rest = &rest[start..];
        match rest {
            [b'<', b'?' | b'!', ..] => match memchr::memchr(b'>', rest) {
                Some(end) => rest = &rest[end + 1..],
                None => return false,
            },
            [b'<', ..] => break,
            _ => return false,
        }
    }
    let name_len = rest[1..]
        .iter()
        .position(|b| b.is_ascii_whitespace() || matches!(b, b'>' | b'/'))
        .unwrap_or(0);
    if name_len == 0 {
        return false;
    }
    let open_tag = &rest[..=name_len];
    let mut end_tag = Vec::with_capacity(name_len + 3);
    end_tag.extend_from_slice(b"</");
    end_tag.extend_from_slice(&open_tag[1..]);
    end_tag.push(b'>');
    let trimmed = body.trim_ascii_end();
    // An element nested in the root under the root's own name could close a cut document
    // early: then the full check decides.
    trimmed.ends_with(&end_tag)
        && memchr::memmem::find(body, &end_tag) == Some(trimmed.len() - end_tag.len())
        && memchr::memmem::find_iter(body, open_tag).count() == 1
}

/// The full check: every event of the document, for where the quick one proves nothing.
fn check_xml_events(body: &[u8]) -> Result<(), BadAnswer> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(BadAnswer::Truncated("the body is empty".to_string()));
    }
    let mut reader = quick_xml::Reader::from_reader(body);
    let mut buf = Vec::new();
    let mut depth: usize = 0;
    let mut root_closed = false;
    loop {
        let position = reader.buffer_position();
        match reader.read_event_into(&mut buf) {
            Ok(Event::Start(_)) if root_closed => {
                return Err(BadAnswer::NotXml("a second root element".to_string()));
            }
            Ok(Event::Start(_)) => depth += 1,
            Ok(Event::Empty(_)) if depth == 0 => root_closed = true,
            Ok(Event::End(_)) => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    root_closed = true;
                }
            }
            Ok(Event::Text(t)) if depth == 0 && !t.iter().all(u8::is_ascii_whitespace) => {
                return Err(BadAnswer::NotXml(format!(
                    "text outside any element at byte {position}"
                )));
            }
            Ok(Event::Eof) => break,
            Ok(_) => {}
            Err(e) => {
                // An error at the very end of the body is a cut; anywhere else, not XML.
                return Err(if reader.buffer_position() >= body.len() as u64 {
                    BadAnswer::Truncated(format!("cut at byte {}: {e}", body.len()))
                } else {
                    BadAnswer::NotXml(format!("at byte {position}: {e}"))
                });
            }
        }
        buf.clear();
    }
    if depth > 0 {
        Err(BadAnswer::Truncated(format!(
            "{depth} element{} still open at byte {}",
            if depth == 1 { "" } else { "s" },
            body.len()
        )))
    } else if !root_closed {
        Err(BadAnswer::NotXml("no root element".to_string()))
    } else {
        Ok(())
    }
}

/// Rejects XML answers (EC2, S3, STS) whose document is not complete.
#[derive(Debug)]
pub struct CompleteXml;

impl Intercept for CompleteXml {
    fn name(&self) -> &'static str {
        "CompleteXml"
    }

    fn read_after_deserialization(
        &self,
        context: &AfterDeserializationInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        // The orchestrator has read a non-streaming body into memory by now.
        match context.response().body().bytes() {
            Some(body) => check_xml(body).map_err(Into::into),
            None => Ok(()),
        }
    }
}

/// The first [`BadAnswer`] in an error's source chain.
pub fn bad_answer<'e>(error: &'e (dyn std::error::Error + 'static)) -> Option<&'e BadAnswer> {
    let mut current = Some(error);
    while let Some(e) = current {
        if let Some(bad) = e.downcast_ref::<BadAnswer>() {
            return Some(bad);
        }
        current = e.source();
    }
    None
}

/// A cut or garbled answer is transient: ask again, as the SDK does for a response it
/// cannot parse.
#[derive(Debug)]
pub struct IncompleteIsTransient;

impl ClassifyRetry for IncompleteIsTransient {
    fn classify_retry(&self, ctx: &InterceptorContext) -> RetryAction {
        match ctx.output_or_error() {
            Some(Err(e)) if e.is_interceptor_error() && bad_answer(e).is_some() => {
                RetryAction::transient_error()
            }
            _ => RetryAction::NoActionIndicated,
        }
    }

    fn name(&self) -> &'static str {
        "IncompleteIsTransient"
    }
}

/// The attempts of one call.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Attempts {
    pub count: u32,
    /// The code (or transport failure) and message of the last failed attempt, if the
    /// last attempt failed.
    pub last_failure: Option<(String, String)>,
}

tokio::task_local! {
    static ATTEMPTS: RefCell<Attempts>;
}

/// Runs one call (or one page of a list) and returns what its attempts were.
pub async fn observed<F: Future>(call: F) -> (F::Output, Attempts) {
    ATTEMPTS
        .scope(RefCell::new(Attempts::default()), async {
            let output = call.await;
            let attempts = ATTEMPTS.with(|a| a.borrow().clone());
            (output, attempts)
        })
        .await
}

/// Records each attempt's outcome in the current call's [`Attempts`], if it is observed.
#[derive(Debug)]
pub struct AttemptLog;

impl Intercept for AttemptLog {
    fn name(&self) -> &'static str {
        "AttemptLog"
    }

    fn read_after_attempt(
        &self,
        context: &FinalizerInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let failure = match context.output_or_error() {
            Some(Err(e)) => Some(match context.response() {
                Some(response) => {
                    let body = response.body().bytes().unwrap_or_default();
                    let status = response.status().as_u16();
                    match bad_answer(e) {
                        Some(bad) => (bad.code().to_string(), bad.to_string()),
                        None => (
                            error_code(body).unwrap_or_else(|| format!("HTTP{status}")),
                            format!("HTTP {status}"),
                        ),
                    }
                }
                None => (
                    "DispatchFailure".to_string(),
                    DisplayErrorContext(e).to_string(),
                ),
            }),
            _ => None,
        };
        // Outside `observed` (an unobserved call) there is nothing to record into.
        let _ = ATTEMPTS.try_with(|a| {
            let mut a = a.borrow_mut();
            a.count += 1;
            a.last_failure = failure;
        });
        Ok(())
    }
}

/// The AWS error code in an error body: `<Code>X</Code>` (XML) or `"__type":"…#X"` (JSON).
fn error_code(body: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(body).ok()?;
    if let Some(start) = text.find("<Code>") {
        let rest = &text[start + "<Code>".len()..];
        return rest.find("</Code>").map(|end| rest[..end].to_string());
    }
    let json: serde_json::Value = serde_json::from_str(text).ok()?;
    let kind = json.get("__type")?.as_str()?;
    Some(kind.rsplit('#').next().unwrap_or(kind).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn complete_documents_pass_and_cut_ones_do_not() {
        let whole = b"<?xml version=\"1.0\"?>\n<R xmlns=\"x\"><a><b>1</b></a><c/></R>\n";
        assert_eq!(check_xml(whole), Ok(()));
        assert_eq!(check_xml(b"<LocationConstraint/>"), Ok(()));
        for cut in [20, 30, 40, whole.len() - 5] {
            assert!(
                matches!(check_xml(&whole[..cut]), Err(BadAnswer::Truncated(_))),
                "cut at {cut}: {:?}",
                check_xml(&whole[..cut])
            );
        }
        assert!(matches!(check_xml(b""), Err(BadAnswer::Truncated(_))));
        assert!(matches!(
            check_xml(b"Service Unavailable"),
            Err(BadAnswer::NotXml(_))
        ));
        assert!(matches!(
            check_xml(b"<a></a><b></b>"),
            Err(BadAnswer::NotXml(_))
        ));
    }

    #[test]
    fn the_quick_check_agrees_with_the_full_one_at_every_cut() {
        let documents: [&[u8]; 4] = [
            b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<DescribeVpcsResponse xmlns=\"x\"><requestId>r</requestId><vpcSet><item><vpcId>vpc-1</vpcId></item><item><vpcId>vpc-2</vpcId></item></vpcSet></DescribeVpcsResponse>\n",
            b"<R><R><a/></R></R>",
            b"<!-- c --><Root a=\"1\"><Rooted>x</Rooted></Root>",
            b"<LocationConstraint xmlns=\"x\">eu-west-1</LocationConstraint>",
        ];
        for whole in documents {
            assert_eq!(check_xml(whole), Ok(()));
            for cut in 0..whole.len() {
                let part = &whole[..cut];
                assert_eq!(
                    check_xml(part).is_ok(),
                    check_xml_events(part).is_ok(),
                    "cut at {cut}: {}",
                    String::from_utf8_lossy(part)
                );
                if closes_root_at_end(part) {
                    assert_eq!(check_xml_events(part), Ok(()), "cut at {cut}");
                }
            }
        }
    }

    #[test]
    fn error_codes_from_xml_and_json_bodies() {
        assert_eq!(
            error_code(b"<Response><Errors><Error><Code>RequestLimitExceeded</Code></Error></Errors></Response>"),
            Some("RequestLimitExceeded".to_string())
        );
        assert_eq!(
            error_code(
                br#"{"__type":"com.amazonaws#ThrottlingException","message":"Rate exceeded"}"#
            ),
            Some("ThrottlingException".to_string())
        );
        assert_eq!(error_code(b"<html>"), None);
    }
}
