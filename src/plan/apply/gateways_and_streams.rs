//! Transit gateways with their VPC attachments, and Firehose delivery streams.

use super::*;

impl Builder<'_> {
    pub(super) fn transit_gateways(&mut self) {
        for i in self.of_type(&["aws_ec2_transit_gateway"]) {
            let region = self.regions[i].clone();
            let before = self.before_id(i, "id");
            let record = (!self.inst(i).deleted()).then(|| TransitGateway {
                transit_gateway_id: self.ids[i].clone(),
                transit_gateway_arn: None,
                owner_id: self.account.clone(),
                state: Some("available".to_string()),
                tags: tags(self.inst(i)),
            });
            let gateways = self
                .region_mut(&region)
                .transit_gateways
                .get_or_insert_default();
            upsert(gateways, record, before.as_deref(), |g| {
                &g.transit_gateway_id
            });
        }
        for i in self.of_type(&["aws_ec2_transit_gateway_vpc_attachment"]) {
            let region = self.regions[i].clone();
            let before = self.before_id(i, "id");
            let id = self.ids[i].clone();
            let gateway = self.container(
                i,
                "transit_gateway_id",
                &["aws_ec2_transit_gateway"],
                "transit gateway",
            );
            let vpc = match self.target(i, "vpc_id", &["aws_vpc", "aws_default_vpc"]) {
                Target::Id(v) => Some(v),
                Target::Unset | Target::Unknown(_) => None,
            };
            let record = gateway.map(|transit_gateway_id| TransitGatewayAttachment {
                transit_gateway_attachment_id: id.clone(),
                transit_gateway_id,
                transit_gateway_owner_id: Some(self.account.clone()),
                resource_type: Some("vpc".to_string()),
                resource_id: vpc,
                resource_owner_id: Some(self.account.clone()),
                state: Some("available".to_string()),
                tags: tags(self.inst(i)),
            });
            let attachments = self
                .region_mut(&region)
                .transit_gateway_attachments
                .get_or_insert_default();
            upsert(attachments, record, before.as_deref(), |a| {
                &a.transit_gateway_attachment_id
            });
        }
    }

    pub(super) fn delivery_streams(&mut self) {
        for i in self.of_type(&["aws_kinesis_firehose_delivery_stream"]) {
            let region = self.regions[i].clone();
            let before = self.before_id(i, "name");
            let name = self.ids[i].clone();
            let record = if self.inst(i).deleted() {
                None
            } else {
                // Where the stream writes matters only for reports: its bucket's ARN, when
                // the plan shows it.
                let bucket = self
                    .inst(i)
                    .after("extended_s3_configuration")
                    .and_then(first)
                    .and_then(|c| c.get("bucket_arn"))
                    .and_then(Value::as_str)
                    .map(str::to_string);
                Some(DeliveryStream {
                    delivery_stream_name: name.clone(),
                    delivery_stream_arn: None,
                    // A stream Terraform creates is ACTIVE once apply finishes.
                    delivery_stream_status: Some("ACTIVE".to_string()),
                    destinations: vec![DeliveryStreamDestination {
                        destination_id: "destinationId-000000000001".to_string(),
                        destination_type: self
                            .inst(i)
                            .after_str("destination")
                            .map(|d| if d == "extended_s3" { "ExtendedS3" } else { d }.to_string())
                            .unwrap_or_default(),
                        bucket_arn: bucket,
                    }],
                })
            };
            let streams = &mut self.region_mut(&region).delivery_streams;
            upsert(streams, record, before.as_deref(), |d| {
                &d.delivery_stream_name
            });
        }
    }
}
