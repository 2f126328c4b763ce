//! Firehose: only the delivery streams that flow logs of this region deliver to.

use super::RegionOutcome;
use super::attempts::observed;
use super::errors::{self, Call};
use crate::snapshot::{DeliveryStream, DeliveryStreamDestination};

fn destination(d: &aws_sdk_firehose::types::DestinationDescription) -> DeliveryStreamDestination {
    let (kind, bucket) = if let Some(x) = d.extended_s3_destination_description() {
        ("ExtendedS3", Some(x.bucket_arn()))
    } else if let Some(x) = d.s3_destination_description() {
        ("S3", Some(x.bucket_arn()))
    } else if d.redshift_destination_description().is_some() {
        ("Redshift", None)
    } else if d.elasticsearch_destination_description().is_some() {
        ("Elasticsearch", None)
    } else if d
        .amazonopensearchservice_destination_description()
        .is_some()
    {
        ("AmazonOpenSearchService", None)
    } else if d.splunk_destination_description().is_some() {
        ("Splunk", None)
    } else if d.http_endpoint_destination_description().is_some() {
        ("HttpEndpoint", None)
    } else {
        ("Other", None)
    };
    DeliveryStreamDestination {
        destination_id: d.destination_id().to_string(),
        destination_type: kind.to_string(),
        bucket_arn: bucket.map(str::to_string),
    }
}

pub async fn collect(
    client: &aws_sdk_firehose::Client,
    account_id: &str,
    region: &str,
    names: &[String],
    out: &mut RegionOutcome,
) {
    for name in names {
        out.requests += 1;
        let (answer, attempts) = observed(
            client
                .describe_delivery_stream()
                .delivery_stream_name(name)
                .send(),
        )
        .await;
        match answer {
            Ok(resp) => {
                if let Some(d) = resp.delivery_stream_description() {
                    out.data.delivery_streams.push(DeliveryStream {
                        delivery_stream_name: d.delivery_stream_name().to_string(),
                        delivery_stream_arn: Some(d.delivery_stream_arn().to_string()),
                        delivery_stream_status: Some(
                            d.delivery_stream_status().as_str().to_string(),
                        ),
                        destinations: d.destinations().iter().map(destination).collect(),
                    });
                }
            }
            // A stream that does not exist is data: the evaluation reports it as missing.
            Err(e) if errors::code(&e) == Some("ResourceNotFoundException") => {}
            Err(e) => out.errors.push(
                Call {
                    account_id,
                    region,
                    service: "firehose",
                    operation: "DescribeDeliveryStream",
                    resource_id: Some(name),
                }
                .failed(&e, &attempts),
            ),
        }
    }
}
