//! Turning SDK errors into collection errors: the AWS error code and message, or the kind
//! of transport failure, never an SDK type.

use aws_sdk_ec2::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};

use super::attempts::{self, Attempts};
use crate::snapshot::CollectionError;

/// The code and message of a failed call. `attempts` is what its attempts were; when the
/// operation timeout ended the call, the last failed attempt's cause is the code.
pub fn describe<E, R>(err: &SdkError<E, R>, attempts: &Attempts) -> (String, String)
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug + 'static,
{
    if let Some(bad) = attempts::bad_answer(err) {
        return (bad.code().to_string(), bad.to_string());
    }
    match err {
        SdkError::ServiceError(service) => {
            let e = service.err();
            match e.code() {
                Some(code) => (
                    code.to_string(),
                    e.message()
                        .map(str::to_string)
                        .unwrap_or_else(|| DisplayErrorContext(e).to_string()),
                ),
                // An error status whose body names no code: not an answer AWS would give.
                None => (
                    "UnparseableResponse".to_string(),
                    format!(
                        "the error answer could not be parsed: {}",
                        DisplayErrorContext(e)
                    ),
                ),
            }
        }
        SdkError::TimeoutError(_) => {
            let waited = format!(
                "the call did not complete within the operation timeout ({} attempt{} made)",
                attempts.count,
                if attempts.count == 1 { "" } else { "s" }
            );
            match &attempts.last_failure {
                Some((code, message)) => (
                    code.clone(),
                    format!("{waited}; the last failed attempt: {code}: {message}"),
                ),
                None => ("TimeoutError".to_string(), waited),
            }
        }
        SdkError::DispatchFailure(_) => (
            "DispatchFailure".to_string(),
            DisplayErrorContext(err).to_string(),
        ),
        // The body arrived but could not be read as the operation's answer.
        SdkError::ResponseError(_) => (
            "UnparseableResponse".to_string(),
            DisplayErrorContext(err).to_string(),
        ),
        SdkError::ConstructionFailure(_) => (
            "ConstructionFailure".to_string(),
            DisplayErrorContext(err).to_string(),
        ),
        _ => ("Unknown".to_string(), DisplayErrorContext(err).to_string()),
    }
}

/// Whether a call failed because the endpoint could not be reached at all: no connection,
/// or a connection that broke or timed out before any answer.
pub fn unreachable<E, R>(err: &SdkError<E, R>) -> bool {
    match err {
        SdkError::DispatchFailure(d) => d.is_io() || d.is_timeout(),
        _ => false,
    }
}

/// The AWS error code of a failed call, if the service answered with one.
pub fn code<E: ProvideErrorMetadata, R>(err: &SdkError<E, R>) -> Option<&str> {
    match err {
        SdkError::ServiceError(service) => service.err().code(),
        _ => None,
    }
}

/// Where and what a call was, for recording its failure.
pub struct Call<'a> {
    pub account_id: &'a str,
    pub region: &'a str,
    pub service: &'static str,
    pub operation: &'static str,
    pub resource_id: Option<&'a str>,
}

impl<'a> Call<'a> {
    /// The calls of `service` in one account and region, each then named by its operation
    /// and, when it is about one resource, that resource.
    pub fn recorder(
        account_id: &'a str,
        region: &'a str,
        service: &'static str,
    ) -> impl Fn(&'static str, Option<&'a str>) -> Call<'a> {
        move |operation, resource_id| Call {
            account_id,
            region,
            service,
            operation,
            resource_id,
        }
    }

    pub fn failed<E, R>(&self, err: &SdkError<E, R>, attempts: &Attempts) -> CollectionError
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
        R: std::fmt::Debug + 'static,
    {
        let (code, message) = describe(err, attempts);
        tracing::warn!(
            account = self.account_id,
            region = self.region,
            operation = self.operation,
            code = %code,
            "call failed: {message}"
        );
        CollectionError {
            account_id: self.account_id.to_string(),
            region: self.region.to_string(),
            service: self.service.to_string(),
            operation: self.operation.to_string(),
            code,
            message,
            resource_id: self.resource_id.map(str::to_string),
        }
    }
}
