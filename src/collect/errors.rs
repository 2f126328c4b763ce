//! Turning SDK errors into collection errors: the AWS error code and message, or the kind
//! of transport failure, never an SDK type.

use aws_sdk_ec2::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};

use crate::snapshot::CollectionError;

/// The code and message of a failed call.
pub fn describe<E, R>(err: &SdkError<E, R>) -> (String, String)
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    match err {
        SdkError::ServiceError(service) => {
            let e = service.err();
            (
                e.code().unwrap_or("Unknown").to_string(),
                e.message()
                    .map(str::to_string)
                    .unwrap_or_else(|| DisplayErrorContext(e).to_string()),
            )
        }
        SdkError::TimeoutError(_) => (
            "TimeoutError".to_string(),
            "the call did not complete within the operation timeout".to_string(),
        ),
        SdkError::DispatchFailure(_) => (
            "DispatchFailure".to_string(),
            DisplayErrorContext(err).to_string(),
        ),
        SdkError::ResponseError(_) => (
            "ResponseError".to_string(),
            DisplayErrorContext(err).to_string(),
        ),
        SdkError::ConstructionFailure(_) => (
            "ConstructionFailure".to_string(),
            DisplayErrorContext(err).to_string(),
        ),
        _ => ("Unknown".to_string(), DisplayErrorContext(err).to_string()),
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

impl Call<'_> {
    pub fn failed<E, R>(&self, err: &SdkError<E, R>) -> CollectionError
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
        R: std::fmt::Debug,
    {
        let (code, message) = describe(err);
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
